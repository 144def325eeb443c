"""Content written by scripts: the HTML a JS source writes, and the same-site scripts to fetch.

Government footers (and some lists) are often not in the page at all: a same-site
``foot.js`` writes them with ``document.write('<div>' + '网站标识码…' + '</div>')``, or
builds a string variable and assigns it to ``innerHTML``. :func:`written_html` recovers
that HTML statically — no JS engine: string literals, ``+`` concatenations, variables
assigned and appended with ``+=``, ``unescape``/``decodeURIComponent`` wrappers. Parts that
are computed at run time (variables of unknown value, function results) are left out.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator, Sequence
from urllib.parse import unquote, urlsplit

from govscan.page import Page
from govscan.urls import host_of, normalize

# Calls whose (first, for insertAdjacentHTML the second) argument is HTML put into the page.
_WRITE_CALLS = {"write", "writeln"}
_JQ_SINKS = {"html", "append", "prepend", "after", "before", "replaceWith"}
_PROP_SINKS = {"innerHTML", "outerHTML"}
_DECODERS = {"unescape", "decodeURIComponent", "decodeURI"}
_INCLUDE_CALLS = {"load"}   # $('#foot').load('/include/foot.html')
MAX_OUTPUT = 400_000        # a runaway loop of += must not grow without bound
MAX_NESTING = 40            # parentheses followed when evaluating one expression
MAX_WORK = 8_000_000        # characters all expressions of one script may evaluate to
MAX_SOURCE = 3_000_000      # larger scripts are bundles, not footers
# Any sink at all? Most scripts write nothing and need no tokenizing.
_WRITE_HINT = re.compile(r"\.\s*(?:write|writeln|html|append|prepend|after|before|replaceWith|"
                         r"insertAdjacentHTML)\s*\(|(?:inner|outer)HTML")

# Library files never carry a site's footer; fetching them is wasted requests.
LIBRARY_RE = re.compile(
    r"(?:^|[/._-])(?:jquery|bootstrap|vue|react|angular|layui|layer|swiper|echarts|lodash|moment|"
    r"require|sea|zepto|html5shiv|respond|placeholder|modernizr|polyfill|json2|axios|highcharts|"
    r"superslide|qrcode|jweixin|aliplayer|flv|hls|pdf|ueditor|kindeditor|ckeditor|wdatepicker|"
    r"laydate|iscroll|owl\.carousel|slick|wow|lazyload|fancybox|select2|datatables|ztree|"
    r"underscore|jsencrypt|crypto|md5|base64|sha1|recorder|jplayer|audio|video)",
    re.I,
)
_SCRIPT_SRC_RE = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?([^\"'\s>]+)", re.I)
MAX_SCRIPTS = 30            # same-site scripts fetched per homepage

# ------------------------------------------------------------------ tokenizer

_PUNCT = re.compile(r"\+=|[-+*/%=!<>&|^~?:;,.(){}\[\]]")
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
_NUMBER = re.compile(r"\d[\w.]*")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
# After these a "/" starts a regular expression literal, not a division.
_REGEX_PRECEDERS = set("(,=:[!&|?{};+-*%<>~^") | {"return", "typeof", "case", "do", "else", "in"}


class _Tok:
    __slots__ = ("kind", "value", "nl")

    def __init__(self, kind: str, value: str, nl: bool) -> None:
        self.kind = kind      # str, ident, num, punct, regex
        self.value = value
        self.nl = nl          # a line break precedes this token (automatic semicolons)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"{self.kind}:{self.value!r}"


def _read_string(src: str, i: int, quote: str) -> tuple[str, int]:
    """Decode the literal starting at ``src[i]`` (the quote); returns value and end index."""
    out: list[str] = []
    i += 1
    n = len(src)
    while i < n:
        ch = src[i]
        if ch == quote:
            return "".join(out), i + 1
        if ch == "\\" and i + 1 < n:
            nxt = src[i + 1]
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", src[i + 2:i + 6] or ""):
                out.append(chr(int(src[i + 2:i + 6], 16)))
                i += 6
                continue
            if nxt == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", src[i + 2:i + 4] or ""):
                out.append(chr(int(src[i + 2:i + 4], 16)))
                i += 4
                continue
            if nxt in "\r\n":  # line continuation
                i += 2 + (nxt == "\r" and src[i + 2:i + 3] == "\n")
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        if quote == "`" and ch == "$" and src[i + 1:i + 2] == "{":
            depth, i = 1, i + 2   # a template substitution: its value is unknown here
            while i < n and depth:
                depth += {"{": 1, "}": -1}.get(src[i], 0)
                i += 1
            continue
        if ch in "\r\n" and quote != "`":   # unterminated literal: stop at the line end
            return "".join(out), i
        out.append(ch)
        i += 1
    return "".join(out), i


def _scan(src: str) -> tuple[tuple[_Tok, ...], tuple[int, ...]]:
    """The tokens of ``src`` and the index of the bracket closing each opening one. Small
    scripts (a footer's badge, repeated on every page) are scanned once per run; tokens are
    never modified, so the cached ones can be shared."""
    if len(src) <= _SCAN_CACHE_MAX_SOURCE:
        return _scan_cached(src)
    toks = tuple(_tokenize(src))
    return toks, _closes(toks)


_SCAN_CACHE_MAX_SOURCE = 4096


@lru_cache(maxsize=64)
def _scan_cached(src: str) -> tuple[tuple[_Tok, ...], tuple[int, ...]]:
    toks = tuple(_tokenize(src))
    return toks, _closes(toks)


def _tokenize(src: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n, nl = 0, len(src), False
    while i < n:
        ch = src[i]
        if ch in " \t\f\v\ufeff\xa0":
            i += 1
            continue
        if ch in "\r\n\u2028\u2029":
            nl = True
            i += 1
            continue
        if src.startswith("//", i) or src.startswith("<!--", i):
            end = src.find("\n", i)
            i = n if end < 0 else end
            continue
        if src.startswith("/*", i):
            end = src.find("*/", i + 2)
            nl = nl or "\n" in src[i:end if end >= 0 else n]
            i = n if end < 0 else end + 2
            continue
        if ch in "'\"`":
            value, i = _read_string(src, i, ch)
            toks.append(_Tok("str", value, nl))
        elif ch == "/" and (not toks or toks[-1].value in _REGEX_PRECEDERS):
            j = i + 1
            in_class = False
            while j < n and src[j] not in "\r\n":
                c = src[j]
                if c == "\\":
                    j += 2
                    continue
                if c == "[":
                    in_class = True
                elif c == "]":
                    in_class = False
                elif c == "/" and not in_class:
                    break
                j += 1
            j += 1
            while j < n and (src[j].isalnum()):
                j += 1
            toks.append(_Tok("regex", src[i:j], nl))
            i = j
        elif m := _IDENT.match(src, i):
            toks.append(_Tok("ident", m.group(0), nl))
            i = m.end()
        elif m := _NUMBER.match(src, i):
            toks.append(_Tok("num", m.group(0), nl))
            i = m.end()
        elif m := _PUNCT.match(src, i):
            toks.append(_Tok("punct", m.group(0), nl))
            i = m.end()
        else:
            i += 1
            continue
        nl = False
    return toks


# ------------------------------------------------------------------ evaluator

class _Toks(list):
    """The tokens of a script plus the index of the bracket closing each opening one, so
    that skipping a bracketed part is O(1) (a hostile script cannot make the walk quadratic)."""

    def __init__(self, src: str) -> None:
        toks, self.closes = _scan(src)
        super().__init__(toks)
        # characters evaluation may still produce: variables built from themselves grow fast
        self.budget = MAX_WORK


def _closes(toks: Sequence[_Tok]) -> tuple[int, ...]:
    """For each token, the index of the bracket closing it (opening brackets), found in one pass."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    closes = [len(toks) - 1] * len(toks)
    stack: list[int] = []
    for index, tok in enumerate(toks):
        if tok.kind != "punct":
            continue
        if tok.value in pairs:
            stack.append(index)
        elif tok.value in ")]}":
            # pop to the matching opener; unmatched closers are ignored
            for depth in range(len(stack) - 1, -1, -1):
                if pairs[toks[stack[depth]].value] == tok.value:
                    for opener in stack[depth:]:
                        closes[opener] = index
                    del stack[depth:]
                    break
    return tuple(closes)


def _match_close(toks: list[_Tok], i: int) -> int:
    """Index of the bracket closing the one at ``toks[i]`` (or the last token)."""
    return toks.closes[i]  # type: ignore[attr-defined]


def _expr_end(toks: list[_Tok], i: int, stop_comma: bool = True) -> int:
    """Index just past an expression starting at ``i``: up to ``;`` / ``,`` / a closing bracket
    at depth 0, or a line break that ends the statement (no ``+`` on either side)."""
    j = i
    while j < len(toks):
        tok = toks[j]
        if j > i and tok.nl and not _continues(toks, j):
            return j
        if tok.kind == "punct":
            if tok.value in "([{":
                j = _match_close(toks, j) + 1
                continue
            if tok.value in ")]};" or (stop_comma and tok.value == ","):
                return j
        j += 1
    return j


def _continues(toks: list[_Tok], j: int) -> bool:
    prev, tok = toks[j - 1], toks[j]
    ops = {"+", "+=", "=", "(", ",", "?", ":", "[", "&", "|", "."}
    return (prev.kind == "punct" and prev.value in ops) or (tok.kind == "punct" and tok.value in ops - {"("})


def _split_args(toks: list[_Tok], start: int, end: int) -> list[tuple[int, int]]:
    """Top-level comma-separated argument ranges of the call whose tokens are ``start:end``."""
    args, i = [], start
    while i < end:
        j = _expr_end(toks, i)
        j = min(j, end)
        args.append((i, j))
        i = j + 1
    return args


def _eval(toks: list[_Tok], i: int, end: int, env: dict[str, str], depth: int = 0) -> str:
    """The string an expression yields, as far as it is made of literals and known variables."""
    if depth > MAX_NESTING or toks.budget <= 0:  # type: ignore[attr-defined]
        return ""   # hostile nesting or growth: give up on this part rather than on the page
    out: list[str] = []
    while i < end:
        tok = toks[i]
        nxt = toks[i + 1] if i + 1 < end else None
        prev = toks[i - 1] if i > 0 else None
        if tok.kind == "str":
            out.append(tok.value)
        elif tok.kind == "ident":
            after_dot = prev is not None and prev.value == "."
            if nxt is not None and nxt.value == "(":
                close = _match_close(toks, i + 1)
                if tok.value in _DECODERS and not after_dot:
                    inner = _eval(toks, i + 2, close, env, depth + 1)
                    out.append(_js_unescape(inner) if tok.value == "unescape" else unquote(inner))
                elif tok.value in ("String", "concat"):
                    out.append(_eval(toks, i + 2, close, env, depth + 1))
                i = close + 1   # other calls: their value is unknown
                continue
            if not after_dot and tok.value in env and not (nxt is not None and nxt.value in (".", "[")):
                out.append(env[tok.value])
        elif tok.kind == "punct" and tok.value == "(":
            close = _match_close(toks, i)
            out.append(_eval(toks, i + 1, close, env, depth + 1))
            i = close + 1
            continue
        elif tok.kind == "punct" and tok.value == "[":
            i = _match_close(toks, i) + 1   # indexing or array literal: unknown
            continue
        i += 1
    value = "".join(out)
    toks.budget -= len(value) + 1  # type: ignore[attr-defined]
    return value


def _js_unescape(text: str) -> str:
    """JavaScript ``unescape``: %uXXXX and %XX are code points (not UTF-8 bytes)."""
    return re.sub(r"%u([0-9a-fA-F]{4})|%([0-9a-fA-F]{2})",
                  lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def _statements(toks: list[_Tok], env: dict[str, str]) -> Iterator[str]:
    """Walk the tokens once, tracking string variables, yielding what each sink receives."""
    i, n = 0, len(toks)
    while i < n:
        tok = toks[i]
        nxt = toks[i + 1] if i + 1 < n else None
        prev = toks[i - 1] if i > 0 else None
        if tok.kind == "ident" and nxt is not None and nxt.kind == "punct" and nxt.value in ("=", "+="):
            if nxt.value == "=" and i + 2 < n and toks[i + 2].value == "=":
                i += 1   # == comparison
                continue
            end = _expr_end(toks, i + 2)
            value = _eval(toks, i + 2, end, env)
            if prev is not None and prev.value == ".":
                if tok.value in _PROP_SINKS and value:
                    yield value
            elif nxt.value == "+=":
                if value or tok.value in env:
                    env[tok.value] = (env.get(tok.value, "") + value)[:MAX_OUTPUT]
            elif value:
                env[tok.value] = value[:MAX_OUTPUT]
            else:
                env.pop(tok.value, None)
            i += 2   # the right-hand side may itself hold sinks (rare): keep walking it
            continue
        if (tok.kind == "ident" and prev is not None and prev.value == "." and nxt is not None
                and nxt.value == "("):
            close = _match_close(toks, i + 1)
            args = _split_args(toks, i + 2, close)
            name = tok.value
            if name in _WRITE_CALLS and i >= 2 and toks[i - 2].value == "document":
                yield "".join(_eval(toks, a, b, env) for a, b in args)
            elif name in _JQ_SINKS and args:
                yield _eval(toks, args[0][0], args[0][1], env)
            elif name == "insertAdjacentHTML" and len(args) >= 2:
                yield _eval(toks, args[1][0], args[1][1], env)
        i += 1


def written_html(js_source: str, env: dict[str, str] | None = None) -> str:
    """The HTML that ``js_source`` writes into a page (document.write/writeln, innerHTML,
    jQuery .html/.append, insertAdjacentHTML), joined in source order; "" when none.

    ``env`` carries string variables across scripts of one page (a footer string defined in
    one ``<script>`` block and assigned to innerHTML in another).
    """
    if not js_source or len(js_source) > MAX_SOURCE:
        return ""
    if env is None and not _WRITE_HINT.search(js_source):
        return ""   # (with a shared env, a script that only defines variables still matters)
    toks = _Toks(js_source)
    parts: list[str] = []
    size = 0
    for html in _statements(toks, {} if env is None else env):
        if not html.strip():
            continue
        parts.append(html)
        size += len(html)
        if size > MAX_OUTPUT:
            break
    return "\n".join(parts)[:MAX_OUTPUT]


def inline_written_html(page: Page) -> str:
    """What the page's own inline ``<script>`` blocks write (e.g. the conac badge snippet)."""
    parts = []
    env: dict[str, str] = {}
    for node in page.select("script"):
        if node.attributes.get("src"):
            continue
        kind = (node.attributes.get("type") or "").lower()
        if kind and "javascript" not in kind and "ecmascript" not in kind:
            continue   # text/xml datastores, templates, JSON
        code = node.text_lexbor() or ""  # = text(deep=True), cheaper
        if env:
            html = written_html(code, env)
        else:  # no variable yet: the page's first scripts, a site's same footer on every page
            html, assigned = _written_fresh(code)
            env.update(assigned)
        if html:
            parts.append(html)
    return "\n".join(parts)


def _written_fresh(code: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """``written_html(code, env)`` from an empty ``env``: what it writes and the variables it
    leaves, in order. Small scripts and their results are kept (the answer depends on the
    source alone)."""
    found = _FRESH.get(code)
    if found is None:
        env: dict[str, str] = {}
        found = (written_html(code, env), tuple(env.items()))
        if len(code) <= _SCAN_CACHE_MAX_SOURCE and len(found[0]) + sum(map(len, env.values())) <= _FRESH_MAX_VALUE:
            if len(_FRESH) >= _FRESH_MAX:
                _FRESH.clear()
            _FRESH[code] = found
    return found


_FRESH: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {}
_FRESH_MAX = 256
_FRESH_MAX_VALUE = 16_384   # characters written and assigned: runaway += loops are not kept


def include_urls(js_source: str) -> list[str]:
    """Fragments a script loads into the page: ``$(...).load('/include/foot.html')``."""
    found = []
    toks = _Toks(js_source)
    for i, tok in enumerate(toks):
        if (tok.kind == "ident" and tok.value in _INCLUDE_CALLS and i >= 1 and toks[i - 1].value == "."
                and i + 2 < len(toks) and toks[i + 1].value == "(" and toks[i + 2].kind == "str"):
            url = toks[i + 2].value.split()[0] if toks[i + 2].value.strip() else ""
            if url:
                found.append(url)
    return found


def is_library(url: str) -> bool:
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return bool(LIBRARY_RE.search(name))


def homepage_loads(page: Page) -> dict[str, str]:
    """Same-host resources the homepage pulls its content from: URL -> how (script, frame,
    include). Scripts include those written by inline scripts; libraries are left out."""
    host = host_of(page.final_url)
    base = page.base_url
    loads: dict[str, str] = {}

    def add(raw: str, via: str) -> None:
        url = normalize(raw, base)
        if url and host_of(url) == host and url not in loads:
            if via == "script" and (is_library(url) or len([v for v in loads.values() if v == "script"]) >= MAX_SCRIPTS):
                return
            loads[url] = via

    for node in page.tree.css("script[src]"):
        add(node.attributes.get("src") or "", "script")
    written = inline_written_html(page)
    for raw in _SCRIPT_SRC_RE.findall(written):
        add(raw, "script")
    for node in page.tree.css("iframe[src], frame[src]"):
        add(node.attributes.get("src") or "", "frame")
    for node in page.select("script"):
        if not node.attributes.get("src") and ".load" in (node.text(deep=True) or ""):
            for raw in include_urls(node.text(deep=True) or ""):
                add(raw, "include")
    return loads


def script_links(page: Page) -> list[str]:
    """LINK_FINDER: the homepage's same-site scripts and included fragments, so that the
    footers they write are fetched and seen (frames are crawled as pages anyway)."""
    if not page.is_homepage:
        return []
    return [url for url, via in homepage_loads(page).items() if via in ("script", "include")]
