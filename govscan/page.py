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
# What Page.links asks lexbor for: every element with one of the attributes, the tag checked in
# Python. Lexbor tries each selector of a list on every element: attribute tests cost a third of
# the thirteen tag[attribute] ones, and the few other elements they bring (input[src],
# base[href] ...) are dropped by the tag test. [data] brings <object data>, for EMBEDS.
_LINK_ATTR_SELECTOR = ", ".join(f"[{attr}]" for attr in dict.fromkeys(attr for _, attr in LINK_SOURCES)) + ", [data]"
# Selectors Page.select answers from the same pass (checks read them on every page).
IMAGES = "img[src]"
EMBEDS = "iframe[src], embed[src], object[data], script[src]"
_EMBED_ATTR = {"iframe": "src", "embed": "src", "object": "data", "script": "src"}
_SOURCES_BY_TAG: dict[str, tuple[tuple[int, str], ...]] = {
    tag: tuple((i, a) for i, (t, a) in enumerate(LINK_SOURCES) if t == tag) for tag, _ in LINK_SOURCES}
assert LINK_SOURCES[0] == ("a", "href") and _SOURCES_BY_TAG["a"] == ((0, "href"),)  # Page.links' shortcut
# Tags whose target Page.links holds whenever an element has one: the href of a, area and link
# (a link's unless its rel is one of _LINK_REL_SKIP: href_elsewhere then), an iframe's src.
_HREF_TAGS = frozenset({"a", "area", "iframe", "link"})
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


# PageLink(url, tag, attr, text, index) without the named tuple's Python-level __new__ (half
# the cost of building one): _new_link(PageLink, (url, tag, attr, text, index)).
_new_link = tuple.__new__


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
        return _WS.sub(" ", node.text_lexbor()).strip() if node is not None else ""  # = text()

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
        each; the text of a and area links only. One pass over the tree (a query per source
        took 13)."""
        return self._link_scan[0]

    @cached_property
    def href_elsewhere(self) -> bool:
        """Whether an element other than a, area and iframe has an href that ``links`` does not
        hold (a ``<div href>``, ``<link rel=canonical>``): checks that follow the href of any
        element can then not rely on ``links`` alone."""
        return self._link_scan[1]

    @cached_property
    def _link_scan(self) -> tuple[tuple[PageLink, ...], bool]:
        found: list[list[PageLink]] = [[] for _ in LINK_SOURCES]
        base = self.base_url
        seen: set[int] = set()
        resolved: dict[str, str | None] = {}  # raw value -> URL: navigation repeats links
        anchors = found[0]
        sources = _SOURCES_BY_TAG
        elsewhere = False
        images: list[LexborNode] = []
        embeds: list[LexborNode] = []
        for node in self.tree.css(_LINK_ATTR_SELECTOR):
            # an element is matched once per selector it fits (<img src srcset>): count it once
            mem_id = node.mem_id
            if mem_id in seen:
                continue
            seen.add(mem_id)
            tag = node.tag
            if tag not in sources:
                if tag == "object" or not elsewhere:
                    attrs = node.attributes
                    elsewhere = elsewhere or "href" in attrs
                    if tag == "object" and "data" in attrs:
                        embeds.append(node)
                continue
            attrs = node.attributes
            if tag == "a":  # most links: one attribute, a text
                raw = attrs.get("href")
                if raw is None and "href" not in attrs:
                    continue
                raw = raw or ""
                url = resolved.get(raw, "")
                if url == "":
                    url = resolved[raw] = normalize(raw, base)
                if url:
                    anchors.append(_new_link(PageLink, (url, "a", "href", link_text(node), 0)))
                continue
            if tag not in _HREF_TAGS and "href" in attrs:
                elsewhere = True  # <img href>, <frame href> ...
            if tag == "img":
                if "src" in attrs:
                    images.append(node)
            elif tag in _EMBED_ATTR and "src" in attrs:
                embeds.append(node)
            for index, attr in sources[tag]:
                raw = attrs.get(attr)
                if raw is None and attr not in attrs:
                    continue
                if tag == "link" and _skip_link_rel(node):
                    elsewhere = True
                    continue
                text = None
                for value in (_srcset_urls(raw or "") if attr == "srcset" else (raw or "",)):
                    url = resolved.get(value, "")
                    if url == "":
                        url = resolved[value] = normalize(value, base)
                    if url:
                        if text is None:
                            text = link_text(node) if tag == "area" else ""
                        found[index].append(_new_link(PageLink, (url, tag, attr, text, index)))
        self._selected.setdefault(IMAGES, tuple(images))
        self._selected.setdefault(EMBEDS, tuple(embeds))
        return tuple(link for group in found for link in group), elsewhere

    def select(self, selector: str) -> tuple[LexborNode, ...]:
        """``tree.css(selector)``, run once per page and selector: several checks read the same
        elements (inline scripts, images). The answer is shared: leave the nodes as they are.
        IMAGES and EMBEDS come from the pass that finds the links."""
        found = self._selected.get(selector)
        if found is None:
            if selector == IMAGES or selector == EMBEDS:
                self._link_scan
                return self._selected[selector]
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
    # text_lexbor: the text of every text node below, as text(deep=True) joins it (lexbor's
    # own walk: a third cheaper); " ".join(split()) = _WS.sub(" ", ...).strip(), faster
    text = " ".join(node.text_lexbor().split())
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
