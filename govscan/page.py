"""A fetched HTML page, parsed once, shared read-only by every check and extractor."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping, NamedTuple

from selectolax.lexbor import LexborHTMLParser, LexborNode

from govscan.urls import normalize

# (selector, attribute) pairs whose values are links the crawler checks.
LINK_SOURCES: tuple[tuple[str, str], ...] = (
    ("a", "href"), ("area", "href"), ("img", "src"), ("img", "srcset"), ("script", "src"),
    ("link", "href"), ("iframe", "src"), ("frame", "src"), ("source", "src"),
    ("source", "srcset"), ("embed", "src"), ("video", "src"), ("audio", "src"),
)
_LINK_SELECTOR = ", ".join(f"{tag}[{attr}]" for tag, attr in LINK_SOURCES)
_SOURCES_BY_TAG: dict[str, tuple[tuple[int, str], ...]] = {
    tag: tuple((i, a) for i, (t, a) in enumerate(LINK_SOURCES) if t == tag) for tag, _ in LINK_SOURCES}
_MULTI_SOURCE_TAGS = frozenset(tag for tag, sources in _SOURCES_BY_TAG.items() if len(sources) > 1)
assert LINK_SOURCES[0] == ("a", "href") and _SOURCES_BY_TAG["a"] == ((0, "href"),)  # Page.links' shortcut
# <link rel=...> values that are not resources to check.
_LINK_REL_SKIP = {"dns-prefetch", "preconnect", "canonical", "alternate", "search",
                  "pingback", "shortlink", "manifest", "prefetch", "preload"}
_INVISIBLE = {"script", "style", "noscript", "template", "head", "title"}
_STRIPPED = sorted(_INVISIBLE - {"head", "title"})
_WS = re.compile(r"\s+")


class PageLink(NamedTuple):
    """One link of a page. A named tuple rather than a frozen dataclass: pages have dozens of
    links and a tuple is built several times faster (same fields and repr, compared by value)."""

    url: str
    tag: str
    attr: str
    text: str = ""
    node_index: int = 0


@dataclass(frozen=True)
class Page:
    url: str
    final_url: str
    status: int
    text: str
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = "text/html"
    encoding: str = "utf-8"
    depth: int = 0
    redirects: tuple[str, ...] = ()
    is_homepage: bool = False

    @classmethod
    def from_html(cls, url: str, html: str, **kw) -> "Page":
        """Build a page from markup (tests, extractors of script-written content)."""
        return cls(url=url, final_url=kw.pop("final_url", url), status=kw.pop("status", 200),
                   text=html, **kw)

    @cached_property
    def markup(self) -> str:
        """The text to parse: cut where nesting gets absurd (lexbor's time grows with the
        square of the depth: 100,000 nested divs take seconds)."""
        return limit_nesting(self.text)

    @cached_property
    def tree(self) -> LexborHTMLParser:
        return LexborHTMLParser(self.markup)

    @cached_property
    def base_url(self) -> str:
        base = self.tree.css_first("base[href]")
        if base is not None:
            href = normalize(base.attributes.get("href") or "", self.final_url)
            if href:
                return href
        return self.final_url

    @cached_property
    def title(self) -> str:
        node = self.tree.css_first("title")
        return _WS.sub(" ", node.text()).strip() if node is not None else ""

    @cached_property
    def meta(self) -> Mapping[str, str]:
        """``<meta name|property|http-equiv=... content=...>``, keys lower-cased, first wins."""
        out: dict[str, str] = {}
        for node in self.tree.css("meta"):
            attrs = node.attributes
            key = attrs.get("name") or attrs.get("property") or attrs.get("http-equiv")
            if key and key.lower() not in out:
                out[key.strip().lower()] = (attrs.get("content") or "").strip()
        return out

    @cached_property
    def links(self) -> tuple[PageLink, ...]:
        """Every link of LINK_SOURCES: grouped by source in that order, document order within
        each. One pass over the tree (a query per source took 13)."""
        found: list[list[PageLink]] = [[] for _ in LINK_SOURCES]
        base = self.base_url
        seen: set[int] = set()
        resolved: dict[str, str | None] = {}  # raw value -> URL: navigation repeats links
        anchors = found[0]
        for node in self.tree.css(_LINK_SELECTOR):
            tag = node.tag
            if tag == "a":  # most links: one attribute (there: the selector says so), a text
                raw = node.attributes.get("href") or ""
                url = resolved.get(raw, "")
                if url == "":
                    url = resolved[raw] = normalize(raw, base)
                if url:
                    anchors.append(PageLink(url, "a", "href", link_text(node), 0))
                continue
            if tag in _MULTI_SOURCE_TAGS:  # matched once per selector it fits: count it once
                if node.mem_id in seen:
                    continue
                seen.add(node.mem_id)
            attrs = node.attributes
            for index, attr in _SOURCES_BY_TAG.get(tag, ()):
                raw = attrs.get(attr)
                if raw is None and attr not in attrs:
                    continue
                if tag == "link" and _skip_link_rel(node):
                    continue
                text = None
                for value in (_srcset_urls(raw or "") if attr == "srcset" else (raw or "",)):
                    url = resolved.get(value, "")
                    if url == "":
                        url = resolved[value] = normalize(value, base)
                    if url:
                        if text is None:
                            text = link_text(node) if tag == "a" or tag == "area" else ""
                        found[index].append(PageLink(url, tag, attr, text, index))
        return tuple(link for group in found for link in group)

    def select(self, selector: str) -> tuple[LexborNode, ...]:
        """``tree.css(selector)``, run once per page and selector: several checks read the same
        elements (inline scripts, images). The answer is shared: leave the nodes as they are."""
        found = self._selected.get(selector)
        if found is None:
            found = self._selected[selector] = tuple(self.tree.css(selector))
        return found

    @cached_property
    def _selected(self) -> dict[str, tuple[LexborNode, ...]]:
        return {}

    @cached_property
    def derived(self) -> dict[str, Any]:
        """Results of extractors' pure per-page computations (page kind, list items …), kept
        with the page so that every rule and collector reading them shares one computation."""
        return {}

    @cached_property
    def visible_text(self) -> str:
        """Body text without script/style content, whitespace folded.

        From a throw-away copy of the tree (lexbor's clone: half the cost of a second parse):
        stripping tags mutates a tree and ``tree`` is shared, while walking ancestors per text
        node is quadratic on deeply nested pages.
        """
        scratch = self.tree.clone()
        scratch.strip_tags(_STRIPPED)
        root = scratch.body or scratch.root
        if root is None:
            return ""
        return " ".join(root.text(separator=" ").split())  # = _WS.sub(" ", text).strip()


MAX_NESTING = 2000
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^<>]*?(/?)>")
# Void elements and those whose end tag may be omitted do not deepen the tree.
_FLAT = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                   "track", "wbr", "param", "keygen", "p", "li", "dt", "dd", "tr", "td", "th", "option",
                   "optgroup", "thead", "tbody", "tfoot", "colgroup", "rb", "rt", "rp", "html", "head", "body"})


def limit_nesting(text: str, max_depth: int = MAX_NESTING) -> str:
    if text.count("<", 0, 1_000_000) < max_depth:
        return text
    depth = 0
    for match in _TAG.finditer(text):
        close, name, self_closing = match.groups()
        name = name.lower()
        if self_closing or name in _FLAT:
            continue
        if close:
            depth = depth - 1 if depth else 0
        else:
            depth += 1
            if depth > max_depth:
                return text[: match.start()]
    return text


def link_text(node: LexborNode) -> str:
    """The text of a link (or its image's alt/title), interned: a site repeats its navigation
    and its article titles on thousands of pages, and link results keep them."""
    text = " ".join(node.text(deep=True).split())  # = _WS.sub(" ", ...).strip(), faster
    if not text:
        # the first <img> inside: a walk of the (small, textless) link is cheaper than a query
        img = next((d for d in node.traverse() if d.tag == "img"), None)
        if img is not None:
            text = (img.attributes.get("alt") or img.attributes.get("title") or "").strip()
    return sys.intern(text or (node.attributes.get("title") or "").strip())


def _skip_link_rel(node: LexborNode) -> bool:
    rel = {r.lower() for r in (node.attributes.get("rel") or "").split()}
    return bool(rel & _LINK_REL_SKIP)


def _srcset_urls(srcset: str) -> list[str]:
    return [c.strip().split()[0] for c in srcset.split(",") if c.strip()]
