"""The history store seen from a run and from ``govscan history``.

- before a scan: the 7-day availability of each site, for scoring;
- after it: record the run and annotate the report dict with what the store knows (when each
  finding was first seen, which are new, which were fixed, the trend of each site's runs);
- ``govscan history``: runs, scores, findings and availability per site over time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from govscan.config import RunConfig
from govscan.store import Recorded, SiteOutcome, Store, window_end

TREND_RUNS = 30
KIND_LABELS = {"scan": "扫描", "recheck": "复核"}


def availability_for(store: Store, config: RunConfig, now: dt.datetime | None = None) -> dict[str, dict[str, Any]]:
    """Per site id, its probes in the 7 days up to the as-of date (sites without probes left out)."""
    end = window_end(config.as_of, now)
    out = {}
    for site in config.sites:
        found = store.availability(site.id, end)
        if found is not None:
            out[site.id] = found
    return out


def trend(store: Store, site_ids: list[str], limit: int = TREND_RUNS) -> dict[str, list[dict[str, Any]]]:
    """Per site, its latest ``limit`` runs oldest first: score, verdict, counts, availability."""
    out: dict[str, list[dict[str, Any]]] = {}
    for site_id in site_ids:
        points = []
        for r in store.site_runs(site_id, limit=limit):
            points.append({
                "run": r["run_id"], "kind": r["kind"], "started_at": r["started_at"], "as_of": r["as_of"],
                "score": r["score"], "qualified": bool(r["qualified"]), "findings": r["findings"],
                "errors": r["errors"], "new": r["new"], "fixed": r["fixed"],
                "availability": None if r["availability"] is None else round(r["availability"], 6),
            })
        if points:
            out[site_id] = points
    return out


def record_and_annotate(store: Store, data: dict[str, Any], *, kind: str = "scan",
                        outcomes: Mapping[str, SiteOutcome] | None = None) -> Recorded:
    """Record the report ``data`` in the store, then add the optional history keys to it in place."""
    recorded = store.record_run(data, kind=kind, outcomes=outcomes)
    annotate(data, recorded, trend(store, [s["id"] for s in data["sites"]]))
    return recorded


def annotate(data: dict[str, Any], recorded: Recorded, trends: Mapping[str, list[dict[str, Any]]]) -> None:
    for site in data["sites"]:
        record = recorded.sites.get(site["id"])
        if record is None:
            continue
        for f in site["findings"]:
            fp = f["fingerprint"]
            f["first_seen"] = record.first_seen.get(fp, recorded.started_at)
            f["status"] = "new" if fp in record.new else "open"
        if record.previous_run is not None:
            site["changes"] = {
                "previous_run": record.previous_run["started_at"], "previous_as_of": record.previous_run["as_of"],
                "new": len(record.new), "open": len(site["findings"]) - len(record.new),
                "fixed": len(record.fixed), "unverified": len(record.unverified),
            }
            site["fixed"] = [{k: f[k] for k in ("rule", "level", "title", "message", "url", "fingerprint",
                                                 "first_seen", "fixed_at") if k in f}
                             for f in record.fixed]
    data["history"] = {"run": recorded.run_id, "sites": {k: v for k, v in trends.items()}}


# ------------------------------------------------------------------ govscan history

def history_data(store: Store, site: str | None = None, limit: int = TREND_RUNS,
                 now: dt.datetime | None = None) -> dict[str, Any]:
    """What ``govscan history`` shows, as plain data (also its ``--json``)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    known = [s for s in store.sites() if site is None or s["site_id"] == site]
    sites = []
    for s in known:
        sites.append({
            "id": s["site_id"], "name": s["name"], "url": s["url"],
            "runs": [{k: r[k] for k in ("run_id", "kind", "started_at", "as_of", "complete", "qualified", "score",
                                         "findings", "errors", "warnings", "infos", "new", "fixed", "probes",
                                         "probe_failures", "availability")} | {"vetoes": r["vetoes"]}
                     for r in store.site_runs(s["site_id"], limit=limit)],
            "availability_7d": store.availability(s["site_id"], now),
            "probe_days": store.probe_days(s["site_id"], now) if site is not None else [],
        })
    return {"db": str(store.path), "sites": sites}


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def print_history(data: Mapping[str, Any], console: Any) -> None:
    from rich.table import Table
    from rich.text import Text

    if not data["sites"]:
        console.print(f"历史库 {data['db']} 中还没有记录。", markup=False)
        return
    runs = Table(title="历次检查")
    for column in ("站点", "时间", "类型", "结论", "得分", "问题（错误）", "新增/整改", "可用率（探测）"):
        runs.add_column(column, justify="right" if column in ("得分", "问题（错误）", "新增/整改") else "left")
    for s in data["sites"]:
        for r in s["runs"]:
            verdict = Text("合格", style="green") if r["qualified"] else Text("不合格", style="red")
            probes = "" if r["probes"] is None else f"（{r['probes']}）"
            runs.add_row(Text(s["id"]), Text(str(r["started_at"])[5:16].replace("T", " ")),
                         KIND_LABELS.get(r["kind"], r["kind"]), verdict, f"{r['score']:g}",
                         f"{r['findings']}（{r['errors']}）", f"{r['new']}/{r['fixed']}",
                         _percent(r["availability"]) + probes)
    if any(s["runs"] for s in data["sites"]):
        console.print(runs)
    avail = Table(title="近7日可用性（探测）")
    for column in ("站点", "网址", "探测次数", "失败次数", "可用率", "失败比例"):
        avail.add_column(column, justify="left" if column in ("站点", "网址") else "right")
    for s in data["sites"]:
        a = s["availability_7d"]
        if a is None:
            avail.add_row(Text(s["id"]), Text(s["url"]), "0", "0", "—", "—")
        else:
            ratio = a["ratio"]
            avail.add_row(Text(s["id"]), Text(s["url"]), str(a["probes"]), str(a["failures"]), _percent(1 - ratio),
                          Text(_percent(ratio), style="red" if ratio >= 0.05 else ""))
    console.print(avail)
    for s in data["sites"]:
        if s["probe_days"]:
            days = Table(title=f"{s['id']} 每日探测（UTC 日期）")
            for column in ("日期", "探测次数", "失败次数", "可用率", "平均耗时(毫秒)"):
                days.add_column(column, justify="left" if column == "日期" else "right")
            for d in s["probe_days"]:
                days.add_row(d["day"], str(d["probes"]), str(d["failures"]), _percent(1 - d["ratio"]),
                             "" if d["latency_ms"] is None else str(d["latency_ms"]))
            console.print(days)
