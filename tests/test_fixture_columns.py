"""The column and freshness fixture sites scanned alone over real HTTP on 127.0.0.1 as of 2026-11-20:
www.hexi.gov.cn (TRS district portal) and www.hedong.gov.cn (Hanweb county portal with a UCAP
section). Every planted stale and empty column is found with its evidence, no fresh or non-empty
column is flagged, and the Hanweb datastore and script-written lists count their items."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import yaml
from selectolax.lexbor import LexborHTMLParser

from govscan import config as config_mod
from govscan import serve
from govscan.crawl import new_state, scan_site
from govscan.extract.columns import column_key
from govscan.extract.dates import newest
from govscan.facts import SiteFacts
from govscan.fetch import Fetcher
from govscan.reports import validate
from govscan.reports.html import render_html
from govscan.run import RunOptions, connect_rules, run

AS_OF = dt.date(2026, 11, 20)
SITES = ("hexi", "hedong")
HEXI = "http://www.hexi.gov.cn"
HEDONG = "http://www.hedong.gov.cn"
FIXTURES = serve.fixtures_root()

# (site, list page, column name as shown, class, newest date, limit in days, 1 一级 / 2 二级)
STALE = [
    ("hexi", f"{HEXI}/xwzx/bmdt/index.html", "部门动态", "动态要闻", "2026-10-30", 14, 2),      # [MM-DD] only
    ("hexi", f"{HEXI}/xwzx/zwdt/index.html", "政務動態", "动态要闻", "2026-10-25", 14, 2),      # traditional, sidebar
    ("hexi", f"{HEXI}/zwgk/gsgg/index.html", "公示公告", "通知公告", "2026-04-28", 180, 2),     # 2026/04/28
    ("hexi", f"{HEXI}/gfxwj/index.html", "规范性文件", "政策文件", "2025-10-09", 180, 1),       # table, 成文日期 first
    ("hexi", f"{HEXI}/zwgk/rsxx/index.html", "人事信息", "人事", "2025-08-15", 365, 2),         # table with 索引号
    ("hedong", f"{HEDONG}/col/col2301/index.html", "河东要闻", "动态要闻", "2026-10-28", 14, 1),  # Hanweb datastore
]
# (site, list page, column name, placeholder shown or None)
EMPTY = [
    ("hexi", f"{HEXI}/zwgk/sjfb/index.html", "数据发布", "建设中"),
    ("hexi", f"{HEXI}/zwgk/czyjs/index.html", "财政预决算", None),
    ("hedong", f"{HEDONG}/col/col2315/index.html", "政策解读", None),        # datastore without records
    ("hedong", f"{HEDONG}/10501/10530/list.shtml", "专项规划", "暂无信息"),    # UCAP
]
# Columns that must not be flagged: (site, list page, name, items, newest date or None, list source)
FRESH = [
    ("hexi", f"{HEXI}/xwzx/hxyw/index.html", "河西要闻", 5, "2026-11-17", "html"),         # 2 pages (createPageHTML)
    ("hexi", f"{HEXI}/xwzx/zjdt/index.html", "镇街动态", 4, "2026-11-18", "script"),       # document.write list
    ("hexi", f"{HEXI}/zwgk/tzgg/index.html", "通知公告", 2, "2026-11-12", "html"),         # full-width digits
    ("hexi", f"{HEXI}/zcwj/index.html", "政策文件", 2, "2026-10-26", "html"),
    ("hexi", f"{HEXI}/zwgk/zcjd/index.html", "政策解读", 1, "2026-10-27", "html"),
    ("hexi", f"{HEXI}/zwgk/rqgs/index.html", "任前公示", 2, "2025-12-28", "html"),         # [12-28] → 2025
    ("hexi", f"{HEXI}/zwgk/ghjh/index.html", "规划计划", 2, "2026-03-20", "html"),         # YYYY年MM月DD日
    ("hexi", f"{HEXI}/zwgk/index.html", "政务公开", 0, None, None),                          # sub-column links
    ("hexi", f"{HEXI}/hdjl/index.html", "互动交流", 0, None, None),                          # 区长信箱 text
    ("hedong", f"{HEDONG}/col/col2311/index.html", "通知公告", 4, "2026-11-13", "hanweb-datastore"),
    ("hedong", f"{HEDONG}/10501/10522/list.shtml", "乡镇动态", 3, "2026-11-16", "html"),   # UCAP
    ("hedong", f"{HEDONG}/col/col2340/index.html", "互动交流", 0, None, None),
]
COLUMN_RULES = ("column-stale", "column-empty")


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> config_mod.RunConfig:
    data = yaml.safe_load((FIXTURES / "sites.yaml").read_text("utf-8"))
    path = tmp_path_factory.mktemp("columns") / "sites.yaml"
    mine = [s for s in data["sites"] if s["id"] in SITES]
    assert [s["id"] for s in mine] == list(SITES)
    path.write_text(yaml.safe_dump({"sites": mine}, allow_unicode=True, sort_keys=False), "utf-8")
    return config_mod.load(str(path), (), None, AS_OF)


@pytest.fixture(scope="module")
def connect_to(fixture_server) -> tuple[str, ...]:
    return (f"::127.0.0.1:{fixture_server.port}",)


@pytest.fixture(scope="module")
def report(config, connect_to) -> dict:
    data = run(config, RunOptions(connect_to=connect_to)).to_dict()
    validate(data)
    return data


@pytest.fixture(scope="module")
def facts(config, connect_to) -> dict[str, SiteFacts]:
    """What the crawl learned about each site (columns, their items and dates)."""
    async def scan() -> dict[str, SiteFacts]:
        trusted = {h for s in config.sites for h in (s.host, *s.aliases)}
        fetcher = Fetcher(config.crawl, connect_rules(config, connect_to), trusted_hosts=trusted)
        out = {}
        try:
            for site in config.sites:
                state = new_state(site, config)
                await scan_site(state, config, fetcher)
                out[site.id] = state.facts
        finally:
            await fetcher.aclose()
        return out
    return asyncio.run(scan())


def findings(report: dict, site: str, *rules: str) -> dict[str, dict]:
    data = next(s for s in report["sites"] if s["id"] == site)
    return {f["url"]: f for f in data["findings"] if not rules or f["rule"] in rules}


def expected(site: str) -> list[dict]:
    entries = yaml.safe_load((FIXTURES / "expected" / "columns.yaml").read_text("utf-8"))
    return [e for e in entries if e["site"] == site]


# ------------------------------------------------------------------ exactly the planted problems

@pytest.mark.parametrize("site", SITES)
def test_findings_are_exactly_the_planted_problems(report, site):
    data = next(s for s in report["sites"] if s["id"] == site)
    assert data["errors"] == [] and data["complete"] is True
    actual = {(f["rule"], f["url"], f["level"]) for f in data["findings"]}
    planted = {(e["rule"], e["url"], e["level"]) for e in expected(site)}
    assert actual == planted, f"missed: {sorted(planted - actual)}\nextra: {sorted(actual - planted)}"
    by_key = {(f["rule"], f["url"]): f for f in data["findings"]}
    for e in expected(site):
        if "found_on" in e:
            assert by_key[(e["rule"], e["url"])]["found_on"] == sorted(e["found_on"]), e["url"]


@pytest.mark.parametrize("site,url,name,cls,day,limit,level", STALE, ids=[s[2] for s in STALE])
def test_stale_column_found_with_its_evidence(report, site, url, name, cls, day, limit, level):
    finding = findings(report, site, "column-stale")[url]
    ev = finding["evidence"]
    assert (ev["column"], ev["list_url"], ev["class"], ev["newest"], ev["limit_days"], ev["level"]) == \
        (name, url, cls, day, limit, level)
    assert ev["age_days"] == (AS_OF - dt.date.fromisoformat(day)).days > limit
    assert name in finding["message"] and day in finding["message"] and f"{limit} 天" in finding["message"]


@pytest.mark.parametrize("site,url,name,placeholder", EMPTY, ids=[e[2] for e in EMPTY])
def test_empty_column_found_with_its_evidence(report, site, url, name, placeholder):
    finding = findings(report, site, "column-empty")[url]
    ev = finding["evidence"]
    assert (ev["column"], ev["list_url"], ev["placeholder"]) == (name, url, placeholder)
    assert name in finding["message"]


@pytest.mark.parametrize("site,url,name,items,day,source", FRESH, ids=[f"{f[0]}-{f[2]}" for f in FRESH])
def test_fresh_and_non_empty_columns_are_not_flagged(report, facts, site, url, name, items, day, source):
    assert url not in findings(report, site, *COLUMN_RULES)
    col = facts[site].columns[column_key(url)]
    assert col.fetched and col.name == name and col.items == items
    assert newest(col.dates, AS_OF) == (dt.date.fromisoformat(day) if day else None)
    if source:
        assert source in col.sources


def test_stale_and_empty_columns_in_facts_match_the_evidence(facts):
    for site, url, name, _cls, day, _limit, level in STALE:
        col = facts[site].columns[column_key(url)]
        assert (col.name, col.level, newest(col.dates, AS_OF)) == (name, level, dt.date.fromisoformat(day))
    for site, url, name, _placeholder in EMPTY:
        col = facts[site].columns[column_key(url)]
        assert (col.name, col.fetched, col.items) == (name, True, 0)


# ------------------------------------------------------------------ platform lists count their items

def test_hanweb_datastore_list_counts_its_records(facts):
    col = facts["hedong"].columns[column_key(f"{HEDONG}/col/col2311/index.html")]
    assert (col.name, col.platform, col.items, col.dated) == ("通知公告", "hanweb", 4, 4)
    assert col.sources == ["hanweb-datastore"]
    assert [s.title for s in col.samples][0] == "关于2026年冬季农村饮用水安全排查工作的通知"
    empty = facts["hedong"].columns[column_key(f"{HEDONG}/col/col2315/index.html")]
    assert (empty.platform, empty.items) == ("hanweb", 0)


def test_script_written_list_counts_its_items(facts):
    col = facts["hexi"].columns[column_key(f"{HEXI}/xwzx/zjdt/index.html")]
    assert (col.name, col.items, col.dated) == ("镇街动态", 4, 4)
    assert f"script:{HEXI}/js/list_zjdt.js" in col.sources
    assert facts["hexi"].scripts[f"{HEXI}/js/list_zjdt.js"].list.items == 4
    assert {s.url for s in col.samples} == {f"{HEXI}/xwzx/zjdt/202611/t2026{d}.html"
                                           for d in ("1118_5301", "1115_5297", "1111_5290", "1104_5283")}


def test_trs_pagination_pages_count_into_the_column(facts):
    col = facts["hexi"].columns[column_key(f"{HEXI}/xwzx/hxyw/index.html")]
    assert col.platform == "trs" and col.items == 5
    assert sorted(col.pages) == [f"{HEXI}/xwzx/hxyw/index.html", f"{HEXI}/xwzx/hxyw/index_1.html"]


def test_column_hierarchy_and_counts_per_site(facts):
    hexi, hedong = facts["hexi"].columns, facts["hedong"].columns
    assert (len(hexi), sum(c.items for c in hexi.values())) == (16, 29)
    assert (len(hedong), sum(c.items for c in hedong.values())) == (6, 10)
    assert all(c.fetched for c in (*hexi.values(), *hedong.values()))
    first = sorted(c.name for c in hexi.values() if c.level == 1)
    assert first == sorted(["河西要闻", "政务公开", "政策文件", "规范性文件", "互动交流"])
    under = sorted(c.name for c in hexi.values() if c.parent == "政务公开")
    assert under == sorted(["通知公告", "公示公告", "政策解读", "人事信息", "任前公示", "规划计划", "数据发布", "财政预决算"])


def test_homepage_stale_counts_undated_items_as_not_updated(report, facts):
    finding = findings(report, "hedong", "homepage-stale")[f"{HEDONG}/"]
    ev = finding["evidence"]
    assert (ev["items"], ev["dated_items"], ev["newest"], ev["age_days"], ev["limit_days"], ev["navigation_only"]) == \
        (5, 2, "2026-10-28", 23, 14, False)
    home = facts["hexi"].homepage_list
    assert home.items == 7 and newest(home.dates, AS_OF) == dt.date(2026, 11, 17)
    assert "homepage-stale" not in {f["rule"] for f in findings(report, "hexi").values()}


def test_page_tags_findings_name_the_missing_tags(report):
    hexi = findings(report, "hexi", "missing-page-tags")
    assert hexi[f"{HEXI}/xwzx/hxyw/202611/t20261113_5102.html"]["evidence"]["missing"] == ["ContentSource"]
    assert hexi[f"{HEXI}/zwgk/gsgg/index.html"]["evidence"]["missing"] == ["ColumnName"]
    hedong = findings(report, "hedong", "missing-page-tags")
    assert hedong[f"{HEDONG}/"]["evidence"] == {
        "page_kind": "首页", "missing": ["SiteDomain"], "required": ["SiteName", "SiteDomain", "SiteIDCode"]}


# ------------------------------------------------------------------ the HTML report

def _site_section(tree: LexborHTMLParser, site_id: str):
    return next(s for s in tree.css("section.site") if s.css_first("h2 .muted").text() == site_id)


def test_html_report_groups_column_findings_by_column(report):
    tree = LexborHTMLParser(render_html(report))
    hexi = _site_section(tree, "hexi")
    stale = next(g for g in hexi.css("div.group") if g.attributes.get("data-rule") == "column-stale")
    heads = [h.text() for h in stale.css("h5")]
    assert heads == sorted(f"栏目：{n}（1）" for s, _u, n, *_ in STALE if s == "hexi")
    for sub in stale.css("div.group"):
        name = sub.css_first("h5").text()[3:-3]
        url = next(u for s, u, n, *_ in STALE if s == "hexi" and n == name)
        assert url in [a.attributes.get("href") for a in sub.css(".finding a")]   # the list page
        assert name in sub.css_first(".finding .msg").text()
    empty = next(g for g in hexi.css("div.group") if g.attributes.get("data-rule") == "column-empty")
    assert [h.text() for h in empty.css("h5")] == ["栏目：数据发布（1）", "栏目：财政预决算（1）"]
    hedong = _site_section(tree, "hedong")
    empty = next(g for g in hedong.css("div.group") if g.attributes.get("data-rule") == "column-empty")
    assert [h.text() for h in empty.css("h5")] == ["栏目：专项规划（1）", "栏目：政策解读（1）"]
