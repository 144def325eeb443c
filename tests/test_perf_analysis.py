"""The cheaper per-page analysis (one attribute query for the links, a one-scan normalisation,
byte automata, cached per-option values, the OpenCC shortcut) answers exactly what the plain
code answers."""

from __future__ import annotations

import datetime as dt
import os
import re
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import ahocorasick_rs
import opencc
import pytest

from govscan import text as T
from govscan.checks import review, security
from govscan.extract import columns, interaction, policy, scripts, zh
from govscan.page import LINK_SOURCES, Page, PageLink, _skip_link_rel, _srcset_urls, link_text
from govscan.urls import host_of, normalize as normalize_url

# ------------------------------------------------------------------ Page.links


def _links_one_selector_per_source(page: Page) -> tuple[PageLink, ...]:
    """Page.links as it was: a selector per (tag, attribute) source in one query."""
    found: list[list[PageLink]] = [[] for _ in LINK_SOURCES]
    by_tag: dict[str, list[tuple[int, str]]] = {}
    for i, (tag, attr) in enumerate(LINK_SOURCES):
        by_tag.setdefault(tag, []).append((i, attr))
    seen: set[int] = set()
    for node in page.tree.css(", ".join(f"{tag}[{attr}]" for tag, attr in LINK_SOURCES)):
        tag = node.tag
        if node.mem_id in seen:
            continue
        seen.add(node.mem_id)
        attrs = node.attributes
        for index, attr in by_tag[tag]:
            if tag == "a":
                raw = attrs.get("href") or ""
            else:
                raw = attrs.get(attr)
                if raw is None and attr not in attrs:
                    continue
            if tag == "link" and _skip_link_rel(node):
                continue
            for value in (_srcset_urls(raw or "") if attr == "srcset" else (raw or "",)):
                url = normalize_url(value, page.base_url)
                if url:
                    text = link_text(node) if tag in ("a", "area") else ""
                    found[index].append(PageLink(url, tag, attr, text, index))
    return tuple(link for group in found for link in group)


LINK_PAGES = [
    '<a href="/x" src="/s">both</a><a src="/only-src">no href</a><a href>empty</a><a>none</a>',
    '<img src="a.png" srcset="b.png 1x, c.png 2x"><img srcset="d.png"><img src><input type=image src="e.png">',
    '<base href="http://b.gov.cn/d/"><link rel=canonical href="/c"><link href="s.css"><script src="j.js"></script>',
    '<svg><a href="/svg-a">svg</a><a xlink:href="/xlink">x</a><image href="/img.svg"/></svg>',
    '<area href="m.html" title="map"><iframe src="f.html"></iframe><frame src="g.html"><embed src="e.swf">',
    '<video src="v.mp4"><source src="s.mp4" srcset="t.mp4"></video><audio src="a.mp3"></audio>',
    '<td href="/td">cell</td><div src="/div" srcset="/div2">div</div><A HREF="UP.HTML"> Up  per </A>',
    '<a href="javascript:void(0)">js</a><a href="mailto:x@y">m</a><a href="#top"></a><a href=" /sp ">sp</a>',
    '<a href="/i"><img alt="alt text"></a><a href="/t" title="tip"></a><a href="/n"><img></a>',
]


def test_links_equal_one_selector_per_source():
    for html in LINK_PAGES:
        page = Page.from_html("http://a.gov.cn/p/q.html", html)
        assert page.links == _links_one_selector_per_source(page), html
    rnd = random.Random(5)
    pieces = ['<a href="/a{}">t{}</a>', '<img src="/i{}.png" srcset="/s{}.png 1x">', '<a src="/x{}">{}</a>',
              '<link rel="preload" href="/p{}"><link href="/l{}.css">', '<script src="/j{}.js"></script>',
              '<div href="/d{}">{}</div>', '<area href="/m{}" alt="{}">', '<iframe src="/f{}"></iframe>',
              '<a href="/a{}" src="/b{}">{}</a>', '<source srcset="/x{}.webp, /y{}.webp">', '<p>{}</p>']
    for _ in range(300):
        html = "".join(rnd.choice(pieces).format(*[rnd.randint(0, 5)] * 3) for _ in range(rnd.randint(0, 12)))
        page = Page.from_html("http://a.gov.cn/p/q.html", html)
        assert page.links == _links_one_selector_per_source(page), html


def test_only_anchor_and_area_links_have_a_text():
    # spam-injection joins the texts of every link: the others must have none
    for html in LINK_PAGES:
        page = Page.from_html("http://a.gov.cn/", html)
        assert all(link.text == "" for link in page.links if link.tag not in ("a", "area"))


# ------------------------------------------------------------------ text.normalize and Matcher


def _normalize_plainly(text: str) -> str:
    if not text:
        return ""
    text = "".join(text.split())
    text = T._INVISIBLE_RE.sub("", text)
    text = text.lower()
    table, _ = T._fold()
    return text.translate(table)


def test_normalize_equals_the_plain_steps():
    assert not any(chr(c).isspace() for c in range(0x10000, sys.maxunicode + 1))  # _special's premise
    rnd = random.Random(3)
    alphabet = list("aB 中文臺灣體育彩票\u3000\t\n\r\x0b\x1c\u200b\u2060\xad\xa0\u2028ＡＢ１ｂ豈İKẞǅ") + [
        "\U00010400", "\U00020000", "x", "."]
    for _ in range(30_000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40)))
        assert T.normalize(text) == _normalize_plainly(text), repr(text)


def test_matcher_on_bytes_equals_the_str_automaton():
    rnd = random.Random(4)
    alphabet = "ab中文臺灣體育彩票x\U00020000"
    terms = ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 4))) for _ in range(80)]
    matcher = T.Matcher([(t, i) for i, t in enumerate(terms)])
    plain = ahocorasick_rs.AhoCorasick(matcher._terms, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest)
    for _ in range(5000):
        norm = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 50)))
        expected = [(s, e, matcher._terms[i]) for i, s, e in plain.find_matches_as_indexes(norm)] if norm else []
        found = [(m.start, m.end, m.term) for m in matcher.find(norm, longest=True)]
        assert found == expected, norm
        assert all(norm[s:e] == t for s, e, t in found)
    with pytest.raises(UnicodeEncodeError):
        list(matcher.find("a\ud800b", longest=True))


# ------------------------------------------------------------------ OpenCC shortcut


def test_to_simplified_equals_opencc():
    converter = opencc.OpenCC("t2s")
    rnd = random.Random(6)
    pieces = ["中华人民共和国", "政府", "办理", "指南", "說明", "臺灣", "回覆", "答覆", "深沈", "瞭解", "藉口", "英哩",
              "甦醒", "衹得", "土坏", "乾隆", "著作", "豈", "\U00020000", "😀", " ", "abc", "\n", "１２"]
    for _ in range(3000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 40)))
        assert zh.to_simplified(text) == converter.convert(text), text
    for piece in pieces:
        text = "政府信息公开" * 12 + piece + "政务" * 5
        assert zh.to_simplified(text) == converter.convert(text), piece
    with pytest.raises(UnicodeEncodeError):
        zh.to_simplified("政府信息公开" * 12 + "\ud800")


def _dictionary_entries() -> list[tuple[str, str]]:
    """Every (key, value) of the dictionaries OpenCC's t2s uses, dumped with the opencc_dict tool
    the opencc package ships; skips the test where the tool is missing or cannot run."""
    root = Path(opencc.__file__).parent / "clib"
    tool, share = root / "bin" / "opencc_dict", root / "share" / "opencc"
    if not tool.exists() or not share.is_dir():
        pytest.skip("no opencc_dict tool in the opencc package")
    env = dict(os.environ, LD_LIBRARY_PATH=str(root / "lib64") + os.pathsep + os.environ.get("LD_LIBRARY_PATH", ""))
    entries = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("TSPhrases", "TSCharacters", "TSCharactersExt", "CJK_Compatibility_Ideographs"):
            out = Path(tmp) / f"{name}.txt"
            done = subprocess.run([str(tool), "-i", str(share / f"{name}.ocd2"), "-o", str(out), "-f", "ocd2",
                                   "-t", "text"], check=False, env=env, capture_output=True)
            if done.returncode != 0 or not out.exists():
                pytest.skip(f"opencc_dict cannot dump {name}")
            for line in out.read_text("utf-8").splitlines():
                key, _, value = line.partition("\t")
                entries.append((key, value))
    return entries


def test_every_change_of_t2s_starts_at_a_character_the_shortcut_looks_for():
    may_change = zh._may_change()
    if opencc.__version__ != zh.T2S_CHECKED:
        assert may_change is None  # another dictionary: no shortcut until PHRASE_CHARS is checked
        return
    assert may_change is not None
    converter = opencc.OpenCC("t2s")
    entries = _dictionary_entries()
    assert len(entries) > 5000
    for key, _ in entries:
        if converter.convert(key) != key or len(key) == 1 and "\uf900" <= key <= "\ufaff":
            assert may_change.search(key), key


# ------------------------------------------------------------------ checks and extractors


def test_any_pattern_equals_any_substring():
    rnd = random.Random(7)
    for words in [(), ("",), ("地图",), ("地图", "区划图", "a.b", "x|y"), ("sitemap", "site-map", "wzdt")]:
        pattern = review._any_pattern(words)
        for _ in range(500):
            text = "".join(rnd.choice(["地", "图", "区划", "a", ".", "b", "x|y", "sitemap", "-", " "])
                           for _ in range(rnd.randint(0, 8)))
            assert bool(pattern is not None and pattern.search(text)) == any(w in text for w in words), (words, text)


def test_ad_labels_least_set_answers_as_all_labels():
    rnd = random.Random(9)
    for labels in [("广告", "商业广告", "推广链接", "赞助商链接"), ("",), ("ab", "b", "abc"), ("x",)]:
        _, _, least, _ = security._ad_words((), labels)
        for _ in range(300):
            text = "".join(rnd.choice(["广", "告", "商业", "推广链接", "ab", "c", "b", "x"]) for _ in range(6))
            assert any(w in text for w in least) == any(w in text for w in labels), (labels, text)


def test_origins_have_the_hosts_of_the_links():
    html = ('<a href="/x">x</a><a href="http://B.cn:81/y?q">y</a><img src="//c.com/i.png"><a href="https://d.gov.cn">d'
            '</a><iframe src="http://[::1]:8/e"></iframe><a href="http://f.cn/z"></a><link href="https://a/">')
    page = Page.from_html("http://a.gov.cn/p/q.html", html)
    for tags in (security._ALL_TAGS, security._TARGET_TAGS, security._HIDDEN_LINK_TAGS, frozenset({"img"})):
        origins = security._origins(page, tags)
        assert {host_of(o) for o in origins} == {host_of(link.url) for link in page.links if link.tag in tags}
        assert all(any(link.url.startswith(o + "/") for link in page.links) for o in origins)


def test_script_results_from_a_fresh_environment_are_the_plain_ones():
    sources = ['document.write("<a href=/x>x</a>")', 'var a = "<p>"; a += "q</p>"; document.write(a)',
               'var footer = "<a href=/f>f</a>";', 'el.innerHTML = footer', "x = 1; y = x == 2;", ""]
    for code in sources * 2:  # the second round from the cache
        env: dict[str, str] = {}
        html = scripts.written_html(code, env)
        assert scripts._written_fresh(code) == (html, tuple(env.items()))
    page = Page.from_html("http://a.gov.cn/", "".join(f"<script>{c}</script>" for c in sources))
    env = {}
    plain = "\n".join(h for h in (scripts.written_html(c, env) for c in sources) if h)
    assert scripts.inline_written_html(page) == plain


def test_content_links_from_cached_verdicts_are_the_plain_ones():
    html = "".join(f'<a href="/p{i}.html">{t}</a>' for i, t in enumerate(
        ["政策解读", "首页", "关于印发通知的通知", "x", "圖解", "  原文  ", "政策解读", "长" * 90 + "解读"]))
    html += '<a href="/t20240101_1.html">文章</a><a href="/i.html"><img alt=" 图解  说明 "></a>'
    for round_ in range(2):  # the second round from the caches
        page = Page.from_html("http://a.gov.cn/x/y.html", html)
        for hint in (policy._LINK_HINT, policy._PAIRING_TEXT):
            plain = []
            for link in page.links:
                text = " ".join(link.text.split())
                if policy._hinted(text, hint) or (hint is policy._LINK_HINT and policy.columns.is_article_url(link.url)):
                    plain.append((link.url, text[:80]))
            assert policy._content_links(page, hint) == tuple(plain), (round_, hint)


def test_select_answers_from_the_link_pass_as_the_tree_does():
    from govscan.page import EMBEDS, IMAGES
    extra = ['<object data="/o.swf" src="/s"></object><object>no data</object><embed src="/e"><embed>',
             '<svg><script src="/svg.js"></script><image href="/i.png"/></svg><img srcset="x 1x"><img src>',
             '<iframe src="/f"></iframe><iframe></iframe><script>inline()</script><div data="/d">d</div>']
    for html in LINK_PAGES + extra:
        for selector in (IMAGES, EMBEDS):
            page = Page.from_html("http://a.gov.cn/", html)
            if selector == EMBEDS:
                page.links  # either order
            assert [n.mem_id for n in page.select(selector)] == [n.mem_id for n in page.tree.css(selector)], html


def test_href_elsewhere_flags_every_href_links_do_not_hold():
    extra = ['<div href="http://x.com/">d</div>', '<link rel=canonical href="/c">', '<img src="/i" href="/h">',
             '<frame src="/f" href="/g">', '<iframe src="/f" href="/g"></iframe>', '<a href="/a">a</a>',
             '<link rel=stylesheet href="/s.css">', '<input src="/i" href="/x">', '<td>no href</td>']
    for html in LINK_PAGES + extra:
        page = Page.from_html("http://a.gov.cn/", html)
        stray = any("href" in node.attributes and (node.tag not in ("a", "area", "iframe", "link")
                                                   or node.tag == "link" and _skip_link_rel(node))
                    for node in page.tree.css("*"))
        assert page.href_elsewhere == stray, html


def test_text_lexbor_is_the_deep_text():
    html = ('<a href=1>a<b>b</b>&amp;<!--c-->d<script>e()</script><style>f</style><template>g</template>'
            '<svg><text>h</text><![CDATA[i]]></svg><img alt=j>\u3000k<br>l</a><a href=2></a><a href=3> <b> </b> </a>'
            '<a href=4><span>\ufffd\U0001F600</span>x\r\ny</a><a href=5><noscript>n</noscript><textarea>t</textarea></a>')
    page = Page.from_html("http://a.gov.cn/", html)
    nodes = page.tree.css("a, b, span, svg, script, style, textarea, noscript")
    assert len(nodes) > 6
    for node in nodes:
        assert node.text_lexbor() == node.text(deep=True)


def test_row_walks_answer_as_the_queries():
    from govscan.extract import columns
    rnd = random.Random(11)
    pieces = ['<a href="/a{}">title number {}</a>', '<a href="/b">ab</a>', '<span>{}</span>', '<div class="nav">',
              '<div class="sidebar">', '<div id="side-{}">', '</div>', '<aside>', '</aside>', '<li>', '</li>',
              '<svg><a xlink:href="/x">svg link text</a></svg>', '<a>no href {}</a>', '<a href>empty href</a>',
              '<header>', '</header>', '<div class="foot x{}">']
    for _ in range(400):
        html = "<body><div>" + "".join(rnd.choice(pieces).format(rnd.randint(0, 3), rnd.randint(0, 3))
                                       for _ in range(rnd.randint(1, 14))) + "</div></body>"
        page = Page.from_html("http://a.gov.cn/", html)
        for node in page.tree.css("body, div, li, aside, header, svg, span"):
            for href in ("/a1", "/b", "/x", ""):
                plain = any(columns._other_titled(a, href) for a in node.css("a[href]"))
                assert columns._holds_other_titled_link(node, href) == plain, html
            assert columns._is_chrome_or_side(node) == (columns._is_chrome(node) or columns._is_side(node)), html


def test_text_of_a_node_without_skipped_elements_is_lexbors():
    from govscan.extract import columns

    def plain(node):
        parts = [n.text_content or "" for n in node.traverse(include_text=True)
                 if n.tag == "-text" and (n.parent is None or n.parent.tag not in columns._SKIP_TEXT_TAGS)]
        return re.sub(r"\s+", " ", " ".join(parts)).strip()

    html = ('<ul><li><a href=/a> A <b>b</b>\u3000c </a><span>[03-01]</span><!-- x --></li><li><script>s()</script>'
            'x<style>y</style></li><li><select><option>o</option></select>z</li><li>\xa0 \n</li><li></li>'
            '<li><textarea>t</textarea><noscript>n</noscript>\ufffd</li></ul><p><template>t</template>p</p>')
    page = Page.from_html("http://a.gov.cn/", html)
    for node in page.tree.css("*"):
        assert columns._text(node) == plain(node), node.html



def test_message_sign_is_a_status_or_a_question_date_label():
    alphabet = list("已未待正在尚暂无没有回复答办理处结受反馈解转应公开审核中完成毕留言来信提问咨询时间日期 \u3000\tx") + ["\n"]
    rnd = random.Random(9)
    for _ in range(100_000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 10)))
        plain = bool(interaction.STATUS.search(text) or interaction._ASKED_LABEL.search(text))
        assert bool(interaction._MESSAGE_SIGN.search(text)) == plain, text
        assert interaction.has_status(text) == bool(interaction.STATUS.search(text)), text


def _map_images_plainly(page: Page, options) -> set[tuple[str, str]]:
    """The (url, reason) of each map image as map-review-number picked them before: the exclusion
    words tested on every image, before its reason."""
    words, texts = review._word_pattern(tuple(options["map-words"])), review._any_pattern(tuple(options["map-text"]))
    excluded = review._any_pattern(tuple(w.lower() for w in options["exclude-words"]))
    out = set()
    for img in page.select(review.IMAGES):
        attrs = img.attributes
        src = attrs.get("src") or ""
        if not src or review._too_small(attrs, int(options["min-size"])):
            continue
        name = review._file_name(src)
        alt = " ".join(filter(None, (attrs.get("alt"), attrs.get("title")))).strip()
        caption = review._caption(img)
        if excluded is not None and excluded.search(f"{name} {alt} {caption}".lower()):
            continue
        reason = None
        if (words and words.search(name)) or (texts is not None and texts.search(name)):
            reason = "文件名"
        elif texts is not None and texts.search(alt):
            reason = "替代文字"
        elif texts is not None and texts.search(caption):
            reason = "图片说明"
        url = normalize_url(src, page.base_url) if reason else None
        if url:
            out.add((url, reason))
    return out


def test_map_images_with_the_exclusion_tested_last_are_the_plain_ones():
    from govscan.model import Context, SiteInfo
    from govscan.rules import registry

    rule = registry()["map-review-number"]
    site = SiteInfo(id="s", name="s", url="http://www.s.gov.cn/", host="www.s.gov.cn")
    ctx = Context(site=site, as_of=dt.date(2026, 1, 1))
    images = ['<img src="/i/ditu.jpg">', '<img src="/i/ditu.jpg" alt="网站地图">', '<img src="/i/sitemap.png">',
              '<img src="/i/a.png" alt="区划图">', '<img src="/i/b.png">', '<img src="/i/map-icon.png" width="20">',
              '<img src="/i/c%E5%9C%B0%E5%9B%BE.png">', '<img src="">', '<img src="/i/WZDT.gif" title="地图">']
    around = ["<p>{}</p><p>行政区划地图</p>", "<p>{}</p><p>网站地图</p>", "<figure>{}<figcaption>地形图</figcaption></figure>",
              "<div><a href='/x'>{}</a></div><div>旅游图 网站地图</div>", "<p>{}</p>", "<td>{}<br>交通图</td>"]
    options = {**rule.options}
    rnd = random.Random(11)
    for _ in range(300):
        body = "".join(rnd.choice(around).format(rnd.choice(images)) for _ in range(rnd.randint(1, 4)))
        page = Page.from_html("http://www.s.gov.cn/a/t1.html", f"<html><body>{body}</body></html>")
        found = {(h.evidence["url"], h.evidence["reason"]) for h in rule.check(page, options, ctx)}
        assert found == _map_images_plainly(page, options), body


def test_column_key_of_a_url_without_query_is_the_plain_one():
    plain = columns.column_key.__wrapped__
    for url in ["http://a.gov.cn/x/index_3.html", "http://A.gov.cn/x/?", "http://a.gov.cn/x/list.jsp?pageNum=2&id=5",
                "http://a.gov.cn/x/index.html#top", "http://a.gov.cn", "http://a.gov.cn/x/?page=1", "//a.gov.cn/y/"]:
        parts = columns.urlsplit(url)
        query = columns.urlencode([(k, v) for k, v in columns.parse_qsl(parts.query, keep_blank_values=True)
                                   if k.lower() not in columns._PAGE_PARAMS])
        path = columns._LIST_FILE.sub("/", parts.path)
        assert plain(url) == columns.urlunsplit((parts.scheme, parts.netloc.lower(), path or "/", query, "")), url
