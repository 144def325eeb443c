"""The self-contained Chinese HTML report.

Everything taken from scanned pages is hostile. Safety rests on four things: jinja2 autoescape
for every value (no ``|safe`` on report data), links only for http(s) URLs, data for the script
in ``data-*`` attributes only, and a Content-Security-Policy that lets only our own inline
script run (by hash) and loads nothing from anywhere.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from collections import Counter
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

import jinja2
from markupsafe import Markup

from govscan.reports._io import plain_text, write_atomic

TEMPLATE = "report.html.j2"
LEVELS = ("error", "warning", "info")
LEVEL_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}
LEVEL_RANK = {"error": 0, "warning": 1, "info": 2}
KIND_LABELS = {"portal": "政府门户网站", "department": "部门网站", "other": "其他网站"}
# Rules whose findings are about one column each; grouped by evidence["column"] in the report.
COLUMN_RULES = frozenset({"column-stale", "column-empty"})
NO_COLUMN = "（未标明栏目）"
FOUND_ON_SHOWN = 5
# Chinese labels for evidence keys the checks commonly write; other keys are shown as they are.
EVIDENCE_LABELS = {
    "status": "HTTP状态码", "error": "错误", "detail": "详情", "soft_404": "软404",
    "redirects": "重定向", "final_url": "最终地址", "element": "元素", "link_text": "链接文字",
    "on_homepage": "位于首页", "internal": "站内链接", "method": "请求方法", "elapsed_ms": "耗时(毫秒)",
    "column": "栏目", "newest": "最新日期", "date": "日期", "placeholder": "占位文字",
    "snippet": "片段", "selector": "选择器", "title": "标题", "missing": "缺少", "alt": "替代文字",
    "keyword": "关键词", "keywords": "关键词", "host": "主机", "text": "文字",
}
VALUE_MAX = 400
RECHECK_LABELS = {"confirmed": "复核仍存在", "not-rechecked": "未复核"}
AVAILABILITY_VETO = 0.05  # for colouring only; the verdict itself comes from scoring
FINGERPRINT_LINKS = 10

# Only absolute http(s) URLs become links, and only when nothing in them could be read
# differently by a browser (whitespace and controls are stripped by URL parsers).
_SAFE_URL = re.compile(r"^https?://[^\s\x00-\x1f\x7f-\x9f\"'<>\\`]+$", re.IGNORECASE)


def safe_href(url: Any) -> str | None:
    """``url`` when it may be an ``<a href>``, else None (shown as text only)."""
    if isinstance(url, str) and _SAFE_URL.match(url):
        return url
    return None


def render_html(report: Mapping[str, Any]) -> str:
    script = _script()
    return _env().get_template(TEMPLATE).render(
        r=_view(report), script=Markup(script), csp=_csp(script))


def write_html(report: Mapping[str, Any], path: Path) -> None:
    write_atomic(Path(path), render_html(report))


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("govscan.reports", "templates"),
        autoescape=True,  # always: the template's name does not end in .html
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
        finalize=_finalize,
    )


def _finalize(value: Any) -> Any:
    """Replace control characters in data (scanned text may hold them); leave our Markup alone."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return plain_text(value)
    return value


@lru_cache(maxsize=1)
def _script() -> str:
    js = (resources.files("govscan.reports") / "templates" / "report.js").read_text(encoding="utf-8")
    if "</" in js:
        raise ValueError("report.js must not contain '</'")  # it is inlined into <script>
    return js


def _csp(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return ("default-src 'none'; "
            f"script-src 'sha256-{digest}'; style-src 'unsafe-inline'; "
            "base-uri 'none'; form-action 'none'")


def _view(report: Mapping[str, Any]) -> dict[str, Any]:
    run = report["run"]
    summary = report["summary"]
    trends = (report.get("history") or {}).get("sites") or {}
    sites = [_site_view(i, s, trends.get(s["id"])) for i, s in enumerate(report["sites"], 1)]
    titles = _rule_titles(report["sites"])
    rules = sorted(summary["findings"]["by_rule"])
    history = report.get("history")
    return {
        "history_run": history.get("run") if history else None,
        "recheck": run["options"].get("recheck"),
        "show_availability": any(s["availability"] for s in sites),
        "show_changes": any(s["changes"] for s in sites),
        "tool": report["tool"],
        "started_at": _when(run["started_at"]),
        "finished_at": _when(run["finished_at"]),
        "as_of": run["as_of"],
        "complete": run["complete"],
        "options": [_kv(k, v) for k, v in sorted(run["options"].items())],
        "summary": summary,
        "rules": [{"id": r, "title": titles.get(r, r), "count": summary["findings"]["by_rule"][r]}
                  for r in rules],
        "levels": [{"id": lv, "label": LEVEL_LABELS[lv]} for lv in LEVELS],
        "sites": sites,
    }


def _rule_titles(sites: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    titles: dict[str, str] = {}
    for site in sites:
        for f in site["findings"]:
            titles.setdefault(f["rule"], f["title"])
    return titles


def _site_view(index: int, site: Mapping[str, Any], trend: list[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    anchor = f"site-{index}"
    findings = site["findings"]
    by_level = Counter(f["level"] for f in findings)
    by_rule = Counter(f["rule"] for f in findings)
    fingerprints = {f["fingerprint"] for f in findings}
    verdict = site["verdict"]
    crawl = site["crawl"]

    def refs(fps: Iterable[str]) -> dict[str, Any]:
        fps = list(fps)
        shown = [{"n": n, "href": f"#{anchor}-f-{fp}" if fp in fingerprints else None, "fp": fp}
                 for n, fp in enumerate(fps[:FINGERPRINT_LINKS], 1)]
        return {"count": len(fps), "shown": shown, "more": max(0, len(fps) - FINGERPRINT_LINKS)}

    return {
        "anchor": anchor,
        "id": site["id"],
        "name": site["name"] or site["id"],
        "url": site["url"],
        "href": safe_href(site["url"]),
        "final_url": site["final_url"] if site["final_url"] not in (None, site["url"]) else None,
        "final_href": safe_href(site["final_url"]),
        "kind": KIND_LABELS.get(site["kind"], site["kind"]),
        "owner": site["owner"],
        "complete": site["complete"],
        "qualified": verdict["qualified"],
        "score": _num(verdict["score"]),
        "score_sort": verdict["score"],
        "vetoes": [{"label": v["title"] or v["item"],
                    "note": str(v.get("rule") or (v["item"] if v["item"] != v["title"] else "")),
                    "reason": str(v.get("reason") or ""),
                    "refs": refs(v["fingerprints"])} for v in verdict["vetoes"]],
        "deductions": [{"indicator": d["indicator"], "points_text": _num(d["points"]),
                        "group": str(d.get("group") or ""), "detail": str(d.get("detail") or ""),
                        "capped": _capped(d), "refs": refs(d["fingerprints"])}
                       for d in verdict["deductions"]],
        "notes": [str(n) for n in verdict.get("notes", [])],
        "crawl": crawl,
        "duration": _num(crawl["duration_s"]),
        "redirects": [{"url": r["url"], "href": safe_href(r["url"]),
                       "chain": [str(c) for c in r.get("chain", [])]} for r in crawl["redirects"]],
        "skipped": [{"url": s["url"], "href": safe_href(s["url"]), "reason": s["reason"]}
                    for s in crawl["skipped"]],
        "errors": [_error_text(e) for e in site["errors"]],
        "counts": {lv: by_level.get(lv, 0) for lv in LEVELS},
        "by_rule": dict(by_rule),
        "total": len(findings),
        "groups": _groups(anchor, findings, compared=bool(site.get("changes"))),
        "chart": _chart(findings),
        "availability": _availability(site.get("availability")),
        "changes": _changes(site.get("changes")),
        "fixed": [{"title": f["title"], "rule": f["rule"], "message": f["message"], "url": f["url"],
                   "href": safe_href(f["url"]), "first_seen": _when(str(f.get("first_seen", ""))),
                   "fixed_at": _when(str(f.get("fixed_at", "")))} for f in site.get("fixed") or []],
        "recheck": site.get("recheck"),
        "trend": _trend(trend or []),
    }


def _groups(anchor: str, findings: list[Mapping[str, Any]], compared: bool = False) -> list[dict[str, Any]]:
    by_rule: dict[str, list[Mapping[str, Any]]] = {}
    for f in findings:
        by_rule.setdefault(f["rule"], []).append(f)
    groups = []
    for rule, items in by_rule.items():
        level = min((f["level"] for f in items), key=LEVEL_RANK.__getitem__)
        if rule in COLUMN_RULES and any("column" in f["evidence"] for f in items):
            columns: dict[str, list[Mapping[str, Any]]] = {}
            for f in items:
                column = f["evidence"].get("column")
                columns.setdefault(NO_COLUMN if column in (None, "") else str(column), []).append(f)
            subgroups = [{"column": c, "findings": [_finding_view(anchor, f, compared) for f in fs]}
                         for c, fs in sorted(columns.items(), key=lambda kv: (kv[0] == NO_COLUMN, kv[0]))]
        else:
            subgroups = [{"column": None, "findings": [_finding_view(anchor, f, compared) for f in items]}]
        groups.append({"rule": rule, "title": items[0]["title"], "level": level,
                       "level_label": LEVEL_LABELS[level], "count": len(items),
                       "subgroups": subgroups})
    groups.sort(key=lambda g: (LEVEL_RANK[g["level"]], -g["count"], g["rule"]))
    return groups


def _finding_view(anchor: str, f: Mapping[str, Any], compared: bool = False) -> dict[str, Any]:
    found_on = list(f["found_on"])
    recheck = f.get("recheck")
    return {
        # "new" only means something against a previous run of the site
        "is_new": compared and f.get("status") == "new",
        "first_seen": _when(f["first_seen"]) if f.get("first_seen") else None,
        "recheck": None if not recheck else {"label": RECHECK_LABELS.get(recheck["result"], recheck["result"]),
                                             "result": recheck["result"], "note": recheck.get("note", "")},
        "anchor": f"{anchor}-f-{f['fingerprint']}",
        "rule": f["rule"],
        "level": f["level"],
        "level_label": LEVEL_LABELS[f["level"]],
        "message": f["message"],
        "url": f["url"],
        "href": safe_href(f["url"]),
        "found_on": [{"url": u, "href": safe_href(u)} for u in found_on[:FOUND_ON_SHOWN]],
        "found_on_count": len(found_on),
        "evidence": [dict(_kv(k, v), label=EVIDENCE_LABELS.get(str(k), str(k)))
                     for k, v in f["evidence"].items()],
        "fingerprint": f["fingerprint"],
    }


def _chart(findings: list[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Horizontal bars of findings by rule, laid out here so the template only draws."""
    counts = Counter(f["rule"] for f in findings)
    if not counts:
        return None
    titles = {f["rule"]: f["title"] for f in findings}
    worst: dict[str, str] = {}
    for f in findings:
        if f["rule"] not in worst or LEVEL_RANK[f["level"]] < LEVEL_RANK[worst[f["rule"]]]:
            worst[f["rule"]] = f["level"]
    top = max(counts.values())
    label_w, bar_w, row_h = 190, 300, 22
    bars = []
    for i, (rule, n) in enumerate(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))):
        title = titles[rule]
        bars.append({"y": i * row_h, "text_y": i * row_h + 15, "rule": rule,
                     "label": title if len(title) <= 12 else title[:11] + "…",
                     "width": max(2, round(bar_w * n / top)), "count": n, "level": worst[rule],
                     "count_x": label_w + max(2, round(bar_w * n / top)) + 6})
    return {"bars": bars, "width": label_w + bar_w + 50, "height": len(bars) * row_h + 4,
            "label_w": label_w}


def _availability(a: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not a:
        return None
    ratio = float(a["ratio"])
    return {"up": f"{(1 - ratio) * 100:.2f}%", "down": f"{ratio * 100:.2f}%", "probes": a["probes"],
            "failures": a["failures"], "days": a.get("days", 7), "bad": ratio >= AVAILABILITY_VETO,
            "sort": round(1 - ratio, 6)}


def _changes(c: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if not c else {"unverified": 0, **c, "previous_run": _when(str(c.get("previous_run", "")))}


def _trend(points: list[Mapping[str, Any]]) -> dict[str, Any] | None:
    """A line chart of the site's score (and availability) over its recorded runs."""
    if len(points) < 2:
        return None
    left, top, plot_w, plot_h = 44, 12, 520, 150
    top_value = max(100.0, max(float(p["score"]) for p in points))
    step = plot_w / (len(points) - 1)

    def y(value: float) -> float:
        return round(top + plot_h * (1 - value / top_value), 1)

    dots, labels = [], []
    every = max(1, round(len(points) / 8))
    for i, p in enumerate(points):
        x = round(left + i * step, 1)
        avail = p.get("availability")
        tip = (f"{p['as_of']}（{'复核' if p.get('kind') == 'recheck' else '扫描'}）：得分 {_num(float(p['score']))}，"
               f"{'合格' if p['qualified'] else '不合格'}，问题 {p['findings']} 个")
        if p.get("new") or p.get("fixed"):
            tip += f"，新增 {p.get('new', 0)}，整改 {p.get('fixed', 0)}"
        if avail is not None:
            tip += f"，可用率 {float(avail) * 100:.2f}%"
        dots.append({"x": x, "y": y(float(p["score"])), "ok": bool(p["qualified"]), "tip": tip,
                     "ay": None if avail is None else y(float(avail) * top_value)})
        if i % every == 0 or i == len(points) - 1:
            labels.append({"x": x, "text": str(p["as_of"])[5:]})
    score_line = " ".join(f"{d['x']},{d['y']}" for d in dots)
    avail_line = " ".join(f"{d['x']},{d['ay']}" for d in dots if d["ay"] is not None)
    grid = [{"y": y(v), "label": _num(float(v))} for v in (0, 60, 100)]
    return {"width": left + plot_w + 20, "height": top + plot_h + 30, "left": left, "right": left + plot_w,
            "base": top + plot_h, "label_y": top + plot_h + 18, "dots": dots, "labels": labels, "grid": grid,
            "score_line": score_line, "avail_line": avail_line if avail_line.count(" ") >= 1 else "",
            "runs": len(points)}


def _kv(key: Any, value: Any) -> dict[str, str]:
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        except (TypeError, ValueError):  # circular or mixed-key values from a hand-made dict
            text = repr(value)
    if len(text) > VALUE_MAX:
        text = text[:VALUE_MAX] + f"…（共 {len(text)} 字符）"
    return {"key": str(key), "value": text}


def _error_text(error: Any) -> str:
    if isinstance(error, Mapping):
        parts = [str(error[k]) for k in ("rule", "url", "error") if error.get(k)]
        if parts:
            return " — ".join(parts)
    return _kv("", error)["value"]


def _capped(deduction: Mapping[str, Any]) -> str | None:
    """The uncapped points when the indicator's cap lowered them (scoring writes ``uncapped``)."""
    uncapped = deduction.get("uncapped")
    if isinstance(uncapped, (int, float)) and uncapped > deduction["points"]:
        return _num(float(uncapped))
    return None


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def _when(stamp: str) -> str:
    """ISO timestamps as ``YYYY-MM-DD HH:MM:SS`` (in their own offset); anything else as given."""
    try:
        parsed = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return parsed.strftime("%Y-%m-%d %H:%M:%S")
