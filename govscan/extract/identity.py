"""What the homepage shows, wherever it comes from: its own markup, HTML written by its inline
scripts, and same-site scripts, frames and includes it loads (footers often live there).

Each becomes a :class:`HomeSource` (text, links, meta) in ``SiteFacts.home_sources``; the
identity, channel and service rules search them with their own patterns, so every pattern
stays a rule option and the evidence can name the source of each mark.

The crawler hands the homepage over first, so the homepage's loads are known when its
scripts and frames arrive; a script is kept whatever the order (there are few of them).
"""

from __future__ import annotations

import re
import sys

from selectolax.lexbor import LexborHTMLParser

from govscan.extract import platforms
from govscan.extract.scripts import homepage_loads, inline_written_html, written_html
from govscan.extract.zh import to_simplified
from govscan.facts import HomeSource, SiteFacts
from govscan.page import Page, link_text
from govscan.urls import normalize

TEXT_CAP = 120_000        # characters of text kept per source (footers are at the end)
TEXT_HEAD = 20_000
LINK_CAP = 2_000          # links kept per source
SCRIPT_SOURCES_CAP = 100  # script sources kept per site
_WS = re.compile(r"\s+")
_LINKED = (("a", "href"), ("area", "href"), ("img", "src"), ("script", "src"), ("iframe", "src"),
           ("frame", "src"), ("embed", "src"), ("option", "value"))
_INVISIBLE = {"script", "style", "noscript", "template", "head", "title"}


def _cap(text: str) -> str:
    if len(text) <= TEXT_CAP:
        return text
    return text[:TEXT_HEAD] + " … " + text[-(TEXT_CAP - TEXT_HEAD):]


def _visible(tree: LexborHTMLParser) -> str:
    root = tree.body or tree.root
    if root is None:
        return ""
    parts = []
    for node in root.traverse(include_text=True):
        if node.tag != "-text":
            continue
        parent, hidden = node.parent, False
        while parent is not None:
            if parent.tag in _INVISIBLE:
                hidden = True
                break
            parent = parent.parent
        if not hidden:
            parts.append(node.text_content or "")
    return _WS.sub(" ", " ".join(parts)).strip()


def _attr_texts(tree: LexborHTMLParser) -> list[str]:
    """Image alt/title and link titles: badges such as 党政机关 and 公网安备 often are images."""
    out = []
    for node in tree.css("img, a[title], area[alt], input[type=image]"):
        for attr in ("alt", "title"):
            value = (node.attributes.get(attr) or "").strip()
            if value and value not in out:
                out.append(value)
    return out


def _links(tree: LexborHTMLParser, base: str) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for tag, attr in _LINKED:
        for node in tree.css(f"{tag}[{attr}]"):
            raw = node.attributes.get(attr) or ""
            if tag == "option" and not raw.lower().startswith(("http://", "https://", "//")):
                continue   # select-menus of portals: only absolute URLs are links
            url = normalize(raw, base)
            if not url:
                continue
            if tag in ("a", "area"):
                text = link_text(node)
            elif tag == "option":
                text = _WS.sub(" ", node.text()).strip()
            elif tag == "img":
                text = (node.attributes.get("alt") or node.attributes.get("title") or "").strip()
            else:
                text = ""
            if (url, text) in seen:
                continue
            seen.add((url, text))
            found.append((sys.intern(url), tag, text[:80]))
            if len(found) >= LINK_CAP:
                return found
    return found


def source_from_html(html: str, url: str, via: str, base: str) -> HomeSource:
    """A HomeSource of an HTML document or fragment (links resolved against ``base``)."""
    tree = LexborHTMLParser(html)
    extra = _attr_texts(tree)
    text = _visible(tree)
    if extra:
        text = f"{text} ｜ {' ｜ '.join(extra)}"
    meta: dict[str, str] = {}
    for node in tree.css("script[sitecode]"):   # the 国办 找错 (jiucuo) script declares the site code
        meta.setdefault("jiucuo-sitecode", (node.attributes.get("sitecode") or "").strip())
    return HomeSource(url=url, via=via, text=_cap(text), links=_links(tree, base), meta=meta)


def homepage_sources(page: Page) -> list[HomeSource]:
    """The homepage itself and the HTML its inline scripts write."""
    own = source_from_html(page.text, page.final_url, "homepage", page.base_url)
    meta = {k: v[:200] for k, v in page.meta.items()}
    meta.update(own.meta)
    own.meta.clear()
    own.meta.update(meta)
    out = [own]
    written = inline_written_html(page)
    if written.strip():
        inline = source_from_html(written, page.final_url, "inline-script", page.base_url)
        if inline.text or inline.links:
            out.append(inline)
    return out


def simplify(text: str) -> str:
    """Simplified Chinese (zh caches only short strings, so page texts are safe here)."""
    return to_simplified(text)


def _home_base(facts: SiteFacts) -> str:
    return facts.final_url or facts.site.url


def collect(page: Page, facts: SiteFacts) -> None:
    if page.status >= 400:
        return
    if platforms.is_script(page):
        if page.url in facts.home_sources or len(facts.home_sources) > SCRIPT_SOURCES_CAP:
            return
        html = written_html(page.text)
        if html.strip():
            # Written HTML lands in the including page: its relative links resolve there.
            facts.home_sources[page.url] = source_from_html(html, page.url, "script", _home_base(facts))
        return
    if page.is_homepage:
        for source in homepage_sources(page):
            key = page.final_url if source.via == "homepage" else f"{page.final_url}#{source.via}"
            facts.home_sources[key] = source
        facts.home_loads.update(homepage_loads(page))
        return
    via = facts.home_loads.get(page.url) or facts.home_loads.get(page.final_url)
    if via in ("frame", "include") and page.url not in facts.home_sources:
        facts.home_sources[page.url] = source_from_html(page.text, page.url, via, page.base_url)


def loaded_sources(facts: SiteFacts) -> list[HomeSource]:
    """The homepage's sources in a stable order: itself, inline scripts, then what it loads."""
    out = [s for s in facts.home_sources.values() if s.via in ("homepage", "inline-script")]
    for url in facts.home_loads:
        source = facts.home_sources.get(url)
        if source is not None and source not in out:
            out.append(source)
    return out
