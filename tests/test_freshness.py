"""Rules homepage-stale, column-stale, column-empty and missing-page-tags on inline markup."""

from __future__ import annotations

import datetime as dt
import json

from govscan.extract import collect
from govscan.facts import SiteFacts
from govscan.model import Context, Finding, SiteInfo
from govscan.page import Page
from govscan.rules import registry

D = dt.date
HOME = "http://www.test.gov.cn/"
SITE = SiteInfo(id="test", name="测试市人民政府", url=HOME, host="www.test.gov.cn")
AS_OF = D(2024, 6, 30)


def page(url: str, body: str, head: str = "", depth: int = 1, **kw) -> Page:
    html = f"<html><head>{head}</head><body>{body}</body></html>"
    return Page.from_html(url, html, is_homepage=url == HOME, depth=0 if url == HOME else depth, **kw)


def feed(*pages: Page) -> SiteFacts:
    facts = SiteFacts(site=SITE)
    for p in pages:
        collect(p, facts)
    return facts


def run(rule_id: str, subject, as_of: dt.date = AS_OF, **options):
    rule = registry()[rule_id]
    merged = {**rule.options, **options}
    return list(rule.check(subject, merged, Context(site=SITE, as_of=as_of)))


def rows(*dated: tuple[str, str]) -> str:
    return "<ul class='list'>" + "".join(
        f"<li><a href='/art/{n}.html'>{title}</a><span>{day}</span></li>"
        for n, (title, day) in enumerate(dated)) + "</ul>"


NAV = """<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/gzdt/">工作动态</a></li>
<li><a href="/tzgg/">通知公告</a></li><li><a href="/zcwj/">政策文件</a></li><li><a href="/rsxx/">人事信息</a></li>
<li><a href="/zcjd/">政策解读</a></li><li><a href="/jgzn/">机构职能</a></li></ul></div>"""


# ------------------------------------------------------------------ homepage-stale

def test_homepage_with_a_recent_item_is_fresh():
    facts = feed(page(HOME, NAV + rows(("市政府召开常务会议研究工作", "2024-06-20"), ("旧闻一条标题比较长", "2024-01-01"))))
    assert run("homepage-stale", facts) == []


def test_homepage_without_recent_items_is_stale():
    facts = feed(page(HOME, NAV + rows(("市政府召开常务会议研究工作", "2024-06-10"), ("旧闻一条标题比较长", "2024-01-01"))))
    [hit] = run("homepage-stale", facts)
    assert hit.url == HOME
    assert hit.evidence["newest"] == D(2024, 6, 10) and hit.evidence["limit_days"] == 14
    assert hit.evidence["age_days"] == 20 and hit.evidence["navigation_only"] is False
    assert "2024-06-10" in hit.message
    # the window is inclusive: 14 days before as-of is still fresh
    assert run("homepage-stale", facts, as_of=D(2024, 6, 24)) == []
    assert run("homepage-stale", facts, **{"max-age-days": 30}) == []


def test_undated_homepage_items_count_as_not_updated():
    undated = "".join(f"<li><a href='/news/{i}.html'>第{i}条没有发布日期的新闻标题</a></li>" for i in range(6))
    facts = feed(page(HOME, NAV + f"<ul class='news'>{undated}</ul>"))
    [hit] = run("homepage-stale", facts)
    assert hit.evidence["items"] == 6 and hit.evidence["dated_items"] == 0
    assert "未标注发布日期" in hit.message


def test_month_day_items_across_a_new_year():
    home = page(HOME, rows(("年末工作会议召开标题", "[12-28]"), ("另一条信息标题较长", "[12-01]")))
    assert run("homepage-stale", feed(home), as_of=D(2025, 1, 5)) == []       # 2024-12-28: 8 days
    [hit] = run("homepage-stale", feed(home), as_of=D(2025, 2, 1))
    assert hit.evidence["newest"] == D(2024, 12, 28)
    assert hit.evidence["items_sample"][0]["date"] == D(2024, 12, 28)
    json.dumps(Finding("u", "homepage-stale", "f", "error", "t", hit.message, evidence=hit.evidence).to_dict())


def test_navigation_only_homepage_is_judged_by_second_level_pages():
    home = page(HOME, NAV)
    fresh = page("http://www.test.gov.cn/gzdt/", rows(("二级页面的新信息标题", "2024-06-25")))
    stale = page("http://www.test.gov.cn/tzgg/", rows(("二级页面的旧信息标题", "2024-01-25")))
    assert run("homepage-stale", feed(home, fresh, stale)) == []
    [hit] = run("homepage-stale", feed(home, stale))
    assert hit.evidence["navigation_only"] is True
    assert hit.evidence["second_level_newest"] == D(2024, 1, 25)
    assert hit.evidence["second_level_newest_url"] == "http://www.test.gov.cn/tzgg/"
    assert "导航页" in hit.message


def test_article_dates_of_second_level_pages_count():
    home = page(HOME, "<a href='/xwzx/202406/t20240628_1.html'>一条新闻</a>" + NAV)
    article = page("http://www.test.gov.cn/xwzx/202406/t20240628_1.html", "<p>发布时间：2024-06-28 10:00</p>")
    assert run("homepage-stale", feed(home, article)) == []


def test_homepage_not_fetched_gives_no_finding():
    assert run("homepage-stale", SiteFacts(site=SITE)) == []


# ------------------------------------------------------------------ column-stale

def site_with_columns() -> SiteFacts:
    return feed(
        page(HOME, NAV + rows(("首页上的一条新信息标题", "2024-06-29"))),
        page("http://www.test.gov.cn/gzdt/", rows(("工作动态的一条旧信息", "2024-05-01"), ("更旧的信息标题", "2024-04-01"))),
        page("http://www.test.gov.cn/tzgg/", rows(("通知公告的一条信息", "2024-03-01"))),             # 121 days: fresh
        page("http://www.test.gov.cn/zcwj/", rows(("政策文件的一条信息", "2023-10-01"))),             # 273 days: stale
        page("http://www.test.gov.cn/rsxx/", rows(("人事信息的一条信息", "2023-08-01"))),             # 334 days: fresh
        page("http://www.test.gov.cn/zcjd/", rows(("政策解读的一条信息", "2020-01-01"))),             # no window
        page("http://www.test.gov.cn/jgzn/", "<p>" + "机构职能介绍文字。" * 30 + "</p>"),
    )


def test_stale_columns_by_class():
    hits = run("column-stale", site_with_columns())
    by_name = {h.evidence["column"]: h for h in hits}
    assert set(by_name) == {"工作动态", "政策文件"}
    news = by_name["工作动态"]
    assert news.url == "http://www.test.gov.cn/gzdt/"
    assert news.evidence["class"] == "动态要闻" and news.evidence["limit_days"] == 14
    assert news.evidence["newest"] == D(2024, 5, 1) and news.evidence["age_days"] == 60
    assert news.evidence["list_url"] == "http://www.test.gov.cn/gzdt/" and news.evidence["level"] == 1
    assert news.found_on == (HOME,)
    assert "栏目“工作动态”" in news.message and "动态要闻" in news.message
    assert by_name["政策文件"].evidence["class"] == "政策文件"


def test_column_stale_options_tune_windows_and_classes():
    facts = site_with_columns()
    windows = {"动态要闻": 90, "通知公告": 30, "政策文件": 365}
    names = {h.evidence["column"] for h in run("column-stale", facts, **{"max-age-days": windows})}
    assert names == {"通知公告"}


def test_traditional_names_and_undated_columns():
    facts = feed(page("http://www.test.gov.cn/bmdt/",
                      "<ul>" + "".join(f"<li><a href='/a/{i}.html'>沒有日期的一條新聞標題{i}</a></li>" for i in range(3)) + "</ul>",
                      head="<meta name='ColumnName' content='部門動態'>"))
    [hit] = run("column-stale", facts)
    assert hit.evidence["class"] == "动态要闻" and hit.evidence["newest"] is None
    assert "未标注发布日期" in hit.message


def test_fresh_columns_pass():
    facts = feed(page(HOME, NAV), page("http://www.test.gov.cn/gzdt/", rows(("一条很新的工作动态", "2024-06-28"))))
    assert run("column-stale", facts) == []


# ------------------------------------------------------------------ column-empty

def test_empty_and_placeholder_columns():
    facts = feed(
        page(HOME, NAV),
        page("http://www.test.gov.cn/gzdt/", "<div class='location'>当前位置：<a href='/'>首页</a> &gt; 工作动态</div><ul class='list'></ul>"),
        page("http://www.test.gov.cn/tzgg/", "<ul class='list'><li>暂无信息</li></ul>"),
        page("http://www.test.gov.cn/zcwj/", "<div class='con'><p>本栏目正在建設中，敬請期待！</p></div>"),
        page("http://www.test.gov.cn/rsxx/", rows(("人事信息的一条信息", "2019-08-01"))),
        page("http://www.test.gov.cn/jgzn/", "<p>" + "机构职能介绍文字。" * 30 + "</p>"),
    )
    hits = {h.evidence["column"]: h for h in run("column-empty", facts)}
    assert set(hits) == {"工作动态", "通知公告", "政策文件"}
    assert hits["工作动态"].evidence["placeholder"] is None
    assert hits["工作动态"].url == "http://www.test.gov.cn/gzdt/"
    assert hits["通知公告"].evidence["placeholder"] == "暂无信息"
    assert hits["政策文件"].evidence["placeholder"] == "建设中"          # traditional text matched
    assert "建设中" in hits["政策文件"].message
    assert hits["工作动态"].evidence["list_url"] == "http://www.test.gov.cn/gzdt/"


def test_hanweb_empty_datastore_is_empty_and_full_one_is_not():
    empty = page("http://www.test.gov.cn/col/col10/index.html",
                 "<script type='text/xml'><datastore><recordset></recordset></datastore></script>",
                 head="<meta name='ColumnName' content='政策解读'>")
    full = page("http://www.test.gov.cn/col/col11/index.html",
                "<script type='text/xml'><datastore><recordset><record><![CDATA[<li><a href='/art/2024/6/1/art_11_1.html'>"
                "解读文章标题</a><span>2024-06-01</span></li>]]></record></recordset></datastore></script>",
                head="<meta name='ColumnName' content='图片新闻'>")
    [hit] = run("column-empty", feed(empty, full))
    assert hit.evidence["column"] == "政策解读" and hit.evidence["platform"] == "hanweb"


def test_script_written_list_is_not_empty():
    lst = page("http://www.test.gov.cn/tzgg/", "<div id='list'><script src='/js/tzgg.js'></script></div>")
    script = Page.from_html("http://www.test.gov.cn/js/tzgg.js",
                            "document.write('<li><a href=\"/tzgg/a1.html\">关于开展检查的通知</a><span>2024-06-01</span></li>');",
                            content_type="application/javascript", depth=2)
    facts = feed(lst, script)
    assert run("column-empty", facts) == []
    assert run("column-stale", facts) == []


def test_navigation_columns_are_not_empty():
    parent = page("http://www.test.gov.cn/zwgk/", "<div class='sub-list'><a href='/zwgk/zcwj/'>政策文件</a>"
                                                  "<a href='/zwgk/rsxx/'>人事信息</a></div>")
    assert run("column-empty", feed(page(HOME, NAV), parent)) == []


def test_site_menu_and_sidebar_do_not_make_an_empty_list_a_navigation_column():
    menu = ("<div class='top1'><ul><li><a href='/gzdt/'>工作动态</a></li><li><a href='/tzgg/'>通知公告</a></li>"
            "<li><a href='/zcwj/'>政策文件</a></li></ul></div>")
    side = "<div class='left-nav'><a href='/zwgk/rsxx/'>人事信息</a><a href='/zwgk/ghjh/'>规划计划</a></div>"
    empty = page("http://www.test.gov.cn/zwgk/zcjd/", menu + side + "<div class='list'><ul></ul></div>")
    [hit] = run("column-empty", feed(page(HOME, menu), empty))
    assert hit.url == empty.url and hit.evidence["placeholder"] is None


def test_unfetched_columns_are_not_judged():
    assert run("column-empty", feed(page(HOME, NAV))) == []
    assert run("column-stale", feed(page(HOME, NAV))) == []


# ------------------------------------------------------------------ missing-page-tags

SITE_TAGS = ('<meta name="SiteName" content="测试市人民政府"><meta name="SiteDomain" content="www.test.gov.cn">'
             '<meta name="SiteIDCode" content="1234000001">')


def test_homepage_tags():
    assert run("missing-page-tags", page(HOME, "<p>x</p>", head=SITE_TAGS)) == []
    [hit] = run("missing-page-tags", page(HOME, "<p>x</p>", head='<meta name="sitename" content="测试"><meta name="SiteIDCode" content="">'))
    assert hit.url == HOME
    assert hit.evidence["missing"] == ["SiteDomain"] and hit.evidence["empty"] == ["SiteIDCode"]
    assert hit.message.startswith("首页") and "SiteDomain" in hit.message


def test_column_and_article_tags():
    column = page("http://www.test.gov.cn/tzgg/index.html", rows(("一条通知的标题文字", "2024-06-01")))
    [hit] = run("missing-page-tags", column)
    assert hit.evidence["missing"] == ["ColumnName"] and hit.evidence["page_kind"] == "栏目页"
    assert run("missing-page-tags", page(column.url, column.text, head='<meta name="ColumnName" content="通知公告">')) == []
    article = page("http://www.test.gov.cn/tzgg/202406/t20240601_1.html", "<p>正文</p>",
                   head='<meta name="ArticleTitle" content="关于……的通知"><meta name="ColumnName" content="通知公告">')
    [hit] = run("missing-page-tags", article)
    assert hit.evidence["missing"] == ["PubDate", "ContentSource"]
    assert "文章页" in hit.message


def test_other_pages_and_scripts_need_no_tags():
    assert run("missing-page-tags", page("http://www.test.gov.cn/about.html", "<p>关于本站</p>")) == []
    script = Page.from_html("http://www.test.gov.cn/js/a.js", "var a;", content_type="application/javascript")
    assert run("missing-page-tags", script) == []


def test_rule_metadata():
    rules = registry()
    assert {r: rules[r].level for r in ("homepage-stale", "column-stale", "column-empty", "missing-page-tags")} == {
        "homepage-stale": "error", "column-stale": "error", "column-empty": "error", "missing-page-tags": "warning"}
    assert [rules[r].title for r in ("homepage-stale", "column-stale", "column-empty", "missing-page-tags")] == [
        "首页不更新", "栏目不更新", "空白栏目", "页面标签缺失"]
    for r in ("homepage-stale", "column-stale", "column-empty", "missing-page-tags"):
        assert "《" in rules[r].basis and rules[r].scope == ("page" if r == "missing-page-tags" else "site")
