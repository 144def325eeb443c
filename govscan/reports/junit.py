"""JUnit XML for CI: a testsuite per site, a testcase per (site × rule).

The rules are the registry's (less those the run's ``only``/``skip`` options left out) plus any
rule seen in findings, so that a passing rule shows up as a passing test case in the CI view.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Iterable, Mapping

from govscan.reports._io import write_atomic, xml_text

LEVEL_RANK = {"error": 0, "warning": 1, "info": 2}
LEVEL_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}
FOUND_ON_SHOWN = 3


def report_rules(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(rule id, title) for every rule the run checked, in catalogue order, then extra ones."""
    from govscan.rules import registry  # lazy: it imports every check family

    options = report["run"].get("options") or {}
    only = set(_names(options.get("only")))
    skip = set(_names(options.get("skip")))
    rules: dict[str, str] = {}
    for rule_id, rule in registry().items():
        if (only and rule_id not in only) or rule_id in skip:
            continue
        rules[rule_id] = rule.title
    seen: dict[str, str] = {}
    for site in report["sites"]:
        for f in site["findings"]:
            seen.setdefault(f["rule"], f["title"])
    for rule_id in sorted(set(seen) - set(rules)):
        rules[rule_id] = seen[rule_id]
    return list(rules.items())


def _names(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [str(v) for v in value]
    return []


def render_junit(report: Mapping[str, Any]) -> str:
    rules = report_rules(report)
    root = ET.Element("testsuites", name="govscan")
    total_tests = total_failures = 0
    total_time = 0.0
    for site in report["sites"]:
        by_rule: dict[str, list[Mapping[str, Any]]] = {}
        for f in site["findings"]:
            by_rule.setdefault(f["rule"], []).append(f)
        duration = float(site["crawl"]["duration_s"])
        suite = ET.SubElement(root, "testsuite", {
            "name": xml_text(f"{site['name'] or site['id']} ({site['id']})"),
            "tests": str(len(rules)),
            "failures": str(sum(1 for r, _ in rules if r in by_rule)),
            "errors": "0", "skipped": "0",
            "time": f"{duration:.3f}",
            "timestamp": xml_text(report["run"]["started_at"]),
        })
        props = ET.SubElement(suite, "properties")
        verdict = site["verdict"]
        for name, value in (("url", site["url"]), ("owner", site["owner"]),
                            ("qualified", str(verdict["qualified"]).lower()),
                            ("score", verdict["score"]), ("complete", str(site["complete"]).lower()),
                            ("as_of", report["run"]["as_of"])):
            ET.SubElement(props, "property", name=name, value=xml_text(value))
        classname = xml_text(f"govscan.{site['id']}")
        for rule_id, title in rules:
            case = ET.SubElement(suite, "testcase", {
                "name": xml_text(f"{rule_id} {title}"), "classname": classname, "time": "0"})
            findings = by_rule.get(rule_id)
            if findings:
                worst = min((f["level"] for f in findings), key=lambda lv: LEVEL_RANK.get(lv, 9))
                failure = ET.SubElement(case, "failure", {
                    "message": xml_text(f"{title}：{len(findings)} 个问题"), "type": worst})
                failure.text = xml_text(_failure_text(findings))
        if site["errors"]:
            err = ET.SubElement(suite, "system-err")
            err.text = xml_text("\n".join(str(e.get("error", e)) if isinstance(e, Mapping) else str(e)
                                          for e in site["errors"]))
        total_tests += len(rules)
        total_failures += int(suite.get("failures", "0"))
        total_time += duration
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    root.set("time", f"{total_time:.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _failure_text(findings: list[Mapping[str, Any]]) -> str:
    lines = []
    for f in findings:
        lines.append(f"[{LEVEL_LABELS.get(f['level'], f['level'])}] {f['message']}")
        lines.append(f"  网址：{f['url']}")
        found_on = list(f["found_on"])
        if found_on:
            more = f" 等 {len(found_on)} 个页面" if len(found_on) > FOUND_ON_SHOWN else ""
            lines.append(f"  所在页面：{'，'.join(found_on[:FOUND_ON_SHOWN])}{more}")
        lines.append(f"  问题编号：{f['fingerprint']}")
    return "\n".join(lines)


def write_junit(report: Mapping[str, Any], path: Path) -> None:
    write_atomic(Path(path), render_junit(report))
