"""Interaction channels, unanswered messages, service entries and 办事指南 (inline markup only)."""

from __future__ import annotations

import datetime as dt

import pytest

from govscan.facts import SiteFacts
from govscan.model import SiteInfo
from govscan.page import Page

import rulecheck

HOST = "www.qingshan.gov.cn"
HOME = f"http://{HOST}/"
AS_OF = dt.date(2025, 6, 1)


def site(**kw) -> SiteInfo:
    base = dict(id="qingshan", name="青山市人民政府", url=HOME, host=HOST, kind="portal")
    base.update(kw)
    return SiteInfo(**base)


def facts_of(pages: list[Page], info: SiteInfo | None = None) -> SiteFacts:
    return rulecheck.facts_of(pages, info or site(), final_url=HOME)


def run(rule_id: str, facts: SiteFacts, **options) -> list:
    return rulecheck.check_site(rule_id, facts, AS_OF, **options)


def home(body: str) -> Page:
    return Page.from_html(HOME, f"<html><head><title>青山市人民政府</title></head><body>{body}</body></html>",
                          is_homepage=True)


def page(path: str, body: str, title: str = "", head: str = "") -> Page:
    html = f"<html><head><title>{title}</title>{head}</head><body>{body}</body></html>"
    return Page.from_html(f"{HOME}{path}", html)


# ------------------------------------------------------------------ channels

@pytest.mark.parametrize("link", [
    '<a href="/hdjl/szxx/">市长信箱</a>',
    '<a href="/hdjl/zxzx/">在线咨询</a>',
    '<a href="https://12345.qingshan.gov.cn/">12345政务服务便民热线</a>',
    '<a href="/hdjl/"><img src="/images/hdjl.png" alt="互动交流"></a>',
    '<a href="/hdjl/jyxc/">建言献策</a>',
])
def test_interaction_channel_found(link):
    assert not run("missing-interaction-channel", facts_of([home(f"<div class='nav'>{link}</div>")]))


def test_only_petition_and_discipline_channels_do_not_count():
    body = '<a href="/xf/">网上信访</a><a href="http://www.qsjw.gov.cn/">纪检举报</a><a href="/jb/">举报信箱</a>'
    hits = run("missing-interaction-channel", facts_of([home(body)]))
    assert len(hits) == 1
    assert hits[0].url == HOME
    assert set(hits[0].evidence["excluded_channels"]) == {"网上信访", "纪检举报", "举报信箱"}


def test_news_headlines_naming_a_keyword_are_not_channels_or_service_entries():
    """A headline such as 开展“法律咨询进万家”活动 or 县政务服务中心推出… names a keyword but is a
    news item: too long for an entry's label, and it links an article page."""
    news = ('<ul class="news"><li><a href="/art/2025/5/20/art_2301_9098.html">青山市开展“法律咨询进万家”普法宣传活动</a></li>'
            '<li><a href="/art/2025/5/18/art_2301_9101.html">青山市政务服务中心推出周末不打烊服务</a></li>'
            '<li><a href="/xwzx/t20250516_1.html">政务服务再提速</a></li>'
            '<li><a href="/xwzx/t20250515_2.html">市长信箱来信选登</a></li></ul>')
    facts = facts_of([home(news)])
    assert run("missing-interaction-channel", facts)
    assert run("missing-service-entry", facts)
    # the same words as short labels of sections are entries
    facts = facts_of([home(news + '<a href="/hdjl/zxzx/">我要咨询</a><a href="/bsfw/">政务服务</a>')])
    assert not run("missing-interaction-channel", facts)
    assert not run("missing-service-entry", facts)
    # the limit is an option
    long_label = '<a href="/hdjl/">青山市人民政府政民互动交流平台留言板</a>'
    assert run("missing-interaction-channel", facts_of([home(long_label)]))
    assert not run("missing-interaction-channel", facts_of([home(long_label)]), **{"max-text-chars": 20})


def test_channel_written_by_a_same_site_navigation_script_counts():
    nav_js = "document.write('<ul class=\"nav\"><li><a href=\"/hdjl/szxx/\">市长信箱</a></li></ul>');"
    facts = facts_of([home('<script src="/js/nav.js"></script>'),
                      Page.from_html(f"{HOME}js/nav.js", nav_js, content_type="application/javascript")])
    assert not run("missing-interaction-channel", facts)
    assert run("missing-interaction-channel", facts_of([home('<script src="/js/nav.js"></script>')]))


# ------------------------------------------------------------------ messages: table form (TRS-like)

MAILBOX_TABLE = """<div class="crumb">当前位置：首页 &gt; 互动交流 &gt; 市长信箱</div>
<table class="list"><tr><th>信件标题</th><th>留言时间</th><th>办理状态</th><th>回复时间</th></tr>
<tr><td><a href="/hdjl/szxx/202501/t20250115_1.html">关于小区停车难的问题</a></td><td>2025-01-15</td><td>未回复</td><td></td></tr>
<tr><td><a href="/hdjl/szxx/202501/t20250120_2.html">公交线路调整建议</a></td><td>2025-01-20</td><td>已回复</td><td>2025-01-25</td></tr>
<tr><td><a href="/hdjl/szxx/202505/t20250510_3.html">学区划分咨询</a></td><td>2025-05-10</td><td>办理中</td><td></td></tr>
<tr><td><a href="/hdjl/szxx/202402/t20240210_4.html">去年的留言</a></td><td>2024-02-10</td><td>未回复</td><td></td></tr>
<tr><td><a href="/hdjl/szxx/202501/t20250105_5.html">路灯维修</a></td><td>2025-01-05</td><td>已办结</td><td>2025-05-01</td></tr>
</table>"""


def test_table_list_unanswered_over_90_days_is_a_finding_with_both_dates():
    facts = facts_of([page("hdjl/szxx/index.html", MAILBOX_TABLE, "市长信箱_青山市人民政府")])
    hits = run("unanswered-message", facts)
    by_url = {h.url: h for h in hits}
    unanswered = by_url["http://www.qingshan.gov.cn/hdjl/szxx/202501/t20250115_1.html"]
    assert unanswered.evidence["asked"] == "2025-01-15"
    assert unanswered.evidence["replied"] is None
    assert unanswered.evidence["as_of"] == "2025-06-01"
    assert unanswered.evidence["days"] == 137
    assert unanswered.found_on == ("http://www.qingshan.gov.cn/hdjl/szxx/index.html",)
    late = by_url["http://www.qingshan.gov.cn/hdjl/szxx/202501/t20250105_5.html"]
    assert late.evidence["replied"] == "2025-05-01" and late.evidence["days"] == 116
    # answered in time, unanswered for only 22 days, posted outside the window: no findings
    assert set(by_url) == {unanswered.url, late.url}
    assert len(run("unanswered-message", facts, **{"count-late-replies": False})) == 1


# ------------------------------------------------------------------ messages: list form (Hanweb / UCAP-ish)

MESSAGE_UL = """<h2>网上咨询</h2><ul class="zx-list">
<li><a href="/col/col123/art_1.html">咨询社保转移办理流程</a><span class="zt">未回复</span><span class="date">2025-01-02</span></li>
<li><a href="/col/col123/art_2.html">关于营业执照年检</a><span class="zt">已回复</span><span class="date">2025-01-03</span></li>
<li><a href="/col/col123/art_3.html">关于公积金提取</a><span>留言时间：2025-02-01</span><span>状态：处理中</span></li>
</ul>"""


def test_list_form_messages():
    facts = facts_of([page("col/col123/index.html", MESSAGE_UL, "网上咨询")])
    hits = run("unanswered-message", facts)
    assert {h.url for h in hits} == {"http://www.qingshan.gov.cn/col/col123/art_1.html",
                                     "http://www.qingshan.gov.cn/col/col123/art_3.html"}
    assert all(h.evidence["source"] == "list" for h in hits)


def test_message_rows_without_own_page_use_the_list_page():
    body = """<div class="liuyan-list"><dl><dt>留言人：张**</dt><dd>问：路灯不亮 留言时间：2025-01-08 状态：未回复</dd></dl>
    <dl><dt>留言人：李**</dt><dd>问：井盖缺失 留言时间：2025-01-09 状态：未回复</dd></dl></div>"""
    hits = run("unanswered-message", facts_of([page("hdjl/lyb/", body, "公众留言")]))
    assert len(hits) == 2
    assert {h.url for h in hits} == {"http://www.qingshan.gov.cn/hdjl/lyb/"}
    assert len({h.key for h in hits}) == 2


def test_rows_without_a_link_are_titled_by_their_text_before_the_fields():
    body = """<h2>县长信箱</h2><ul class="lyxx">
    <li><span class="bt">关于县城区公交线路调整后换乘不便的建议</span><span>留言时间：2025-01-20</span> <span>状态：未回复</span></li>
    <li><span class="bt">咨询宅基地审批</span><span>留言时间：2025-02-12</span> <span>状态：已回复</span>
      <div class="hf">回复时间：2025-02-16　回复内容：您好！可向户籍所在乡镇人民政府提出申请。</div></li></ul>"""
    facts = facts_of([page("col/col2305/index.html", body, "县长信箱")])
    assert sorted(m.title for m in facts.messages.values()) == ["关于县城区公交线路调整后换乘不便的建议", "咨询宅基地审批"]
    hits = run("unanswered-message", facts)
    assert [h.evidence["title"] for h in hits] == ["关于县城区公交线路调整后换乘不便的建议"]


def test_petition_and_report_lists_are_not_judged():
    body = MESSAGE_UL.replace("网上咨询", "网上信访")
    assert run("unanswered-message", facts_of([page("col/col9/index.html", body, "网上信访")])) == []


def test_news_lists_with_dates_are_not_messages():
    body = """<ul><li><a href="/xw/t20250101_1.html">市政府召开常务会议</a><span>2025-01-01</span></li>
    <li><a href="/xw/t20250102_2.html">关于办理居住证的通知</a><span>2025-01-02</span></li></ul>"""
    facts = facts_of([page("xw/index.html", body, "今日青山")])
    assert facts.messages == {}


# ------------------------------------------------------------------ messages: detail pages

def detail(path: str, asked: str, reply: str) -> Page:
    body = f"""<div class="crumb">当前位置：首页 &gt; 政民互动 &gt; 书记信箱</div>
    <table><tr><td>信件标题</td><td>关于老旧小区加装电梯</td></tr>
    <tr><td>留言时间</td><td>{asked}</td></tr>{reply}</table>"""
    return page(path, body, "关于老旧小区加装电梯")


def test_detail_page_without_reply_is_a_finding():
    msg = detail("hdjl/sjxx/1.html", "2025-01-10", "<tr><td>回复内容</td><td>暂无回复</td></tr>")
    hits = run("unanswered-message", facts_of([msg]))
    assert [h.url for h in hits] == [msg.url]
    assert hits[0].evidence["source"] == "detail"


def test_detail_page_with_reply_passes():
    replied = detail("hdjl/sjxx/2.html", "2025-01-10",
                     "<tr><td>回复时间</td><td>2025-01-30</td></tr><tr><td>回复内容</td><td>您好，已安排街道办理。</td></tr>")
    text_only = detail("hdjl/sjxx/3.html", "2025-01-10",
                       "<tr><td>答复内容：</td><td>您好，经核实，该小区已列入今年改造计划，感谢来信。</td></tr>")
    assert run("unanswered-message", facts_of([replied, text_only])) == []


def test_detail_page_with_several_fields_in_one_row_is_one_message():
    """A message's own page laid out as a 4-column table (留言时间 | … | 办理状态 | …): its field
    rows are not list rows, so the page gives one message, and merges with its list row."""
    body = """<h1>关于夜间施工噪音扰民问题的咨询</h1><table class="zxzx-detail">
    <tr><th>留言标题</th><td colspan="3">关于夜间施工噪音扰民问题的咨询</td></tr>
    <tr><th>留言时间</th><td>2025-01-10 21:47</td><th>办理状态</th><td>未回复</td></tr>
    <tr><th>回复单位</th><td></td><th>回复时间</th><td></td></tr>
    <tr><th>回复内容</th><td colspan="3">暂无回复</td></tr></table>"""
    own = page("hdjl/zxzx/202501/t20250110_7.html", body, "关于夜间施工噪音扰民问题的咨询_青山市人民政府")
    listing = page("hdjl/zxzx/index.html", """<h2>政务咨询</h2><table><tr><th>标题</th><th>留言时间</th><th>办理状态</th></tr>
        <tr><td><a href="/hdjl/zxzx/202501/t20250110_7.html">关于夜间施工噪音扰民问题的咨询</a></td><td>2025-01-10</td><td>未回复</td></tr></table>""",
                   "政务咨询")
    alone = facts_of([own])
    assert [m.source for m in alone.messages.values()] == ["detail"]
    facts = facts_of([listing, own])
    hits = run("unanswered-message", facts)
    assert len(facts.messages) == 1 and len(hits) == 1
    assert hits[0].url == own.url and hits[0].evidence["title"] == "关于夜间施工噪音扰民问题的咨询"


def test_list_row_and_detail_page_merge_keeps_the_reply():
    listing = page("hdjl/sjxx/index.html", """<h3>书记信箱</h3><table>
        <tr><th>标题</th><th>来信时间</th><th>状态</th></tr>
        <tr><td><a href="/hdjl/sjxx/2.html">关于老旧小区加装电梯</a></td><td>2025-01-10</td><td>处理中</td></tr></table>""",
                   "书记信箱")
    replied = detail("hdjl/sjxx/2.html", "2025-01-10", "<tr><td>回复时间</td><td>2025-01-30</td></tr>")
    facts = facts_of([listing, replied])
    assert len(facts.messages) == 1
    assert run("unanswered-message", facts) == []


# ------------------------------------------------------------------ service entry

def test_service_entry_by_provincial_service_host_or_own_section():
    assert not run("missing-service-entry", facts_of([home('<a href="https://www.zjzwfw.gov.cn/">浙江政务服务网</a>')]))
    assert not run("missing-service-entry", facts_of([home('<a href="https://qs.zwfw.zj.cn/">网上大厅</a>')]))
    assert not run("missing-service-entry", facts_of([home('<a href="/bsfw/">办事服务</a>')]))
    assert not run("missing-service-entry", facts_of([home('<a href="https://zwdt.sh.gov.cn/">随申办</a>')]))


def test_missing_service_entry_for_portals_and_service_sites_only():
    bare = '<a href="/xxgk/">信息公开</a><a href="/xwzx/">新闻中心</a>'
    hits = run("missing-service-entry", facts_of([home(bare)]))
    assert len(hits) == 1 and hits[0].url == HOME
    assert run("missing-service-entry", facts_of([home(bare)], site(kind="department"))) == []
    assert run("missing-service-entry", facts_of([home(bare)], site(kind="department", offers_services=True)))
    assert run("missing-service-entry", facts_of([home(bare)], site(offers_services=False))) == []


# ------------------------------------------------------------------ service guides

FULL_GUIDE = """<h1>食品经营许可（新办）办事指南</h1><table class="bszn">
<tr><th>事项名称</th><td>食品经营许可（新办）</td></tr>
<tr><th>设定依据</th><td>《中华人民共和国食品安全法》第三十五条</td></tr>
<tr><th>受理条件</th><td>具有与经营的食品品种、数量相适应的场所</td></tr>
<tr><th>申请材料</th><td>食品经营许可申请书；营业执照复印件</td></tr>
<tr><th>办理地点</th><td>青山市民中心二楼B区</td></tr>
<tr><th>实施机构</th><td>青山市市场监督管理局</td></tr>
<tr><th>收费标准</th><td>不收费</td></tr>
<tr><th>办理时间</th><td>工作日 9:00-17:00</td></tr>
<tr><th>咨询电话</th><td>0571-88880000</td></tr>
<tr><th>办理流程</th><td>申请—受理—审查—决定</td></tr></table>"""


def test_complete_guide_in_table_form_with_synonyms_passes():
    facts = facts_of([page("bsfw/bszn/1.html", FULL_GUIDE, "食品经营许可（新办）办事指南")])
    assert len(facts.service_guides) == 1
    assert run("incomplete-service-guide", facts) == []


def test_guide_missing_four_elements_lists_them():
    body = FULL_GUIDE
    for label in ("设定依据", "收费标准", "办理时间", "办理流程"):
        start = body.index(f"<tr><th>{label}")
        body = body[:start] + body[body.index("</tr>", start) + 5:]
    hits = run("incomplete-service-guide", facts_of([page("bsfw/bszn/2.html", body, "办事指南")]))
    assert len(hits) == 1
    assert hits[0].evidence["missing"] == ["设定依据", "收费标准", "办理时间", "办理流程"]
    assert "缺少 4 类要素" in hits[0].message


def test_guide_missing_three_passes_and_empty_values_count_as_missing():
    three = FULL_GUIDE.replace("<tr><th>收费标准</th><td>不收费</td></tr>", "") \
        .replace("<tr><th>办理时间</th><td>工作日 9:00-17:00</td></tr>", "") \
        .replace("<tr><th>办理流程</th><td>申请—受理—审查—决定</td></tr>", "")
    assert run("incomplete-service-guide", facts_of([page("bsfw/bszn/3.html", three, "办事指南")])) == []
    emptied = three.replace("<td>青山市民中心二楼B区</td>", "<td></td>")
    hits = run("incomplete-service-guide", facts_of([page("bsfw/bszn/4.html", emptied, "办事指南")]))
    assert hits and "办理地点" in hits[0].evidence["missing"]


def test_guide_with_numbered_headings_and_colon_paragraphs():
    body = """<div class="article"><h2>居民身份证换领服务指南</h2>
    <h3>一、办理依据</h3><p>《中华人民共和国居民身份证法》</p>
    <h3>二、申请条件</h3><p>有效期满的居民</p>
    <p>三、所需材料：原居民身份证</p>
    <p>四、受理地点：各派出所户籍窗口</p>
    <p>五、办理部门：青山市公安局</p>
    <p>六、是否收费：20元</p>
    <p>七、办公时间：周一至周五</p>
    <p>八、联系电话：0571-110</p>
    <p>九、办事流程：受理—审核—制证—发证</p></div>"""
    facts = facts_of([page("bsfw/2.html", body, "居民身份证换领服务指南")])
    assert run("incomplete-service-guide", facts) == []
    shorter = body.split("<p>五、")[0] + "</div>"
    hits = run("incomplete-service-guide", facts_of([page("bsfw/3.html", shorter, "居民身份证换领服务指南")]))
    assert hits and hits[0].evidence["missing"] == ["办理机构", "收费标准", "办理时间", "联系电话", "办理流程"]


def test_untitled_page_with_element_labels_is_a_guide_but_news_is_not():
    body = "<p>申请条件：年满18周岁</p><p>申请材料：身份证</p><p>联系电话：0571-1234</p>"
    hits = run("incomplete-service-guide", facts_of([page("bsfw/4.html", body, "创业补贴申领")]))
    assert hits and len(hits[0].evidence["missing"]) == 6   # its title names the item (事项名称)
    news = "<p>记者从市政务服务中心获悉，今年办理材料进一步精简。</p>"
    assert run("incomplete-service-guide", facts_of([page("xw/5.html", news, "政务服务再提速")])) == []
