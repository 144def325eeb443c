"""The national scoring model: 单项否决 (vetoes), 扣分 (deductions), the score and 合格.

《政府网站与政务新媒体检查指标》（国办秘函〔2019〕19号）, with the 2015 普查评分表 deductions where
2019 is silent. Reads findings, SiteFacts and the availability history only; every number comes
from the ``scoring`` section of rules.yaml.

Decisions the official text leaves open, taken here:

- A finding counts once: a finding behind a veto is not also deducted, and within each
  ``same-subject`` list of rules one URL is counted under the first rule that counts it (a column
  counted empty or stale loses no more points for its page tags or as a soft-404 link).
- A vetoed site still gets the score of its other problems, for information; it is 不合格 anyway.
- A homepage that could not be fetched in this scan leaves the site unjudged: with enough probe
  history below the veto ratio there is no veto, but the site is not 合格 either.
- Indicator caps apply first, then the group's points cap the indicators of that group.
- Portals scoring above the bonus gate would have the 加分 part considered; govscan has no bonus
  checks yet, so the bonus is 0 and the verdict says so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from govscan.facts import SiteFacts
from govscan.model import Finding
from govscan.report import Verdict

# The 2019 veto indicators each veto rule belongs to (labels of the national text, not settings).
VETO_ITEMS = {
    "site-unreachable": "站点无法访问",
    "homepage-stale": "首页不更新",
    "column-stale": "栏目不更新",
    "column-empty": "栏目不更新",
    "spam-injection": "安全、泄密事故等严重问题",
    "suspicious-script": "安全、泄密事故等严重问题",
    "wrong-expression": "安全、泄密事故等严重问题",
    "missing-interaction-channel": "互动回应差",
    "unanswered-message": "互动回应差",
    "missing-service-entry": "服务不实用",
    "incomplete-service-guide": "服务不实用",
}
_LEVEL_ZH = {"error": "错误", "warning": "警告", "info": "提示"}
_SEVERITY_ZH = {"severe": "严重", "normal": "一般"}


@dataclass(frozen=True)
class Availability:
    """Homepage probes of the history window: how many, how many failed, their ratio."""

    probes: int
    failures: int
    ratio: float

    @classmethod
    def of(cls, value: Mapping[str, Any] | None) -> "Availability | None":
        if not value:
            return None
        probes = int(value.get("probes", 0) or 0)
        failures = int(value.get("failures", 0) or 0)
        ratio = value.get("ratio")
        if ratio is None:
            ratio = failures / probes if probes else 0.0
        return cls(probes, failures, float(ratio))


def offers_services(facts: SiteFacts) -> bool:
    """The site offers services: as configured, else portals do (same as missing-service-entry)."""
    site = facts.site
    return site.offers_services if site.offers_services is not None else site.kind == "portal"


def services_excluded(facts: SiteFacts) -> bool:
    """The 4/3 rule: a department (or other non-portal) site configured without services."""
    return facts.site.offers_services is False and facts.site.kind != "portal"


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _pct(ratio: float) -> str:
    return _num(ratio * 100) + "%"


# ------------------------------------------------------------------ vetoes

def _veto(rule: str, title: str, findings: Iterable[Finding], reason: str, **extra: Any) -> dict[str, Any]:
    return {"item": VETO_ITEMS[rule], "title": title, "rule": rule,
            "fingerprints": [f.fingerprint for f in findings], "reason": reason, **extra}


def _vetoes(by_rule: Mapping[str, list[Finding]], facts: SiteFacts, cfg: Mapping[str, Any],
            availability: Availability | None) -> tuple[list[dict[str, Any]], list[str]]:
    notes: list[str] = []
    vetoes: list[dict[str, Any]] = []

    def on(rule: str) -> Mapping[str, Any] | None:
        spec = cfg.get(rule)
        return spec if isinstance(spec, Mapping) and spec.get("enabled", True) else None

    if (spec := on("site-unreachable")) is not None:
        hits = by_rule.get("site-unreachable", [])
        days = spec["window-days"]
        limit = float(spec["max-failure-ratio"])
        if availability is not None and availability.probes >= spec["min-probes"]:
            if availability.ratio >= limit:
                vetoes.append(_veto(
                    "site-unreachable", "站点无法访问", hits,
                    f"近{days}天首页监测 {availability.probes} 次，打不开 {availability.failures} 次"
                    f"（{_pct(availability.ratio)}），达到 {_pct(limit)}",
                    count=availability.failures, threshold=limit))
        elif hits:
            vetoes.append(_veto(
                "site-unreachable", "站点无法访问", hits,
                "本次检查首页无法访问（" + (f"近{days}天监测仅 {availability.probes} 次" if availability
                                         else "无历史监测数据") + "，按本次检查结果判定）",
                count=len(hits)))

    if on("homepage-stale") is not None and (hits := by_rule.get("homepage-stale")):
        vetoes.append(_veto("homepage-stale", "首页不更新", hits, hits[0].message, count=len(hits)))

    if (spec := on("column-stale")) is not None:
        stale = by_rule.get("column-stale", [])
        key_classes = set(spec["key-classes"])
        first_only = set(spec["first-level-only"])
        key = [f for f in stale if f.evidence.get("class") in key_classes
               and (f.evidence.get("class") not in first_only or f.evidence.get("level", 1) == 1)]
        if len(key) >= spec["key-count"]:
            classes = "、".join(spec["key-classes"])
            vetoes.append(_veto(
                "column-stale", f"{classes}类栏目不更新", key,
                f"{len(key)} 个{classes}类栏目未按期更新（达到 {spec['key-count']} 个即否决；"
                f"{'、'.join(spec['first-level-only'])}类只计一级栏目）",
                count=len(key), threshold=spec["key-count"]))
        if len(stale) >= spec["any-count"]:
            vetoes.append(_veto(
                "column-stale", "应更新栏目长期未更新", stale,
                f"{len(stale)} 个栏目未按期更新（达到 {spec['any-count']} 个即否决）",
                count=len(stale), threshold=spec["any-count"]))

    if (spec := on("column-empty")) is not None:
        empty = by_rule.get("column-empty", [])
        if len(empty) >= spec["count"]:
            vetoes.append(_veto("column-empty", "空白栏目", empty,
                                f"{len(empty)} 个空白栏目（达到 {spec['count']} 个即否决）",
                                count=len(empty), threshold=spec["count"]))

    if on("spam-injection") is not None and (hits := by_rule.get("spam-injection")):
        vetoes.append(_veto("spam-injection", "发布或链接违规内容（暗链、博彩、色情等）", hits,
                            f"{len(hits)} 处违规内容或链接", count=len(hits)))
    if on("suspicious-script") is not None and (hits := by_rule.get("suspicious-script")):
        vetoes.append(_veto("suspicious-script", "页面被挂马或插码", hits,
                            f"{len(hits)} 处可疑脚本或跳转", count=len(hits)))
    if (spec := on("wrong-expression")) is not None:
        severe = [f for f in by_rule.get("wrong-expression", [])
                  if f.evidence.get("severity") in spec["severities"]]
        if severe and len(severe) >= spec["count"]:
            vetoes.append(_veto("wrong-expression", "严重表述错误", severe,
                                f"{len(severe)} 处严重表述错误", count=len(severe), threshold=spec["count"]))

    if on("missing-interaction-channel") is not None and (hits := by_rule.get("missing-interaction-channel")):
        vetoes.append(_veto("missing-interaction-channel", "未提供有效的在线咨询建言渠道", hits,
                            hits[0].message, count=len(hits)))
    if (spec := on("unanswered-message")) is not None:
        hits = by_rule.get("unanswered-message", [])
        if hits and len(hits) >= spec["count"]:
            vetoes.append(_veto("unanswered-message", "留言超过3个月未回应", hits,
                                f"{len(hits)} 条政务咨询留言超期未回应", count=len(hits),
                                threshold=spec["count"]))

    services = offers_services(facts)
    if on("missing-service-entry") is not None and services and (hits := by_rule.get("missing-service-entry")):
        vetoes.append(_veto("missing-service-entry", "未提供办事服务", hits, hits[0].message, count=len(hits)))
    if (spec := on("incomplete-service-guide")) is not None and services:
        hits = by_rule.get("incomplete-service-guide", [])
        guides = max(len(facts.service_guides), len(hits), *(
            int(f.evidence.get("guides_total", 0) or 0) for f in hits)) if hits else 0
        need = spec["count"]
        if hits and (len(hits) >= need or (guides < need and len(hits) == guides)):
            rule_text = (f"达到 {need} 个即否决" if len(hits) >= need
                         else f"指南不足 {need} 个时全部缺失即否决")
            vetoes.append(_veto("incomplete-service-guide", "办事指南要素缺失", hits,
                                f"{len(hits)} 个办事指南缺少4类及以上要素（共发现 {guides} 个指南；{rule_text}）",
                                count=len(hits), threshold=min(need, guides)))
    if not services and by_rule.get("incomplete-service-guide"):
        notes.append("该网站未提供对外服务，办事指南问题不作为单项否决项")
    return vetoes, notes


# ------------------------------------------------------------------ deductions

@dataclass
class _Candidate:
    finding: Finding
    indicator: str
    points: float
    label: str


def _finding_points(f: Finding, spec: Mapping[str, Any], homepages: set[str]) -> tuple[float, str] | None:
    """Points for one finding under one rule's spec and a label for the detail line; None: not scored."""
    if "severities" in spec and f.evidence.get("severity") not in spec["severities"]:
        return None
    if "classes" in spec:
        cls = f.evidence.get("class")
        level = f.evidence.get("level")
        first = spec.get("first-level", {})
        if level == 1 and cls in first:
            return float(first[cls]), f"{cls}类一级栏目"
        if cls in spec["classes"]:
            return float(spec["classes"][cls]), f"{cls}类"
        return float(spec.get("points", 0)), f"{cls or '其他'}类"
    if "homepage" in spec or "other" in spec:
        on_home = f.evidence.get("on_homepage") if "on_homepage" in f.evidence else f.url in homepages
        if on_home:
            return float(spec.get("homepage", 0)), "首页"
        return float(spec.get("other", 0)), "其他页面"
    if "points" in spec:
        severity = f.evidence.get("severity") if "severities" in spec else None
        label = f"{f.title}（{_SEVERITY_ZH.get(severity, severity)}）" if severity else f.title
        return float(spec["points"]), label
    return None


def _detail(items: list[_Candidate]) -> str:
    parts: dict[tuple[str, float], int] = defaultdict(int)
    for c in items:
        parts[(c.label, c.points)] += 1
    ordered = sorted(parts.items(), key=lambda kv: (kv[0][0] != "首页", -kv[0][1], kv[0][0]))
    return "；".join(f"{label} {n} 个 × {_num(points)} 分" for (label, points), n in ordered)


def score(findings: list[Finding], facts: SiteFacts, scoring: Mapping[str, Any], complete: bool = True,
          availability: Mapping[str, Any] | None = None) -> Verdict:
    """The site's verdict. ``availability``: {"probes", "failures", "ratio"} of the homepage
    probes over the history window (``scoring.vetoes.site-unreachable.window-days``), or None."""
    avail = Availability.of(availability)
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in sorted(findings):
        by_rule[f.rule].append(f)
    titles = {f.rule: f.title for f in findings}
    homepages = {u for u in (facts.site.url, facts.final_url) if u}

    vetoes, notes = _vetoes(by_rule, facts, scoring.get("vetoes", {}), avail)
    behind_veto: dict[str, str] = {}
    for v in vetoes:
        for fp in v["fingerprints"]:
            behind_veto.setdefault(fp, v["title"])

    total = float(scoring["total"])
    groups: Mapping[str, Any] = scoring.get("groups", {})
    excluded_group = scoring.get("services-group") if services_excluded(facts) else None
    base = total - float(groups.get(excluded_group, 0)) if excluded_group else total
    if base <= 0:
        base, excluded_group = total, None

    # First pass: what each finding would count for (veto or points).
    candidates: dict[str, _Candidate] = {}
    uncounted: dict[tuple[str, str], list[str]] = defaultdict(list)
    indicators: dict[str, Mapping[str, Any]] = scoring.get("deductions", {})
    availability_items: list[tuple[str, Mapping[str, Any], Mapping[str, Any]]] = []
    for name, ind in indicators.items():
        for rule_id, spec in ind["rules"].items():
            if "per-percent" in spec:
                availability_items.append((name, ind, spec))
                continue
            for f in by_rule.get(rule_id, []):
                if f.fingerprint in behind_veto or f.fingerprint in candidates:
                    continue
                if "levels" in spec and f.level not in spec["levels"]:
                    uncounted[(rule_id, f"{_LEVEL_ZH.get(f.level, f.level)}级问题不扣分")].append(f.fingerprint)
                    continue
                got = _finding_points(f, spec, homepages)
                if got is None:
                    continue
                if excluded_group and ind["group"] == excluded_group:
                    uncounted[(rule_id, f"该网站无对外服务职能，{excluded_group}指标不计分")].append(f.fingerprint)
                    continue
                candidates[f.fingerprint] = _Candidate(f, name, got[0], got[1])

    # No double counting: one URL counts once within each same-subject list, first rule first.
    counted_rules = {f.fingerprint: f.rule for fs in by_rule.values() for f in fs
                     if f.fingerprint in behind_veto or f.fingerprint in candidates}
    for rules in scoring.get("same-subject", []):
        order = {r: i for i, r in enumerate(rules)}
        winner: dict[str, Finding] = {}
        for rule_id in rules:
            for f in by_rule.get(rule_id, []):
                if f.fingerprint in counted_rules and f.url not in winner:
                    winner[f.url] = f
        for rule_id in rules:
            for f in by_rule.get(rule_id, []):
                first = winner.get(f.url)
                if (first is None or first.fingerprint == f.fingerprint or f.fingerprint not in candidates
                        or order[first.rule] >= order[rule_id]):
                    continue
                del candidates[f.fingerprint]
                where = (f"单项否决“{behind_veto[first.fingerprint]}”" if first.fingerprint in behind_veto
                         else f"“{titles.get(first.rule, first.rule)}”")
                uncounted[(rule_id, f"同一网址已计入{where}，不重复扣分")].append(f.fingerprint)

    # Second pass: indicator caps, then group caps, in the order of rules.yaml.
    by_indicator: dict[str, list[_Candidate]] = defaultdict(list)
    for c in candidates.values():
        by_indicator[c.indicator].append(c)
    group_left = {g: float(p) for g, p in groups.items()}
    deductions: list[dict[str, Any]] = []
    for name, ind in indicators.items():
        items = sorted(by_indicator.get(name, []), key=lambda c: c.finding)
        raw = round(sum(c.points for c in items), 2)
        rule_ids = list(dict.fromkeys(c.finding.rule for c in items))
        detail = _detail(items)
        fps = [c.finding.fingerprint for c in items]
        for _name, _ind, spec in (a for a in availability_items if a[0] == name):
            extra = _availability_points(avail, spec, scoring, by_rule, behind_veto)
            if extra is not None:
                points, text, hits = extra
                raw = round(raw + points, 2)
                detail = "；".join(d for d in (detail, text) if d)
                fps += [f.fingerprint for f in hits if f.fingerprint not in fps]
                rule_ids.append("site-unreachable")
        if raw <= 0 and not fps:
            continue
        group = ind["group"]
        capped = min(raw, float(ind["cap"]))
        if group in group_left:
            capped = min(capped, group_left[group])
            group_left[group] = round(group_left[group] - capped, 2)
        entry: dict[str, Any] = {"indicator": name, "group": group, "points": round(capped, 2),
                                 "uncapped": raw, "cap": float(ind["cap"]), "count": len(items),
                                 "fingerprints": fps, "detail": detail}
        if len(rule_ids) == 1:
            entry["rule"] = rule_ids[0]
        entry["rules"] = rule_ids
        deductions.append(entry)

    deducted = sum(d["points"] for d in deductions)
    value = round(max(0.0, base - deducted) * total / base, 2)
    homepage_failed = bool(by_rule.get("site-unreachable"))
    if homepage_failed:
        value = 0.0  # nothing else could be checked: no score to show
    if excluded_group:
        notes.append(f"该网站无对外服务职能，不检查{excluded_group}指标：其余指标按 {_num(base)} 分计，"
                     f"得分 × {_num(total)}/{_num(base)}")
    if behind_veto:
        notes.append("单项否决项涉及的问题不再重复扣分")

    pass_mark = float(scoring["pass-mark"])
    qualified = not vetoes and value >= pass_mark
    if homepage_failed:
        qualified = False
        notes.append("本次检查首页无法访问，其余指标未能检查，不计分（0 分）")
    if vetoes and not homepage_failed:
        notes.insert(0, "存在单项否决项，结论为不合格；得分为其余扣分指标的计算结果，仅供参考")
    elif vetoes:
        notes.insert(0, "存在单项否决项，结论为不合格")
    elif value < pass_mark and not homepage_failed:
        notes.insert(0, f"得分低于 {_num(pass_mark)} 分，结论为不合格")

    bonus_cfg = scoring.get("bonus", {})
    bonus_considered = facts.site.kind == "portal" and not vetoes and value > float(bonus_cfg.get("gate", 80))
    if bonus_considered:
        notes.append(f"扣分部分得分高于 {_num(float(bonus_cfg.get('gate', 80)))} 分，可计加分指标"
                     f"（满分 {_num(float(bonus_cfg.get('max', 30)))} 分）；本工具暂未检查加分指标，加分按 0 分计")
    if not complete:
        notes.append("扫描未完成，结论仅供参考")

    extra = {
        "bonus": 0.0, "bonus_considered": bonus_considered, "scored_out_of": base,
        "notes": notes,
        "uncounted": [{"rule": r, "reason": reason, "fingerprints": fps}
                      for (r, reason), fps in uncounted.items()],
    }
    if avail is not None:
        extra["availability"] = {"probes": avail.probes, "failures": avail.failures,
                                 "ratio": round(avail.ratio, 4)}
    return Verdict(qualified=qualified, score=value, vetoes=vetoes, deductions=deductions, extra=extra)


def _availability_points(avail: Availability | None, spec: Mapping[str, Any], scoring: Mapping[str, Any],
                         by_rule: Mapping[str, list[Finding]], behind_veto: Mapping[str, str]
                         ) -> tuple[float, str, list[Finding]] | None:
    """2015 首页可用性: points per 1 % of failed probes, below the veto (history only)."""
    veto = scoring.get("vetoes", {}).get("site-unreachable", {})
    if avail is None or avail.probes < veto.get("min-probes", 0) or avail.failures <= 0:
        return None
    hits = by_rule.get("site-unreachable", [])
    if any(f.fingerprint in behind_veto for f in hits) or (
            veto.get("enabled", True) and avail.ratio >= float(veto.get("max-failure-ratio", 1))):
        return None
    points = round(avail.ratio * 100 * float(spec["per-percent"]), 2)
    text = (f"近{veto.get('window-days', 7)}天首页监测 {avail.probes} 次，打不开 {avail.failures} 次"
            f"（{_pct(avail.ratio)}）× {_num(float(spec['per-percent']))} 分/1%")
    return points, text, list(hits)
