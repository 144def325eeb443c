"""Interaction (政务咨询) messages and service guides (办事指南), as compact facts.

Messages come from list pages — tables with a header row (标题 | 留言时间 | 状态 | 回复时间),
``ul/li`` rows and leaf ``div`` rows showing a status word and dates — and from a message's
own page (留言时间：… 回复时间：… 回复内容：…). Each is kept with its question date, reply date
and status text as shown; whether a status means "answered" is the rule's option.

Guides keep only the element labels they show and whether each has a value, so the rule can
map labels to the ten elements with its own synonym lists.
"""

from __future__ import annotations

import re
from typing import Iterable

import ahocorasick_rs
from selectolax.lexbor import LexborNode

from govscan.extract import columns, platforms
from govscan.extract.dates import find_date, iter_dates, normalize as normalize_digits
from govscan.extract.identity import simplify
from govscan.extract.policy import article_title
from govscan.extract.zh import to_simplified
from govscan.facts import Message, ServiceGuide, SiteFacts
from govscan.page import Page, link_text
from govscan.urls import host_of, normalize

MESSAGES_CAP = 20_000
GUIDES_CAP = 5_000
LABELS_CAP = 80
_WS = re.compile(r"\s+")

# Status as sites print it. A bare 办理/回复 is too common in titles to count; the prefixed
# or suffixed forms are statuses.
STATUS = re.compile(
    r"(?:已|未|待|正在|尚未|暂未|暂无|没有)\s*(?:回复|答复|办理|处理|办结|受理|反馈|解答|转办|回应|公开)(?:完毕|完成)?"
    r"|(?:回复|答复|办理|处理|受理|转办|审核)中|已?办结|已完成")
# Whether STATUS occurs at all, in one pattern whose every alternative starts with a literal:
# re then skips ahead to the characters they start with (STATUS itself is tried at every
# position: 20 µs on a page's text). 正在/暂无/没有 are spelt out rather than read back from
# 在/无/有 (common characters); 尚未/暂未 contain 未 and 已办结 contains 办结, so they need no
# alternative of their own.
_STATUS_VERB = r"(?:回复|答复|办理|处理|办结|受理|反馈|解答|转办|回应|公开)"
_STATUS_ALTERNATIVES = (
    "办结", "已完成",
    *(p + r"\s*" + _STATUS_VERB for p in ("已", "未", "待", "正在", "暂无", "没有")),
    *(v + "中" for v in ("回复", "答复", "办理", "处理", "受理", "转办", "审核")),
)
_STATUS_ANY = re.compile("|".join(_STATUS_ALTERNATIVES))


def has_status(text: str) -> bool:
    """``STATUS.search(text) is not None``, faster."""
    return _STATUS_ANY.search(text) is not None


# Where a page is an interaction column: its title, column name or table header says so.
_CONTEXT = re.compile(r"信箱|咨询|留言|建言|来信|诉求|问政|12345|互动|写信|民意|提问|信件|回复|答复|投诉|建议|问答")
_ASKED_WORDS = ("留言", "来信", "提问", "咨询", "写信", "提交", "诉求", "投诉", "反映", "发信")
_ASKED_LABEL = re.compile("(?:" + "|".join(_ASKED_WORDS) + r")(?:时间|日期)\s*[:：]?\s*")
# Whether a page may show messages (has_status or _ASKED_LABEL finds something): one scan of its
# text, alternatives that start with a literal as in _STATUS_ANY.
_MESSAGE_SIGN = re.compile("|".join((*_STATUS_ALTERNATIVES, *(w + "(?:时间|日期)" for w in _ASKED_WORDS))))
_REPLY_LABEL = re.compile(r"(?:回复|答复|办结|反馈|处理|回应)(?:时间|日期)\s*[:：]?\s*")
_STATUS_LABEL = re.compile(r"(?:办理|回复|处理|答复|信件|留言)?状态\s*[:：]\s*")
_REPLY_TEXT = re.compile(r"(?:回复|答复|办理|处理)(?:内容|意见|结果)\s*[:：]?\s*")
_NO_REPLY = re.compile(r"^(?:暂无|无|尚未|未|待)")

# Table header cells.
_H_STATUS = re.compile(r"状态|情况")
_H_REPLY = re.compile(r"(?:回复|答复|办结|反馈|处理|办理|回应)(?:时间|日期)")
_H_ASKED = re.compile(r"时间|日期")
_H_TITLE = re.compile(r"标题|主题|事项|内容|名称|留言|信件")


def _text(node: LexborNode) -> str:
    return _WS.sub(" ", node.text(deep=True, separator=" ")).strip()


def _cells(tr: LexborNode) -> list[LexborNode]:
    return [c for c in tr.iter() if c.tag in ("td", "th")]


def _own_rows(table: LexborNode) -> list[LexborNode]:
    """Rows of ``table`` itself, not of tables nested in its cells."""
    rows = []
    for tr in table.css("tr"):
        parent = tr.parent
        while parent is not None and parent.tag != "table":
            parent = parent.parent
        if parent is not None and parent.mem_id == table.mem_id:
            rows.append(tr)
    return rows


def _labelled_date(text: str, label: re.Pattern) -> object:
    for match in label.finditer(text):
        found = find_date(text[match.end():match.end() + 30])
        if found is not None:
            return found
    return None


def _status(text: str) -> str:
    match = _STATUS_LABEL.search(text)
    if match:
        found = STATUS.match(text, match.end())
        if found:
            return _WS.sub("", found.group(0))
        word = re.match(r"[\u4e00-\u9fff]{2,5}", text[match.end():])
        if word:
            return word.group(0)
    found = STATUS.search(text)
    return _WS.sub("", found.group(0)) if found else ""


def _row_link(row: LexborNode, base: str) -> tuple[str | None, str]:
    best: tuple[str | None, str] = (None, "")
    for a in row.css("a[href]"):
        url = normalize(a.attributes.get("href") or "", base)
        text = _WS.sub(" ", link_text(a)).strip()
        if url and len(text) > len(best[1]):
            best = (url, text)
    return best


def _header_map(cells: list[str]) -> dict[str, int] | None:
    mapping: dict[str, int] = {}
    for index, cell in enumerate(cells):
        cell = to_simplified(cell)
        if len(cell) > 12:
            return None
        if _H_STATUS.search(cell):
            mapping.setdefault("status", index)
        elif _H_REPLY.search(cell):
            mapping.setdefault("reply", index)
        elif _H_ASKED.search(cell):
            mapping.setdefault("asked", index)
        elif _H_TITLE.search(cell):
            mapping.setdefault("title", index)
    return mapping if "asked" in mapping and ("status" in mapping or "reply" in mapping) else None


def _table_messages(table: LexborNode, page: Page, context: str) -> Iterable[Message]:
    rows = _own_rows(table)
    header: dict[str, int] | None = None
    header_text = ""
    for tr in rows:
        cells = [_text(c) for c in _cells(tr)]
        if not cells:
            continue
        if header is None:
            mapped = _header_map(cells)
            if mapped is not None:
                header, header_text = mapped, " ".join(cells)
                continue
        if header is None:
            continue   # tables without a header are read as rows (_row_messages)
        if not (_CONTEXT.search(to_simplified(context + header_text))):
            return
        url, link = _row_link(tr, page.base_url)
        asked = find_date(cells[header["asked"]]) if header["asked"] < len(cells) else None
        if asked is None:
            continue
        replied = None
        if "reply" in header and header["reply"] < len(cells):
            replied = find_date(cells[header["reply"]])
        status = ""
        if "status" in header and header["status"] < len(cells):
            status = cells[header["status"]][:12]
        title = link or (cells[header["title"]] if "title" in header and header["title"] < len(cells) else "")
        yield Message(url=url or page.url, list_url=page.url, title=title[:120], asked=asked,
                      replied=replied, status=status, source="table", column=context[:80],
                      reply_field="reply" in header)


def _has_inside(node: LexborNode, selector: str) -> bool:
    """Whether a descendant matches (lexbor's css() also matches the node itself)."""
    return any(n.mem_id != node.mem_id for n in node.css(selector))


def _is_leaf_row(node: LexborNode) -> bool:
    if node.tag == "li":
        return not _has_inside(node, "li")
    if node.tag == "tr":
        return not _has_inside(node, "table")
    return not _has_inside(node, "div, li, tr, table, ul, dl")   # div and dl rows


_FIELD_START = re.compile(_ASKED_LABEL.pattern + "|" + _STATUS_LABEL.pattern + "|" + _REPLY_LABEL.pattern
                          + r"|(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}")


def _lead(text: str) -> str:
    """The title of a row without a link: its text before the first field (留言时间：…, 状态：…,
    a date); the whole text when that leaves too little."""
    match = _FIELD_START.search(text)
    lead = text[:match.start()].strip(" |｜-—:：") if match else text
    return lead if len(lead) >= 4 else text


def _row_messages(page: Page, context: str, in_header_tables: set[int]) -> list[Message]:
    """Rows read one by one; a row inside another message row (a div inside its li) is part
    of that message, not another one."""
    found = list(_row_candidates(page, context, in_header_tables))
    ids = {node.mem_id for node, _ in found}
    out = []
    for node, message in found:
        parent, nested = node.parent, False
        while parent is not None:
            if parent.mem_id in ids:
                nested = True
                break
            parent = parent.parent
        if not nested:
            out.append(message)
    return out


def _row_candidates(page: Page, context: str, in_header_tables: set[int]) -> Iterable[tuple[LexborNode, Message]]:
    for row in page.tree.css("li, tr, div, dl"):
        if not _is_leaf_row(row):
            continue
        if row.tag == "tr":
            parent = row.parent
            while parent is not None and parent.tag != "table":
                parent = parent.parent
            if parent is not None and parent.mem_id in in_header_tables:
                continue
        text = _text(row)
        if not 6 <= len(text) <= 600:
            continue
        url, title = _row_link(row, page.base_url)
        rest = normalize_digits(text.replace(title, " ", 1) if title else text)
        status = _status(rest)
        asked = _labelled_date(rest, _ASKED_LABEL)
        replied = _labelled_date(rest, _REPLY_LABEL)
        labelled = asked is not None
        if not (labelled or url):
            continue   # a bare dated line (a field of a message's own page) is not a list row
        if asked is None:
            dates = list(iter_dates(rest))
            if not dates:
                continue
            asked = dates[0]
            replied = dates[1] if len(dates) > 1 else None
        if not (status or replied or _REPLY_LABEL.search(rest)):
            continue   # a dated row without any reply information is not a message row
        if not (labelled or _CONTEXT.search(to_simplified(context))):
            continue
        yield row, Message(url=url or page.url, list_url=page.url, title=(title or _lead(text))[:120], asked=asked,
                           replied=replied, status=status, source="table" if row.tag == "tr" else "list",
                           column=context[:80], reply_field=bool(_REPLY_LABEL.search(rest)))


def _detail_message(page: Page, context: str) -> Message | None:
    text = normalize_digits(page.visible_text)
    asked_labels = [m for m in _ASKED_LABEL.finditer(text) if find_date(text[m.end():m.end() + 30])]
    if len(asked_labels) != 1:
        return None   # none: not a message; several: a list (read row by row)
    asked = find_date(text[asked_labels[0].end():asked_labels[0].end() + 30])
    replied = _labelled_date(text, _REPLY_LABEL)
    reply_text = False
    empty_reply = False   # a reply area shown empty or as 暂无回复
    for match in _REPLY_TEXT.finditer(text):
        following = text[match.end():match.end() + 40].strip()
        if _NO_REPLY.match(following) or not following:
            empty_reply = True
        elif len(re.findall(r"[\u4e00-\u9fff]", following)) >= 4:
            reply_text = True
            break
    status_match = _STATUS_LABEL.search(text)
    status = _status(text) if status_match or STATUS.search(text) else ""
    return Message(url=page.url, list_url="", title=article_title(page)[:120], asked=asked, replied=replied,
                   status=status, source="detail", column=context[:80],
                   reply_field=bool(_REPLY_LABEL.search(text)) or empty_reply, reply_text=reply_text)


def _merge(old: Message, new: Message) -> Message:
    """One message seen in a list and on its own page: keep every sign of a reply."""
    detail, other = (new, old) if new.source == "detail" else (old, new)
    return Message(
        url=detail.url, list_url=old.list_url or new.list_url, title=detail.title or other.title,
        asked=detail.asked or other.asked, replied=detail.replied or other.replied,
        status=detail.status or other.status, source=detail.source, column=detail.column or other.column,
        reply_field=detail.reply_field or other.reply_field, reply_text=detail.reply_text or other.reply_text,
    )


def _add(facts: SiteFacts, message: Message) -> None:
    key = message.url if message.url != message.list_url else f"{message.list_url}#{message.title}#{message.asked}"
    old = facts.messages.get(key)
    if old is not None:
        facts.messages[key] = _merge(old, message)
    elif len(facts.messages) < MESSAGES_CAP:
        facts.messages[key] = message


def messages_of(page: Page) -> list[Message]:
    """Messages a page shows: its rows (tables with a header, li/div rows) or itself."""
    column = columns.page_column_name(page)
    context = f"{column} {page.title}".strip()
    found: list[Message] = []
    header_tables: set[int] = set()
    for table in page.tree.css("table"):
        rows = list(_table_messages(table, page, context))
        if rows:
            header_tables.add(table.mem_id)
            found.extend(rows)
    rows = _row_messages(page, context, header_tables)
    found.extend(rows)
    if rows and not header_tables and all(m.url == page.url for m in rows):
        # Rows without a link of their own on a page showing a single question date are the
        # fields of that message's own page (留言时间 | 办理状态 in one table row), not a list.
        detail = _detail_message(page, context)
        if detail is not None:
            found = []
    if not found:
        detail = _detail_message(page, context)
        if detail is not None and (detail.status or detail.replied or detail.reply_field or detail.reply_text
                                   or _CONTEXT.search(to_simplified(context))):
            found.append(detail)
    return found


# ------------------------------------------------------------------ service guides

# Labels of the ten elements and their common synonyms: a page must show a few before its
# labels are kept. The rule maps labels to elements with its own (tunable) synonym lists.
GUIDE_HINTS = (
    "事项名称", "项目名称", "设定依据", "法律依据", "办理依据", "实施依据", "申请条件", "受理条件", "办理条件",
    "申报条件", "办理材料", "申请材料", "申报材料", "所需材料", "提交材料", "办理地点", "受理地点", "办理地址",
    "受理地址", "办理机构", "受理机构", "实施机构", "实施主体", "受理部门", "办理部门", "收费标准", "收费依据",
    "是否收费", "办理时间", "受理时间", "办公时间", "工作时间", "联系电话", "咨询电话", "咨询方式", "联系方式",
    "办理流程", "办事流程", "办理程序", "审批流程", "办理时限", "承诺时限", "法定时限",
)
_ORDINAL = re.compile(r"^(?:[（(]?[一二三四五六七八九十\d]+[)）]?[、.．:：]?|第[一二三四五六七八九十\d]+[条项部分]、?)\s*")
_LABEL = re.compile(r"^[\u4e00-\u9fff（）()/、]{2,14}$")
_LABEL_COLON = re.compile(r"^\s*([\u4e00-\u9fff（）()/、]{2,14})\s*[:：]\s*(.*)$", re.S)
_EMPTY_VALUE = re.compile(r"^[\s\-—/_.。:：]*$|^(?:暂无|空)$")


def clean_label(text: str) -> str:
    text = _ORDINAL.sub("", _WS.sub("", to_simplified(text))).rstrip(":：")
    return text


def guide_labels(page: Page) -> dict[str, bool]:
    """Element-like labels the page shows ("申请条件", "一、办理材料：…") and whether a value
    follows each (a neighbouring cell, the rest of its paragraph, or the next block)."""
    labels: dict[str, bool] = {}

    def note(label: str, value: str) -> None:
        label = clean_label(label)
        if not _LABEL.match(label) or len(labels) >= LABELS_CAP:
            return
        has_value = not _EMPTY_VALUE.match(value or "")
        labels[label] = labels.get(label, False) or has_value

    root = page.tree.body
    if root is None:
        return labels
    for node in root.css("th, td, dt, dd, strong, b, h2, h3, h4, h5, h6, label, span, em, p, li, div"):
        text = _text(node)
        if not text or len(text) > 4000:
            continue
        short = clean_label(text)
        if 2 <= len(short) <= 14 and _LABEL.match(short):
            if node.tag in ("strong", "b", "span", "em", "label"):
                parent = node.parent
                value = _text(parent).replace(text, "", 1) if parent is not None else ""
                if not value.strip(" :：") and parent is not None:
                    value = _next_text(parent)
            else:
                value = _next_text(node)
            note(short, value)
            continue
        match = _LABEL_COLON.match(text)
        if match and node.tag in ("p", "li", "td", "dd", "div", "span") \
                and not _has_inside(node, "p, li, tr, div"):
            note(match.group(1), match.group(2))
    return labels


def _next_text(node: LexborNode) -> str:
    sibling = node.next
    while sibling is not None:
        if sibling.tag == "-text":
            text = (sibling.text_content or "").strip()
            if text:
                return text
        elif sibling.tag not in ("script", "style", "br"):
            return _text(sibling)
        sibling = sibling.next
    return ""


_HINT_LIST = sorted(set(GUIDE_HINTS))
# over UTF-8 bytes: only which hints occur matters, so no offsets need mapping to characters
_HINTS = ahocorasick_rs.BytesAhoCorasick([h.encode("utf-8") for h in _HINT_LIST])


def _hint_count(text: str) -> int:
    """How many of GUIDE_HINTS occur in ``text`` (one automaton pass instead of 45 scans)."""
    try:
        found = {_HINT_LIST[i]
                 for i, _, _ in _HINTS.find_matches_as_indexes(text.encode("utf-8"), overlapping=True)}
    except UnicodeEncodeError:  # lone surrogates: the automaton wants valid UTF-8
        found = {h for h in _HINT_LIST if h in text}
    return sum(1 for h in GUIDE_HINTS if h in found)


def guide_of(page: Page) -> ServiceGuide | None:
    title = article_title(page) or page.title
    simple_title = to_simplified(f"{title} {page.title}")
    text = simplify(page.visible_text[:20000])
    hinted = "指南" in simple_title
    if not hinted and _hint_count(text) < 3:
        return None
    labels = guide_labels(page)
    if not labels:
        return None
    return ServiceGuide(url=page.url, title=title[:120], labels=tuple(labels.items()))


# ------------------------------------------------------------------ collector

def collect(page: Page, facts: SiteFacts) -> None:
    if page.status >= 400 or platforms.is_script(page):
        return
    hosts = {facts.site.host, *facts.site.aliases}
    if facts.final_url:
        hosts.add(host_of(facts.final_url))
    if host_of(page.final_url) not in hosts and host_of(page.url) not in hosts:
        return
    text = page.visible_text
    if _MESSAGE_SIGN.search(text):  # = has_status(text) or _ASKED_LABEL.search(text)
        for message in messages_of(page):
            _add(facts, message)
    if (not page.is_homepage and len(facts.service_guides) < GUIDES_CAP and page.url not in facts.service_guides
            and columns.page_kind(page) != "column"):
        guide = guide_of(page)
        if guide is not None:
            facts.service_guides[page.url] = guide
