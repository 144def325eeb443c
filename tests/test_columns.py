"""Column discovery, list items on TRS / Hanweb / UCAP / script-written lists, page kinds."""

from __future__ import annotations

import datetime as dt

import pytest

from govscan.extract import collect, extra_links
from govscan.extract import columns as C
from govscan.extract import platforms as P
from govscan.extract.dates import MonthDay
from govscan.facts import SiteFacts
from govscan.model import SiteInfo
from govscan.page import Page

D = dt.date
HOME = "http://www.test.gov.cn/"
SITE = SiteInfo(id="test", name="测试市人民政府", url=HOME, host="www.test.gov.cn")


def page(url: str, body: str, head: str = "", depth: int = 1, **kw) -> Page:
    html = f"<html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"
    return Page.from_html(url, html, is_homepage=url == HOME, depth=0 if url == HOME else depth, **kw)


def js(url: str, text: str) -> Page:
    return Page.from_html(url, text, content_type="application/javascript; charset=utf-8", depth=2)


def feed(*pages: Page) -> SiteFacts:
    facts = SiteFacts(site=SITE)
    for p in pages:
        collect(p, facts)
    return facts


def col(facts: SiteFacts, url: str):
    return facts.columns[C.column_key(url)]


HEADER = """<div class="header"><a href="/">网站首页</a><a href="/wza/">无障碍</a></div>
<div class="nav"><ul>
  <li><a href="/">首页</a></li>
  <li><a href="/xwzx/">新闻中心</a>
    <ul class="sub"><li><a href="/xwzx/gzdt/">工作动态</a></li><li><a href="/xwzx/tzgg/">通知公告</a></li></ul></li>
  <li><a href="/zwgk/">政务公开</a></li>
  <li><a href="http://zwfw.other.gov.cn/">政务服务</a></li>
</ul></div>"""
FOOTER = """<div class="footer"><a href="/wzdt/">网站地图</a><p>主办单位：测试市人民政府办公室 网站标识码：1234000001</p>
<a href="/2024/info.html">2024-06-01 一条页脚里的带日期链接不算列表项</a></div>"""


# ------------------------------------------------------------------ list items

def test_plain_ul_list_with_dates():
    p = page("http://www.test.gov.cn/xwzx/gzdt/index.html", HEADER + """
      <ul class="list">
        <li><a href="./202406/t20240610_1.html" title="市政府召开常务会议研究部署重点工作">市政府召开常务会议研究…</a><span>2024-06-10</span></li>
        <li><a href="./202406/t20240601_2.html">全市安全生产工作会议召开</a><span class="date">[2024/06/01]</span></li>
        <li><a href="./202405/t20240520_3.html">我市举行防汛应急演练活动</a> 2024年5月20日</li>
      </ul>""" + FOOTER)
    items = C.list_items(p)
    assert [i.date for i in items] == [D(2024, 6, 10), D(2024, 6, 1), D(2024, 5, 20)]
    assert items[0].title == "市政府召开常务会议研究部署重点工作"    # full title from the title attribute
    assert items[0].url == "http://www.test.gov.cn/xwzx/gzdt/202406/t20240610_1.html"
    assert C.page_kind(p) == "column"


def test_table_list_like_trs_open_government_catalogue():
    p = page("http://www.test.gov.cn/zfwj/jqxxgk/index.html", """
      <table><tr><th>名称</th><th>索引号</th><th>发布机构</th><th>发布日期</th></tr>
      <tr><td><a href="/gszbm/202008/t20200805_1353179.html" title="关于印发学校安全工作考核办法的通知">关于印发…</a></td>
          <td>000014348/2020-35428</td><td>市教育局</td><td>2020-08-05</td></tr>
      <tr><td><a href="/gszbm/202008/t20200801_1353100.html">关于做好防汛工作的通知</a></td>
          <td>000014348/2020-35400</td><td>市应急局</td><td>2020-08-01</td></tr></table>""")
    items = C.list_items(p)
    assert [i.date for i in items] == [D(2020, 8, 5), D(2020, 8, 1)]
    assert items[0].title == "关于印发学校安全工作考核办法的通知"


def test_div_rows_and_dates_inside_the_link():
    p = page("http://www.test.gov.cn/list/", """
      <div class="news"><div class="item"><a href="/a/1.html"><h3>第一条新闻标题比较长</h3></a><p class="time">2024-03-02</p></div>
      <div class="item"><a href="/a/2.html"><span>第二条新闻标题比较长</span><em>2024-03-01</em></a></div>
      <div class="item"><a href="/a/3.html"><time datetime="2024-02-28">昨天</time>第三条新闻标题比较长</a></div></div>""")
    items = C.list_items(p)
    assert [(i.title, i.date) for i in items] == [
        ("第一条新闻标题比较长", D(2024, 3, 2)), ("第二条新闻标题比较长", D(2024, 3, 1)),
        ("昨天第三条新闻标题比较长", D(2024, 2, 28))]


def test_short_month_day_items_and_url_years():
    p = page("http://www.test.gov.cn/bmdt/", """<ul>
      <li><a href="/news/101.html">部门召开年度工作总结会议</a><span>[12-28]</span></li>
      <li><a href="/art/2024/6/1/art_1861_4981645.html" title="于海田看望少年儿童 06月01日">于海田看望少年儿童</a><span>06-01</span></li>
    </ul>""")
    items = C.list_items(p)
    assert items[0].date == MonthDay(12, 28)
    assert items[1].date == D(2024, 6, 1)          # the URL gives the year of [06-01]
    assert items[1].title == "于海田看望少年儿童"


def test_chrome_pager_and_short_links_are_not_items():
    p = page("http://www.test.gov.cn/xwzx/tzgg/", HEADER + """
      <ul><li><a href="/a/9.html">关于开展安全检查的通知</a><span>2024-06-01</span></li></ul>
      <div class="page"><a href="index_1.html">下一页</a><a href="index_2.html">3</a></div>
      <ul><li><a href="/gywm/">关于我们</a></li><li><a href="/about.html">本站介绍页面链接文字较长</a></li></ul>""" + FOOTER)
    assert [i.url for i in C.list_items(p)] == ["http://www.test.gov.cn/a/9.html"]


def test_undated_article_links_are_items_without_date():
    p = page(HOME, """<div class="news"><ul>
      <li><a href="/xwzx/202406/t20240601_1.html">今日要闻标题一条没有日期显示</a></li>
      <li><a href="/show.asp?id=12">另一条没有日期的新闻标题内容</a></li></ul></div>""")
    items = C.list_items(p)
    assert len(items) == 2
    assert items[0].date == D(2024, 6, 1)   # the TRS URL carries the date
    assert items[1].date is None


SIDEBAR = """<div class="sidebar"><h3>热点推荐</h3><ul>
  <li><a href="/xwzx/yw/202406/t20240628_9.html">全市重点项目集中开工活动举行</a><span>2024-06-28</span></li>
  <li><a href="/xwzx/yw/202406/t20240625_8.html">市政府召开第十次常务会议</a><span>2024-06-25</span></li></ul></div>"""


def test_sidebar_items_of_other_columns_do_not_count_for_a_list_page():
    """A stale column page with a 热点推荐 sidebar of fresh news is still stale (fixture 政務動態)."""
    p = page("http://www.test.gov.cn/xwzx/bmdt/index.html", HEADER + """<div class="column">
      <ul class="list"><li><a href="./202405/t20240510_3.html">区教育局开展校园安全检查</a><span>2024-05-10</span></li></ul>
      </div>""" + SIDEBAR + FOOTER)
    assert [i.date for i in C.list_items(p)] == [D(2024, 5, 10)]
    # the homepage's side blocks are homepage lists
    home = page(HOME, HEADER + SIDEBAR + FOOTER)
    assert [i.date for i in C.list_items(home)] == [D(2024, 6, 28), D(2024, 6, 25)]
    # a page whose only list sits in a side-named container keeps it
    only = page("http://www.test.gov.cn/xwzx/qt/index.html", HEADER + SIDEBAR + FOOTER)
    assert len(C.list_items(only)) == 2


# ------------------------------------------------------------------ platforms

def test_trs_create_page_html_pagination():
    p = page("http://www.test.gov.cn/xwzx/gzdt/index.html", """<ul>
      <li><a href="./202406/t20240610_1.html">市政府召开常务会议</a><span>2024-06-10</span></li></ul>
      <script>createPageHTML(4, 0, "index", "html");</script>""")
    assert extra_links(p) == [f"http://www.test.gov.cn/xwzx/gzdt/index_{i}.html" for i in (1, 2, 3)]
    assert P.platform_of(p) == "trs"


def test_ucap_six_argument_pagination_and_hand_written_pager():
    ucap = page("http://www.test.gov.cn/10462/c102914/list.shtml",
                "<script>createPageHTML('page_div',3, 1,'list','shtml',45);</script>")
    assert P.pagination_urls(ucap) == ["http://www.test.gov.cn/10462/c102914/list_1.shtml",
                                      "http://www.test.gov.cn/10462/c102914/list_2.shtml"]
    hand = page("http://www.test.gov.cn/zfwj/index.html", """<script>
      var countnum= 6348; var currentPage=0; var countPage=56
      document.write("<a href=\\"index"+"_"+i+"."+"html\\">"+(i+1)+"</a>");</script>""")
    urls = P.pagination_urls(hand)
    assert urls[0] == "http://www.test.gov.cn/zfwj/index_1.html"
    assert len(urls) == P.PAGINATION_LIMIT       # archives are not crawled page by page


def test_pagination_pages_count_into_their_column():
    first = page("http://www.test.gov.cn/xwzx/gzdt/index.html", """<h2>工作动态</h2><ul>
      <li><a href="/a/1.html">第一页的一条新闻标题</a><span>2024-06-10</span></li></ul>
      <script>createPageHTML(2, 0, "index", "html");</script>""")
    second = page("http://www.test.gov.cn/xwzx/gzdt/index_1.html", """<ul>
      <li><a href="/a/0.html">第二页的一条新闻标题</a><span>2024-01-10</span></li></ul>""", depth=2)
    facts = feed(second, first)
    c = col(facts, first.url)
    assert c.items == 2 and c.fetched
    assert c.url == "http://www.test.gov.cn/xwzx/gzdt/index.html"
    assert sorted(c.dates) == [D(2024, 1, 10), D(2024, 6, 10)]
    # the same first page under its directory URL is not counted twice
    collect(page("http://www.test.gov.cn/xwzx/gzdt/", first.text), facts)
    assert c.items == 2


HANWEB = """<div id="3081"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&columnid=1861"></a>]]></nextgroup>
<recordset>
<record><![CDATA[<li><a href="/art/2024/6/19/art_1861_4982441.html" title="全市城市更新现场推进会召开">全市城市更新现场推进会召开</a><span>2024-06-19</span></li>]]></record>
<record><![CDATA[<li><a href="/art/2024/6/1/art_1861_4981645.html">市政府常务会议研究部署工作</a><span>[06-01]</span></li>]]></record>
<record><![CDATA[<li><a href='/art/2024/5/2/art_1861_4970000.html'>五月份的一条信息标题</a></li>]]></record>
</recordset></datastore></script></div>"""


def test_hanweb_datastore_records_are_items():
    p = page("http://www.test.gov.cn/col/col1861/index.html", HANWEB, head='<meta name="ColumnName" content="重点关注">')
    items = C.list_items(p)
    assert [i.date for i in items] == [D(2024, 6, 19), D(2024, 6, 1), D(2024, 5, 2)]
    assert C.page_kind(p) == "column"
    facts = feed(p)
    c = col(facts, p.url)
    assert c.items == 3 and "hanweb-datastore" in c.sources and c.platform == "hanweb"
    assert c.name == "重点关注"


def test_hanweb_empty_datastore_is_an_itemless_list_page():
    p = page("http://www.test.gov.cn/col/col2000/index.html",
             '<script type="text/xml"><datastore><recordset></recordset></datastore></script>')
    assert C.page_kind(p) == "column"
    assert col(feed(p), p.url).items == 0


def test_ucap_list_page():
    p = page("http://www.test.gov.cn/10462/10464/10797/list_ft.shtml", """
      <div class="dqwz">当前位置：<a href="/">首页</a> &gt; <a href="/10462/10464/">政务公开</a> &gt; 政府常务会议</div>
      <ul id="dash-table"><li><span class="date">2024-12-07</span><a href="/10462/10464/10797/2024/12/7/6e5b1.shtml"><UCAPTITLE>省政府召开常务会议</UCAPTITLE></a></li>
      <li><span class="date">2024-11-28</span><a href="/10462/10464/10797/2024/11/28/81d7a.shtml"><UCAPTITLE>省政府召开第二次常务会议</UCAPTITLE></a></li></ul>
      <script>createPageHTML('page_div',2,1,'list_ft','shtml',30);</script>""", head="<meta name='generator' content='UCAP'>")
    facts = feed(p)
    c = col(facts, p.url)
    assert (c.items, c.platform, c.name) == (2, "ucap", "政府常务会议")
    assert extra_links(p)[0] == "http://www.test.gov.cn/10462/10464/10797/list_ft_1.shtml"


# ------------------------------------------------------------------ same-site scripts

LIST_JS = """// written by the CMS
document.write('<ul class="list">');
document.write('<li><a href="/xwzx/tzgg/202406/t20240601_1.html">关于开展安全检查的通知</a><span>2024-06-01</span></li>');
document.writeln("<li><a href=\\"/xwzx/tzgg/202405/t20240501_2.html\\">关于假期安排的通知</a><span>2024-05-01</span></li>");
document.write('</ul>');"""


def test_script_writes_decoded_and_concatenated_count():
    lst = page("http://www.test.gov.cn/tzgg/", "<div id='list'><script src='/js/a.js'></script><script src='/js/b.js'></script></div>")
    a = js("http://www.test.gov.cn/js/a.js", "document.write(decodeURIComponent('%3Cli%3E%3Ca%20href%3D%22%2Fa%2F1.html%22%3E"
           "%E5%85%B3%E4%BA%8E%E5%BC%80%E5%B1%95%E6%A3%80%E6%9F%A5%E7%9A%84%E9%80%9A%E7%9F%A5%3C%2Fa%3E2024-06-01%3C%2Fli%3E'));")
    b = js("http://www.test.gov.cn/js/b.js", "var s = '';\ns += '<li><a href=\"/a/2.html\">拼接出来的一条信息标题</a>';\n"
           "s += '<span>2024-05-01</span></li>';\ndocument.write(s);")
    c = col(feed(lst, a, b), lst.url)
    assert c.items == 2 and sorted(c.dates) == [D(2024, 5, 1), D(2024, 6, 1)]


def test_script_written_list_counts_for_its_column_in_either_order():
    html = """<h2>通知公告</h2><div id="list"><script src="/js/tzgg_list.js"></script></div>
      <script src="/js/jquery.min.js"></script>"""
    list_page = page("http://www.test.gov.cn/xwzx/tzgg/index.html", html)
    assert extra_links(list_page) == ["http://www.test.gov.cn/js/tzgg_list.js"]
    script = js("http://www.test.gov.cn/js/tzgg_list.js", LIST_JS)
    for order in ((list_page, script), (script, list_page)):
        facts = feed(*order)
        c = col(facts, list_page.url)
        assert c.items == 2 and "script" in c.sources, order
        assert max(c.dates) == D(2024, 6, 1)


def test_script_written_homepage_list_and_footer_text():
    home = page(HOME, '<div class="ywdt"><script src="/js/ywdt.js"></script></div><script src="/js/footer.js"></script>')
    assert set(extra_links(home)) == {"http://www.test.gov.cn/js/ywdt.js", "http://www.test.gov.cn/js/footer.js"}
    facts = feed(home,
                 js("http://www.test.gov.cn/js/ywdt.js", LIST_JS),
                 js("http://www.test.gov.cn/js/footer.js", "document.write('<div>主办单位：测试市人民政府办公室</div>');"))
    assert facts.homepage_list.items == 2
    assert "主办单位" in facts.scripts["http://www.test.gov.cn/js/footer.js"].text


# ------------------------------------------------------------------ discovery and names

def test_homepage_navigation_and_more_links_give_columns_with_levels():
    home = page(HOME, HEADER + """
      <div class="box"><div class="tit"><span>政策解读</span><a class="more" href="/zcjd/">更多&gt;&gt;</a></div>
        <ul><li><a href="/zcjd/202406/t20240601_1.html">一图读懂政府工作报告</a><span>06-01</span></li></ul></div>
      <div class="tab"><a href="/col/col1861/index.html">人事任免</a><a href="/col/col1861/index.html">更多</a></div>""" + FOOTER)
    facts = feed(home)
    got = {c.name: (c.level, c.fetched) for c in facts.columns.values()}
    assert got == {"新闻中心": (1, False), "工作动态": (2, False), "通知公告": (2, False), "政务公开": (1, False),
                   "政策解读": (1, False), "人事任免": (1, False)}
    assert facts.homepage_list.items == 1
    assert col(facts, "http://www.test.gov.cn/xwzx/tzgg/").found_on == [HOME]


def test_list_page_names_breadcrumb_trs_channel_meta_title():
    trs = page("http://www.test.gov.cn/zfwj/jqxxgk/index.html",
               '<div class="sx-more1"><a class="CurrChnlCls" href="/">首页</a>-&gt;<a class="CurrChnlCls" href="/zfwj/">政府文件</a>'
               '-&gt;<a class="CurrChnlCls" href="/zfwj/jqxxgk/">近期信息公开</a></div>',
               head='<meta name="ColumnName" content="市政府信息公开">')
    assert C.page_column_name(trs) == "近期信息公开"
    crumb = page("http://www.test.gov.cn/a/", '<div class="location">当前位置：<a href="/">首页</a> &gt; <a href="/b/">政务公开</a> &gt; 通知公告</div>')
    assert C.page_column_name(crumb) == "通知公告"
    meta = page("http://www.test.gov.cn/a/", "<p>x</p>", head='<meta name="ColumnName" content="工作动态"><title>ignored</title>')
    assert C.page_column_name(meta) == "工作动态"
    title = page("http://www.test.gov.cn/a/", "<p>x</p>", head="<title>规划计划_测试市人民政府</title>")
    assert C.page_column_name(title) == "规划计划"


def test_sub_columns_of_a_column_page_are_second_level():
    parent = page("http://www.test.gov.cn/zwgk/", """<h2>政务公开</h2><div class="left-list">
      <a href="/zwgk/zcwj/">政策文件</a><a href="/zwgk/rsxx/">人事信息</a><a href="/zwgk/ghjh/">规划计划</a></div>""")
    facts = feed(page(HOME, HEADER), parent)
    p = col(facts, parent.url)
    assert p.fetched and p.subcolumns == 3 and p.level == 1
    child = col(facts, "http://www.test.gov.cn/zwgk/rsxx/")
    assert (child.name, child.level, child.parent) == ("人事信息", 2, "政务公开")


def test_second_level_column_linked_from_the_homepage_first_gets_its_parent():
    home = page(HOME, HEADER + """<div class="box"><h2>人事信息</h2><a class="more" href="/zwgk/rsxx/">更多</a></div>""")
    parent = page("http://www.test.gov.cn/zwgk/", """<h2>政务公开</h2><div class="left-list">
      <a href="/zwgk/zcwj/">政策文件</a><a href="/zwgk/rsxx/">人事信息</a></div>""")
    facts = feed(home, parent)
    child = col(facts, "http://www.test.gov.cn/zwgk/rsxx/")
    assert (child.name, child.level, child.parent, child.found_on) == ("人事信息", 2, "政务公开", [HOME])


def test_list_page_fetched_before_the_homepage_gets_its_name_and_level():
    lst = page("http://www.test.gov.cn/xwzx/gzdt/", """<ul>
      <li><a href="/a/1.html">一条工作动态的标题</a><span>2024-06-10</span></li></ul>""", head="<title>动态</title>", depth=1)
    facts = feed(lst, page(HOME, HEADER))
    c = col(facts, lst.url)
    assert (c.name, c.level, c.items) == ("工作动态", 2, 1)


def test_foreign_pages_and_broken_pages_are_ignored():
    other = Page.from_html("http://www.elsewhere.gov.cn/list/", "<ul><li><a href='/a/1.html'>别的网站的一条信息</a> 2024-01-01</li></ul>", depth=1)
    broken = Page.from_html("http://www.test.gov.cn/xwzx/", "<p>not found</p>", status=404, depth=1)
    facts = feed(other, broken)
    assert facts.columns == {} and facts.second_level == {}


# ------------------------------------------------------------------ page kinds and classes

@pytest.mark.parametrize("url,head,body,kind", [
    (HOME, "", "<p>x</p>", "home"),
    ("http://www.test.gov.cn/a.html", '<meta name="ArticleTitle" content="标题">', "<p>正文</p>", "article"),
    ("http://www.test.gov.cn/xwzx/202406/t20240601_1.html", "", "<p>正文</p>", "article"),
    ("http://www.test.gov.cn/art/2024/6/1/art_1_2.html", "", "<p>正文</p>", "article"),
    ("http://www.test.gov.cn/xwzx/tzgg/index_2.html", "", "<p>x</p>", "column"),
    ("http://www.test.gov.cn/col/col12/index.html", "", "<p>x</p>", "column"),
    ("http://www.test.gov.cn/about.html", "", "<p>关于本站</p>", "other"),
    ("http://www.test.gov.cn/news.jsp", '<meta name="ColumnName" content="要闻">',
     "".join(f"<li><a href='/n/{i}.html'>第{i}条新闻的标题</a>2024-06-0{i}</li>" for i in range(1, 5)), "column"),
])
def test_page_kind(url, head, body, kind):
    assert C.page_kind(page(url, body, head=head)) == kind


def test_page_kind_of_scripts():
    assert C.page_kind(js("http://www.test.gov.cn/js/a.js", "var a;")) == "script"


CLASSES = {
    "动态要闻": ["要闻", "动态", "新闻", "工作动态"], "通知公告": ["通知公告", "通知", "公告", "公示"],
    "政策文件": ["政策文件", "文件", "规范性文件"], "人事": ["人事", "任免"], "规划计划": ["规划", "计划"],
    "政策解读": ["解读", "新闻发布会"], "政务咨询": ["咨询", "留言", "信箱"], "办事服务": ["办事", "服务"],
}


@pytest.mark.parametrize("name,cls", [
    ("工作动态", "动态要闻"), ("工作動態", "动态要闻"), ("今日要闻", "动态要闻"), ("通知公告", "通知公告"),
    ("通知公告", "通知公告"), ("公示公告", "通知公告"), ("規範性文件", "政策文件"), ("政策解读", "政策解读"),
    ("政策解讀", "政策解读"), ("新闻发布会", "政策解读"), ("人事任免", "人事"), ("规划计划", "规划计划"),
    ("领导信箱", "政务咨询"), ("政務諮詢", "政务咨询"), ("办事服务", "办事服务"), ("【工作动态】", "动态要闻"),
    ("机构职能", None), ("", None),
])
def test_classify_by_name(name, cls):
    assert C.classify(name, CLASSES) == cls


def test_column_key_unifies_list_urls():
    key = C.column_key("http://www.test.gov.cn/xwzx/")
    assert C.column_key("http://www.test.gov.cn/xwzx/index.html") == key
    assert C.column_key("http://www.test.gov.cn/xwzx/index_12.html") == key
    assert C.column_key("http://www.test.gov.cn/col/col1/index.html?uid=5&pageNum=2") == \
        C.column_key("http://www.test.gov.cn/col/col1/index.html")
    assert C.column_key("http://www.test.gov.cn/list.jsp?catid=3&page=2") != \
        C.column_key("http://www.test.gov.cn/list.jsp?catid=4")


def test_helpers_are_cached_per_page_object():
    p = page("http://www.test.gov.cn/xwzx/", "<ul><li><a href='/a/1.html'>一条新闻的标题</a> 2024-01-01</li></ul>")
    assert C.list_items(p) is C.list_items(p)
    other = page("http://www.test.gov.cn/xwzx/", "<ul></ul>")
    assert C.list_items(other) == []
