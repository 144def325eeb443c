"""Content security: injected spam, hidden link farms, commercial ads and malicious scripts.

Attackers (black-hat SEO) inject gambling and pornography keywords into government pages, hide
link farms in invisible blocks, and add scripts that redirect visitors arriving from search
engines. All four checks read only the page they are given (inline markup and scripts).
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
from functools import lru_cache
from typing import Any, Iterable, Iterator, Mapping

import ahocorasick_rs
from selectolax.lexbor import LexborNode

from govscan.model import Context, Hit
from govscan.page import LINK_SOURCES, Page
from govscan.rules import rule
from govscan.text import Match, compile_matcher, load_lexicon, locate, normalize, normalize_cached
from govscan.urls import host_of, is_gov_host, is_ip, normalize as normalize_url, registered_domain

_BASIS_SECURITY = ("《政府网站与政务新媒体检查指标》单项否决：出现严重表述错误，泄露国家秘密、"
                   "发布或链接反动、暴力、色情等内容，或被挂马、内容被篡改且未及时处置")

# ------------------------------------------------------------------ shared helpers

# Central media and official non-.gov.cn hosts that government pages legitimately link, often
# from collapsed menus (媒体链接, 友情链接).
CENTRAL_HOSTS = [
    "people.com.cn", "xinhuanet.com", "news.cn", "cctv.com", "cctv.cn", "cnr.cn", "chinadaily.com.cn",
    "gmw.cn", "china.com.cn", "ce.cn", "youth.cn", "qstheory.cn", "12371.cn", "12377.cn", "conac.cn",
    "chinanews.com.cn", "cyol.com",
    # share buttons and official accounts in pop-ups; CMS vendors' "Produced by" credits
    "qq.com", "weibo.com", "weibo.cn", "hanweb.com", "trs.com.cn", "ucap.com.cn", "kaipuyun.cn",
]


def own_host(host: str, ctx: Context) -> bool:
    """The site's host, an alias, or a host under the same registered domain."""
    site = ctx.site.host
    if not host:
        return True
    if host == site or host in ctx.site.aliases:
        return True
    try:
        return bool(site) and registered_domain(host) == registered_domain(site)
    except Exception:  # odd hosts (IPs, bare names) are simply not the site's own
        return False


def suffix_set(suffixes: Iterable[str]) -> frozenset[str]:
    """A host-suffix list as host_matches wants it (convert once per check, not per link)."""
    return _suffix_set(tuple(suffixes))


@lru_cache(maxsize=64)
def _suffix_set(suffixes: tuple[str, ...]) -> frozenset[str]:
    return frozenset(sfx.lower().lstrip(".") for sfx in suffixes)


def host_matches(host: str, suffixes: Iterable[str]) -> str | None:
    """The entry of ``suffixes`` that ``host`` equals or ends with (``.x.com``), or None."""
    wanted = suffixes if isinstance(suffixes, frozenset) else suffix_set(suffixes)
    if not wanted or not host:
        return None
    labels = host.split(".")
    for i in range(len(labels)):  # the longest suffix first, as configured lists expect
        candidate = ".".join(labels[i:])
        if candidate in wanted:
            return candidate
    return None


def outside_nongov(url: str, ctx: Context, allowed: Iterable[str] = ()) -> bool:
    """A target on another named host that is neither a government host nor explicitly allowed.

    Bare IP addresses and dotless names (``http://http/x`` from a broken href) are left out:
    they carry no search-engine value, which is what link farms and redirects are after.
    """
    return outside_nongov_host(host_of(url), ctx, allowed)


def outside_nongov_host(host: str, ctx: Context, allowed: Iterable[str] = ()) -> bool:
    """``outside_nongov`` of any URL on ``host`` (the answer depends on the host alone)."""
    if not host or "." not in host or is_ip(host) or own_host(host, ctx) or is_gov_host(host):
        return False
    return host_matches(host, allowed) is None


def _short(text: str, limit: int = 160) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit] + "…"


# ------------------------------------------------------------------ hidden elements

_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_BLOCK = re.compile(r"([^{}]+)\{([^{}]*)\}")
_LENGTH = re.compile(r"^(-?\d*\.?\d+)\s*(px|pt|em|rem|%)?$")
_PROPS = {"display", "visibility", "position", "left", "top", "margin-left", "margin-top", "width",
          "height", "max-height", "max-width", "overflow", "overflow-x", "overflow-y", "font-size",
          "text-indent", "opacity"}
OFFSCREEN = -999.0


def _decls(style: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in style.split(";"):
        name, sep, value = part.partition(":")
        name = name.strip().lower()
        if sep and name in _PROPS:
            out[name] = value.replace("!important", "").strip().lower()
    return out


def _px(value: str | None) -> float | None:
    """A CSS length in px (em/rem taken as 16px); None when unknown (percentages, auto)."""
    if not value:
        return None
    m = _LENGTH.match(value.strip())
    if not m:
        return None
    number, unit = float(m.group(1)), m.group(2) or "px"
    if unit == "%":
        return number if number == 0 else None
    return number * {"px": 1.0, "pt": 4 / 3, "em": 16.0, "rem": 16.0}[unit]


def _hiding(d: Mapping[str, str]) -> str | None:
    """Why one declaration block hides its element, or None."""
    if d.get("display") == "none":
        return "display:none"
    if d.get("visibility") in ("hidden", "collapse"):
        return "visibility:hidden"
    try:
        if "opacity" in d and float(d["opacity"]) <= 0.01:
            return "opacity:0"
    except ValueError:
        pass
    for prop in ("left", "top", "margin-left", "margin-top"):
        v = _px(d.get(prop))
        if v is not None and v <= OFFSCREEN:
            return f"{prop}:{d[prop]}（移出屏幕）"
    v = _px(d.get("text-indent"))
    if v is not None and v <= OFFSCREEN:
        return f"text-indent:{d['text-indent']}"
    size = [_px(d.get(p)) for p in ("width", "height", "max-height", "max-width")]
    overflow = {d.get("overflow"), d.get("overflow-x"), d.get("overflow-y")}
    if any(s is not None and s <= 1 for s in size) and overflow & {"hidden", "clip"}:
        return "零尺寸且overflow:hidden"
    v = _px(d.get("font-size"))
    if v is not None and v <= 1:
        return "font-size:0"
    return None


_NUMBER_HINT = re.compile(r"-\s*\d{3}|:\s*[01](?:\.0*)?\s*(?:px|pt|em|rem)?\s*(?:;|!|$)")


def _maybe_hiding(style: str) -> bool:
    """Cheap test: could this declaration text hide anything? (Most styles, Word's, cannot.)"""
    t = style.lower()
    return ("none" in t or "hidden" in t or "collapse" in t or "opacity" in t
            or _NUMBER_HINT.search(t) is not None)


def _inline_decls(node: LexborNode) -> dict[str, str]:
    style = node.attributes.get("style")
    return _decls(style) if style else {}


def _prop_of(reason: str) -> str:
    """The CSS property behind a hiding reason ("font-size:0" → font-size)."""
    return reason.split(":", 1)[0] if ":" in reason else reason


def _attr_px(node: LexborNode, name: str) -> float | None:
    value = (node.attributes.get(name) or "").strip().lower()
    return _px(value if value.endswith(("px", "%")) or not value else value + "px")


class HiddenIndex:
    """Elements of one page hidden by inline style, a same-page ``<style>`` rule or attributes.

    ``reason(node)`` is the element's own hiding reason; ``hidden_by(node)`` walks up from any
    node and returns (reason, hiding element) for the nearest hidden ancestor-or-self, taking
    into account that a descendant may set font-size or visibility back.
    """

    def __init__(self, page: Page):
        self.page = page
        self._rule_reasons: dict[int, str] = {}
        self._override_selectors: list[tuple[str, str]] = []
        self._overrides: dict[int, set[str]] | None = None
        tree = page.tree
        ruled: list[LexborNode] = []
        for style in tree.css("style"):
            css = style.text() or ""
            if not (_maybe_hiding(css) or "font-size" in css or "visibility" in css):
                continue  # nothing in this stylesheet can hide or show an element
            for selectors, body in _BLOCK.findall(_COMMENT.sub("", css)):
                if _maybe_hiding(body):
                    reason = _hiding(_decls(body))
                elif "font-size" in body or "visibility" in body:
                    reason = None
                else:
                    continue
                for sel in selectors.split(","):
                    sel = sel.strip()
                    # pseudo-classes (:hover menus) and at-rules are not static hiding
                    if not sel or sel.startswith("@") or ":" in sel:
                        continue
                    if reason is None:
                        self._override_selectors.append((sel, body))  # resolved only if needed
                        continue
                    try:
                        nodes = tree.css(sel)
                    except Exception:  # selectors lexbor cannot parse
                        continue
                    for node in nodes:
                        if node.mem_id not in self._rule_reasons:
                            self._rule_reasons[node.mem_id] = reason
                            ruled.append(node)
        self._inline: dict[int, dict[str, str]] = {}
        self.roots: dict[int, tuple[LexborNode, str]] = {}
        candidates = tree.css("[style], [hidden], marquee, iframe, frame")
        for node in candidates:  # the [style] ones, in document order
            attrs = node.attributes
            if "style" in attrs:
                style = attrs["style"] or ""
                if _maybe_hiding(style):
                    self._inline[node.mem_id] = _decls(style)
        for node in [*candidates, *ruled]:
            reason = self.reason(node)
            if reason:
                self.roots[node.mem_id] = (node, reason)

    def reason(self, node: LexborNode) -> str | None:
        inline = self._inline.get(node.mem_id)
        if inline:
            reason = _hiding(inline)
            if reason:
                return reason
        reason = self._rule_reasons.get(node.mem_id)
        if reason and _prop_of(reason) not in _inline_decls(node):  # inline style wins
            return reason
        attrs = node.attributes
        if "hidden" in attrs:
            return "hidden属性"
        tag = node.tag
        if tag == "marquee":
            w, h = _attr_px(node, "width"), _attr_px(node, "height")
            amount = _px((attrs.get("scrollamount") or "").strip()) or 0
            if (w is not None and w <= 10) or (h is not None and h <= 10) or amount >= 500:
                return "marquee极小尺寸或极快滚动"
        if tag in ("iframe", "frame"):
            w, h = _attr_px(node, "width"), _attr_px(node, "height")
            if (w is not None and w <= 1) or (h is not None and h <= 1):
                return "零尺寸框架"
        return None

    def _resets(self, node: LexborNode) -> set[str]:
        """Inherited hiding properties this element sets back (font-size, visibility)."""
        out = set()
        inline = _inline_decls(node)
        if (_px(inline.get("font-size")) or 0) > 1:
            out.add("font-size")
        if inline.get("visibility") == "visible":
            out.add("visibility")
        if self._override_selectors:
            if self._overrides is None:
                found: dict[int, set[str]] = {}
                for sel, body in self._override_selectors:
                    d = _decls(body)
                    props = {p for p, ok in (("font-size", (_px(d.get("font-size")) or 0) > 1),
                                             ("visibility", d.get("visibility") == "visible")) if ok}
                    if not props:
                        continue
                    try:
                        for n in self.page.tree.css(sel):
                            found.setdefault(n.mem_id, set()).update(props)
                    except Exception:
                        continue
                self._overrides = found
            out |= self._overrides.get(node.mem_id, set())
        return out

    def hidden_by(self, node: LexborNode | None) -> tuple[str, LexborNode] | None:
        reset: set[str] = set()
        while node is not None and node.tag not in ("body", "html", "-document"):
            entry = self.roots.get(node.mem_id)
            if entry is not None and _prop_of(entry[1]) not in reset:
                return entry[1], node
            reset |= self._resets(node)
            node = node.parent
        return None

    def hidden_texts(self) -> list[tuple[str, str]]:
        """(reason, text) of each outermost hidden element whose text really is hidden."""
        out = []
        for mem_id, (node, reason) in self.roots.items():
            if node.tag in ("iframe", "frame", "script", "style", "head", "title", "template"):
                continue
            parent = node.parent
            if parent is not None and self.hidden_by(parent) is not None:
                continue  # counted with its hidden ancestor
            prop = _prop_of(reason)
            if prop in ("font-size", "visibility") and any(
                    prop in self._resets(d) for d in node.traverse() if d.mem_id != mem_id):
                continue  # the font-size:0 trick for inline-block gaps: children are visible
            text = node.text(deep=True, separator=" ").strip()
            if text:
                out.append((reason, text))
        return out


# ------------------------------------------------------------------ spam-injection

_WHERE = {"title": "标题", "meta": "关键词/描述", "hidden": "隐藏区块", "link": "链接文字", "url": "链接地址",
          "text": "正文"}
_CATEGORY = {"gambling": "赌博", "porn": "色情", "cheat": "游戏外挂/私服", "invoice": "代开发票/假证",
             "contraband": "违禁品", "defacement": "篡改", "custom": "自定义"}
_SENTENCE_END = re.compile(r"[。！？!?；;|\ue000]")
_BREAK = "\ue000"  # marks a block boundary in body text (a private-use character)
_BLOCK_TAGS = frozenset("p div li td th tr h1 h2 h3 h4 h5 h6 br dd dt ul ol table section article header footer "
                        "nav aside blockquote pre figure figcaption form hr address center".split())
_NO_TEXT = frozenset("script style noscript template title".split())
_INLINE_TAGS = frozenset("a abbr acronym b bdi bdo big cite code del dfn em font i ins kbd label mark q "
                         "s samp small span strike strong sub sup time tt u var address center legend".split())
_RANDOM_ID = re.compile(r"^[a-z0-9]{4,8}$")

NEGATION_WORDS = ["打击", "整治", "查处", "查获", "严禁", "禁止", "取缔", "专项行动", "抵制", "举报", "防范", "警惕",
                  "远离", "拒绝", "治理", "侦破", "破获", "捣毁", "抓获", "涉嫌", "犯罪", "违法", "非法", "案件",
                  "立案", "判处", "判决", "起诉", "公诉", "扫黄打非", "禁毒", "谨防", "提醒", "警示", "曝光",
                  "严惩", "依法", "清理", "下架", "关停", "封堵", "不得", "严防", "防止", "危害", "诈骗", "反赌",
                  "禁赌", "涉赌", "涉黄", "涉毒", "罪"]


@lru_cache(maxsize=16)
def _spam_matchers(lexicons: tuple[str, ...], url_lexicons: tuple[str, ...], extra: tuple, allow: tuple,
                   ignore: tuple, negations: tuple):
    """(text matcher, url matcher, negation pattern), compiled once per distinct option set."""
    ignored = {normalize(t) for t in ignore}
    entries: list[tuple[str, Any]] = []
    for name in lexicons:
        for row in load_lexicon(name):
            term, category, strength = (row + ("", "", ""))[:3]
            if normalize(term) in ignored:
                continue
            entries.append((term, ("allow",) if strength == "allow" else ("term", category or "custom",
                                                                          strength or "strong")))
    for term, category, strength in extra:
        if normalize(term) not in ignored:
            entries.append((term, ("term", category, strength)))
    entries += [(t, ("allow",)) for t in allow]
    url_entries = []
    for name in url_lexicons:
        for row in load_lexicon(name):
            token, category, strength = (row + ("", "", ""))[:3]
            if normalize(token) not in ignored:
                url_entries.append((token.lower(), (category or "gambling", strength or "strong")))
    words = sorted({normalize(w) for w in negations if normalize(w)}, key=len, reverse=True)
    negation = re.compile("|".join(map(re.escape, words))) if words else None
    return compile_matcher(tuple(entries)), compile_matcher(tuple(url_entries)), negation


def _extra_terms(raw: Iterable[Any]) -> tuple:
    out = []
    for item in raw:
        if isinstance(item, str):
            out.append((item, "custom", "strong"))
        elif isinstance(item, Mapping) and item.get("term"):
            out.append((str(item["term"]), str(item.get("category", "custom")), str(item.get("strength", "strong"))))
        else:
            raise ValueError(f"spam-injection extra-terms: bad entry {item!r} (a string or {{term, category, strength}})")
    return tuple(out)


def scan_terms(norm: str, matches: Iterable[Match], negation: re.Pattern | None, window: int,
               negated: set[str] | None = None) -> list[Match]:
    """Term matches (leftmost-longest, so allowed phrases have hidden the terms inside them)
    that have no negating word within ``window`` characters in the same sentence; the terms of
    negated matches are added to ``negated`` when given."""
    kept = []
    for m in matches:
        if m.payloads[0][0] != "term" and not any(p[0] == "term" for p in m.payloads):
            continue
        if negation is not None and _negated(norm, m, negation, window):
            if negated is not None:
                negated.add(m.term)
            continue
        kept.append(m)
    return kept


def _negated(norm: str, m: Match, negation: re.Pattern, window: int) -> bool:
    lo, hi = max(0, m.start - window), min(len(norm), m.end + window)
    for n in negation.finditer(norm, lo, hi):
        if n.start() < m.end and m.start < n.end():
            return True  # overlapping (扫黄打非 around 黄)
        gap = (n.end(), m.start) if n.end() <= m.start else (m.end, n.start())
        if not _SENTENCE_END.search(norm, *gap):
            return True
    return False


_LINK_TEXT = operator.itemgetter(3)  # PageLink.text


@lru_cache(maxsize=16384)  # a site's links repeat on every page
def _url_key(url: str) -> str:
    """Host and path of a link target, lower-cased: where pinyin spam tokens show."""
    rest = url.partition("://")[2] or url
    return rest.split("?", 1)[0].split("#", 1)[0].lower()


@rule(id="spam-injection", title="暗链及违规内容", indicator="安全、泄密事故等严重问题（单项否决）",
      basis=_BASIS_SECURITY, scope="page", level="error",
      options={
          "lexicons": ["spam"],
          "url-lexicons": ["spam-url"],
          "extra-terms": [],
          "allow-terms": [],
          "ignore-terms": [],
          "negation-words": NEGATION_WORDS,
          "negation-window": 30,
          "weak-threshold": 3,
          "title-threshold": 2,
          "tag-cluster-min": 5,
      })
def spam_injection(page: Page, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: gambling, pornography, game-cheat (外挂/私服), fake-invoice and similar terms
    in the title, meta keywords/description, body text, hidden blocks, link texts and link targets
    (pinyin spam tokens such as bocai, yulecheng in host names and paths); keyword-stuffed titles;
    runs of empty inline tags with short random ids (``<strike id="b7r51"></strike>``) that
    injection templates leave. Text is compared after normalisation, so traditional characters,
    full-width forms and keywords split by spaces or zero-width characters match too.

    Why it matters: publishing or linking such content is a 单项否决 item (安全、泄密事故等严重问题).
    Failing example: <title>澳门新葡京_百家乐_真人视讯-某县人民政府</title>; a hidden block of links
    to yulecheng888.com.
    Passing example: 体育彩票管理 news, "严厉打击网络赌博专项行动", 扫黄打非 notices: legitimate
    phrases (allow entries) and negating context (打击, 整治, 查处 … within negation-window
    characters in the same sentence) keep them out.
    Options: lexicons / url-lexicons — bundled lexicon names (govscan/rules/lexicons/NAME.tsv) or
    paths to files of the same format; extra-terms — more terms (a string, or {term, category,
    strength: strong|weak}); allow-terms — more legitimate phrases; ignore-terms — bundled terms to
    drop; negation-words and negation-window — context that marks reporting or enforcement text;
    weak-threshold — distinct weak terms that make a finding without a strong one; title-threshold
    — distinct terms in the title that make it keyword-stuffed; tag-cluster-min — empty random-id
    tags in a run that count as an injection template (0 turns that off).
    """
    matcher, url_matcher, negation = _spam_matchers(
        tuple(options["lexicons"]), tuple(options["url-lexicons"]), _extra_terms(options["extra-terms"]),
        tuple(options["allow-terms"]), tuple(options["ignore-terms"]), tuple(options["negation-words"]))
    window = int(options["negation-window"])
    fields = {
        "title": page.title,
        "meta": " | ".join(v for k in ("keywords", "description") if (v := page.meta.get(k))),
        "text": page.visible_text,
        # only a and area links have a text (Page.links)
        "link": " | ".join(filter(None, map(_LINK_TEXT, page.links))),
    }
    found: dict[str, dict[str, Any]] = {}
    negated_in_text: set[str] = set()
    for where in ("title", "meta", "text", "link", "hidden"):
        if where == "text":
            norm = normalize_cached(fields["text"])
            if not any(m.payloads[0][0] == "term" for m in matcher.find(norm, longest=True)):
                continue  # the common case: nothing in the body, no need for its block structure
            # re-read the body with paragraph breaks, so that a negating word in one paragraph
            # does not excuse a term in the next (and no term spans two blocks)
            fields["text"] = block_text(page)
        if where == "hidden":
            if not any("text" in e["where"] for e in found.values()):
                break  # hidden text is body text: nothing to place when the body had no match
            fields["hidden"] = " | ".join(text for _, text in HiddenIndex(page).hidden_texts())
        raw = fields[where]
        if not raw:
            continue
        norm = normalize_cached(raw)
        for m in scan_terms(norm, matcher.find(norm, longest=True), negation, window,
                            negated_in_text if where == "text" else None):
            if where in ("link", "hidden") and m.term in negated_in_text and m.term not in found:
                continue  # a link or block inside a sentence that reports on the subject
            _, category, strength = next(p for p in m.payloads if p[0] == "term")
            entry = found.setdefault(m.term, {"term": m.term, "category": category, "strength": strength,
                                              "where": [], "_field": where})
            if where not in entry["where"]:
                entry["where"].append(where)
    spam_links: list[str] = []
    links = page.links
    keys = [_url_key(link.url) for link in links]
    starts: list[int] | None = None
    # one automaton pass over every link target at once, matches mapped back by offset
    for m in url_matcher.find("\n".join(keys), longest=True):
        if starts is None:  # needed only when something matched
            starts = list(itertools.accumulate((len(k) + 1 for k in keys[:-1]), initial=0))
        link = links[bisect.bisect_right(starts, m.start) - 1]
        category, strength = m.payloads[0]
        if strength != "strong" and not outside_nongov(link.url, ctx):
            continue
        entry = found.setdefault(m.term, {"term": m.term, "category": category, "strength": strength,
                                          "where": [], "_field": "url", "url": link.url})
        if "url" not in entry["where"]:
            entry["where"].append("url")
        if link.url not in spam_links:
            spam_links.append(link.url)
    strong = [e for e in found.values() if e["strength"] == "strong"]
    weak = [e for e in found.values() if e["strength"] != "strong"]
    in_title = [e for e in found.values() if "title" in e["where"]]
    title_stuffed = len(in_title) >= int(options["title-threshold"])
    if strong or len(weak) >= int(options["weak-threshold"]) or title_stuffed:
        yield _spam_hit(list(found.values()), fields, spam_links, title_stuffed)
    cluster = _tag_cluster(page, int(options["tag-cluster-min"]))
    if cluster:
        yield Hit(f"页面含{cluster['count']}个成串的随机ID空标签（黑链注入模板特征）",
                  evidence=cluster, key="tag-cluster")


def block_text(page: Page) -> str:
    """Body text with a break character between block elements (p, div, li, td, br …)."""
    root = page.tree.body or page.tree.root
    if root is None:
        return ""
    parts: list[str] = []
    for node in root.traverse(include_text=True):
        tag = node.tag
        if tag == "-text":
            parent = node.parent
            if parent is None or parent.tag not in _NO_TEXT:
                parts.append(node.text_content or "")
        elif tag in _BLOCK_TAGS:
            parts.append(_BREAK)
    return "".join(parts)


def _spam_hit(entries: list[dict[str, Any]], fields: Mapping[str, str], links: list[str],
              title_stuffed: bool) -> Hit:
    entries.sort(key=lambda e: (e["strength"] != "strong", -len(e["where"]), e["term"]))
    by_field: dict[str, list[str]] = {}
    for e in entries[:20]:
        if e["_field"] != "url":
            by_field.setdefault(e["_field"], []).append(e["term"])
    snippets: dict[str, str] = {}
    for where, terms in by_field.items():
        for term, snip in locate(fields[where], terms).items():
            snippets.setdefault(term, re.sub(r"\s*\ue000[\s\ue000]*", " ", snip).strip())
    terms = []
    for e in entries[:20]:
        item = {"term": e["term"], "category": _CATEGORY.get(e["category"], e["category"]),
                "strength": e["strength"], "where": [_WHERE[w] for w in e["where"]]}
        if e["term"] in snippets:
            item["snippet"] = snippets[e["term"]]
        if e.get("url"):
            item["url"] = e["url"]
        terms.append(item)
    categories = sorted({t["category"] for t in terms})
    where = sorted({w for e in entries for w in e["where"]}, key=list(_WHERE).index)
    names = "、".join(t["term"] for t in terms[:6])
    message = (f"页面含{'/'.join(categories)}类违规内容：{names}"
               f"（位置：{'、'.join(_WHERE[w] for w in where)}）")
    if title_stuffed:
        message = "页面标题被植入关键词；" + message
    evidence: dict[str, Any] = {"terms": terms, "categories": categories,
                                "where": [_WHERE[w] for w in where], "title_stuffed": title_stuffed}
    if title_stuffed:
        evidence["title"] = fields["title"]
    if links:
        evidence["links"] = links[:10]
    return Hit(message, evidence=evidence)


def _empty_random(node: LexborNode) -> bool:
    if node.tag not in _INLINE_TAGS or not _RANDOM_ID.match((node.attributes.get("id") or "").lower()):
        return False
    if (node.text(deep=True) or "").strip():
        return False
    return all(d.tag in _INLINE_TAGS for d in node.traverse() if d.is_element_node)


def _tag_cluster(page: Page, minimum: int) -> dict[str, Any] | None:
    if minimum <= 0:
        return None
    # every element with an id, filtered by tag here: one selector per inline tag costs lexbor
    # ten times more than the whole filter
    candidates = {n.mem_id: n for n in page.tree.css("[id]") if _empty_random(n)}
    if len(candidates) < minimum:
        return None
    best: list[LexborNode] = []
    for node in candidates.values():
        prev = _sibling(node, "prev")
        if prev is not None and prev.mem_id in candidates:
            continue  # not the start of a run
        run = [node]
        nxt = _sibling(node, "next")
        while nxt is not None and nxt.mem_id in candidates:
            run.append(nxt)
            nxt = _sibling(nxt, "next")
        total = sum(sum(1 for d in n.traverse() if d.is_element_node) for n in run)
        if total > sum(sum(1 for d in n.traverse() if d.is_element_node) for n in best):
            best = run
    count = sum(sum(1 for d in n.traverse() if d.is_element_node) for n in best)
    if count < minimum:
        return None
    ids = [n.attributes.get("id") for n in best]
    return {"count": count, "ids": ids[:10], "snippet": _short("".join(n.html or "" for n in best[:6]), 300)}


def _sibling(node: LexborNode, direction: str) -> LexborNode | None:
    """The neighbouring element, skipping whitespace-only text and comments."""
    cur = getattr(node, direction)
    while cur is not None and not cur.is_element_node:
        if cur.is_text_node and (cur.text_content or "").strip():
            return None
        cur = getattr(cur, direction)
    return cur


# ------------------------------------------------------------------ hidden-link

_HIDDEN_LINK_TAGS = frozenset({"a", "area", "iframe", "frame"})


@rule(id="hidden-link", title="隐藏链接", indicator="严重问题（暗链）", basis=_BASIS_SECURITY,
      scope="page", level="error",
      options={"allowed-hosts": CENTRAL_HOSTS, "allowed-suffixes": ["edu.cn", "ac.cn"]})
def hidden_link(page: Page, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: links (a, area, iframe) to outside hosts that are not government hosts,
    placed in elements hidden by inline style, a same-page ``<style>`` rule or attributes:
    display:none, visibility:hidden, opacity 0, off-screen position (left/top/margin ≤ -999px),
    zero size with overflow hidden, font-size 0 (unless a child sets it back, the inline-block gap
    trick), text-indent ≤ -999px, ``<marquee>`` of a few pixels or a huge scrollamount, 0×0 frames.

    Why it matters: invisible outbound links are the classic 暗链 of black-hat SEO; inspectors
    treat them as a serious security problem.
    Failing example: <div style="display:none"><a href="http://yulecheng888.com/">娱乐城</a></div>.
    Passing example: a collapsed menu (display:none until hover) linking other .gov.cn sites or
    central media (people.com.cn, xinhuanet.com).
    Options: allowed-hosts — outside hosts (and their subdomains) that may be linked from hidden
    menus; allowed-suffixes — whole suffixes treated the same way (edu.cn …).
    """
    allowed = suffix_set([*options["allowed-hosts"], *options["allowed-suffixes"]])
    # the links looked at below are among the page's own (same elements, same resolution): when
    # none of them leads to an outside non-government host, no hidden one does
    origins = _origins(page, _HIDDEN_LINK_TAGS)
    if not any(outside_nongov_host(host_of(origin), ctx, allowed) for origin in origins):
        return
    index = HiddenIndex(page)
    if not index.roots:
        return
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    base = page.base_url
    links = "a[href], area[href], iframe[src], frame[src]"
    candidates: dict[int, LexborNode] = {}
    for root, _ in index.roots.values():  # only links inside (or being) a hidden element
        for node in ([root] if root.tag in ("a", "area", "iframe", "frame") else []) + root.css(links):
            candidates.setdefault(node.mem_id, node)
    for node in candidates.values():
        if node.tag not in ("a", "area", "iframe", "frame"):
            continue
        attr = "src" if node.tag in ("iframe", "frame") else "href"
        url = normalize_url(node.attributes.get(attr) or "", base)
        if not url or url in seen or not outside_nongov(url, ctx, allowed):
            continue
        hidden = index.hidden_by(node)
        if hidden is None:
            continue
        seen.add(url)
        reason, holder = hidden
        found.append({"url": url, "text": _short(node.text(deep=True) or "", 60), "element": node.tag,
                      "reason": reason, "container": _describe(holder)})
    if not found:
        return
    hosts = sorted({host_of(f["url"]) for f in found})
    yield Hit(f"隐藏区域内有{len(found)}个指向外部非政府网站的链接：{'、'.join(hosts[:5])}"
              + ("等" if len(hosts) > 5 else ""),
              evidence={"links": found[:30], "hosts": hosts, "count": len(found)})


def _describe(node: LexborNode) -> str:
    """A short selector-like name for an element: tag#id.class."""
    attrs = node.attributes
    out = node.tag or ""
    if attrs.get("id"):
        out += "#" + (attrs.get("id") or "")
    if attrs.get("class"):
        out += "." + ".".join((attrs.get("class") or "").split()[:2])
    style = attrs.get("style")
    if style:
        out += f'[style="{_short(style, 80)}"]'
    return out


# ------------------------------------------------------------------ commercial-ad

AD_HOSTS = ["pos.baidu.com", "cpro.baidu.com", "cbjs.baidu.com", "dup.baidustatic.com", "cpro.baidustatic.com",
            "tanx.com", "alimama.cn", "alimama.com", "googlesyndication.com", "doubleclick.net",
            "googleadservices.com", "adservice.google.com", "amazon-adsystem.com", "adnxs.com", "criteo.com",
            "criteo.net", "taboola.com", "outbrain.com", "gdt.qq.com", "mediav.com"]
AD_SCRIPT_PATTERNS = ["adsbygoogle", "google_ad_client", "googletag.defineSlot", "BAIDU_CLB_", "BAIDU_DUP",
                      "cpro_id", "slotbydup", "tanx-a-mm_", "alimama_pid"]
AD_MARKERS = ["ad", "ads", "advert", "adverts", "advertisement", "adsense", "adbox", "guanggao", "sponsor",
              "sponsored"]
AD_LABELS = ["广告", "商业广告", "推广链接", "赞助商链接"]
_TOKENS = re.compile(r"[^a-z0-9]+")


@rule(id="commercial-ad", title="商业广告", indicator="严重问题 / 功能设计（不得有商业广告）",
      basis="《政府网站发展指引》（国办发〔2017〕47号）：政府网站不得发布商业广告；《政府网站与政务新媒体检查指标》",
      scope="page", level="error",
      options={"ad-hosts": AD_HOSTS, "ad-script-patterns": AD_SCRIPT_PATTERNS, "ad-markers": AD_MARKERS,
               "ad-labels": AD_LABELS, "allowed-hosts": CENTRAL_HOSTS})
def commercial_ad(page: Page, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: scripts, frames, images and links served by ad networks (Baidu union
    pos.baidu.com / cpro.baidu.com / dup.baidustatic.com, Alimama/tanx, Google AdSense and
    DoubleClick …); inline scripts that configure an ad slot (adsbygoogle, BAIDU_CLB_, cpro_id …);
    ad blocks: an element whose class or id names an ad (ad, ads, advert, guanggao …) or that is
    labelled 广告, linking to an outside non-government host.

    Why it matters: 47号文 forbids commercial advertising on government sites; inspectors count it
    as a serious problem.
    Failing example: <script src="https://pos.baidu.com/s?di=u123"></script>;
    <div class="ad"><a href="https://shop.example.com/">特惠</a></div>.
    Passing example: a 公益广告 banner (class="ad") linking the site's own 专题 page; 百度统计
    (hm.baidu.com) analytics, which is not an ad network.
    Options: ad-hosts — ad-network host suffixes; ad-script-patterns — strings marking an ad slot
    in inline scripts; ad-markers — class/id words naming ad blocks; ad-labels — exact element
    texts labelling an ad; allowed-hosts — outside hosts an ad-like block may link.
    """
    found: dict[str, dict[str, Any]] = {}
    ad_hosts = suffix_set(options["ad-hosts"])
    # the links are looked at only when one of their (few distinct) hosts is an ad network's and
    # the network's name appears in the markup at all
    links = page.links
    if not any(_host_match(host_of(origin), ad_hosts) for origin in _origins(page, _ALL_TAGS)) \
            or not _contains_any_lowered(page.text, ad_hosts):
        links = ()
    for link in links:
        host = host_of(link.url)
        network = host_matches(host, ad_hosts)
        if network:
            entry = found.setdefault(network, {"kind": "广告联盟", "network": network, "urls": [], "elements": []})
            if link.url not in entry["urls"] and len(entry["urls"]) < 10:
                entry["urls"].append(link.url)
            element = f"{link.tag}[{link.attr}]"
            if element not in entry["elements"]:
                entry["elements"].append(element)
    for script in page.select("script"):
        if script.attributes.get("src"):
            continue
        code = script.text_lexbor() or ""  # = text(), cheaper
        for pattern in options["ad-script-patterns"]:
            if pattern in code:
                found.setdefault(f"script:{pattern}", {"kind": "广告代码", "pattern": pattern,
                                                       "snippet": _around(code, code.index(pattern))})
    markers, labels, least, label_re = _ad_words(tuple(options["ad-markers"]), tuple(options["ad-labels"]))
    allowed = suffix_set(options["allowed-hosts"])
    base = page.base_url
    # Ad blocks count only with a target outside (_outside_targets): the href of the block, of
    # its a/area and the src of its iframes, all in page.links unless page.href_elsewhere. A
    # page without such a link has no ad block to look for.
    blocks = page.href_elsewhere or any(outside_nongov_host(host_of(origin), ctx, allowed)
                                        for origin in _origins(page, _TARGET_TAGS))
    for node in _marked(page, markers) if blocks else ():
        for target in _outside_targets(node, base, ctx, allowed):
            host = host_of(target)
            found.setdefault(f"block:{host}", {"kind": "广告位", "url": target, "container": _describe(node)})
    # the pattern needs one of the labels: most pages have none (a quicker test than the pattern's)
    if blocks and label_re is not None and any(label in page.text for label in least) \
            and label_re.search(page.text):
        for node in page.tree.css("span, div, em, i, b, p, a, label, small"):
            if (node.text(deep=False) or "").strip() not in labels:
                continue
            holder = node.parent if node.tag != "a" else node
            for _ in range(2):  # the label and the ad share a small container
                targets = list(_outside_targets(holder, base, ctx, allowed)) if holder is not None else []
                if targets or holder is None or holder.parent is None:
                    break
                holder = holder.parent
            for target in targets:
                host = host_of(target)
                found.setdefault(f"block:{host}", {"kind": "广告位", "url": target, "label": node.text().strip(),
                                                   "container": _describe(holder)})
    for key, entry in found.items():
        what = entry.get("network") or entry.get("pattern") or host_of(entry.get("url", ""))
        yield Hit(f"页面含商业广告（{entry['kind']}：{what}）", evidence=entry, key=key)


@lru_cache(maxsize=16)
def _ad_words(markers: tuple[str, ...], labels: tuple[str, ...]) \
        -> tuple[frozenset[str], frozenset[str], tuple[str, ...], re.Pattern | None]:
    """(marker words lower-cased, labels, the labels that hold no other label, the label
    pattern) for one option set (a text holds a label when it holds one of the third)."""
    label_set = frozenset(labels)
    least = tuple(w for w in labels if not any(o != w and o in w for o in label_set))
    return (frozenset(m.lower() for m in markers), label_set, least,
            _label_pattern(tuple(label_set)) if label_set else None)


_TARGET_TAGS = frozenset({"a", "area", "iframe", "link"})  # page.links' share of _outside_targets
_ALL_TAGS = frozenset(tag for tag, _ in LINK_SOURCES)


def _origins(page: Page, tags: frozenset[str]) -> set[str]:
    """``scheme://host[:port]`` of the page's links of ``tags`` (normalised URLs, which have a
    path: their host is the URL's): a page has a few, the same for every check that asks
    (worked out once per page)."""
    by_tag = page.derived.get("link-origins")
    if by_tag is None:
        by_tag = page.derived["link-origins"] = {}
        for link in page.links:
            url = link.url
            end = url.find("/", 8)
            found = by_tag.get(link.tag)
            if found is None:
                found = by_tag[link.tag] = set()
            found.add(url if end < 0 else url[:end])
    return set().union(*(by_tag.get(tag, ()) for tag in tags))


@lru_cache(maxsize=4096)  # a page's links have a few hosts, the same on every page
def _host_match(host: str, suffixes: frozenset[str]) -> str | None:
    return host_matches(host, suffixes)


@lru_cache(maxsize=16)
def _label_pattern(labels: tuple[str, ...]) -> re.Pattern:
    return re.compile(r">\s*(?:" + "|".join(map(re.escape, labels)) + r")\s*<")


def _contains_any(text: str, words: frozenset[str]) -> bool:
    """Whether any of ``words`` occurs in ``text``: one automaton pass, not one scan per word."""
    if "" in words:
        return True
    try:
        return bool(words) and bool(_automaton(words).find_matches_as_indexes(text))
    except UnicodeEncodeError:  # lone surrogates: the automaton wants valid UTF-8
        return any(w in text for w in words)


@lru_cache(maxsize=16)
def _automaton(words: frozenset[str]) -> ahocorasick_rs.AhoCorasick:
    return ahocorasick_rs.AhoCorasick(sorted(words))


def _contains_any_lowered(text: str, words: frozenset[str]) -> bool:
    """``_contains_any(text.lower(), words)`` for lower-case ``words``, without lower-casing a
    whole page (Unicode lower-casing of Chinese text is slow): ASCII words are looked for in
    the UTF-8 bytes lower-cased as ASCII. Both find the same words unless the text has İ
    (U+0130) or K (U+212A), the only characters that lower() turns into ASCII letters."""
    if "" in words or not words:
        return bool(words)
    if all(w.isascii() for w in words) and "\u0130" not in text and "\u212a" not in text:
        haystack = text.encode("utf-8", "surrogatepass").lower()
        return bool(_bytes_automaton(words).find_matches_as_indexes(haystack))
    return _contains_any(text.lower(), words)


@lru_cache(maxsize=16)
def _bytes_automaton(words: frozenset[str]) -> ahocorasick_rs.BytesAhoCorasick:
    return ahocorasick_rs.BytesAhoCorasick([w.encode("ascii") for w in sorted(words)])


@lru_cache(maxsize=16)
def _marker_selector(markers: frozenset[str]) -> str | None:
    # markers that contain another marker need no selector of their own
    roots = [m for m in markers if m and not any(o != m and o in m for o in markers)]
    if not roots:
        return None
    return ", ".join(f'[{attr}*="{m}" i]' for m in sorted(roots) for attr in ("class", "id"))


def _marked(page: Page, markers: frozenset[str]) -> Iterator[LexborNode]:
    """Elements whose class or id has a marker word (ad, ad-box, top_ads …).

    Substring selectors (evaluated in C) narrow the elements to look at; the word check
    confirms them.
    """
    selector = _marker_selector(frozenset(markers))
    if selector is None:
        return
    try:
        nodes = page.tree.css(selector)
    except Exception:  # a marker lexbor cannot put in a selector: look at every element
        nodes = page.tree.css("[class], [id]")
    for node in nodes:
        words = set(_TOKENS.split(f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}".lower()))
        if words & markers:
            yield node


def _outside_targets(node: LexborNode, base: str, ctx: Context, allowed: frozenset[str]) -> Iterator[str]:
    for el in [node, *node.css("a[href], iframe[src], area[href]")]:
        attr = "src" if el.tag == "iframe" else "href"
        value = el.attributes.get(attr)
        if not value:
            continue
        url = normalize_url(value, base)
        if url and outside_nongov(url, ctx, allowed):
            yield url


def _around(text: str, index: int, width: int = 80) -> str:
    return _short(text[max(0, index - width): index + width], 2 * width + 10)


# ------------------------------------------------------------------ suspicious-script

_JS_TYPES = {"", "text/javascript", "application/javascript", "module", "text/ecmascript",
             "application/ecmascript", "text/jscript", "application/x-javascript"}
_PACKED = re.compile(r"eval\s*\(\s*function\s*\(\s*p\s*,\s*a\s*,\s*c\s*,\s*k\s*,\s*e\s*,\s*[dr]\s*\)")
_ESCAPE_UNIT = r"(?:\\x[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|%u[0-9a-fA-F]{4}|%[0-9a-fA-F]{2})"
# written to start with a character class so the regex engine skips ahead quickly
_ESCAPES = re.compile(r"[\\%](?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[0-9a-fA-F]{2})" + _ESCAPE_UNIT + "{7,}")
_ONE_ESCAPE = re.compile(r"\\x([0-9a-fA-F]{2})|\\u([0-9a-fA-F]{4})|%u([0-9a-fA-F]{4})|%([0-9a-fA-F]{2})")
_CHARCODES = re.compile(r"fromCharCode\s*\(\s*((?:\d+\s*,\s*)*\d+)\s*\)")
_KEYWORDS = re.compile(r"document|write|iframe|location|eval|script|http|window|referrer|useragent|\.src|cookie",
                       re.I)
_WRITE = re.compile(r"document\s*\.\s*write(?:ln)?|innerHTML|insertAdjacentHTML")
_IFRAME_TAG = re.compile(r"<\s*iframe\b[^>]*>", re.I)
_HIDDEN_ATTR = re.compile(
    r"""(?:width|height)\s*=\s*["']?\s*[01](?:px)?\b|display\s*:\s*none|visibility\s*:\s*hidden|"""
    r"""(?:width|height)\s*:\s*[01](?:px)?\b""", re.I)
_CREATE_IFRAME = re.compile(r"""createElement\s*\(\s*["'](?:iframe|IFRAME)["']\s*\)""")
_REFERRER = re.compile(r"document\s*\.\s*referrer")   # JavaScript names are case-sensitive
_USER_AGENT = re.compile(r"navigator\s*\.\s*userAgent")
_SINK = re.compile(r"""location\s*(?:\.\s*href\s*)?=(?!=)|location\s*\.\s*(?:replace|assign)\s*\(""")
_REDIRECT_TARGET = re.compile(
    r"""(?:location(?:\s*\.\s*href)?\s*=(?!=)\s*|location\s*\.\s*(?:replace|assign)\s*\(\s*)"""
    r"""["']((?:https?:)?//[^"'\s]+)["']""", re.I)
_REFRESH = re.compile(r"url\s*=\s*['\"]?([^'\"\s;]+)", re.I)
SEARCH_ENGINES = ["baidu", "sogou", "so.com", "sm.cn", "soso", "google", "bing", "youdao", "yahoo", "haosou",
                  "360.cn", "toutiao"]
SPIDER_TOKENS = ["spider", "googlebot", "bingbot", "crawler", "slurp", "yisou", "bytespider"]


@rule(id="suspicious-script", title="可疑脚本/挂马", indicator="严重问题（挂马、插码，单项否决）",
      basis=_BASIS_SECURITY, scope="page", level="error",
      options={"min-escaped": 40, "min-char-codes": 20, "search-engines": SEARCH_ENGINES,
               "spider-tokens": SPIDER_TOKENS, "allowed-redirect-hosts": []})
def suspicious_script(page: Page, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: the page's inline scripts and meta refresh for packed code
    (``eval(function(p,a,c,k,e,d)…``), long escaped strings (\\x.. \\u.. %u..) or
    String.fromCharCode chains that decode to code, document.write of hidden (0×0, display:none)
    iframes, redirects conditional on document.referrer or navigator.userAgent matching search
    engines or spiders (快照劫持), and meta refresh or script redirects to outside non-government
    hosts. Escaped strings are decoded before looking for the iframe and redirect patterns.

    Why it matters: 挂马 and tampering are 单项否决 items; such scripts serve spam to search
    engines or send visitors to gambling sites.
    Failing example: if(/baidu|sogou/.test(document.referrer)) location.href="http://x.com/";
    document.write('<iframe src="http://x.com" width=0 height=0></iframe>').
    Passing example: a mobile-version switch on navigator.userAgent (iphone|android) to the
    site's own /m/; Baidu analytics reading document.referrer without redirecting.
    Options: min-escaped — escapes in a row that count as an obfuscated string (when the decoded
    text is mostly ASCII, i.e. code rather than escaped Chinese prose); min-char-codes — numbers
    in one fromCharCode call; search-engines — names tested against document.referrer;
    spider-tokens — crawler names tested against navigator.userAgent (mobile checks such as
    iphone|android are not); allowed-redirect-hosts — outside hosts redirects may go to.
    """
    allowed = suffix_set(options["allowed-redirect-hosts"])
    tests = [(_REFERRER, _any_of(options["search-engines"])), (_USER_AGENT, _any_of(options["spider-tokens"]))]
    found: dict[str, dict[str, Any]] = {}
    for script in page.select("script"):
        if script.attributes.get("src"):
            continue
        kind = (script.attributes.get("type") or "").strip().lower()
        if kind not in _JS_TYPES:
            continue  # Hanweb's <script type="text/xml"> data, JSON, templates
        code = script.text_lexbor() or ""  # = text(), cheaper
        if not code.strip():
            continue
        for key, evidence in _script_findings(code, options, tests, ctx, allowed):
            found.setdefault(key, evidence)
    refresh = page.meta.get("refresh")
    if refresh:
        m = _REFRESH.search(refresh)
        target = normalize_url(m.group(1), page.base_url) if m else None
        if target and outside_nongov(target, ctx, allowed):
            found.setdefault("meta-refresh", {"kind": "meta refresh跳转到外部非政府网站", "target": target,
                                              "snippet": refresh})
    for key, evidence in found.items():
        yield Hit(f"页面含可疑脚本：{evidence['kind']}", evidence=evidence, key=key)


def _any_of(tokens: Iterable[str]) -> re.Pattern | None:
    return _any_of_cached(tuple(tokens))


@lru_cache(maxsize=64)
def _any_of_cached(tokens: tuple[str, ...]) -> re.Pattern | None:
    tokens = tuple(t for t in tokens if t)
    return re.compile("|".join(re.escape(t) for t in tokens), re.I) if tokens else None


def _script_findings(code: str, options, tests, ctx: Context, allowed) -> Iterator[tuple[str, dict]]:
    decoded_parts: list[str] = []
    m = _PACKED.search(code)
    if m:
        yield "packed", {"kind": "加壳混淆代码（eval(function(p,a,c,k,e,d)）", "snippet": _around(code, m.start())}
    for m in _ESCAPES.finditer(code):
        run = m.group(0)
        count = len(_ONE_ESCAPE.findall(run))
        decoded = _unescape(run)
        decoded_parts.append(decoded)
        ascii_share = sum(c.isascii() for c in decoded) / max(1, len(decoded))
        if (count >= int(options["min-escaped"]) and ascii_share >= 0.8) or \
                (count >= 8 and _KEYWORDS.search(decoded) and ascii_share >= 0.8):
            yield "escaped", {"kind": "长串转义字符混淆", "escapes": count, "snippet": _short(run, 120),
                              "decoded": _short(decoded, 200)}
            break
    for m in _CHARCODES.finditer(code):
        numbers = [int(n) for n in re.findall(r"\d+", m.group(1))]
        decoded = "".join(chr(n) for n in numbers if 0 < n < 0x110000)
        decoded_parts.append(decoded)
        if len(numbers) >= int(options["min-char-codes"]) or (len(numbers) >= 8 and _KEYWORDS.search(decoded)):
            yield "fromcharcode", {"kind": "String.fromCharCode拼接混淆", "codes": len(numbers),
                                   "decoded": _short(decoded, 200)}
            break
    views = [code, *decoded_parts]
    for view in views:
        if _WRITE.search(view) or _CREATE_IFRAME.search(view):
            tag = next((t.group(0) for t in _IFRAME_TAG.finditer(view) if _HIDDEN_ATTR.search(t.group(0))), None)
            if tag is None and _CREATE_IFRAME.search(view) and _HIDDEN_ATTR.search(view):
                tag = _around(view, _CREATE_IFRAME.search(view).start())
            if tag:
                yield "hidden-iframe", {"kind": "脚本写入隐藏iframe", "snippet": _short(tag, 200)}
                break
    done = False
    for view in views:
        if done or not _SINK.search(view):
            continue
        for condition, tokens in tests:
            if tokens is None:
                continue
            for cond in condition.finditer(view):
                # the test and the jump sit together: a search-engine name and a location
                # assignment within a few hundred characters after the referrer / UA read
                after = view[cond.end():cond.end() + 400]
                if tokens.search(after) and _SINK.search(after):
                    yield "conditional-redirect", {"kind": "按来路/UA判断搜索引擎后跳转（快照劫持）",
                                                   "snippet": _around(view, cond.start(), 120)}
                    done = True
                    break
            if done:
                break
    for view in views:
        for m in _REDIRECT_TARGET.finditer(view):
            raw = m.group(1)
            target = normalize_url("http:" + raw if raw.startswith("//") else raw)
            if target and outside_nongov(target, ctx, allowed):
                yield "redirect", {"kind": "脚本跳转到外部非政府网站", "target": target,
                                   "snippet": _around(view, m.start())}
                return


def _unescape(run: str) -> str:
    def one(m: re.Match) -> str:
        hexa = next(g for g in m.groups() if g)
        try:
            return chr(int(hexa, 16))
        except ValueError:
            return ""
    return _ONE_ESCAPE.sub(one, run)
