"""Columns (栏目): discovery from the homepage's navigation, list pages and their dated items.

The crawler feeds pages one at a time (``collect``) and drops each body afterwards, so only
compact facts are kept: per column its name, level, list URL, item count, dates and a few
samples; for the homepage its list items; for second-level pages their newest dates; for
same-site scripts what they write. Column classes (动态要闻, 通知公告 …) are not decided
here: they come from keyword lists that are rule options, applied by :func:`classify`.

Page-level helpers (:func:`page_kind`, :func:`list_items`) are pure and cached per Page
object, so a page rule and the collector share one parse.
"""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from govscan.extract import platforms
from govscan.extract.scripts import written_html
from govscan.extract.dates import MonthDay, article_date, date_from_url, find_date, find_item_date
from govscan.facts import Column, ListItem, ListStats, ScriptWrite, SiteFacts
from govscan.page import Page, link_text
from govscan.text import normalize as fold
from govscan.urls import host_of, normalize

SAMPLE_CAP = 50          # items kept per column (URL, title, date)
DATE_CAP = 200           # distinct dates kept per column
SECOND_LEVEL_DATES = 5   # newest dates kept per second-level page
SCRIPT_REFS_CAP = 200    # pages remembered per same-site script
TEXT_SAMPLE = 300        # characters of an itemless column page kept for placeholder phrases
HOME = "#home"           # script_refs marker for the homepage

_ROW_TAGS = {"li", "tr", "dd", "dt", "p"}
_LIST_TAGS = {"ul", "ol", "table", "tbody", "thead", "dl", "body", "html"}
_SKIP_TEXT_TAGS = {"script", "style", "noscript", "template", "select", "option", "textarea"}
_WS = re.compile(r"\s+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_DECOR = re.compile(r"^[\s\[\]【】〔〕()（）<>《》·•●◆■□▪>»›\-—_|:：]+|[\s\[\]【】〔〕()（）<>《》·•●◆■□▪>»›\-—_|:：]+$")
_MORE = re.compile(r"^(?:更多|查看更多|more|MORE|More|更多>+|>>|»|\+|更多\+|more\+?>*|\.\.\.)$")
_PAGER_TEXT = re.compile(r"^(?:首页|上一页|下一页|尾页|末页|前页|后页|第?\d+页?|GO|跳转|\d+)$")
# Link texts that name site tools, not columns.
_NOT_COLUMNS = {
    "首页", "网站首页", "返回首页", "主页", "登录", "注册", "用户登录", "无障碍", "无障碍浏览", "长者模式", "关怀版",
    "适老化", "繁体", "简体", "繁体版", "简体版", "english", "手机版", "移动版", "网站地图", "联系我们", "关于我们",
    "加入收藏", "设为首页", "搜索", "高级搜索", "微信", "微博", "政务微信", "政务微博", "返回顶部", "打印", "关闭",
    "关闭窗口", "打印本页", "个人中心", "法律声明", "隐私声明", "网站声明", "使用帮助", "纠错", "我要纠错",
}
_FILE_EXT = re.compile(r"\.(?:pdf|docx?|xlsx?|pptx?|wps|et|zip|rar|7z|txt|jpe?g|png|gif|bmp|webp|mp[34]|avi|flv|"
                       r"swf|exe|apk|ofd|xml|rss|css|js)$", re.I)
# URL shapes of column list pages and of article pages on the common platforms.
_LIST_FILE = re.compile(r"/(?:index|list|default)(?:_[a-z]+)?(?P<num>_\d+)?\.(?:s?html?|jsp|php|aspx?)$", re.I)
_LIST_URL = re.compile(r"/col/col\d+|/(?:index|list|default)(?:_[a-z]+)?(?:_\d+)?\.(?:s?html?|jsp|php|aspx?)$|"
                       r"[?&](?:columnid|channelid|catid|classid|typeid|lmid|colid|chnlid)=", re.I)
_ARTICLE_URL = re.compile(
    r"/t\d{8}_\d+|/art/\d{4}/|art_\d+_\d+|content_\d+|/content/post_\d+|/post_\d+|/\d{4}/\d{1,2}/\d{1,2}/[\w-]+\.s?html?$|"
    r"/\d{6,8}/[\w-]*\d[\w-]*\.s?html?$|/\d{4}-\d{2}/\d{2}/|detail|/item/\d+|/show(?:_\d+)?\.|/info/\d+/\d+|"
    r"[?&](?:id|articleid|infoid|contentid|newsid|docid|aid)=\d", re.I)
_TRAILING_DATE = re.compile(r"\s*[\[(（]?\s*(?:\d{2,4}\s*[-/.年]\s*)?\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?\s*[\])）]?\s*$")
_NOT_FOUND = re.compile(r"404|页面不存在|页面未找到|找不到(?:该)?页面|页面已(?:被)?删除|访问的页面不存在|not found", re.I)
_PAGE_PARAMS = {"page", "pagenum", "pageno", "pageindex", "currentpage", "curpage", "p", "pn", "uid",
                "startrecord", "endrecord", "perpage", "pagesize"}

# class/id tokens of page chrome: header, navigation, footer, breadcrumbs, pagers.
_NAV_TOKEN = re.compile(r"(?:.*[-_])?(?:nav|navs|navbar|navigation|menu|menus|daohang|dh)(?:[-_].*|\d+)?", re.I)
_CHROME_TOKEN = re.compile(
    r"header.*|head|head[-_].*|.*[-_]header.*|"
    r"footer.*|foot|foot[-_].*|.*[-_]foot(?:er)?(?:[-_].*)?|bottom|.*copyright.*|banquan|"
    r".*crumb.*|position|location|curpos|cur[-_]?pos(?:ition)?|dqwz|.*weizhi.*|mianbao.*|"
    r"page|pages|pager|pagination|fenye|page[-_]?(?:box|bar|div|list|num|nav)|.*paging.*",
    re.I)
_SUB_TOKEN = re.compile(r".*(?:sub|child|second|erji|drop|down|ej).*", re.I)
_BREADCRUMB_TOKEN = re.compile(r".*(?:crumb|weizhi|dqwz|mianbao|position|location|curpos).*", re.I)
_BREADCRUMB_TEXT = re.compile(r"^\s*(?:当前位置|您的位置|您现在的位置|你的位置|现在位置|所在位置|当前所在位置)")
_SIDE_TOKEN = re.compile(r"side.*|.*[-_]side(?:bar)?(?:[-_].*)?|aside", re.I)
_CRUMB_SEP = re.compile(r"\s*(?:>|&gt;|»|›|＞|→|/|-+>|—)\s*")
_PLAIN_NAME = re.compile(r"^(?:正文|详情|内容|详细内容|信息详情|文章详情|列表)$")


# ------------------------------------------------------------------ per-page cache

def _cached(page: Page, name: str, compute: Callable[[Page], Any]) -> Any:
    """One computation per Page (rules and the collector share it), kept on the page itself."""
    memo = page.derived
    try:
        return memo[name]
    except KeyError:
        value = memo[name] = compute(page)
        return value


# ------------------------------------------------------------------ small helpers

def clean_name(text: str) -> str:
    """A link text or heading as a column name: decoration, "更多" and inner spaces gone."""
    if not text:
        return ""
    # navigation and list titles repeat on every page: short texts are worked out once
    return _clean_name(text) if len(text) <= 200 else _clean_name.__wrapped__(text)


_MORE_SUFFIX = re.compile(r"(?:更多|more)\s*[>»+]*$", re.I)
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")


@lru_cache(maxsize=8192)
def _clean_name(text: str) -> str:
    text = " ".join(text.split())  # = _WS.sub(" ", text).strip()
    text = _MORE_SUFFIX.sub("", text).strip()
    text = _DECOR.sub("", text)
    if _CJK.search(text):
        text = _CJK_GAP.sub("", text)
    return text


def _tokens(node: LexborNode) -> list[str]:
    attrs = node.attributes
    return ((attrs.get("class") or "") + " " + (attrs.get("id") or "")).split()


def _is_nav(node: LexborNode) -> bool:
    return node.tag == "nav" or any(_NAV_TOKEN.fullmatch(t) for t in _tokens(node))


def _is_chrome(node: LexborNode) -> bool:
    if node.tag in ("header", "footer", "nav"):
        return True
    return any(_NAV_TOKEN.fullmatch(t) or _CHROME_TOKEN.fullmatch(t) for t in _tokens(node))


def _is_side(node: LexborNode) -> bool:
    return node.tag == "aside" or any(_SIDE_TOKEN.fullmatch(t) for t in _tokens(node))


def _is_chrome_or_side(node: LexborNode) -> bool:
    """``_is_chrome(node) or _is_side(node)``, the class and id read once."""
    if node.tag in ("header", "footer", "nav", "aside"):
        return True
    return any(map(_chrome_or_side_token, _tokens(node)))


@lru_cache(maxsize=4096)  # class names repeat down a page and across pages
def _chrome_or_side_token(token: str) -> bool:
    return bool(_NAV_TOKEN.fullmatch(token) or _CHROME_TOKEN.fullmatch(token) or _SIDE_TOKEN.fullmatch(token))


def _in_region(node: LexborNode, test: Callable[[LexborNode], bool]) -> LexborNode | None:
    parent = node.parent
    while parent is not None and parent.tag not in ("body", "html"):
        if test(parent):
            return parent
        parent = parent.parent
    return None


def _text(node: LexborNode) -> str:
    """Visible text of ``node`` (script and style content left out), whitespace folded."""
    for element in node.traverse():  # (no text nodes: a shorter walk)
        if element.tag in _SKIP_TEXT_TAGS:
            break
    else:  # nothing to leave out: lexbor's own walk joins the same texts
        return " ".join(node.text(deep=True, separator=" ").split())  # = _WS.sub(" ", ...).strip()
    parts = [n.text_content or "" for n in node.traverse(include_text=True)
             if n.tag == "-text" and (n.parent is None or n.parent.tag not in _SKIP_TEXT_TAGS)]
    return _WS.sub(" ", " ".join(parts)).strip()


def _in_skipped(node: LexborNode, test: Callable[[LexborNode], bool], known: dict[int, bool]) -> bool:
    """``_in_region(node, test) is not None``, remembering the answer for every ancestor walked."""
    walked: list[int] = []
    parent = node.parent
    found = False
    while parent is not None and parent.tag not in ("body", "html"):
        key = parent.mem_id
        hit = known.get(key)
        if hit is not None:
            found = hit
            break
        if test(parent):
            found = True
            known[key] = True
            break
        walked.append(key)
        parent = parent.parent
    for key in walked:
        known[key] = found
    return found


def _same_node(a: LexborNode, b: LexborNode) -> bool:
    return a.mem_id == b.mem_id


@lru_cache(maxsize=4096)  # asked for a page's URL by the collector and its helpers
def column_key(url: str) -> str:
    """One key for every URL of one list: /x/, /x/index.html, /x/index_3.html, ?pageNum=2."""
    parts = urlsplit(url)
    path = _LIST_FILE.sub("/", parts.path) if _LIST_FILE.search(parts.path) else parts.path
    # most URLs have no query (parse_qsl and urlencode would make "" of it)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if k.lower() not in _PAGE_PARAMS]) if parts.query else ""
    return urlunsplit((parts.scheme, parts.netloc.lower(), path or "/", query, ""))


def _page_number(url: str) -> int:
    match = _LIST_FILE.search(urlsplit(url).path)
    if match and match.group("num"):
        return int(match.group("num")[1:])
    for key, value in parse_qsl(urlsplit(url).query):
        if key.lower() in ("page", "pagenum", "pageno", "pageindex", "currentpage", "curpage") and value.isdigit():
            return max(int(value) - 1, 0)
    return 0


def _first_page_url(url: str) -> str:
    """The list's first page for a pagination URL (index_3.html -> index.html)."""
    parts = urlsplit(url)
    path = re.sub(r"(/(?:index|list|default)(?:_[a-z]+)?)_\d+(\.\w+)$", r"\1\2", parts.path, flags=re.I)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if k.lower() not in _PAGE_PARAMS - {"uid"}])
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


# URL shape tests run for every link of several extractors; a site's URLs repeat across pages.
@lru_cache(maxsize=16384)
def is_list_url(url: str) -> bool:
    path = urlsplit(url).path
    return bool(_LIST_URL.search(url)) or (path.endswith("/") and path != "/")


@lru_cache(maxsize=16384)
def is_article_url(url: str) -> bool:
    return bool(_ARTICLE_URL.search(url))


@lru_cache(maxsize=16384)
def _is_file_url(url: str) -> bool:
    return bool(_FILE_EXT.search(urlsplit(url).path))


def _path_level(url: str) -> int:
    """一级 or 二级 from a TRS-style directory path (/tzgg/ vs /zwgk/tzgg/)."""
    path = urlsplit(url).path
    if re.search(r"/col/col\d+", path):
        return 1
    path = _LIST_FILE.sub("/", path)
    segments = [s for s in path.split("/") if s and not s.isdigit()]
    return 1 if len(segments) <= 1 else 2


def _html_ok(page: Page) -> bool:
    ctype = (page.content_type or "").lower()
    return page.status < 400 and ("html" in ctype or not ctype)


# ------------------------------------------------------------------ list items

def _titled(node: LexborNode) -> str:
    """A link's title: its text, or its title attribute when that is longer (truncated lists).
    Tooltips such as "标题：…\r点击数：…" keep their first line without the label."""
    text, attr = link_text(node), node.attributes.get("title") or ""
    if len(text) + len(attr) <= 200:  # the same links on many pages: worked out once
        return _title_of(text, attr)
    return _title_of.__wrapped__(text, attr)


_LINE_BREAK = re.compile(r"[\r\n]")
_TITLE_LABEL = re.compile(r"^(?:标题|题目|名称)\s*[:：]\s*")


@lru_cache(maxsize=8192)
def _title_of(shown: str, title_attr: str) -> str:
    text = clean_name(shown)
    attr = _LINE_BREAK.split(title_attr.strip(), maxsplit=1)[0]
    attr = clean_name(_TITLE_LABEL.sub("", attr))
    title = attr if len(attr) > len(text) else text
    return clean_name(_TRAILING_DATE.sub("", title)) or title


def _row_of(a: LexborNode, href: str) -> LexborNode:
    """The smallest element around a list link that holds its date: li, tr, dd, or a wrapper
    that contains no other titled link."""
    node = a
    for _ in range(4):
        parent = node.parent
        if parent is None or parent.tag in _LIST_TAGS:
            break
        if _holds_other_titled_link(parent, href):
            break
        node = parent
        if node.tag in _ROW_TAGS:
            break
    return node


def _other_titled(other: LexborNode, href: str) -> bool:
    return (other.attributes.get("href") or "") != href and len(clean_name(other.text_lexbor())) >= 4


def _holds_other_titled_link(node: LexborNode, href: str) -> bool:
    """``any(_other_titled(a, href) for a in node.css("a[href]"))`` by a walk of the (small) row:
    a query costs more than the walk. Lexbor's [href] also takes an SVG ``<a xlink:href>``, which
    the attributes do not tell from an HTML one: then lexbor is asked."""
    for other in node.traverse():
        if other.tag != "a":
            continue
        attrs = other.attributes
        if "href" not in attrs:
            if "xlink:href" in attrs:
                return any(_other_titled(a, href) for a in node.css("a[href]"))
            continue
        if (attrs["href"] or "") != href and len(clean_name(other.text_lexbor())) >= 4:
            return True
    return False


def _date_in_anchor(a: LexborNode) -> tuple[Any, str]:
    """A date shown inside the link (<a><span>title</span><span>03-01</span></a>) and its text."""
    for child in a.css("span, em, i, time, font, b, small, div, p"):
        text = _text(child)
        if 4 <= len(text) <= 25:
            found = find_item_date(text)
            if found is not None:
                return found, text
    time = a.css_first("time[datetime]")
    if time is not None:
        return find_date(time.attributes.get("datetime") or ""), ""
    return None, ""


_NUMBERED_PAGE = re.compile(r"/[^/]*\d[^/]*\.(?:s?html?|aspx?|jsp|php)$", re.I)


def _undated_item(title: str, url: str) -> bool:
    """An undated link is a list item (an entry that counts as not updated) when it has a
    headline-long title and points at an article-like page (not a column or a site tool)."""
    if len(title) < 8 or is_list_url(url):
        return False
    return is_article_url(url) or bool(_NUMBERED_PAGE.search(urlsplit(url).path))


MAX_ANCHORS = 3000


def items_in(root: LexborNode, base: str, skip: Callable[[LexborNode], bool] | None = None,
             host: str | None = None) -> list[ListItem]:
    """List entries under ``root``: each titled link with the date of its row (text outside
    the link, a date element inside it, or — for links to ``host`` — the date in its URL)."""
    items: list[ListItem] = []
    seen: set[str] = set()
    # whether an element is inside a skipped region, by mem_id: a list's links share ancestors
    in_skipped: dict[int, bool] = {}
    for a in root.css("a[href]")[:MAX_ANCHORS]:  # a link-farm page must not cost minutes
        href = a.attributes.get("href") or ""
        url = normalize(href, base)
        if url is None or url in seen or _is_file_url(url) and not is_article_url(url):
            continue
        title = _titled(a)
        if len(title) < 2 or _PAGER_TEXT.match(title) or _MORE.match(title):
            continue
        if skip is not None and _in_skipped(a, skip, in_skipped):
            continue
        row = _row_of(a, href)
        rest = _text(row).replace(_text(a), " ", 1) if not _same_node(row, a) else ""
        day = find_item_date(rest) if rest else None
        if day is None:
            day, shown = _date_in_anchor(a)
            if shown:
                title = clean_name(title.replace(clean_name(shown), " ")) or title
        if (day is None or isinstance(day, MonthDay)) and len(title) >= 6 and (host is None or host_of(url) == host):
            in_url = date_from_url(urlsplit(url).path)
            # a year-less [06-01] gets its year from the URL when both name the same day
            if in_url is not None and (day is None or (day.month, day.day) == (in_url.month, in_url.day)):
                day = in_url
        if day is None and not _undated_item(title, url):
            continue
        seen.add(url)
        items.append(ListItem(url, title[:80], day))
    return items


@dataclass
class PageLists:
    """What the lists of one page hold (computed once per Page)."""

    items: list[ListItem] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    datastore: bool = False        # a Hanweb datastore, even an empty one, marks a list page


def _page_lists(page: Page) -> PageLists:
    out = PageLists()
    root = page.tree.body or page.tree.root
    if root is None:
        return out
    host = host_of(page.final_url)
    if page.is_homepage:   # a homepage's side blocks (通知公告 …) are its own lists
        out.items = items_in(root, page.base_url, skip=_is_chrome, host=host)
    else:
        # A list page's sidebar (热点推荐, 最新信息 …) shows other columns' items: they must not
        # make a stale column look fresh. Kept only when the page has no other list.
        out.items = (items_in(root, page.base_url, skip=_is_chrome_or_side, host=host)
                     or items_in(root, page.base_url, skip=_is_chrome, host=host))
    if out.items:
        out.sources.append("html")
    records = platforms.hanweb_records(page.text)
    if records is not None:
        out.datastore = True
        found = _records_items(records, page.base_url)
        known = {i.url for i in out.items}
        out.items += [i for i in found if i.url is None or i.url not in known]
        if found:
            out.sources.append("hanweb-datastore")
    return out


def _records_items(records: list[str], base: str) -> list[ListItem]:
    items: list[ListItem] = []
    for record in records:
        if not record:
            continue
        tree = LexborHTMLParser(record)
        root = tree.body or tree.root
        found = items_in(root, base) if root is not None else []
        if found:
            items += found[:1]   # one record is one entry
        elif root is not None and _text(root):
            text = _text(root)
            items.append(ListItem(None, text[:80], find_item_date(text)))
    return items


def list_items(page: Page) -> list[ListItem]:
    """Dated (and article-like undated) list entries of an HTML page, page chrome left out."""
    return _cached(page, "lists", _page_lists).items


# ------------------------------------------------------------------ page kind and names

def page_kind(page: Page) -> str:
    """home, column (a list page), article, script, error (a "not found" page) or other — from
    URL shape, meta tags and lists."""
    return _cached(page, "kind", _page_kind)


def _page_kind(page: Page) -> str:
    if platforms.is_script(page):
        return "script"
    if page.is_homepage:
        return "home"
    if _NOT_FOUND.search(page.title) or (len(page.visible_text) < 300 and _NOT_FOUND.search(page.visible_text)):
        return "error"   # a "page not found" answered with 200 is dead-link's, not a column
    url = page.final_url
    meta = page.meta
    article_meta = bool(meta.get("articletitle") or meta.get("pubdate"))

    def lists() -> PageLists:   # list extraction only when URL and meta do not decide
        return _cached(page, "lists", _page_lists)

    def dated() -> int:
        return sum(1 for i in lists().items if i.date is not None)

    if is_list_url(url) and not is_article_url(url):
        if not article_meta or lists().datastore or dated() >= 2:
            return "column"
    if article_meta or is_article_url(url):
        return "article"
    if lists().datastore or (meta.get("columnname") and dated() >= 3) or dated() >= 5:
        return "column"
    return "other"


def page_column_name(page: Page) -> str:
    """A list page's own name for its column: TRS channel path, breadcrumb, ColumnName meta, title."""
    tree = page.tree
    chnl = [clean_name(n.text_lexbor()) for n in tree.css("a.CurrChnlCls")]  # = text()
    chnl = [c for c in chnl if c and c not in _NOT_COLUMNS]
    if chnl:
        return chnl[-1]
    crumb = _breadcrumb(tree)
    if crumb:
        return crumb
    meta = clean_name(page.meta.get("columnname", ""))
    if meta:
        return meta
    title = re.split(r"\s*[-_|｜—–]\s*", page.title, maxsplit=1)[0]
    return clean_name(title)


def _breadcrumb(tree: LexborHTMLParser) -> str:
    body = tree.body
    if body is None:
        return ""
    for node in body.css("div, p, span, td, nav, ol, ul"):
        if not (any(_BREADCRUMB_TOKEN.fullmatch(t) for t in _tokens(node))
                or _BREADCRUMB_TEXT.match(node.text_lexbor()[:20])):
            continue
        text = _text(node)
        if len(text) > 120:
            continue
        text = _BREADCRUMB_TEXT.sub("", text).lstrip("：: ")
        parts = [clean_name(p) for p in _CRUMB_SEP.split(text)]
        parts = [p for p in parts if p and not _PLAIN_NAME.match(p) and p not in _NOT_COLUMNS]
        if parts:
            return parts[-1]
    return ""


def _content(page: Page) -> tuple[int, str]:
    """Length and start of the text outside links, lists' chrome and scripts (a placeholder
    column shows a breadcrumb and one sentence; an introduction page shows paragraphs)."""
    root = page.tree.body
    if root is None:
        return 0, ""
    parts: list[str] = []
    for node in root.traverse(include_text=True):
        if node.tag != "-text":
            continue
        text = (node.text_content or "").strip()
        if not text:
            continue
        parent = node.parent
        skip = False
        while parent is not None and parent.tag not in ("body", "html"):
            if parent.tag in _SKIP_TEXT_TAGS or parent.tag == "a" or _is_chrome(parent) or _is_side(parent):
                skip = True
                break
            parent = parent.parent
        if not skip:
            parts.append(text)
    text = _WS.sub(" ", " ".join(parts)).strip()
    text = _BREADCRUMB_TEXT.sub("", text)
    return len(text), text[:TEXT_SAMPLE]


def _subcolumn_links(page: Page) -> list[tuple[str, str, bool]]:
    """Links from a column page to other column list pages: (url, name, in a menu or sidebar)."""
    out: list[tuple[str, str, bool]] = []
    own = column_key(page.url)
    host = host_of(page.final_url)
    for a in page.tree.css("a[href]"):
        url = normalize(a.attributes.get("href") or "", page.base_url)
        if not url or host_of(url) != host or column_key(url) == own or not is_list_url(url) or is_article_url(url):
            continue
        name = clean_name(link_text(a))
        if _MORE.match(name) or not name or any("more" in t.lower() for t in _tokens(a)):
            name = _heading_for(a, url, page.base_url)
        if not 2 <= len(name) <= 16 or _fold(name) in _NOT_COLUMNS or _PAGER_TEXT.match(name):
            continue
        if _in_region(a, lambda n: n.tag in ("header", "footer") or any(
                _CHROME_TOKEN.fullmatch(t) for t in _tokens(n))) is not None:
            continue
        out.append((url, name, _in_region(a, lambda n: _is_nav(n) or _is_side(n)) is not None))
    return out


# ------------------------------------------------------------------ column links on the homepage

@dataclass(frozen=True)
class ColumnLink:
    url: str
    name: str
    level: int
    source: str          # nav, more, section


def homepage_columns(page: Page) -> list[ColumnLink]:
    """Column list pages the homepage links: navigation menus (一级, submenus 二级), "更多"
    links of homepage blocks, and list-shaped links with a short name."""
    host = host_of(page.final_url)
    home_key = column_key(page.final_url)
    found: dict[str, ColumnLink] = {}
    rank = {"nav": 0, "more": 1, "section": 2}
    for a in page.tree.css("a[href]"):
        url = normalize(a.attributes.get("href") or "", page.base_url)
        if not url or host_of(url) != host or column_key(url) == home_key:
            continue
        path = urlsplit(url).path
        if _FILE_EXT.search(path) or is_article_url(url):
            continue
        text = clean_name(link_text(a))
        more = bool(_MORE.match(text)) or any("more" in t.lower() for t in _tokens(a))
        if more:
            text = _heading_for(a, url, page.base_url)
            source = "more"
        if not 2 <= len(text) <= 16 or _fold(text) in _NOT_COLUMNS or _PAGER_TEXT.match(text):
            continue
        if _in_region(a, lambda n: n.tag == "footer" or any(
                re.fullmatch(r"footer.*|foot|foot[-_].*|.*[-_]foot(?:er)?(?:[-_].*)?|bottom|.*copyright.*", t, re.I)
                for t in _tokens(n))) is not None:
            continue
        nav = _in_region(a, _is_nav) if not more else None
        if nav is not None:
            source, level = "nav", _nav_level(a, nav)
        elif more:
            level = _path_level(url)
        elif is_list_url(url):
            source, level = "section", _path_level(url)
        else:
            continue
        link = ColumnLink(url, text, level, source)
        key = column_key(url)
        old = found.get(key)
        if old is None or rank[source] < rank[old.source]:
            found[key] = link
    return list(found.values())


def _nav_level(a: LexborNode, nav: LexborNode) -> int:
    items = 0
    node = a.parent
    while node is not None and not _same_node(node, nav):
        if node.tag in ("li", "dd"):
            items += 1
        if items >= 2 or (node.tag not in ("li", "a") and any(_SUB_TOKEN.fullmatch(t) for t in _tokens(node))):
            return 2
        node = node.parent
    return 1


def _heading_for(more: LexborNode, url: str, base: str) -> str:
    """The name of a homepage block whose "更多" link points at a column."""
    node = more
    key = column_key(url)
    for _ in range(3):
        node = node.parent
        if node is None or node.tag in ("body", "html"):
            break
        for other in node.css("a[href]"):
            if _same_node(other, more):
                continue
            other_url = normalize(other.attributes.get("href") or "", base)
            name = clean_name(link_text(other))
            if other_url and column_key(other_url) == key and 2 <= len(name) <= 16 and not _MORE.match(name):
                return name
        for text_node in node.traverse(include_text=True):
            if text_node.tag != "-text" or (text_node.parent is not None and text_node.parent.tag in _SKIP_TEXT_TAGS):
                continue
            name = clean_name(text_node.text_content or "")
            if 2 <= len(name) <= 12 and _CJK.search(name) and not _MORE.match(name) \
                    and _in_region(text_node, lambda n: _same_node(n, more)) is None:
                return name
    return ""


# ------------------------------------------------------------------ classes

@lru_cache(maxsize=4096)
def _fold(text: str) -> str:
    """Matching form (simplified, lower case, no spaces) shared with every keyword rule."""
    return fold(text)


def classify(name: str, classes: Mapping[str, Iterable[str]]) -> str | None:
    """The class of a column by its name: an exact keyword beats a suffix, a suffix beats a
    substring, a longer keyword beats a shorter one, then the classes' order. Traditional
    names match simplified keywords."""
    name = _fold(clean_name(name))
    if not name:
        return None
    best: tuple[tuple[int, int, int], str] | None = None
    for order, (cls, keywords) in enumerate(classes.items()):
        for keyword in keywords:
            kw = _fold(str(keyword))
            if not kw:
                continue
            if name == kw:
                tier = 0
            elif name.endswith(kw):
                tier = 1
            elif kw in name:
                tier = 2
            else:
                continue
            rank = (tier, -len(kw), order)
            if best is None or rank < best[0]:
                best = (rank, str(cls))
    return best[1] if best else None


def contains_any(text: str, phrases: Iterable[str]) -> str | None:
    """The first phrase found in ``text`` (simplified and traditional alike)."""
    folded = fold(text)
    for phrase in phrases:
        if phrase and _fold(phrase) in folded:
            return phrase
    return None


# ------------------------------------------------------------------ collecting

def _site_hosts(facts: SiteFacts) -> set[str]:
    hosts = {facts.site.host, *facts.site.aliases}
    if facts.final_url:
        hosts.add(host_of(facts.final_url))
    return {h.lower() for h in hosts if h}


def _add_items(stats: ListStats, items: Iterable[ListItem], source: str | None = None) -> None:
    known = set(stats.dates)
    for item in items:
        stats.items += 1
        if item.date is not None:
            stats.dated += 1
            if item.date not in known and len(known) < DATE_CAP:
                known.add(item.date)
                stats.dates.append(item.date)
        if len(stats.samples) < SAMPLE_CAP:
            stats.samples.append(item)
    if source and source not in stats.sources:
        stats.sources.append(source)


def collect(page: Page, facts: SiteFacts) -> None:
    """Record what ``page`` tells about the site's columns and freshness."""
    if platforms.is_script(page):
        _collect_script(page, facts)
        return
    if not _html_ok(page):
        return
    hosts = _site_hosts(facts)
    if host_of(page.final_url) not in hosts and host_of(page.url) not in hosts:
        return
    if page.is_homepage:
        _collect_homepage(page, facts)
        return
    kind = page_kind(page)
    col = facts.columns.get(column_key(page.url)) or facts.columns.get(column_key(page.final_url))
    if col is None and kind == "column":
        first = _first_page_url(page.url)
        col = Column(url=first, level=1 if page.depth <= 1 else 2)
        facts.columns[column_key(page.url)] = col
    if col is not None and kind != "article":
        _merge_page(col, page, facts)
    if page.depth == 1:
        dates = [i.date for i in list_items(page) if i.date is not None]
        if kind == "article" or not dates:
            day = article_date(page)
            if day is not None:
                dates.append(day)
        facts.second_level[page.url] = _top_dates(dates)


def _top_dates(dates: list) -> list:
    full = sorted({d for d in dates if not isinstance(d, MonthDay)}, reverse=True)
    short = sorted({d for d in dates if isinstance(d, MonthDay)}, reverse=True)
    return (full + short)[:SECOND_LEVEL_DATES]


def _collect_homepage(page: Page, facts: SiteFacts) -> None:
    lists = _cached(page, "lists", _page_lists)
    stats = ListStats()
    _add_items(stats, lists.items)
    stats.sources = list(lists.sources)
    facts.homepage_list = stats
    for link in homepage_columns(page):
        key = column_key(link.url)
        col = facts.columns.get(key)
        if col is None:
            facts.columns[key] = Column(url=link.url, name=link.name, level=link.level, found_on=[page.url])
        else:   # its list page came first: the homepage names and places it
            col.name, col.level = link.name, link.level
            if page.url not in col.found_on:
                col.found_on.append(page.url)
    _note_scripts(page, facts, HOME, stats)


def _merge_page(col: Column, page: Page, facts: SiteFacts) -> None:
    number = _page_number(page.url)
    if any(_page_number(seen) == number for seen in col.pages):
        return   # /x/ and /x/index.html are one page
    col.pages.append(page.url)
    lists = _cached(page, "lists", _page_lists)
    _add_items(col, lists.items)
    for source in lists.sources:
        _add_items(col, [], source)
    if number == 0 or not col.fetched:
        col.fetched = True
        col.depth = page.depth
        col.platform = platforms.platform_of(page)
        if not col.name:
            col.name = page_column_name(page)
    if number == 0:
        col.content_chars, sample = _content(page)
        col.text_sample = sample if not col.items else ""
        subs = _subcolumn_links(page)
        col.subcolumns = _count_subcolumns(page, subs, facts)
        _register_subcolumns(col, page, subs, facts)
    _note_scripts(page, facts, page.url, col)


def _is_child(url: str, page: Page) -> bool:
    own = urlsplit(column_key(page.url)).path
    path = urlsplit(column_key(url)).path
    return own != "/" and path != own and path.startswith(own)


def _count_subcolumns(page: Page, subs: list[tuple[str, str, bool]], facts: SiteFacts) -> int:
    """Sub-columns a column page leads to: child directories, or column links in its content
    (not the site menu repeated on every page, nor the homepage's own 一级栏目)."""
    found = set()
    for url, _name, in_menu in subs:
        key = column_key(url)
        known = facts.columns.get(key)
        top = known is not None and known.level == 1 and bool(known.found_on)
        if _is_child(url, page) or not (in_menu or top):
            found.add(key)
    return len(found)


def _register_subcolumns(col: Column, page: Page, subs: list[tuple[str, str, bool]], facts: SiteFacts) -> None:
    """Child directories linked from a column page are its 二级栏目 (TRS-style paths)."""
    for url, name, _in_menu in subs:
        key = column_key(url)
        if not _is_child(url, page):
            continue
        known = facts.columns.get(key)
        if known is None:
            facts.columns[key] = Column(url=url, name=name, level=min(col.level + 1, 2), parent=col.name,
                                        found_on=[page.url])
        elif not known.parent and known.level >= 2 and col.name:
            known.parent = col.name   # a 二级栏目 the homepage linked first: its parent is known now


def _note_scripts(page: Page, facts: SiteFacts, ref: str, target: ListStats) -> None:
    for src in platforms.script_srcs(page):
        refs = facts.script_refs.setdefault(src, [])
        if ref not in refs and len(refs) < SCRIPT_REFS_CAP:
            refs.append(ref)
        written = facts.scripts.get(src)
        if written is not None:
            _merge_script(target, written)


def _merge_script(target: ListStats, written: ScriptWrite) -> None:
    """Items written by a same-site script count for the page that includes it (once)."""
    marker = f"script:{written.url}"
    if marker in target.sources:
        return
    target.sources.append(marker)
    found = written.list
    if found.items:
        target.items += found.items
        target.dated += found.dated
        known = set(target.dates)
        target.dates += [d for d in found.dates if d not in known][:max(DATE_CAP - len(target.dates), 0)]
        target.samples += found.samples[:max(SAMPLE_CAP - len(target.samples), 0)]
        if "script" not in target.sources:
            target.sources.append("script")
        if isinstance(target, Column):
            target.text_sample = ""
    elif isinstance(target, Column) and not target.items and written.text:
        # placeholders such as 暂无信息 may be written by the script
        target.text_sample = (target.text_sample + " " + written.text)[:TEXT_SAMPLE * 2]


def _collect_script(page: Page, facts: SiteFacts) -> None:
    if page.status >= 400 or page.url in facts.scripts:
        return
    html = written_html(page.text)
    if not html:
        return
    refs = facts.script_refs.get(page.url, [])
    base = next((r for r in refs if r != HOME), None) or facts.final_url or facts.site.url
    tree = LexborHTMLParser(html)
    root = tree.body or tree.root
    items = items_in(root, base) if root is not None else []
    stats = ListStats()
    _add_items(stats, items, "script")
    written = ScriptWrite(url=page.url, list=stats, text=_text(root)[:4000] if root is not None else "")
    facts.scripts[page.url] = written
    for ref in refs:
        if ref == HOME:
            if facts.homepage_list is not None:
                _merge_script(facts.homepage_list, written)
            continue
        col = facts.columns.get(column_key(ref))
        if col is not None:
            _merge_script(col, written)


def extra_links(page: Page) -> list[str]:
    """Pagination pages written by TRS/UCAP scripts and same-site scripts that write content."""
    if platforms.is_script(page) or not _html_ok(page):
        return []
    out = platforms.pagination_urls(page)
    if page_kind(page) != "article":
        out += [u for u in platforms.script_srcs(page) if u not in out]
    return out
