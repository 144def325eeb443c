"""Interaction and services: an online 咨询/留言 channel, messages answered within 3 months,
an entry to online services, and 办事指南 with their key elements."""

from __future__ import annotations

import datetime as dt
import re
from typing import Iterator, Mapping, Sequence

from govscan.extract.columns import is_article_url
from govscan.extract.identity import loaded_sources
from govscan.extract.interaction import clean_label
from govscan.extract.zh import to_simplified
from govscan.facts import HomeSource, Message, ServiceGuide, SiteFacts
from govscan.model import Context, Hit
from govscan.rules import rule
from govscan.urls import host_of

_BASIS_2019 = "《政府网站与政务新媒体检查指标》（国办秘函〔2019〕19号）单项否决"
_VIA = {"homepage": "首页", "inline-script": "首页脚本写入", "script": "同站脚本", "frame": "框架页", "include": "引入片段"}


def _contains(text: str, words: Sequence[str]) -> str | None:
    simple = to_simplified(text)
    return next((w for w in words if w and to_simplified(str(w)) in simple), None)


def _searched(sources: Sequence[HomeSource]) -> list[dict[str, str]]:
    return [{"url": s.url, "via": s.via, "via_zh": _VIA.get(s.via, s.via)} for s in sources]


def _home_links(sources: Sequence[HomeSource]) -> Iterator[tuple[str, str, HomeSource]]:
    for source in sources:
        for url, tag, text in source.links:
            if tag in ("a", "area", "option"):
                yield url, text, source


def _entry_label(url: str, text: str, max_chars: int) -> bool:
    """Whether a link can be an entry by its text: a short label, not a headline. A news item
    (县政务服务中心推出…, 开展“法律咨询进万家”活动) names a keyword without being a channel or a
    service entry: its text is long, or it links an article page."""
    return bool(text) and len(text.strip()) <= max_chars and not is_article_url(url)


# ------------------------------------------------------------------ channels

@rule(id="missing-interaction-channel", title="缺少互动交流渠道", indicator="互动回应差",
      basis=_BASIS_2019 + "互动回应差：未提供有效的在线咨询建言渠道（网上信访、纪检举报等专门渠道除外）",
      scope="site", level="error",
      options={
          "keywords": ["信箱", "咨询", "留言", "建言", "献策", "12345", "互动交流", "政民互动", "我要写信",
                       "民意直通车", "问政", "诉求", "政务互动"],
          "exclude-keywords": ["信访", "纪检", "举报"],
          "max-text-chars": 16,
      })
def missing_interaction_channel(facts: SiteFacts, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: the homepage (including navigation written by same-site scripts) links
    an online 咨询/建言 channel: 信箱, 咨询, 留言, 建言献策, 12345, 互动交流 and the like.
    Special channels — 网上信访, 纪检举报, 举报 — do not count, even when they are the only ones.

    Why it matters: no effective online consultation channel is a 单项否决 item (互动回应差).
    Failing example: a homepage whose only interaction link is 网上信访.
    Passing example: <a href="/hdjl/szxx/">市长信箱</a> or a 12345 热线 link.
    A link whose text is longer than max-text-chars, or that points to an article page, is a
    news item (开展“法律咨询进万家”活动), not a channel.
    Options: keywords — link texts that make a channel; exclude-keywords — texts that make a
    link a special channel that does not count; max-text-chars — longest link text read as a
    channel's label.
    """
    sources = loaded_sources(facts)
    if not sources:
        return
    excluded: list[str] = []
    for url, text, _source in _home_links(sources):
        if not text:
            continue
        if _contains(text, options["exclude-keywords"]):
            if text not in excluded and len(text) <= 20:
                excluded.append(text)
            continue
        if _contains(text, options["keywords"]) and _entry_label(url, text, options["max-text-chars"]):
            return
    message = "首页未提供在线咨询、留言或信箱等互动交流渠道"
    if excluded:
        message += f"（仅见不计入的专门渠道：{'、'.join(excluded[:5])}）"
    evidence = {"searched": _searched(sources)}
    if excluded:
        evidence["excluded_channels"] = excluded[:10]
    yield Hit(message, url=ctx.site.url, evidence=evidence)


# ------------------------------------------------------------------ messages

def message_state(message: Message, options: Mapping) -> str:
    """answered, unanswered or unknown, from reply date, reply text and status words."""
    status = to_simplified(message.status)
    if status and _contains(status, options["unanswered-words"]) and message.replied is None:
        return "unanswered"
    if message.replied is not None or message.reply_text:
        return "answered"
    if status and _contains(status, options["answered-words"]):
        return "answered"
    if message.reply_field:
        return "unanswered"   # a reply-date field shown empty
    return "unknown"


@rule(id="unanswered-message", title="留言超期未答复", indicator="互动回应差",
      basis=_BASIS_2019 + "互动回应差：监测时间点前1年内，政务咨询类栏目存在超过3个月未回应的有效留言",
      scope="site", level="error",
      options={
          "window-days": 365,
          "max-days": 90,
          "answered-words": ["已回复", "已答复", "已办结", "办结", "已处理", "已反馈", "已解答", "已完成", "已回应"],
          "unanswered-words": ["未回复", "待回复", "未答复", "待答复", "尚未回复", "暂未回复", "暂无回复", "办理中", "处理中",
                               "待处理", "未处理", "未办结", "正在办理", "正在处理", "受理中", "已受理", "转办中",
                               "审核中"],
          "exclude-keywords": ["信访", "举报", "访谈", "征集", "调查"],
          "count-late-replies": True,
      })
def unanswered_message(facts: SiteFacts, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: messages of 政务咨询 columns (信箱, 留言板, 咨询 lists in table or list
    form, and messages' own pages) posted within the window before the as-of date: one that is
    still unanswered (未回复, 办理中 … or an empty reply date) more than max-days after it was
    posted is a finding; so is one answered later than max-days (count-late-replies).
    Lists of 信访, 举报, 在线访谈 and 调查征集 columns are not judged.

    Why it matters: a valid message left unanswered for more than 3 months in the last year is
    a 单项否决 item (互动回应差).
    Failing example: 留言时间 2025-01-05, 状态 未回复, checked on 2025-06-01.
    Passing example: 留言时间 2025-01-05, 回复时间 2025-01-20, 状态 已回复.
    Options: window-days — messages posted earlier are not checked; max-days — longest wait
    for a reply; answered-words, unanswered-words — status texts; exclude-keywords — columns
    that are not 政务咨询; count-late-replies — also flag replies given after max-days.
    """
    oldest = ctx.as_of - dt.timedelta(days=options["window-days"])
    limit = options["max-days"]
    for message in facts.messages.values():
        asked = message.asked
        if not isinstance(asked, dt.date) or not oldest <= asked <= ctx.as_of:
            continue
        if _contains(message.column, options["exclude-keywords"]):
            continue
        state = message_state(message, options)
        found_on = (message.list_url,) if message.list_url and message.list_url != message.url else ()
        key = f"{message.title}|{asked.isoformat()}" if message.url == message.list_url else ""
        evidence = {"title": message.title, "asked": asked.isoformat(),
                    "replied": message.replied.isoformat() if isinstance(message.replied, dt.date) else None,
                    "status": message.status or None, "as_of": ctx.as_of.isoformat(), "source": message.source,
                    "max_days": limit}
        if state == "unanswered":
            days = (ctx.as_of - asked).days
            if days > limit:
                yield Hit(f"留言“{message.title[:40]}”于 {asked.isoformat()} 提交，截至 {ctx.as_of.isoformat()} "
                          f"已 {days} 天未答复（超过 {limit} 天）",
                          url=message.url, found_on=found_on, key=key, evidence={**evidence, "days": days})
        elif state == "answered" and options["count-late-replies"] and isinstance(message.replied, dt.date):
            days = (message.replied - asked).days
            if days > limit:
                yield Hit(f"留言“{message.title[:40]}”于 {asked.isoformat()} 提交，{message.replied.isoformat()} "
                          f"才答复，间隔 {days} 天（超过 {limit} 天）",
                          url=message.url, found_on=found_on, key=key, evidence={**evidence, "days": days})


# ------------------------------------------------------------------ services

def _offers_services(ctx: Context) -> bool:
    if ctx.site.offers_services is not None:
        return ctx.site.offers_services
    return ctx.site.kind == "portal"


@rule(id="missing-service-entry", title="缺少办事服务入口", indicator="服务不实用",
      basis=_BASIS_2019 + "服务不实用：未提供办事服务",
      scope="site", level="error",
      options={
          "hosts": ["zwfw.gov.cn", "gjzwfw.gov.cn"],
          "host-patterns": [r"(?:^|\.)zwfw\.", r"(?:^|\.)zwdt\.", r"(?:^|\.)ywtb\.", r"zwfw"],
          "link-texts": ["办事服务", "网上办事", "政务服务", "在线办事", "在线办理", "一网通办", "办事大厅",
                         "我要办事", "网上服务大厅", "政务服务网", "办事指南"],
          "max-text-chars": 16,
      })
def missing_service_entry(facts: SiteFacts, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: the homepage of a portal (``kind: portal``) or of a site configured with
    ``offers_services: true`` links online services: the provincial or national 政务服务网
    (*.zwfw.gov.cn, gjzwfw.gov.cn, 一网通办 hosts) or the site's own 办事服务 section, named by
    its link text. Sites with ``offers_services: false`` are not checked.

    Why it matters: offering no 办事服务 is a 单项否决 item (服务不实用).
    Failing example: a county portal whose homepage has news and 信息公开 but no 办事 link.
    Passing example: <a href="https://www.zjzwfw.gov.cn/">浙江政务服务网</a> or <a href="/bsfw/">办事服务</a>.
    A link named like a section whose text is longer than max-text-chars, or that points to an
    article page, is a news item (县政务服务中心推出…), not an entry.
    Options: hosts — service hosts (subdomains included); host-patterns — regexes on link
    hosts; link-texts — link texts of an own 办事服务 section; max-text-chars — longest link
    text read as a section's label.
    """
    if not _offers_services(ctx):
        return
    sources = loaded_sources(facts)
    if not sources:
        return
    patterns = [re.compile(p, re.I) for p in options["host-patterns"]]
    hosts = [h.lower() for h in options["hosts"]]
    for url, text, _source in _home_links(sources):
        host = host_of(url)
        if any(host == h or host.endswith("." + h) for h in hosts) or any(p.search(host) for p in patterns):
            return
        if text and _contains(text, options["link-texts"]) and _entry_label(url, text, options["max-text-chars"]):
            return
    yield Hit("首页未提供办事服务入口（未链接政务服务网，也无本站办事服务栏目）", url=ctx.site.url,
              evidence={"searched": _searched(sources), "kind": ctx.site.kind,
                        "offers_services": ctx.site.offers_services})


_ELEMENTS = {
    "事项名称": ["事项名称", "项目名称", "服务事项名称", "审批事项名称"],
    "设定依据": ["设定依据", "法律依据", "办理依据", "实施依据", "政策依据", "法定依据"],
    "申请条件": ["申请条件", "受理条件", "办理条件", "申报条件", "准予条件"],
    "办理材料": ["办理材料", "申请材料", "申报材料", "所需材料", "提交材料", "材料目录", "申请资料"],
    "办理地点": ["办理地点", "受理地点", "办理地址", "受理地址", "窗口地址", "办公地点"],
    "办理机构": ["办理机构", "受理机构", "实施机构", "实施主体", "受理部门", "办理部门", "承办机构", "决定机构"],
    "收费标准": ["收费标准", "收费依据", "是否收费", "收费情况", "收费项目"],
    "办理时间": ["办理时间", "受理时间", "办公时间", "工作时间", "窗口办理时间"],
    "联系电话": ["联系电话", "咨询电话", "咨询方式", "联系方式", "咨询途径"],
    "办理流程": ["办理流程", "办事流程", "办理程序", "审批流程", "流程图", "办理环节", "受理流程"],
}


def guide_elements(guide: ServiceGuide, options: Mapping) -> tuple[list[str], list[str]]:
    """(present, missing) elements of a guide: a label naming an element counts when a value
    follows it; 事项名称 also counts when the title names the item."""
    labels = [(to_simplified(clean_label(label)), has_value) for label, has_value in guide.labels]
    present, missing = [], []
    for element, synonyms in options["elements"].items():
        words = [to_simplified(str(s)) for s in synonyms] or [element]
        if any(has_value and any(w in label for w in words) for label, has_value in labels):
            present.append(element)
        else:
            missing.append(element)
    if options["item-name-from-title"] and "事项名称" in missing:
        rest = to_simplified(guide.title)
        for word in options["title-keywords"]:
            rest = rest.replace(to_simplified(word), "")
        if len(re.findall(r"[\u4e00-\u9fff]", re.sub(r"指南|详情|办事|服务", "", rest))) >= 2:
            missing.remove("事项名称")
            present.append("事项名称")
    return present, missing


@rule(id="incomplete-service-guide", title="办事指南要素缺失", indicator="服务不实用",
      basis=_BASIS_2019 + "服务不实用：办事指南要素（事项名称、设定依据、申请条件、办理材料、办理地点、办理机构、"
            "收费标准、办理时间、联系电话、办理流程）缺失4类及以上",
      scope="site", level="error",
      options={
          "title-keywords": ["办事指南", "服务指南"],
          "min-elements": 3,
          "missing-threshold": 4,
          "item-name-from-title": True,
          "elements": _ELEMENTS,
      })
def incomplete_service_guide(facts: SiteFacts, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: every 办事指南 page — titled 办事指南 / 服务指南 (with at least one element
    shown), or showing min-elements of the elements — shows the ten key elements: 事项名称,
    设定依据, 申请条件, 办理材料, 办理地点, 办理机构, 收费标准, 办理时间, 联系电话, 办理流程.
    An element counts when one of its labels (synonyms such as 受理条件, 申请材料, 咨询电话) is
    followed by a value; a guide missing missing-threshold or more is a finding listing them.

    Why it matters: guides missing 4 or more element categories are counted toward the 服务不实用
    单项否决 item (5 such guides, or all guides when a site has fewer than 5).
    Failing example: a guide showing only 事项名称, 办理材料 and 联系电话.
    Passing example: a guide table with all ten rows filled.
    Options: title-keywords — titles of guide pages; min-elements — elements that make an
    untitled page a guide; missing-threshold — missing elements that make a finding;
    item-name-from-title — a title naming the item counts as 事项名称; elements — element ->
    label synonyms.
    """
    threshold = options["missing-threshold"]
    for guide in facts.service_guides.values():
        titled = _contains(guide.title, options["title-keywords"]) is not None
        present, missing = guide_elements(guide, options)
        labelled = [p for p in present if p != "事项名称" or any("名称" in label for label, _ in guide.labels)]
        if not (titled and labelled) and len(labelled) < options["min-elements"]:
            continue
        if len(missing) < threshold:
            continue
        yield Hit(f"办事指南“{guide.title[:40]}”缺少 {len(missing)} 类要素：{'、'.join(missing)}",
                  url=guide.url,
                  evidence={"title": guide.title, "missing": missing, "present": present,
                            "missing_count": len(missing), "threshold": threshold})
