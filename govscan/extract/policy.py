"""Policy documents and their interpretations (解读): compact facts per article page.

Every article page of the site becomes a :class:`PolicyPage` (title, 文号, date, column).
Pages that may be a document or a 解读 also keep their content links, so that the rule can
pair a document with its 解读 through a link on either page. Which pages are documents and
which are 解读 is decided by the rule with its own keyword options; the broad hints below
only decide whose links are worth keeping.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache

from govscan.extract import columns, platforms
from govscan.extract.dates import article_date
from govscan.extract.zh import to_simplified
from govscan.facts import PolicyPage, SiteFacts
from govscan.page import Page
from govscan.urls import host_of

PAGES_CAP = 20_000       # article pages remembered per site
LINKS_CAP = 150          # content links kept per candidate page
TITLE_CAP = 200
_WS = re.compile(r"\s+")

# A 文号: issuer abbreviation, year in one of the bracket styles, serial, 号:
# 国办发〔2017〕47号, 青政发[2024]3号, 浙政办发（2023）12号, 财预【2022】5号.
DOC_NO = re.compile(
    r"[\u4e00-\u9fff]{1,15}\s*[〔\[［(（【]\s*(?:19|20)\d{2}\s*[〕\]］)）】]\s*第?\s*\d{1,5}\s*号")
# The label is followed by a colon, or (in a 信息公开 metadata table: <th>发文字号</th><td>…</td>)
# by the number itself.
_DOC_NO_FIELD = re.compile(r"(?:发文字号|文\s*号|文件编号|发文文号)\s*([:：])?\s*")
# Titles, columns and link texts that make a page worth keeping links for.
_CANDIDATE = re.compile(
    r"解读|图解|读懂|问答|答记者问|文件|政策|法规|规章|规范|印发|通知|意见|办法|规定|决定|方案|条例|细则|规划|公告|令")
_LINK_HINT = re.compile(r"解读|图解|读懂|问答|原文|文件|印发|通知|意见|办法|规定|决定|方案|条例|细则|规划|《")
# On other pages only links that name a pairing are kept (解读 / 原文 links).
_PAIRING_TEXT = re.compile(r"解读|原文|图解|读懂")
_TITLE_SPLIT = re.compile(r"\s*(?:[_|｜]|\s-\s|——)\s*")
_BRACKETS = str.maketrans({"[": "〔", "［": "〔", "(": "〔", "（": "〔", "【": "〔",
                           "]": "〕", "］": "〕", ")": "〕", "）": "〕", "】": "〕"})


def article_title(page: Page) -> str:
    """An article's own title: ArticleTitle meta, a heading found in <title>, or <title> less
    the site name that CMSs append."""
    meta = page.meta.get("articletitle") or page.meta.get("og:title") or ""
    if meta.strip():
        return _WS.sub(" ", meta).strip()[:TITLE_CAP]
    title = page.title
    for node in page.tree.css("h1, h2, .title, .article-title, #title"):
        text = _WS.sub(" ", node.text()).strip()
        if 4 <= len(text) <= TITLE_CAP and (not title or text in title or title in text):
            return text
    parts = [p for p in _TITLE_SPLIT.split(title) if p]
    return (parts[0] if parts else title)[:TITLE_CAP]


def doc_number(text: str) -> str:
    """The first 文号 in ``text`` ("" when none)."""
    if "号" not in text:  # DOC_NO ends with it: a scan saves trying the pattern at every character
        return ""
    match = DOC_NO.search(text)
    return _WS.sub("", match.group(0)) if match else ""


def doc_number_key(doc_no: str) -> str:
    """A 文号 with brackets and spaces normalised: 青政发[2024]3号 == 青政发〔2024〕3号."""
    return _WS.sub("", to_simplified(doc_no)).translate(_BRACKETS).replace("第", "")


def field_doc_number(text: str) -> str:
    """A 文号 in the page's metadata fields (发文字号：青政发〔2024〕3号)."""
    if "号" not in text:  # in every label (and every 文号)
        return ""
    for match in _DOC_NO_FIELD.finditer(text):
        found = DOC_NO.match(text, match.end())
        if found is None and match.group(1):
            found = DOC_NO.search(text[match.end():match.end() + 40])
        if found:
            return _WS.sub("", found.group(0))
    return ""


def page_column(page: Page, title: str) -> str:
    """The column an article sits in, when the page tells (ColumnName meta, breadcrumb)."""
    meta = page.meta.get("columnname", "").strip()
    if meta:
        return meta[:40]
    name = columns.page_column_name(page)
    # page_column_name falls back to the page title: that is not a column.
    if not name or name in title or name in page.title:
        return ""
    return name[:40]


def _hinted(text: str, hint: re.Pattern) -> bool:
    if len(text) > 80:
        return bool(hint.search(to_simplified(text)))
    return _hinted_short(text, hint)


@lru_cache(maxsize=8192)  # navigation and related-article texts repeat on every page
def _hinted_short(text: str, hint: re.Pattern) -> bool:
    return bool(hint.search(to_simplified(text)))


# Per pattern: a link text as link_text gives it -> (the text folded, whether the pattern finds
# it): navigation and related-article texts repeat on every page. Short texts only (as
# _hinted_short), cleared when full.
_VERDICTS: dict[int, dict[str, tuple[str, bool]]] = {id(_LINK_HINT): {}, id(_PAIRING_TEXT): {}}
_VERDICTS_MAX = 8192


def _content_links(page: Page, hint: re.Pattern) -> tuple[tuple[str, str], ...]:
    own = {page.url, page.final_url}
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    articles = hint is _LINK_HINT
    verdicts = _VERDICTS.get(id(hint)) if hint is _LINK_HINT or hint is _PAIRING_TEXT else None
    for link in page.links:  # every <a href> the page has, resolved once, in document order
        if link.tag != "a":
            break  # the <a> links come first
        url = link.url
        if url in own or url in seen:
            continue
        verdict = verdicts.get(link.text) if verdicts is not None else None
        if verdict is None:
            text = " ".join(link.text.split())  # link_text folds all but an image's alt text
            verdict = (text, _hinted(text, hint))
            if verdicts is not None and len(text) <= 80:
                if len(verdicts) >= _VERDICTS_MAX:
                    verdicts.clear()
                verdicts[link.text] = verdict
        text, hinted = verdict
        if not (hinted or (articles and columns.is_article_url(url))):
            continue
        seen.add(url)
        found.append((sys.intern(url), text[:80]))
        if len(found) >= LINKS_CAP:
            break
    return tuple(found)


def collect(page: Page, facts: SiteFacts) -> None:
    if page.is_homepage or page.status >= 400 or platforms.is_script(page):
        return
    if len(facts.policy_pages) >= PAGES_CAP or page.url in facts.policy_pages:
        return
    hosts = {facts.site.host, *facts.site.aliases}
    if facts.final_url:
        hosts.add(host_of(facts.final_url))
    if host_of(page.final_url) not in hosts and host_of(page.url) not in hosts:
        return
    if columns.page_kind(page) not in ("article", "other"):
        return
    title = article_title(page)
    if not title:
        return
    doc_no = doc_number(title) or field_doc_number(page.visible_text[:6000])
    date = article_date(page)
    column = page_column(page, title)
    hint = bool(doc_no or _CANDIDATE.search(to_simplified(f"{title} {column}")))
    if date is None and not hint:
        return   # an undated page that is neither a document nor a 解读 matters to no rule
    facts.policy_pages[page.url] = PolicyPage(
        url=page.url, title=title, doc_no=doc_no, date=date, column=column,
        links=_content_links(page, _LINK_HINT if hint else _PAIRING_TEXT),
    )
