"""Runs enabled checks and stamps rule id, title, level and fingerprint onto their hits.

A check that raises does not stop the scan: the failure becomes an internal-error entry
of the site's result and the other checks go on.
"""

from __future__ import annotations

import fnmatch
import re
import traceback
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from govscan.config import RuleSettings
from govscan.model import Context, Finding, Hit, fingerprint
from govscan.rules import Rule, registry


@dataclass
class Engine:
    """Per-site rule runner: the enabled rules by scope, their settings, the context."""

    settings: Mapping[str, RuleSettings]
    context: Context
    only: frozenset[str] = frozenset()
    skip: frozenset[str] = frozenset()
    findings: list[Finding] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_scope: dict[str, list[tuple[Rule, RuleSettings, tuple[re.Pattern, ...]]]] = {}
        for rule_id, rule in registry().items():
            setting = self.settings.get(rule_id)
            if setting is None or not setting.enabled:
                continue
            if (self.only and rule_id not in self.only) or rule_id in self.skip:
                continue
            ignore = tuple(_compile_ignore(p) for p in setting.ignore_urls)
            self._by_scope.setdefault(rule.scope, []).append((rule, setting, ignore))

    def enabled(self, scope: str) -> bool:
        return bool(self._by_scope.get(scope))

    def rule_enabled(self, rule_id: str) -> bool:
        return any(r.id == rule_id for rules in self._by_scope.values() for r, _, _ in rules)

    def run(self, scope: str, subject: Any, default_url: str) -> list[Finding]:
        out: list[Finding] = []
        for rule, setting, ignore in self._by_scope.get(scope, ()):
            try:
                hits: Iterable[Hit] = rule.check(subject, setting.options, self.context) or ()
                for hit in hits:
                    finding = self._stamp(rule, setting, hit, default_url)
                    if finding is not None and not any(p.search(finding.url) for p in ignore):
                        out.append(finding)
            except Exception as exc:  # a broken check must not end the scan
                self.errors.append({
                    "rule": rule.id, "url": default_url, "error": f"{type(exc).__name__}: {exc}",
                    "trace": traceback.format_exc(limit=3)[-800:],
                })
        self.findings.extend(out)
        return out

    def _stamp(self, rule: Rule, setting: RuleSettings, hit: Hit, default_url: str) -> Finding | None:
        level = hit.level or setting.level
        if level == "off":
            return None
        url = hit.url or default_url
        return Finding(
            url=url, rule=rule.id, fingerprint=fingerprint(rule.id, self.context.site.id, url, hit.key),
            level=level, title=rule.title, message=hit.message, found_on=tuple(hit.found_on),
            evidence=dict(hit.evidence),
        )


def _compile_ignore(pattern: str) -> re.Pattern:
    """``re:...`` is a regular expression; anything else a shell-style glob on the URL."""
    if pattern.startswith("re:"):
        return re.compile(pattern[3:])
    return re.compile(fnmatch.translate(pattern))
