"""Policy interpretation: every recent policy document has its 解读."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Iterator, Sequence

from govscan.extract.columns import classify, column_key, is_article_url, is_list_url
from govscan.extract.policy import doc_number_key
from govscan.extract.zh import to_simplified
from govscan.facts import PolicyPage, SiteFacts
from govscan.model import Context, Hit
from govscan.rules import rule

_STRIP = re.compile(r"[\s《》〈〉“”\"'「」『』:：,，.。、]")
_DOC_CORE = (re.compile(r"(?:印发|转发|公布)(.{4,120}?)的(?:通知|决定|公告)"), re.compile(r"关于(.{4,120})$"))


def _norm(text: str) -> str:
    return _STRIP.sub("", to_simplified(text)).translate(str.maketrans("[［(（【]］)）】", "〔〔〔〔〔〕〕〕〕〕"))


def title_keys(title: str, doc_no: str, pattern: re.Pattern, min_chars: int) -> list[str]:
    """Strings whose presence in a 解读's title ties it to the document: its 文号 and its
    title, whole and reduced to its core (关于《X》的通知 → X)."""
    keys = []
    if doc_no:
        keys.append(doc_number_key(doc_no))
    bare = pattern.sub("", title)
    bare = re.sub(r"[〔\[［(（【][^〕\]］)）】]*[〕\]］)）】]\s*$", "", bare.strip())   # trailing (文号) leftovers
    candidates = [bare]
    for regex in _DOC_CORE:
        match = regex.search(bare)
        if match:
            candidates.append(match.group(1))
    for text in candidates:
        key = _norm(text)
        if len(key) >= min_chars and key not in keys:
            keys.append(key)
    return keys


def _contains_any(text: str, words: Sequence[str]) -> str | None:
    simple = to_simplified(text)
    return next((w for w, form in _simplified_words(tuple(words)) if form in simple), None)


@lru_cache(maxsize=64)  # a handful of option lists, asked for every page of the site
def _simplified_words(words: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((w, to_simplified(w)) for w in words if w)


@rule(id="missing-interpretation", title="政策文件缺少解读", indicator="发布解读",
      basis="《政府网站与政务新媒体检查指标》发布解读：对重要政策文件进行解读，并与政策文件相互关联；"
            "《关于全面推进政务公开工作的意见》“谁起草、谁解读”",
      scope="site", level="error",
      options={
          "window-days": 365,
          "doc-number-pattern": r"[\u4e00-\u9fff]{1,15}\s*[〔\[［(（【]\s*(?:19|20)\d{2}\s*[〕\]］)）】]\s*第?\s*\d{1,5}\s*号",
          "title-patterns": [r"印发.{1,80}?的通知"],
          "policy-columns": ["政策文件", "政策法规", "法规文件", "规范性文件", "政府文件", "政府规章", "部门文件",
                             "市政府文件", "办公室文件", "政府令", "政府公报", "法律法规", "文件"],
          "interpretation-keywords": ["解读", "图解", "一图读懂", "读懂", "政策问答", "答记者问", "新闻发布会"],
          "interpretation-columns": ["政策解读", "解读", "图解", "一图读懂", "专家解读", "部门解读", "媒体解读",
                                     "解读回应", "政策问答", "新闻发布会", "发布会"],
          "doc-link-texts": ["相关解读", "政策解读", "解读", "图解", "一图读懂", "读懂"],
          "source-link-texts": ["原文链接", "原文", "政策原文", "文件原文"],
          "exclude-title-keywords": ["任免", "任职", "免职", "表彰", "批复", "更正", "废止"],
          "min-title-chars": 6,
      })
def missing_interpretation(facts: SiteFacts, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: each policy document published within the window before the as-of date —
    a page in a 政策文件-class column, or whose title carries a 文号 (青政发〔2024〕3号, [2024],
    (2024) or 【2024】 brackets) or reads 印发…的通知, or whose 发文字号 field shows one — has
    its 解读: the document links a 解读 (相关解读 / 政策解读 link, or a link to a 解读 page), a
    解读 page links the document (原文链接 or any link), or a 解读 page's title contains the
    document's 文号 or title (关于印发《X》的通知 ↔ 《X》政策解读).

    Why it matters: the 2019 indicators score 发布解读: important policy documents are to be
    interpreted, and the 解读 and the document linked to each other.
    Failing example: 青政发〔2025〕3号 published two months ago, no page mentions or links it.
    Passing example: 《青山市优化营商环境若干措施》政策解读, whose title names the document.
    Options: window-days — documents older than this are not checked; doc-number-pattern,
    title-patterns — what makes a title a document; policy-columns, interpretation-columns —
    column names of each kind (exact > suffix > substring); interpretation-keywords — 解读 page
    titles; doc-link-texts, source-link-texts — link texts that pair the two pages;
    exclude-title-keywords — documents that need no 解读 (任免, 批复 …); min-title-chars —
    shortest title core matched inside a 解读's title.
    """
    pattern = re.compile(options["doc-number-pattern"])
    title_patterns = [re.compile(p) for p in options["title-patterns"]]
    classes = {"policy": options["policy-columns"], "interp": options["interpretation-columns"]}
    oldest = ctx.as_of - dt.timedelta(days=options["window-days"])

    kinds: dict[str, str | None] = {}  # a site's thousands of pages share a few column names

    def kind_of(name: str) -> str | None:
        if name not in kinds:
            kinds[name] = classify(name, classes)
        return kinds[name]

    policy_column_urls: set[str] = set()
    column_names: dict[str, str] = {}
    for key, col in facts.columns.items():
        column_names[key] = col.name
        if kind_of(col.name) == "policy":
            policy_column_urls.update(i.url for i in col.samples if i.url)

    interps: list[PolicyPage] = []
    docs: list[tuple[PolicyPage, str, str]] = []
    interp_words = _simplified_words(tuple(options["interpretation-keywords"]))
    for page in facts.policy_pages.values():
        kind = kind_of(page.column) if page.column else None
        title = to_simplified(page.title)
        if kind == "interp" or any(form in title for _, form in interp_words):
            interps.append(page)
            continue
        match = pattern.search(title)
        doc_no = re.sub(r"\s+", "", match.group(0)) if match else (page.doc_no if pattern.search(page.doc_no or "") else "")
        if match:
            reason = "标题含文号"
        elif any(p.search(title) for p in title_patterns):
            reason = "印发类通知"
        elif kind == "policy" or page.url in policy_column_urls:
            reason = "政策文件栏目"
        elif doc_no:
            reason = "发文字号"
        else:
            continue
        docs.append((page, doc_no, reason))
    if not docs:
        return

    interp_urls = {p.url for p in interps}
    interp_titles = [(_norm(p.title), p) for p in interps]
    # who links each document (of ~5,000 article pages' links, those to documents)
    doc_urls = {doc.url for doc, _, _ in docs}
    linked_from: dict[str, list[tuple[str, str]]] = {}
    for page in facts.policy_pages.values():
        for url, text in page.links:
            if url in doc_urls:
                linked_from.setdefault(url, []).append((page.url, text))

    def pairing(doc: PolicyPage, doc_no: str) -> tuple[str, str] | None:
        for url, text in doc.links:
            if url in interp_urls:
                return "文件链接解读页", url
            if is_list_url(url) and not is_article_url(url) or column_key(url) in column_names:
                continue   # a link to the 政策解读 column, not to this document's 解读
            if _contains_any(text, options["doc-link-texts"]):
                return "文件页“解读”链接", url
        for source, text in linked_from.get(doc.url, ()):
            if source in interp_urls:
                return "解读页链接文件", source
            if source != doc.url and _contains_any(text, options["source-link-texts"]):
                return "页面“原文”链接", source
        keys = title_keys(to_simplified(doc.title), doc_no, pattern, options["min-title-chars"])
        for title, page in interp_titles:
            for key in keys:
                if key and key in title:
                    return "解读标题含文件" + ("文号" if doc_no and key == doc_number_key(doc_no) else "标题"), page.url
        return None

    for doc, doc_no, reason in docs:
        if doc.date is None or not oldest <= doc.date <= ctx.as_of:
            continue
        if _contains_any(doc.title, options["exclude-title-keywords"]):
            continue
        if pairing(doc, doc_no) is not None:
            continue
        label = f"《{doc.title}》" + (f"（{doc_no}）" if doc_no else "")
        yield Hit(f"政策文件{label}发布于 {doc.date.isoformat()}，未找到对应的政策解读",
                  url=doc.url,
                  evidence={"title": doc.title, "doc_no": doc_no or None, "date": doc.date.isoformat(),
                            "column": doc.column or None, "detected_by": reason,
                            "interpretations_seen": len(interps), "window_days": options["window-days"]})
