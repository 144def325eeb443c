"""CMS platform specifics: TRS pagination scripts, Hanweb datastore lists, UCAP markers, and
which same-site scripts may write lists (what they write is read by ``extract.scripts``).
Pure functions over page text."""

from __future__ import annotations

import re

from govscan.extract.scripts import is_library
from govscan.page import Page
from govscan.urls import host_of, normalize

# Extra list pages fetched per column beyond the first: the newest items are on the first
# page; a few more show the list is real without spending the crawl budget on archives.
PAGINATION_LIMIT = 10

# TRS: createPageHTML(n, cur, "index", "html") and the 6-argument form used by TRS/UCAP
# templates: createPageHTML('page_div', n, cur, 'list', 'shtml', total).
_CREATE_PAGE = re.compile(
    r"createPageHTML\s*\(\s*(?:['\"][^'\"]*['\"]\s*,\s*)?(\d+)\s*,\s*(\d+)\s*,\s*"
    r"['\"]([\w.-]+)['\"]\s*,\s*['\"](\w+)['\"]")
# Hand-written TRS pagers: var countPage = 56; ... "index"+"_"+i+"."+"html"
_COUNT_PAGE = re.compile(r"\b(?:countPage|pageCount|totalPage|page_count)\s*=\s*(\d+)\b")
_COUNT_WORDS = ("countPage", "pageCount", "totalPage", "page_count")
_PAGER_NAME = re.compile(r"""["'](index|list|default)(?:["']\s*\+\s*["'])?_["']""")

# Hanweb (大汉) lists: <script type="text/xml"><datastore><recordset><record><![CDATA[…]]>
_RECORD = re.compile(r"<record>\s*(?:<!\[CDATA\[(.*?)\]\]>|(.*?))\s*</record>", re.S | re.I)
_DATASTORE = re.compile(r"<datastore\b", re.I)
_TOTAL_RECORD = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>|\btotalRecord\s*[=:]\s*(\d+)", re.I)

# Scripts that never write lists or footers: libraries and widgets (by file-name token).
_LIBRARY = {
    "jquery", "bootstrap", "vue", "react", "angular", "swiper", "layer", "layui", "echarts", "polyfill",
    "require", "zepto", "lodash", "moment", "html5shiv", "respond", "modernizr", "flexible", "axios",
    "jweixin", "qrcode", "player", "video", "md5", "base64", "json2", "pinyin", "jiathis", "share",
    "superslide", "slide", "scroll", "wza", "aria", "barrier", "cniil", "conac", "jiucuo", "stat",
    "stats", "analytics", "tongji", "count", "visitcount", "articlehits", "hits", "baidu", "sm2",
    "sm4", "crypto", "jpage", "jslib", "datepicker", "calendar", "ueditor", "kindeditor", "pdf",
}


def platform_of(page: Page) -> str:
    """trs, hanweb, ucap or generic: from URL shapes and markers in the markup."""
    url = page.final_url
    text = page.text
    if _DATASTORE.search(text) or re.search(r"/col/col\d+/|/art/\d{4}/\d{1,2}/\d{1,2}/", url) \
            or "hanweb" in text[:20000].lower():
        return "hanweb"
    if "ucap" in text.lower() or re.search(r"/list(?:_[a-z]+)?(?:_\d+)?\.shtml$", url):
        return "ucap"
    if "createPageHTML" in text or "CurrChnlCls" in text or re.search(r"/t\d{8}_\d+", url) \
            or "TRS_Editor" in text or "trs_" in text[:20000].lower():
        return "trs"
    return "generic"


def pagination_urls(page: Page) -> list[str]:
    """Further list pages that pagination scripts write (index_1.html … index_{n-1}.html)."""
    text = page.text
    if "createPageHTML" not in text and not _count_page(text):
        return []
    base = page.base_url
    out: list[str] = []
    for match in _CREATE_PAGE.finditer(text):
        count, name, ext = int(match.group(1)), match.group(3), match.group(4)
        out += _pages(base, name, ext, count)
    if not out:
        match = _count_page(text)
        if match:
            name_match = _PAGER_NAME.search(text)
            name = name_match.group(1) if name_match else "index"
            ext_match = re.search(r"/[\w-]+\.(s?html?)$", page.final_url)
            out += _pages(base, name, ext_match.group(1) if ext_match else "html", int(match.group(1)))
    seen: set[str] = set()
    return [u for u in out if not (u in seen or seen.add(u))]


def _count_page(text: str) -> re.Match | None:
    # _COUNT_PAGE has no literal prefix to skip ahead by (0.1 ms on a 5 KB page): look for
    # the words it needs first
    return _COUNT_PAGE.search(text) if any(w in text for w in _COUNT_WORDS) else None


def _pages(base: str, name: str, ext: str, count: int) -> list[str]:
    urls = []
    for i in range(1, min(count, PAGINATION_LIMIT + 1)):
        url = normalize(f"{name}_{i}.{ext}", base)
        if url:
            urls.append(url)
    return urls


def hanweb_records(text: str) -> list[str] | None:
    """The HTML of each record of a Hanweb datastore list; None when the page has none."""
    if not _DATASTORE.search(text):
        return None
    return [(m.group(1) if m.group(1) is not None else m.group(2) or "").strip()
            for m in _RECORD.finditer(text)]


def hanweb_total(text: str) -> int | None:
    match = _TOTAL_RECORD.search(text)
    if not match:
        return None
    return int(match.group(1) or match.group(2))


def script_srcs(page: Page) -> list[str]:
    """Same-site scripts in the body that may write lists or footers (libraries left out)."""
    body = page.tree.body
    if body is None:
        return []
    host = host_of(page.final_url)
    out: list[str] = []
    for node in body.css("script[src]"):
        url = normalize(node.attributes.get("src") or "", page.base_url)
        if not url or host_of(url) != host:
            continue
        path = url.split("?", 1)[0].lower()
        if not path.endswith(".js"):
            continue
        tokens = set(re.split(r"[^a-z0-9]+", path.rsplit("/", 1)[-1][:-3])) | set(path.split("/")[3:-1])
        if tokens & _LIBRARY or is_library(url):
            continue
        if url not in out:
            out.append(url)
    return out


def is_script(page: Page) -> bool:
    memo = page.derived  # every collector asks
    found = memo.get("is_script")
    if found is None:
        found = memo["is_script"] = _is_script(page)
    return found


def _is_script(page: Page) -> bool:
    ctype = (page.content_type or "").lower()
    path = page.url.split("?", 1)[0].lower()
    return "javascript" in ctype or "ecmascript" in ctype or path.endswith(".js")
