"""Shortcuts taken for speed in extractors and checks answer exactly what the plain code answers."""

from __future__ import annotations

import random

from govscan import extract
from govscan.checks import security
from govscan.extract import columns, interaction, platforms, scripts
from govscan.extract.dates import _item_date, find_item_date
from govscan.page import Page


def test_has_status_equals_the_status_pattern():
    alphabet = list("已未待正在尚暂无没有回复答办理处结受反馈解转应公开审核中完成毕 \u3000\txy") + ["\n"]
    rnd = random.Random(8)
    for _ in range(100_000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 10)))
        assert interaction.has_status(text) == bool(interaction.STATUS.search(text)), text


def test_hint_count_equals_counting_each_hint():
    words = list(interaction.GUIDE_HINTS) + ["办理", "时间", "材料", "x"]
    rnd = random.Random(8)
    for _ in range(20_000):
        text = "".join(rnd.choice(words) for _ in range(rnd.randint(0, 8)))
        assert interaction._hint_count(text) == sum(1 for h in interaction.GUIDE_HINTS if h in text)


def test_contains_any_equals_substring_tests():
    words = security.suffix_set(["pos.baidu.com", "tanx.com", "ads.x.cn"])
    for text in ["", "pos.baidu.co", "xx.tanx.comyy", "<script src=//pos.baidu.com/s>", "ads.x.c n", "tanx"]:
        assert security._contains_any(text, words) == any(w in text for w in words)
    assert security._contains_any("anything", frozenset({""})) and not security._contains_any("x", frozenset())


def test_contains_any_lowered_equals_lower_casing_the_text():
    words = security.suffix_set(security.AD_HOSTS + ["k1", "ab"])
    pieces = ["pos.baidu.com", "POS.BAIDU.COM", "Pos", ".baidu", ".com", "\u0130", "\u212a", "K", "k1", "AB",
              "中文", "ß", "\ud800", "ǅ", "ẞ", " ", "tanx", ".COM", "A", "b"]
    rnd = random.Random(8)
    for _ in range(50_000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 6)))
        assert security._contains_any_lowered(text, words) == any(w in text.lower() for w in words), text
    idn = frozenset({"广告.cn"})
    assert security._contains_any_lowered("x.广告.CN", idn) and not security._contains_any_lowered("广告", idn)


def test_rendered_links_skips_only_fragments_without_link_elements():
    for fragment, expected in [
        ('<span id="_ideConac"></span>', []),
        ("plain text <b>bold</b> a < b", []),
        ('<A\nHREF="/up.html">up</A>', ["http://a.gov.cn/up.html"]),
        ('<image src="/i.png">', ["http://a.gov.cn/i.png"]),  # the parser reads <image> as <img>
        ('<iframe src="/f.html"></iframe>', ["http://a.gov.cn/f.html"]),
        ('<a/href="/s.html">s</a>', ["http://a.gov.cn/s.html"]),
    ]:
        page = Page.from_html("http://a.gov.cn/x/p.html", f"<script>document.write('{fragment}');</script>".replace("\n", "\\n"))
        assert [link.url for link in extract.rendered_links(page)] == expected, fragment
        direct = Page.from_html(page.url, fragment, final_url=page.base_url).links
        assert [link.url for link in direct] == expected, fragment


def test_link_tag_test_never_misses_a_link_element():
    rnd = random.Random(8)
    pieces = ["<", ">", "/", " ", "\n", "a", "A", "img", "image", "href=x", "src=y", "link", "area", "=", '"', "b",
              "<!--", "-->", "script", "<![CDATA[", "]]>", "\t", "\x00"]
    for _ in range(20_000):
        fragment = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 12)))
        if not extract._LINK_TAG.search(fragment):
            assert Page.from_html("http://a.gov.cn/", fragment).links == (), fragment


def test_tokens_are_cached_and_shared_safely():
    src = "var s = '<p>' + 'x' + '</p>'; document.write(s); document.write('<a href=\"/a\">a</a>');"
    first = scripts.written_html(src)
    assert scripts._scan(src) is scripts._scan(src)
    toks, closes = scripts._scan("f(a[1], {b: (2)}); ) g(")
    assert {i: closes[i] for i, t in enumerate(toks) if t.value in "([{"} == {1: 14, 3: 5, 7: 13, 10: 12, 18: 18}
    assert scripts.written_html(src) == first == '<p>x</p>\n<a href="/a">a</a>'
    big = "document.write('<b>" + "y" * 5000 + "</b>');"
    assert scripts.written_html(big) == "<b>" + "y" * 5000 + "</b>"


def test_item_date_cache_answers_as_the_computation():
    for text in ["2024-03-01", " [03-01] ", "2024年3月1日", "x", "", "2024-02-30", "19年10月08日", "a" * 100]:
        assert find_item_date(text) == _item_date(text)


def test_cached_name_and_title_helpers():
    assert columns.clean_name(" 通知  公告 更多>> ") == "通知公告"
    assert columns.clean_name("") == columns.clean_name(None) == ""
    long = "长" * 300 + " 更多"
    assert columns.clean_name(long) == "长" * 300
    page = Page.from_html("http://a.gov.cn/", '<a href="/a" title="标题：关于开展工作的通知\r点击：3">关于开展…</a>')
    assert columns._titled(page.tree.css_first("a")) == "关于开展工作的通知"


def test_in_skipped_answers_as_in_region():
    html = ('<body><div class="header"><ul><li><a href="/1">1</a></li><li><a href="/2">2</a></li></ul></div>'
            '<div class="main"><ul><li><a href="/3">3</a></li></ul><div class="side"><a href="/4">4</a></div></div>'
            '<a href="/5">5</a></body>')
    page = Page.from_html("http://a.gov.cn/", html)
    test = lambda n: columns._is_chrome(n) or columns._is_side(n)  # noqa: E731
    known: dict[int, bool] = {}
    for a in page.tree.css("a"):
        expected = columns._in_region(a, test) is not None
        assert columns._in_skipped(a, test, known) == expected
        assert columns._in_skipped(a, test, known) == expected  # answered from memory


def test_count_page_needs_its_words():
    assert platforms._count_page("var countPage = 5;").group(1) == "5"
    assert platforms._count_page("var count = 5; createPageHTML") is None
    for text in ["pageCount=3", "totalPage = 12 ", "page_count=4", "xcountPage=3"]:
        assert bool(platforms._count_page(text)) == bool(platforms._COUNT_PAGE.search(text))


def test_url_key_and_shape_tests_are_pure():
    url = "http://A.gov.cn/Path/t20240301_1.html?x=1#f"
    assert security._url_key(url) == security._url_key.__wrapped__(url) == "a.gov.cn/path/t20240301_1.html"
    assert columns.is_article_url(url) is columns.is_article_url.__wrapped__(url) is True
    assert columns.is_list_url("http://a.gov.cn/x/") and not columns.is_list_url("http://a.gov.cn/")


def test_tag_cluster_reads_the_same_elements_as_a_selector_per_tag():
    ids = "".join(f'<{t} id="q{i}x7"></{t}>' for i, t in enumerate(["strike", "b", "font", "em", "u", "span"]))
    html = f'<div id="main"><p id="ab12">text</p>{ids}<svg><a id="zz99"></a></svg><DIV id="ab34"></DIV></div>'
    page = Page.from_html("http://a.gov.cn/", html)
    per_tag = ", ".join(f"{t}[id]" for t in sorted(security._INLINE_TAGS))
    expected = [n.mem_id for n in page.tree.css(per_tag) if security._empty_random(n)]
    assert [n.mem_id for n in page.tree.css("[id]") if security._empty_random(n)] == expected
    cluster = security._tag_cluster(page, 5)
    assert cluster is not None and cluster["count"] == 6 and cluster["ids"][0] == "q0x7"
