"""Footer identity rules and the script-written HTML they depend on (inline markup only)."""

from __future__ import annotations

import datetime as dt

import pytest

from govscan import extract
from govscan.extract.scripts import homepage_loads, script_links, written_html
from govscan.facts import SiteFacts
from govscan.model import SiteInfo
from govscan.page import Page
from govscan.rules import registry

import rulecheck

HOME = "http://www.qingshan.gov.cn/"
AS_OF = dt.date(2025, 6, 1)
IDENTITY = ("missing-site-code", "missing-icp", "missing-psb-filing", "missing-conac-mark", "missing-sponsor")


def site(**kw) -> SiteInfo:
    base = dict(id="qingshan", name="青山市人民政府", url=HOME, host="www.qingshan.gov.cn", kind="portal",
                parent="http://www.zj.gov.cn/")
    base.update(kw)
    return SiteInfo(**base)


def facts_of(pages: list[Page], info: SiteInfo | None = None) -> SiteFacts:
    return rulecheck.facts_of(pages, info or site(), final_url=HOME)


def run(rule_id: str, facts: SiteFacts, **options) -> list:
    return rulecheck.check_site(rule_id, facts, AS_OF, **options)


def failing(facts: SiteFacts) -> set[str]:
    return {rule_id for rule_id in (*IDENTITY, "missing-parent-link") if run(rule_id, facts)}


def home(body: str, head: str = "") -> Page:
    html = f"<html><head><meta charset='utf-8'><title>青山市人民政府</title>{head}</head><body>{body}</body></html>"
    return Page.from_html(HOME, html, is_homepage=True)


def js(url: str, source: str) -> Page:
    return Page.from_html(url, source, content_type="application/javascript")


NAV = """<div class="nav"><a href="/xxgk/">信息公开</a><a href="/hdjl/szxx/">市长信箱</a>
<a href="http://www.zj.gov.cn/">浙江省人民政府</a></div>"""

# A TRS-style footer written in the page itself.
TRS_FOOTER = """<div class="footer"><p>主办单位：青山市人民政府办公室　联系电话：0571-88881234</p>
<p>网站标识码：3301000001　<a href="https://beian.miit.gov.cn/">浙ICP备05012345号-1</a>
<a href="http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=33010202000123">
<img src="/images/ga.png" alt="">浙公网安备 33010202000123号</a></p>
<span id="_ideConac"><a href="https://bszs.conac.cn/sitename?method=show&id=AB12" target="_blank">
<img id="imgConac" src="/images/red.png"></a></span></div>"""

# A Hanweb-style footer script: concatenations, both quote styles, escapes.
FOOT_JS = r"""
/* footer of www.qingshan.gov.cn -- do not edit */
document.write('<div class="foot"><p>主办单位：青山市人民政府办公室 地址：青山市人民大道1号</p>');
document.write("<p>网站标识码：3301000001 <a href=\"https://beian.miit.gov.cn/\" target=\"_blank\">浙ICP备" + "05012345号</a></p>");
document.writeln('<p><img src=\'/images/ga.png\'>\u6d59\u516c\u7f51\u5b89\u5907 33010202000123\u53f7</p>');
document.write(unescape("%3Cspan id='_ideConac'%3E%3C/span%3E%3Cscript src='https://dcs.conac.cn/js/33/000/0000/1.js'%3E%3C/script%3E"));
document.write('</div>');
"""

SCRIPT_HOME_BODY = NAV + '<div id="main">新闻</div><script src="/script/0/foot.js"></script>' \
    + '<script src="/js/jquery-1.12.4.min.js"></script>'


# ------------------------------------------------------------------ acceptance

def test_footer_written_by_same_site_script_passes_every_identity_rule():
    page = home(SCRIPT_HOME_BODY)
    assert "http://www.qingshan.gov.cn/script/0/foot.js" in extract.extra_links(page)
    facts = facts_of([page, js("http://www.qingshan.gov.cn/script/0/foot.js", FOOT_JS)])
    assert failing(facts) == set()
    sources = {s.via for s in facts.home_sources.values()}
    assert "script" in sources


def test_same_homepage_without_its_footer_script_fails_all_five():
    page = home(SCRIPT_HOME_BODY.replace('<script src="/script/0/foot.js"></script>', ""))
    facts = facts_of([page])
    assert failing(facts) == set(IDENTITY)
    hit = run("missing-site-code", facts)[0]
    assert hit.url == HOME
    assert hit.evidence["searched"][0]["via"] == "homepage"


def test_script_fetched_but_not_loaded_by_homepage_does_not_count():
    page = home(NAV)
    facts = facts_of([page, js("http://www.qingshan.gov.cn/script/0/foot.js", FOOT_JS)])
    assert failing(facts) == set(IDENTITY)


def test_script_arriving_before_homepage_still_counts():
    facts = facts_of([js("http://www.qingshan.gov.cn/script/0/foot.js", FOOT_JS), home(SCRIPT_HOME_BODY)])
    assert failing(facts) == set()


# ------------------------------------------------------------------ platforms

def test_trs_footer_in_page_passes():
    assert failing(facts_of([home(NAV + TRS_FOOTER)])) == set()


def test_ucap_footer_assigned_to_innerhtml_from_a_variable_in_a_script_file():
    source = """
    var footStr = '<div class="ft">'+
      '<div class="p2"><span>主办单位：青山市人民政府办公室</span></div>'+
      '<div class="p4">网站标识码3301000001 <a href="https://beian.miit.gov.cn">浙ICP备 05012345号</a>'+
      ' <a href="http://www.beian.gov.cn/">浙公网安备 33010202000123号</a></div>'+
      '<a href="http://bszs.conac.cn/sitename?method=show&id=0B69"><img src="/images/dzjg.png" alt=""></a>'+
      '<p>联系我们：0571-12345</p></div>';
    document.getElementById('footer').innerHTML = footStr;
    """
    page = home(NAV + '<div id="footer"></div><script type="text/javascript" src="/js/footer.js"></script>')
    facts = facts_of([page, js("http://www.qingshan.gov.cn/js/footer.js", source)])
    assert failing(facts) == set()


def test_footer_in_a_same_site_iframe_passes():
    page = home(NAV + '<iframe src="/include/foot.html" frameborder="0"></iframe>')
    frame = Page.from_html("http://www.qingshan.gov.cn/include/foot.html", f"<html><body>{TRS_FOOTER}</body></html>")
    facts = facts_of([page, frame])
    assert failing(facts) == set()
    assert facts.home_loads["http://www.qingshan.gov.cn/include/foot.html"] == "frame"


def test_footer_included_with_jquery_load():
    page = home(NAV + '<div id="ft"></div><script>$("#ft").load("/include/foot.html");</script>')
    assert "http://www.qingshan.gov.cn/include/foot.html" in extract.extra_links(page)
    frame = Page.from_html("http://www.qingshan.gov.cn/include/foot.html", TRS_FOOTER)
    assert failing(facts_of([page, frame])) == set()


def test_conac_badge_written_by_inline_document_write_counts():
    footer = TRS_FOOTER.replace(
        '<span id="_ideConac"><a href="https://bszs.conac.cn/sitename?method=show&id=AB12" target="_blank">\n'
        '<img id="imgConac" src="/images/red.png"></a></span>',
        """<script type="text/javascript">document.write(unescape("%3Cspan id='_ideConac' %3E%3C/span%3E"""
        """%3Cscript src='http://dcs.conac.cn/js/05/107/0000/41468768/CA0510.js' type='text/javascript'%3E%3C/script%3E"));</script>""")
    assert "bszs.conac.cn" not in footer
    assert not run("missing-conac-mark", facts_of([home(NAV + footer)]))


# ------------------------------------------------------------------ one rule at a time

def test_each_mark_missing_alone_fails_only_its_rule():
    cases = {
        "missing-site-code": ("网站标识码：3301000001", ""),
        "missing-icp": ("浙ICP备05012345号-1", ""),
        "missing-psb-filing": ("浙公网安备 33010202000123号", ""),
        "missing-conac-mark": ("https://bszs.conac.cn/sitename?method=show&id=AB12", "https://example.com/"),
        "missing-sponsor": ("主办单位：青山市人民政府办公室", "版权所有：青山市"),
    }
    for rule_id, (old, new) in cases.items():
        facts = facts_of([home(NAV + TRS_FOOTER.replace(old, new))])
        assert failing(facts) == {rule_id}, rule_id


@pytest.mark.parametrize("footer", [
    "网站标识码bm05000001",                          # 国务院部门: bm + 8 digits
    "政府网站标识码：1101150005",
    "网站标识码：<span>bm14000002</span>",
    "網站標識碼：3301000001",                          # traditional
])
def test_site_code_forms(footer):
    assert not run("missing-site-code", facts_of([home(footer)]))


@pytest.mark.parametrize("footer", ["网站标识码：330100001", "网站标识码：33010000012", "网站编号 3301000001"])
def test_site_code_malformed_or_unlabelled_fails(footer):
    assert run("missing-site-code", facts_of([home(footer)]))


def test_site_code_from_meta_and_invalid_meta():
    ok = home("<p>footer</p>", head='<meta name="SiteIDCode" content="3301000001">')
    assert not run("missing-site-code", facts_of([ok]))
    bad = home('<p>footer</p><script id="_jiucuo_" sitecode="3301000001" src="/js/jiucuo.js"></script>',
               head='<meta name="SiteIDCode" content="33010">')
    hit = run("missing-site-code", facts_of([bad]))[0]
    assert hit.evidence["invalid_meta"] == {"SiteIDCode": "33010"}
    assert hit.evidence["jiucuo_sitecode"] == "3301000001"


@pytest.mark.parametrize("footer", [
    "京ICP备05070218号", "蜀ICP备 13001288号", "粤ICP备2022092331号-1",
    "京<span>ICP</span>备<span>19054529</span>号<span>-1</span>",
])
def test_icp_forms(footer):
    assert not run("missing-icp", facts_of([home(f"<p>{footer}</p>")]))


@pytest.mark.parametrize("footer", ["ICP备05070218号", "京ICP证05070218号", "备案号：浙ICP备"])
def test_icp_incomplete_fails(footer):
    assert run("missing-icp", facts_of([home(f"<p>{footer}</p>")]))


def test_psb_filing_in_image_alt_and_text_forms():
    img = '<a href="http://www.beian.gov.cn/"><img src="/ga.png" alt="粤公网安备 44010402001160号"></a>'
    assert not run("missing-psb-filing", facts_of([home(img)]))
    assert not run("missing-psb-filing", facts_of([home("京公网安备<span>11010602060068</span>号")]))
    assert run("missing-psb-filing", facts_of([home("京公网安备1101060206号")]))     # 10 digits


def test_conac_by_badge_image_alt_and_by_link_text():
    assert not run("missing-conac-mark", facts_of([home('<a href="/dzjg.html"><img src="red.png" alt="党政机关"></a>')]))
    assert not run("missing-conac-mark", facts_of([home('<img src="/images/red.png" title="党政机关">')]))
    # prose that mentions 党政机关 in a long link text is not a badge
    assert run("missing-conac-mark", facts_of([home('<a href="/a.html">全市党政机关开展网络安全专项检查工作部署会议</a>')]))


@pytest.mark.parametrize("footer", [
    "主办单位：青山市人民政府办公室 电话：0571-88881234",
    "主办：青山市人民政府办公厅 地址：青山市人民大道1号",
    "<span>青山市人民政府办公室主办</span> <span>联系电话：(0571)88881234</span>",
    "主辦單位：青山市人民政府辦公室 聯繫電話：0571-88881234",
])
def test_sponsor_and_contact_forms(footer):
    assert not run("missing-sponsor", facts_of([home(footer)]))


def test_sponsor_without_contact_names_what_is_missing():
    facts = facts_of([home("<p>主办单位：青山市人民政府办公室</p>")])
    hit = run("missing-sponsor", facts)[0]
    assert hit.evidence["missing"] == ["联系方式（电话或地址）"]
    assert hit.evidence["found"]["sponsor"]["value"] == "主办单位：青山市人民政府办公室"
    linked = facts_of([home('<p>主办单位：青山市人民政府办公室</p><a href="/lxwm/">联系我们</a>')])
    assert run("missing-sponsor", linked)     # a contact page link is not a phone or address…
    assert not run("missing-sponsor", linked, **{"contact-link-texts": ["联系我们"]})   # …unless the office says so


def test_news_sentence_about_an_event_sponsor_is_not_the_site_sponsor():
    body = "<p>9月9日，由区委网信委、青山市教育局主办的网络安全宣传周启动。电话：0571-88881234</p>"
    assert run("missing-sponsor", facts_of([home(body)]))


# ------------------------------------------------------------------ parent portal

def test_parent_link_found_missing_and_not_configured():
    assert not run("missing-parent-link", facts_of([home(NAV)]))
    hit = run("missing-parent-link", facts_of([home("<a href='/xxgk/'>信息公开</a>")]))
    assert hit and hit[0].evidence["parent"] == "http://www.zj.gov.cn/" and hit[0].url == HOME
    assert registry()["missing-parent-link"].level == "warning"
    no_parent = facts_of([home("<a href='/xxgk/'>信息公开</a>")], site(parent=None))
    assert not run("missing-parent-link", no_parent)


def test_parent_link_in_site_navigation_select_and_without_www():
    select = '<select onchange="window.open(this.value)"><option value="">政府网站</option>' \
             '<option value="https://zj.gov.cn/index.html">浙江省人民政府</option></select>'
    assert not run("missing-parent-link", facts_of([home(select)]))
    # the parent given with a path must be linked under it
    with_path = site(parent="http://www.zj.gov.cn/col/col1/")
    assert run("missing-parent-link", facts_of([home(NAV)], with_path))


def test_no_identity_findings_when_homepage_was_never_collected():
    facts = SiteFacts(site=site())
    assert failing(facts) == set()


# ------------------------------------------------------------------ scripts

def test_written_html_handles_literals_escapes_and_variables():
    source = r"""
    // a comment with a 'quote
    var re = /it's a regex/g, n = 10 / 2;
    var s = "";
    s += '<p class="a">' + "双\"引号\"" + '</p>';
    s += '<p>\u4e2d\x41</p>';
    document.write(s);
    document.writeln(decodeURIComponent('%3Cb%3E%E4%B8%AD%3C%2Fb%3E'));
    document.write('<i>' + unknownVar + '</i>');
    $('#x').html(`<u>${name}模板</u>`);
    el.insertAdjacentHTML('beforeend', '<em>插入</em>');
    """
    html = written_html(source)
    assert '<p class="a">双"引号"</p>' in html
    assert "<p>中A</p>" in html
    assert "<b>中</b>" in html
    assert "<i></i>" in html
    assert "<u>模板</u>" in html
    assert "<em>插入</em>" in html
    assert "regex" not in html


def test_homepage_loads_skip_libraries_and_other_hosts():
    page = home('<script src="/js/jquery.min.js"></script><script src="https://cdn.example.com/foot.js"></script>'
                '<script src="/js/foot.js?v=2"></script><iframe src="/f.html"></iframe>'
                '<script>document.write("<script src=\'/js/written.js\'></scr"+"ipt>")</script>')
    loads = homepage_loads(page)
    assert loads == {"http://www.qingshan.gov.cn/js/foot.js?v=2": "script",
                     "http://www.qingshan.gov.cn/js/written.js": "script",
                     "http://www.qingshan.gov.cn/f.html": "frame"}
    assert script_links(page) == ["http://www.qingshan.gov.cn/js/foot.js?v=2", "http://www.qingshan.gov.cn/js/written.js"]
    not_home = Page.from_html("http://www.qingshan.gov.cn/a.html", "<script src='/js/foot.js'></script>")
    assert script_links(not_home) == []
