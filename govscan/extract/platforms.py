"""CMS platform specifics: TRS pagination scripts, Hanweb datastore lists, UCAP markers, and
HTML written by same-site scripts (document.write). Pure functions over page text."""

from __future__ import annotations

import re
from urllib.parse import unquote

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
_PAGER_NAME = re.compile(r"""["'](index|list|default)(?:["']\s*\+\s*["'])?_["']""")

# Hanweb (大汉) lists: <script type="text/xml"><datastore><recordset><record><![CDATA[…]]>
_RECORD = re.compile(r"<record>\s*(?:<!\[CDATA\[(.*?)\]\]>|(.*?))\s*</record>", re.S | re.I)
_DATASTORE = re.compile(r"<datastore\b", re.I)
_TOTAL_RECORD = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>|\btotalRecord\s*[=:]\s*(\d+)", re.I)

# Scripts that never write lists or footers: libraries and widgets.
_LIBRARY = re.compile(
    r"(jquery|bootstrap|vue|react|angular|swiper|layer|layui|echarts|polyfill|require|zepto|lodash|"
    r"moment|html5shiv|respond|modernizr|flexible|axios|jweixin|qrcode|player|video|md5|base64|"
    r"json2|pinyin|jiathis|share|slide|scroll|superslide|tab|wza|aria|barrier|cniil|conac|"
    r"jiucuo|stat|analytics|tongji|count|baidu|sea\b|sm2|sm4|crypto)", re.I)
_WRITE_HINT = re.compile(r"document\s*\.\s*write|innerHTML|\.html\s*\(|\.append\s*\(")


def platform_of(page: Page) -> str:
    """trs, hanweb, ucap or generic: from URL shapes and markers in the markup."""
    url = page.final_url
    text = page.text
    if _DATASTORE.search(text) or re.search(r"/col/col\d+/|/art/\d{4}/\d{1,2}/\d{1,2}/", url) \
            or "hanweb" in text[:20000].lower():
        return "hanweb"
    if "createPageHTML" in text or "CurrChnlCls" in text or re.search(r"/t\d{8}_\d+", url) \
            or "TRS_Editor" in text or "trs_" in text[:20000].lower():
        return "trs"
    if "ucap" in text.lower() or re.search(r"/list(?:_[a-z]+)?(?:_\d+)?\.shtml$", url):
        return "ucap"
    return "generic"


def pagination_urls(page: Page) -> list[str]:
    """Further list pages that pagination scripts write (index_1.html … index_{n-1}.html)."""
    text = page.text
    if "createPageHTML" not in text and not _COUNT_PAGE.search(text):
        return []
    base = page.base_url
    out: list[str] = []
    for match in _CREATE_PAGE.finditer(text):
        count, name, ext = int(match.group(1)), match.group(3), match.group(4)
        out += _pages(base, name, ext, count)
    if not out:
        match = _COUNT_PAGE.search(text)
        if match:
            name_match = _PAGER_NAME.search(text)
            name = name_match.group(1) if name_match else "index"
            ext_match = re.search(r"/[\w-]+\.(s?html?)$", page.final_url)
            out += _pages(base, name, ext_match.group(1) if ext_match else "html", int(match.group(1)))
    seen: set[str] = set()
    return [u for u in out if not (u in seen or seen.add(u))]


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
        name = url.rsplit("/", 1)[-1].split("?", 1)[0]
        if not name.lower().endswith(".js") or _LIBRARY.search(name):
            continue
        if url not in out:
            out.append(url)
    return out


def is_script(page: Page) -> bool:
    ctype = (page.content_type or "").lower()
    path = page.url.split("?", 1)[0].lower()
    return "javascript" in ctype or "ecmascript" in ctype or path.endswith(".js")


# ------------------------------------------------------------------ document.write

_JS_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>//[^\n]*|/\*.*?(?:\*/|\Z))
  | (?P<str>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`)
  | (?P<name>[A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*)
  | (?P<num>\d[\w.]*)
  | (?P<punct>.)
""", re.S | re.X)
_REGEX_BEFORE = set("(,=:[!&|?{};+-*%<>~^") | {None}
_DECODERS = {"unescape", "decodeURIComponent", "decodeURI"}
_JS_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[\s\S])")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "", "f": "", "v": "", "0": "", "\n": ""}


def _unescape_js(body: str) -> str:
    def repl(m: re.Match) -> str:
        esc = m.group(1)
        if esc[0] == "u" and len(esc) > 1:
            code = esc[2:-1] if esc[1] == "{" else esc[1:]
            try:
                return chr(int(code, 16))
            except (ValueError, OverflowError):
                return ""
        if esc[0] == "x" and len(esc) == 3:
            return chr(int(esc[1:], 16))
        return _SIMPLE_ESCAPES.get(esc, esc)
    return _JS_ESCAPE.sub(repl, body)


def _tokens(js: str):
    """(kind, value) pairs of JavaScript, comments and regex literals skipped."""
    prev: str | None = None
    pos = 0
    length = len(js)
    while pos < length:
        match = _JS_TOKEN.match(js, pos)
        if match is None:  # pragma: no cover - the pattern matches any character
            break
        kind = match.lastgroup
        value = match.group(kind)
        pos = match.end()
        if kind in ("ws", "comment"):
            continue
        if kind == "punct" and value == "/" and prev in _REGEX_BEFORE:
            pos = _skip_regex(js, pos)
            prev = "regex"
            yield "regex", ""
            continue
        prev = value if kind == "punct" else kind
        yield kind, value


def _skip_regex(js: str, pos: int) -> int:
    in_class = False
    while pos < len(js):
        ch = js[pos]
        if ch == "\\":
            pos += 2
            continue
        if ch == "\n":
            return pos
        if ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        elif ch == "/" and not in_class:
            return pos + 1
        pos += 1
    return pos


def _literal(token: str, decode: bool) -> str:
    text = _unescape_js(token[1:-1])
    return unquote(text) if decode else text


def script_html(js: str) -> str:
    """The HTML a script writes with document.write (string literals of its calls, joined).

    Variables cannot be known without running the script; static CMS include files write
    literal HTML, which is what lists and footers written by scripts are in practice.
    """
    if not _WRITE_HINT.search(js):
        return ""
    tokens = list(_tokens(js))
    written: list[str] = []
    everything: list[str] = []
    depth = 0          # parentheses depth inside the current document.write( … )
    for i, (kind, value) in enumerate(tokens):
        if kind == "str":
            decode = i >= 2 and tokens[i - 1] == ("punct", "(") and tokens[i - 2][0] == "name" \
                and tokens[i - 2][1] in _DECODERS
            text = _literal(value, decode)
            everything.append(text)
            if depth:
                written.append(text)
            continue
        if depth:
            if value == "(":
                depth += 1
            elif value == ")":
                depth -= 1
            continue
        if kind == "name" and re.sub(r"\s+", "", value) in ("document.write", "document.writeln") \
                and i + 1 < len(tokens) and tokens[i + 1] == ("punct", "("):
            depth = 0  # opened by the next token
            tokens[i + 1] = ("open", "(")
        elif kind == "open":
            depth = 1
    html = "".join(written)
    if "<" in html:
        return html
    # var s = '<li>…'; s += '…'; document.write(s): take every literal that carries markup or text.
    return "".join(t for t in everything if "<" in t or re.search(r"[\u4e00-\u9fff]|\d{4}-\d", t))
