"""Freshness: the homepage and every column are updated within their windows, no column is empty."""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterator

from govscan.extract.columns import classify, contains_any
from govscan.extract.dates import newest, resolve
from govscan.facts import Column, SiteFacts
from govscan.model import Context, Hit
from govscan.rules import rule

_LEVEL_NAME = {1: "一级栏目", 2: "二级栏目"}

DEFAULT_CLASSES: dict[str, list[str]] = {
    "动态要闻": ["要闻", "动态", "新闻", "工作动态", "政务动态", "部门动态", "基层动态", "区县动态", "乡镇动态",
             "镇街动态", "新闻中心", "新闻动态", "图片新闻", "今日", "头条", "时政", "本地新闻", "领导活动",
             "媒体关注", "媒体报道", "工作信息", "政务信息"],
    "通知公告": ["通知公告", "通知", "公告", "通告", "公示", "公示公告", "最新公告", "公告公示"],
    "政策文件": ["政策文件", "政策法规", "法规文件", "规范性文件", "政府文件", "政府规章", "部门文件", "市政府文件",
             "办公室文件", "政府令", "政府公报", "法律法规", "文件"],
    "人事": ["人事信息", "人事任免", "任免信息", "干部任免", "任前公示", "人事", "任免", "招录", "招聘", "公务员招考",
           "事业单位招聘"],
    "规划计划": ["规划计划", "发展规划", "规划信息", "专项规划", "五年规划", "十四五规划", "计划总结", "工作计划",
             "年度计划", "工作要点", "工作总结", "规划", "计划"],
    "政策解读": ["政策解读", "解读", "图解", "一图读懂", "专家解读", "部门解读", "媒体解读", "解读回应", "政策问答",
             "新闻发布会", "发布会"],
    "回应关切": ["回应关切", "热点回应", "舆情回应", "新闻发布"],
    "政务咨询": ["信箱", "咨询", "我要咨询", "网上咨询", "在线咨询", "咨询投诉", "留言", "留言板", "公众留言",
             "我要写信", "民意直通车", "政民互动", "12345"],
    "调查征集": ["调查征集", "意见征集", "征求意见", "民意征集", "网上调查", "在线调查", "问卷调查"],
    "互动访谈": ["在线访谈", "访谈", "政务访谈", "在线直播", "网络问政"],
    "机构概况": ["机构概况", "机构职能", "职能职责", "内设机构", "组织机构", "领导信息", "领导之窗", "领导简介",
             "单位概况", "概况", "走进"],
    "办事服务": ["办事服务", "网上办事", "政务服务", "办事指南", "在线办理", "表格下载", "下载中心", "便民服务",
             "办件统计", "办事统计", "办事", "服务"],
    "信息公开": ["政府信息公开", "信息公开目录", "信息公开指南", "信息公开制度", "法定主动公开内容", "信息公开年报",
             "依申请公开", "信息公开"],
    "数据发布": ["数据发布", "统计数据", "统计信息", "统计公报", "数据开放", "数据解读"],
    "专题专栏": ["专题专栏", "专题", "专栏"],
}
DEFAULT_MAX_AGE = {"动态要闻": 14, "通知公告": 180, "政策文件": 180, "人事": 365, "规划计划": 365}
DEFAULT_PLACEHOLDERS = ["建设中", "改版中", "升级中", "维护中", "暂无信息", "暂无内容", "暂无数据", "暂无记录",
                        "暂无文章", "暂无相关信息", "正在建设", "正在完善", "正在更新", "敬请期待", "待更新"]


def _age(day: dt.date | None, as_of: dt.date) -> int | None:
    return (as_of - day).days if day is not None else None


@rule(id="homepage-stale", title="首页不更新", indicator="首页不更新",
      basis="《政府网站与政务新媒体检查指标》（国办秘函〔2019〕19号）单项否决：监测时间点前2周内首页无信息更新（首页仅为导航页时，所有二级页面均无更新）；"
            "《全国政府网站普查评分表》：未注明信息发布时间的视为不更新",
      scope="site", level="error",
      options={"max-age-days": 14, "navigation-only-max-items": 3})
def homepage_stale(facts: SiteFacts, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: the homepage shows at least one item (news, notice, document …) published
    within the last max-age-days days before the as-of date. Items without a date count as not
    updated. A navigation-only homepage (at most navigation-only-max-items list items but links to
    second-level pages) is judged by its second-level pages: one of them must have a new item.

    Why it matters: a homepage without new information for 2 weeks is a 单项否决 (veto) item.
    Failing example: as of 2024-06-30 the newest homepage item is dated 2024-05-20, or the
    homepage lists news without any dates.
    Passing example: the homepage "要闻" block has an item dated 2024-06-25.
    Options: max-age-days — the window in days (14); navigation-only-max-items — a homepage
    with this many list items or fewer is treated as a navigation page.
    """
    stats = facts.homepage_list
    if stats is None:   # the homepage was not fetched: site-unreachable reports it
        return
    limit = options["max-age-days"]
    as_of = ctx.as_of
    latest = newest(stats.dates, as_of)
    if latest is not None and (as_of - latest).days <= limit:
        return
    evidence: dict[str, Any] = {
        "newest": latest, "age_days": _age(latest, as_of), "limit_days": limit,
        "items": stats.items, "dated_items": stats.dated, "navigation_only": False,
    }
    second = _second_level(facts)
    if stats.items <= options["navigation-only-max-items"] and second:
        best_url, best = None, None
        for url, dates in second.items():
            day = newest(dates, as_of)
            if day is not None and (best is None or day > best):
                best_url, best = url, day
        if best is not None and (as_of - best).days <= limit:
            return
        evidence.update(navigation_only=True, second_level_pages=len(second),
                        second_level_newest=best, second_level_newest_url=best_url)
        when = f"最新信息发布于 {best.isoformat()}（距检查日 {(as_of - best).days} 天）" if best else "均未发现带日期的信息"
        message = f"首页为导航页，其 {len(second)} 个二级页面在检查日前 {limit} 天内均无更新：{when}"
    elif latest is not None:
        message = f"首页在检查日前 {limit} 天内无更新：最新信息发布于 {latest.isoformat()}（距检查日 {(as_of - latest).days} 天）"
    elif stats.items:
        message = f"首页的 {stats.items} 条信息均未标注发布日期，视为未更新"
    else:
        message = "首页未发现带发布日期的信息，视为未更新"
    sample = [{"title": i.title, "url": i.url, "date": resolve(i.date, as_of)} for i in stats.samples[:5]]
    if sample:
        evidence["items_sample"] = sample
    yield Hit(message, url=ctx.site.url, evidence=evidence)


def _second_level(facts: SiteFacts) -> dict[str, list]:
    """Second-level pages (linked from the homepage) and their newest dates."""
    pages = {url: list(dates) for url, dates in facts.second_level.items()}
    for col in facts.columns.values():
        if col.fetched and col.depth == 1:
            pages.setdefault(col.url, []).extend(col.dates)
    return pages


def _column_evidence(col: Column, **extra: Any) -> dict[str, Any]:
    evidence = {"column": col.name, **extra, "list_url": col.url, "level": col.level}
    if col.parent:
        evidence["parent"] = col.parent
    if col.platform:
        evidence["platform"] = col.platform
    return evidence


@rule(id="column-stale", title="栏目不更新", indicator="栏目不更新",
      basis="《政府网站与政务新媒体检查指标》（国办秘函〔2019〕19号）单项否决“栏目不更新”：动态、要闻类栏目2周、通知公告、政策文件类栏目6个月未更新；"
            "《全国政府网站普查评分表》基本信息更新：人事、规划计划类栏目1年未更新",
      scope="site", level="error",
      options={"classes": DEFAULT_CLASSES, "max-age-days": DEFAULT_MAX_AGE})
def column_stale(facts: SiteFacts, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: each column with items has an item newer than its class allows. The class
    comes from the column's name by keyword (simplified or traditional): 动态要闻 14 days,
    通知公告 and 政策文件 180 days, 人事 and 规划计划 365 days. Items without a date count as not
    updated. Columns of classes without a window (解读, 咨询, 办事 …) and empty columns (see
    column-empty) are not judged here.

    Why it matters: 5 or more stale 动态要闻/通知公告/政策文件 columns, or 10 stale columns of any
    class, are a 单项否决 (veto); each stale column is also deducted 3–5 points.
    Failing example: as of 2024-06-30 the column “工作动态” (动态要闻) lists 2024-05-01 as its newest item.
    Passing example: “通知公告” with an item dated 2024-03-01 (within 180 days).
    Options: classes — class name → keywords matched against column names (exact, then suffix,
    then substring; longer keywords first); max-age-days — class name → days (classes not listed
    are not checked).
    """
    classes = options["classes"]
    windows = options["max-age-days"]
    as_of = ctx.as_of
    for col in facts.columns.values():
        if not col.fetched or col.items == 0 or not col.name:
            continue
        cls = classify(col.name, classes)
        if cls is None or cls not in windows:
            continue
        limit = int(windows[cls])
        latest = newest(col.dates, as_of)
        if latest is not None and (as_of - latest).days <= limit:
            continue
        if latest is not None:
            message = (f"栏目“{col.name}”（{cls}类，应在 {limit} 天内更新）最新信息发布于 {latest.isoformat()}，"
                       f"已 {(as_of - latest).days} 天未更新")
        else:
            message = f"栏目“{col.name}”（{cls}类）的 {col.items} 条信息均未标注发布日期，视为未更新"
        evidence = _column_evidence(col, **{"class": cls, "newest": latest, "age_days": _age(latest, as_of),
                                            "limit_days": limit})
        evidence.update(items=col.items, dated_items=col.dated)
        yield Hit(message, url=col.url, found_on=tuple(u for u in col.found_on if u != col.url)[:5],
                  evidence=evidence)


@rule(id="column-empty", title="空白栏目", indicator="栏目不更新",
      basis="《政府网站与政务新媒体检查指标》（国办秘函〔2019〕19号）单项否决“栏目不更新”：空白栏目数量≥5个；"
            "《全国政府网站普查评分表》：有栏目无内容",
      scope="site", level="error",
      options={"placeholders": DEFAULT_PLACEHOLDERS, "min-content-chars": 50})
def column_empty(facts: SiteFacts, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: every column list page the crawl reached holds at least one item. Items
    rendered by TRS pagination, Hanweb datastore records, UCAP lists or same-site scripts
    (document.write) count. A column page with no items is empty when it shows a placeholder
    (建设中, 暂无信息 …) or hardly any text; a page of sub-column links or an introduction text
    (机构概况) is not an empty column.

    Why it matters: 5 or more empty columns (有栏目无内容) are a 单项否决 (veto).
    Failing example: “政策解读” whose list page shows only “栏目建设中，敬请期待”; a Hanweb column
    whose datastore has no record.
    Passing example: a list with one dated item, however old (column-stale judges its age).
    Options: placeholders — phrases that mark a column under construction (matched in
    simplified and traditional form); min-content-chars — a page with no items but at least this
    much text (outside links and page chrome) is a content page, not an empty column.
    """
    for col in facts.columns.values():
        if not col.fetched or col.items > 0:
            continue
        placeholder = contains_any(col.text_sample, options["placeholders"]) if col.text_sample else None
        if placeholder is None and (col.subcolumns >= 2 or col.content_chars >= options["min-content-chars"]):
            continue
        if placeholder:
            message = f"栏目“{col.name or col.url}”无信息，只有占位内容“{placeholder}”"
        else:
            message = f"栏目“{col.name or col.url}”无任何信息"
        evidence = _column_evidence(col, placeholder=placeholder, content_chars=col.content_chars)
        if col.text_sample:
            evidence["text"] = col.text_sample[:120]
        yield Hit(message, url=col.url, found_on=tuple(u for u in col.found_on if u != col.url)[:5],
                  evidence=evidence)
