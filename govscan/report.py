"""The run's result: SiteResult per site, Report for the run; canonical JSON form.

Reporters read only ``Report.to_dict()`` (or a saved JSON of it), never crawl state.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

from govscan import __version__
from govscan.model import LEVELS, Finding

SCHEMA_ID = "govscan-report/1"


@dataclass
class Verdict:
    qualified: bool
    score: float
    vetoes: list[dict[str, Any]] = field(default_factory=list)
    deductions: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # scoring's optional keys (bonus, notes …)

    def to_dict(self) -> dict[str, Any]:
        return {"qualified": self.qualified, "score": round(self.score, 2),
                "vetoes": self.vetoes, "deductions": self.deductions, **self.extra}


@dataclass
class CrawlStats:
    pages: int = 0
    links_checked: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    duration_s: float = 0.0
    truncated: bool = False
    ignored_robots: bool = False
    redirects: list[dict[str, Any]] = field(default_factory=list)
    truncated_links: int = 0  # distinct links beyond crawl.max-links, not checked

    def to_dict(self) -> dict[str, Any]:
        return {"pages": self.pages, "links_checked": self.links_checked,
                "skipped": sorted(self.skipped, key=lambda s: (s["url"], s["reason"])),
                "duration_s": round(self.duration_s, 3),
                "truncated": self.truncated or self.truncated_links > 0,
                "ignored_robots": self.ignored_robots,
                "redirects": sorted(self.redirects, key=lambda r: r["url"])}


@dataclass
class SiteResult:
    id: str
    name: str
    url: str
    kind: str
    owner: str
    final_url: str | None = None
    crawl: CrawlStats = field(default_factory=CrawlStats)
    verdict: Verdict | None = None
    findings: list[Finding] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = True
    availability: dict[str, Any] | None = None   # 7-day probes from the history store, when kept

    def to_dict(self) -> dict[str, Any]:
        out = {
            "id": self.id, "name": self.name, "url": self.url, "final_url": self.final_url,
            "kind": self.kind, "owner": self.owner, "complete": self.complete,
            "crawl": self.crawl.to_dict(),
            "verdict": (self.verdict or Verdict(False, 0.0)).to_dict(),
            "findings": [f.to_dict() for f in sorted(self.findings)],
            "errors": self.errors,
        }
        if self.availability is not None:
            out["availability"] = dict(self.availability)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "SiteResult":
        """The inverse of ``to_dict`` (a site's result that crossed a process or machine boundary)."""
        verdict = dict(d["verdict"])
        core = {k: verdict.pop(k) for k in ("qualified", "score", "vetoes", "deductions")}
        known = {f.name for f in fields(CrawlStats)}
        return cls(
            id=d["id"], name=d["name"], url=d["url"], kind=d["kind"], owner=d["owner"],
            final_url=d.get("final_url"),
            crawl=CrawlStats(**{k: v for k, v in d["crawl"].items() if k in known}),
            verdict=Verdict(extra=verdict, **core),
            findings=[Finding.from_dict(f) for f in d["findings"]],
            errors=list(d.get("errors", [])), complete=d["complete"],
            availability=dict(d["availability"]) if d.get("availability") is not None else None,
        )


@dataclass
class Report:
    sites: list[SiteResult]
    started_at: str
    finished_at: str
    as_of: str
    complete: bool
    options: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        sites = [s.to_dict() for s in sorted(self.sites, key=lambda s: s.id)]
        return {
            "schema": SCHEMA_ID,
            "tool": {"name": "govscan", "version": __version__},
            "run": {"started_at": self.started_at, "finished_at": self.finished_at,
                    "as_of": self.as_of, "complete": self.complete, "options": dict(self.options)},
            "summary": summarize(sites),
            "sites": sites,
        }


def summarize(sites: list[dict[str, Any]]) -> dict[str, Any]:
    by_level: Counter[str] = Counter({level: 0 for level in LEVELS})
    by_rule: Counter[str] = Counter()
    for site in sites:
        for f in site["findings"]:
            by_level[f["level"]] += 1
            by_rule[f["rule"]] += 1
    qualified = sum(1 for s in sites if s["verdict"]["qualified"])
    return {
        "sites": len(sites), "qualified": qualified, "unqualified": len(sites) - qualified,
        "pages": sum(s["crawl"]["pages"] for s in sites),
        "links": sum(s["crawl"]["links_checked"] for s in sites),
        "findings": {"total": sum(by_level.values()), "by_level": dict(by_level),
                     "by_rule": dict(sorted(by_rule.items()))},
    }
