"""Plain data passed between crawl, rules, scoring and reporters.

Everything here is frozen (or treated as read-only) and converts to builtins with
``to_dict()`` so that a site's result can cross a process or machine boundary.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

LEVELS = ("error", "warning", "info")
LEVEL_ORDER = {"info": 1, "warning": 2, "error": 3}


@dataclass(frozen=True)
class Hit:
    """What a check yields; the engine turns it into a Finding.

    ``url`` is the subject (defaults to the page the check looked at); ``key`` tells apart
    several hits of one rule on one subject and goes into the fingerprint; ``level`` is set
    only when the rule's own options map a case to another level (dead-link status policy).
    """

    message: str
    url: str | None = None
    found_on: tuple[str, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)
    key: str = ""
    level: str | None = None


def fingerprint(rule: str, site_id: str, url: str, key: str = "") -> str:
    raw = "\x1f".join((rule, site_id, url, key)).encode("utf-8")
    return hashlib.sha1(raw).hexdigest()[:16]


@dataclass(frozen=True, order=True)
class Finding:
    """One problem on one subject. Ordered by url, rule, fingerprint for stable output."""

    url: str
    rule: str
    fingerprint: str
    level: str
    title: str
    message: str
    found_on: tuple[str, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "level": self.level,
            "title": self.title,
            "message": self.message,
            "url": self.url,
            "found_on": list(self.found_on),
            "evidence": _plain(self.evidence),
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Finding":
        return cls(
            url=d["url"], rule=d["rule"], fingerprint=d["fingerprint"], level=d["level"],
            title=d["title"], message=d["message"], found_on=tuple(d.get("found_on", ())),
            evidence=dict(d.get("evidence", {})),
        )


def _plain(value: Any) -> Any:
    """Builtins only, so JSON and pickling never see library objects."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items, key=json.dumps) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class LinkRef:
    """Where a target was linked from: the page, the element and its text."""

    page: str
    tag: str
    attr: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class LinkResult:
    """The outcome of requesting one distinct URL once in a run.

    ``status`` is the final HTTP status (0 when no response); ``error`` a short code
    (timeout, connect, dns, tls, too-many-redirects, protocol, blocked-private, ...);
    ``page_title``/``page_snippet`` keep a little of an HTML answer so that dead-link can
    judge soft 404s with its own options.

    Slotted: a run keeps one per distinct URL (~90,000 on a 50,000-page site), 128 bytes each
    instead of 352 with an instance dict.
    """

    url: str
    status: int = 0
    error: str | None = None
    error_detail: str | None = None
    final_url: str | None = None
    redirects: tuple[str, ...] = ()
    content_type: str | None = None
    method: str = "GET"
    elapsed_ms: int = 0
    skipped: str | None = None
    page_title: str | None = None
    page_snippet: str | None = None

    @property
    def ok(self) -> bool:
        return self.skipped is None and self.error is None and 0 < self.status < 400


@dataclass(frozen=True)
class CheckedLink:
    """A link result seen from one site: the result plus where the site links it."""

    result: LinkResult
    refs: tuple[LinkRef, ...]
    on_homepage: bool
    internal: bool


@dataclass(frozen=True)
class SiteInfo:
    """The part of a site's configuration that checks may read."""

    id: str
    name: str
    url: str
    host: str
    kind: str = "portal"
    owner: str = ""
    parent: str | None = None
    aliases: tuple[str, ...] = ()
    offers_services: bool | None = None


@dataclass(frozen=True)
class Context:
    """Read-only facts a check may use besides its page and options: the injected clock."""

    site: SiteInfo
    as_of: dt.date

    @property
    def today(self) -> dt.date:
        return self.as_of


def to_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False)


def dataclass_dict(obj: Any) -> dict[str, Any]:
    return _plain(asdict(obj))
