"""The cheaper Page internals (cloned tree for the visible text, links resolved once per raw
value) must answer exactly what the straightforward versions answer."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

from govscan.page import LINK_SOURCES, Page, PageLink

TRICKY = [
    "<html><head><title>t</title><style>p{}</style></head><body><p>a <b>b</b></p><script>x()</script>"
    "<noscript><p>ns</p></noscript><template><p>tpl</p></template>c\u3000d\xa0e</body></html>",
    "<p>no html or body</p><style>s</style>",
    "<noscript><style>q</style>kept?</noscript><div>v<script>w</script>x</div>",
    "",
    "<frameset><frame src=a.html></frameset>",
    "<body>" + "<div>" * 300 + "deep" + "</div>" * 300 + "</body>",
]


def _visible_by_reparse(markup: str) -> str:
    scratch = LexborHTMLParser(markup)
    scratch.strip_tags(["script", "style", "noscript", "template"])
    root = scratch.body or scratch.root
    return re.sub(r"\s+", " ", root.text(separator=" ")).strip() if root is not None else ""


def test_visible_text_equals_a_second_parse():
    for html in TRICKY:
        page = Page.from_html("http://a.gov.cn/", html)
        assert page.visible_text == _visible_by_reparse(page.markup), html
    page = Page.from_html("http://a.gov.cn/", TRICKY[0])
    page.visible_text
    # the shared tree keeps what the visible text leaves out
    assert [n.text() for n in page.tree.css("script, style, noscript")] == ["p{}", "x()", "ns"]


def _links_by_query(page: Page) -> list[tuple[str, str, str]]:
    """Per source, the attribute values in document order (before normalisation)."""
    out = []
    for tag, attr in LINK_SOURCES:
        for node in page.tree.css(f"{tag}[{attr}]"):
            out.append((tag, attr, node.attributes.get(attr) or ""))
    return out


def test_links_resolve_each_value_once_and_keep_order_and_text():
    html = """<base href="http://b.gov.cn/d/">
    <a href="/x">X</a><a href="/x">again</a><a href="javascript:void(0)">js</a><a href="y.html"><img alt="Y"></a>
    <img src="i.png" srcset="s1.png 1x, /x 2x"><link rel="preconnect" href="//cdn.example.com/">
    <link rel=stylesheet href=s.css><area href="m.html" title="map"><source srcset="a.webp, b.webp">
    <A HREF="UP.HTML"> Up  per </A>"""
    page = Page.from_html("http://a.gov.cn/p/q.html", html)
    links = page.links
    assert all(isinstance(link, PageLink) for link in links)
    assert [(l.tag, l.attr, l.url, l.text) for l in links] == [
        ("a", "href", "http://b.gov.cn/x", "X"),
        ("a", "href", "http://b.gov.cn/x", "again"),
        ("a", "href", "http://b.gov.cn/d/y.html", "Y"),
        ("a", "href", "http://b.gov.cn/d/UP.HTML", "Up per"),
        ("area", "href", "http://b.gov.cn/d/m.html", "map"),
        ("img", "src", "http://b.gov.cn/d/i.png", ""),
        ("img", "srcset", "http://b.gov.cn/d/s1.png", ""),
        ("img", "srcset", "http://b.gov.cn/x", ""),
        ("link", "href", "http://b.gov.cn/d/s.css", ""),
        ("source", "srcset", "http://b.gov.cn/d/a.webp", ""),
        ("source", "srcset", "http://b.gov.cn/d/b.webp", ""),
    ]
    assert [l.node_index for l in links] == sorted(l.node_index for l in links)
    assert len(_links_by_query(page)) == 11  # every source value was looked at (js and preconnect dropped)


def test_page_link_is_a_plain_record():
    link = PageLink("http://a.gov.cn/", "a", "href", "t", 0)
    assert link == PageLink(url="http://a.gov.cn/", tag="a", attr="href", text="t")
    assert hash(link) == hash(PageLink("http://a.gov.cn/", "a", "href", "t"))
    assert repr(link) == "PageLink(url='http://a.gov.cn/', tag='a', attr='href', text='t', node_index=0)"
    assert link._replace(text="u").text == "u"


def test_derived_values_live_with_the_page():
    one, two = Page.from_html("http://a.gov.cn/", "<p>x</p>"), Page.from_html("http://a.gov.cn/", "<p>x</p>")
    one.derived["k"] = 1
    assert two.derived == {} and one.derived == {"k": 1}
