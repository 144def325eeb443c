"""A Markdown summary for CI job pages: the sites table, then each site's top findings.

Scanned text is escaped so that it cannot break a table row, open a link or inject HTML.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

from govscan.reports._io import write_atomic

LEVEL_RANK = {"error": 0, "warning": 1, "info": 2}
LEVEL_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}
FINDINGS_PER_SITE = 40  # with the site's heading and verdict lines: about 50 lines a site
CELL_MAX = 160

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#!~])")
_SPACE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")


def md_escape(value: Any, limit: int = CELL_MAX) -> str:
    """One line of inert Markdown text (no tables, links, HTML or emphasis from the data)."""
    text = _SPACE.sub(" ", str(value)).strip()
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    text = text.replace("&", "&amp;")
    return _SPECIAL.sub(r"\\\1", text)


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else md_escape(value)


def render_markdown(report: Mapping[str, Any]) -> str:
    run, summary = report["run"], report["summary"]
    by_level = summary["findings"]["by_level"]
    out = [
        "# 政府网站检查报告",
        "",
        f"检查基准日：{md_escape(run['as_of'])} · 开始：{md_escape(run['started_at'])} · "
        f"结束：{md_escape(run['finished_at'])} · {md_escape(report['tool']['name'])} "
        f"{md_escape(report['tool']['version'])}",
        "",
    ]
    if not run["complete"]:
        out += ["> **本次扫描未完成**：结果只包含中断前已检查的内容。", ""]
    out += [
        f"共 {summary['sites']} 个站点：合格 {summary['qualified']} 个，不合格 "
        f"{summary['unqualified']} 个；问题 {summary['findings']['total']} 个（错误 "
        f"{by_level.get('error', 0)}，警告 {by_level.get('warning', 0)}，提示 {by_level.get('info', 0)}）。",
        "",
        "| 站点 | 结论 | 得分 | 页面 | 链接 | 错误 | 警告 | 提示 |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for site in report["sites"]:
        counts = _counts(site)
        verdict = "✅ 合格" if site["verdict"]["qualified"] else "❌ 不合格"
        if not site["complete"]:
            verdict += "（未完成）"
        out.append(f"| {md_escape(site['name'] or site['id'])} | {verdict} | "
                   f"{_num(site['verdict']['score'])} | {site['crawl']['pages']} | "
                   f"{site['crawl']['links_checked']} | {counts['error']} | {counts['warning']} | "
                   f"{counts['info']} |")
    for site in report["sites"]:
        out += ["", *_site_section(site)]
    return "\n".join(out) + "\n"


def _counts(site: Mapping[str, Any]) -> dict[str, int]:
    counts = {"error": 0, "warning": 0, "info": 0}
    for f in site["findings"]:
        counts[f["level"]] = counts.get(f["level"], 0) + 1
    return counts


def _site_section(site: Mapping[str, Any]) -> list[str]:
    verdict = site["verdict"]
    lines = [f"## {md_escape(site['name'] or site['id'])}（{md_escape(site['id'])}）", ""]
    conclusion = "合格" if verdict["qualified"] else "不合格"
    lines.append(f"结论：**{conclusion}**，得分 {_num(verdict['score'])}")
    if verdict["vetoes"]:
        items = "；".join(md_escape(v["title"] or v["item"], 60) for v in verdict["vetoes"])
        lines.append(f"单项否决：{items}")
    if verdict["deductions"]:
        items = "；".join(f"{md_escape(d['indicator'], 40)} −{_num(d['points'])}"
                          for d in verdict["deductions"])
        lines.append(f"扣分：{items}")
    findings = sorted(site["findings"], key=lambda f: (LEVEL_RANK.get(f["level"], 9), f["rule"], f["url"]))
    if not findings:
        lines += ["", "未发现问题。"]
        return lines
    lines += ["", "| 级别 | 规则 | 问题 | 网址 |", "|---|---|---|---|"]
    for f in findings[:FINDINGS_PER_SITE]:
        lines.append(f"| {LEVEL_LABELS.get(f['level'], md_escape(f['level']))} | "
                     f"{md_escape(f['title'], 40)} | {md_escape(f['message'])} | {md_escape(f['url'])} |")
    rest = len(findings) - FINDINGS_PER_SITE
    if rest > 0:
        lines += ["", f"另有 {rest} 个问题未列出，详见 HTML 或 JSON 报告。"]
    return lines


def write_markdown(report: Mapping[str, Any], path: Path) -> None:
    write_atomic(Path(path), render_markdown(report))
