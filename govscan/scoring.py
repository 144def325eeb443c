"""The national scoring model: vetoes (单项否决), deductions (扣分), 合格 or not.

Reads findings and facts only; every value comes from the ``scoring`` section of rules.yaml.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Mapping

from govscan.facts import SiteFacts
from govscan.model import Finding
from govscan.report import Verdict


def score(findings: list[Finding], facts: SiteFacts, scoring: Mapping[str, Any], complete: bool = True) -> Verdict:
    from govscan.rules import registry

    rules = registry()
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_rule[finding.rule].append(finding)

    vetoes = []
    for rule_id, enabled in scoring.get("vetoes", {}).items():
        if enabled and by_rule.get(rule_id):
            rule = rules.get(rule_id)
            vetoes.append({"item": rule.indicator if rule else rule_id, "rule": rule_id,
                           "title": rule.title if rule else rule_id,
                           "fingerprints": [f.fingerprint for f in by_rule[rule_id]]})

    deductions = []
    total = float(scoring.get("total", 100))
    for rule_id, spec in scoring.get("deductions", {}).items():
        hits = by_rule.get(rule_id, [])
        if not hits:
            continue
        points = 0.0
        for finding in hits:
            on_home = bool(finding.evidence.get("on_homepage"))
            points += float(spec.get("homepage", 0) if on_home else spec.get("other", 0))
        capped = min(points, float(spec.get("cap", total)))
        rule = rules.get(rule_id)
        deductions.append({"indicator": rule.indicator if rule else rule_id, "rule": rule_id,
                           "points": round(capped, 2), "uncapped": round(points, 2),
                           "fingerprints": [f.fingerprint for f in hits]})
    value = max(0.0, total - sum(d["points"] for d in deductions))
    qualified = not vetoes and value >= float(scoring.get("pass-mark", 60))
    return Verdict(qualified=qualified, score=round(value, 2), vetoes=vetoes, deductions=deductions)
