"""What changed between two runs, by finding fingerprint: new, fixed, still open.

A previous finding missing from the new run counts as fixed only when the new run could have
seen it: the site's scan completed, its homepage answered (otherwise nothing behind it was
checked) and the finding's rule ran (``--only``/``--skip``). Otherwise it is "unverified" and
stays open. ``govscan diff`` compares two saved reports; the store uses :func:`classify` when it
records a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from govscan.store import SiteOutcome

STATUS_LABELS = {"new": "新增", "fixed": "已整改", "open": "仍存在", "unverified": "未核实"}
LEVEL_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}


def rule_ran(rule: str, options: Mapping[str, Any]) -> bool:
    only = set(options.get("only") or ())
    return (not only or rule in only) and rule not in set(options.get("skip") or ())


def homepage_failed(site: Mapping[str, Any]) -> bool:
    return any(f["rule"] == "site-unreachable" for f in site["findings"])


def classify(previous: Iterable[Mapping[str, Any]], site: Mapping[str, Any],
             options: Mapping[str, Any]) -> SiteOutcome:
    """Split previous open findings absent from ``site`` (a report's site) into fixed and unverified."""
    current = {f["fingerprint"] for f in site["findings"]}
    blind = not site.get("complete", True) or homepage_failed(site)
    fixed, unverified = [], []
    for finding in previous:
        fp = finding["fingerprint"]
        if fp in current:
            continue
        checked = rule_ran(finding["rule"], options) and (not blind or finding["rule"] == "site-unreachable")
        (fixed if checked else unverified).append(fp)
    return SiteOutcome(fixed=tuple(sorted(fixed)), unverified=tuple(sorted(unverified)))


@dataclass
class SiteDiff:
    id: str
    name: str
    new: list[dict[str, Any]] = field(default_factory=list)
    fixed: list[dict[str, Any]] = field(default_factory=list)
    open: list[dict[str, Any]] = field(default_factory=list)
    unverified: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "new": self.new, "fixed": self.fixed,
                "open": self.open, "unverified": self.unverified}


@dataclass
class ReportDiff:
    old_run: Mapping[str, Any]
    new_run: Mapping[str, Any]
    sites: list[SiteDiff]
    only_in_old: list[str]

    def totals(self) -> dict[str, int]:
        return {k: sum(len(getattr(s, k)) for s in self.sites) for k in STATUS_LABELS}

    def to_dict(self) -> dict[str, Any]:
        keep = ("started_at", "finished_at", "as_of", "complete")
        return {"old": {k: self.old_run.get(k) for k in keep}, "new": {k: self.new_run.get(k) for k in keep},
                "totals": self.totals(), "sites": [s.to_dict() for s in self.sites],
                "sites_only_in_old": self.only_in_old}


def _brief(f: Mapping[str, Any]) -> dict[str, Any]:
    return {k: f[k] for k in ("fingerprint", "rule", "level", "title", "message", "url") if k in f}


def diff_reports(old: Mapping[str, Any], new: Mapping[str, Any]) -> ReportDiff:
    old_sites = {s["id"]: s for s in old["sites"]}
    options = new["run"].get("options", {})
    sites = []
    for site in new["sites"]:
        result = SiteDiff(site["id"], site.get("name") or site["id"])
        before = old_sites.get(site["id"])
        previous = {f["fingerprint"]: f for f in (before["findings"] if before else [])}
        for f in site["findings"]:
            (result.open if f["fingerprint"] in previous else result.new).append(_brief(f))
        outcome = classify(previous.values(), site, options)
        result.fixed = [_brief(previous[fp]) for fp in outcome.fixed]
        result.unverified = [_brief(previous[fp]) for fp in outcome.unverified]
        sites.append(result)
    new_ids = {s["id"] for s in new["sites"]}
    return ReportDiff(old["run"], new["run"], sites, sorted(set(old_sites) - new_ids))


def print_diff(diff: ReportDiff, console, show_open: bool = False) -> None:
    """Rich tables: a count per site, then the new and fixed findings (and still open ones with ``show_open``)."""
    from rich.table import Table
    from rich.text import Text

    totals = diff.totals()
    console.print(f"对比：{diff.old_run.get('started_at', '')}（基准日 {diff.old_run.get('as_of', '')}）→ "
                  f"{diff.new_run.get('started_at', '')}（基准日 {diff.new_run.get('as_of', '')}）", markup=False)
    summary = Table(title="变化概况")
    for column in ("站点", "新增", "已整改", "仍存在", "未核实"):
        summary.add_column(column, justify="left" if column == "站点" else "right")
    for s in diff.sites:
        summary.add_row(Text(f"{s.name} ({s.id})"), str(len(s.new)), str(len(s.fixed)), str(len(s.open)),
                        str(len(s.unverified)))
    summary.add_row("合计", *(str(totals[k]) for k in ("new", "fixed", "open", "unverified")), style="bold")
    console.print(summary)
    kinds = ["new", "fixed", "unverified"] + (["open"] if show_open else [])
    rows = [(kind, s, f) for kind in kinds for s in diff.sites for f in getattr(s, kind)]
    if rows:
        detail = Table(title="问题明细")
        for column in ("状态", "站点", "规则", "级别", "网址", "说明"):
            detail.add_column(column, overflow="fold")
        for kind, s, f in rows:
            detail.add_row(STATUS_LABELS[kind], Text(s.id), f["rule"], LEVEL_LABELS.get(f["level"], f["level"]),
                           Text(f["url"]), Text(f["message"]))  # Text: scanned content is not rich markup
        console.print(detail)
    if diff.only_in_old:
        console.print(f"仅在旧结果中出现、未比较的站点：{'、'.join(diff.only_in_old)}", markup=False)
    if totals["unverified"]:
        console.print("“未核实”：新结果未能检查到这些问题（扫描未完成、首页无法访问或规则未运行），视为仍存在。",
                      markup=False)
