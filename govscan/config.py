"""Load, merge and validate the sites file and rules.yaml into a frozen RunConfig.

rules.yaml shape (kebab-case keys)::

    extends: default            # a bundled preset name, or a path to another rules file
    crawl: {max-pages: 500, per-host: 4, ...}
    rules:
      dead-link: {level: error, status-levels: {"403": warning}}
      no-https: off             # or: disable / enable / {level: off}
    scoring: {...}

Every key is checked against the registry (rules and their options), CrawlSettings and the
scoring defaults; a problem raises ConfigError naming the file, the line and the key.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from govscan.errors import ConfigError
from govscan.model import SiteInfo
from govscan.rules import PRESET_DIR, Rule, registry
from govscan.urls import host_of, normalize
from govscan.yamlsrc import Located, load_file, load_text

SITE_KINDS = ("portal", "department", "other")
RULE_LEVELS = ("error", "warning", "info", "off")


@dataclass(frozen=True)
class CrawlSettings:
    max_pages: int = 500
    max_depth: int = 6
    concurrency: int = 32
    per_host: int = 4
    delay: float = 0.0
    timeout: float = 15.0
    retries: int = 2
    backoff: float = 0.5
    max_retry_after: float = 30.0
    max_redirects: int = 10
    max_links: int = 20000
    max_page_bytes: int = 5_000_000
    obey_robots: bool = True
    check_external: bool = True
    head_first: bool = True
    user_agent: str = "govscan/{version} (+https://github.com/govscan/govscan)"
    connect_to: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    # processes analysing pages beside the crawler (0: none, in the crawler's process);
    # -1, the default: one per core but one, at most one per site
    jobs: int = -1


@dataclass(frozen=True)
class RuleSettings:
    level: str
    options: Mapping[str, Any]
    ignore_urls: tuple[str, ...] = ()

    @property
    def enabled(self) -> bool:
        return self.level != "off"


@dataclass(frozen=True)
class SiteConfig:
    id: str
    name: str
    url: str
    kind: str = "portal"
    owner: str = ""
    parent: str | None = None
    connect_to: str | None = None
    aliases: tuple[str, ...] = ()
    offers_services: bool | None = None
    max_pages: int | None = None
    max_depth: int | None = None
    rules: Mapping[str, RuleSettings] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return host_of(self.url)

    def info(self) -> SiteInfo:
        return SiteInfo(id=self.id, name=self.name, url=self.url, host=self.host, kind=self.kind,
                        owner=self.owner, parent=self.parent, aliases=self.aliases,
                        offers_services=self.offers_services)


@dataclass(frozen=True)
class RunConfig:
    sites: tuple[SiteConfig, ...]
    crawl: CrawlSettings
    rules: Mapping[str, RuleSettings]
    scoring: Mapping[str, Any]
    as_of: dt.date
    rules_source: str = "default"
    sites_source: str = ""

    def rules_for(self, site: SiteConfig) -> Mapping[str, RuleSettings]:
        if not site.rules:
            return self.rules
        merged = dict(self.rules)
        merged.update(site.rules)
        return MappingProxyType(merged)


# ---------------------------------------------------------------- rules.yaml

def load_rules_doc(path: str | None) -> tuple[dict[str, Any], list[Located]]:
    """Resolve ``extends`` chains and merge; returns the merged doc and its sources (for errors)."""
    docs: list[Located] = []
    seen: set[str] = set()
    current: Located = _preset("default") if path is None else load_file(path)
    while True:
        if current.source in seen:
            raise current.error(("extends",), "extends forms a cycle")
        seen.add(current.source)
        data = current.data if current.data is not None else {}
        if not isinstance(data, dict):
            raise current.error((), "a rules file must be a mapping")
        unknown = set(data) - {"extends", "crawl", "rules", "scoring"}
        if unknown:
            key = sorted(map(str, unknown))[0]
            raise current.error((key,), f"unknown top-level key '{key}' (expected extends, crawl, rules, scoring)")
        docs.append(current)
        parent = data.get("extends")
        if parent is None:
            break
        if not isinstance(parent, str):
            raise current.error(("extends",), "extends must be a preset name or a file path")
        current = _resolve_extends(parent, current)
    merged: dict[str, Any] = {}
    for doc in reversed(docs):
        merged = _deep_merge(merged, {k: v for k, v in (doc.data or {}).items() if k != "extends"})
    return merged, docs


def _preset(name: str) -> Located:
    path = PRESET_DIR / f"{name}.yaml"
    return load_text(path.read_text("utf-8"), f"<bundled preset {name}>")


def _resolve_extends(name: str, current: Located) -> Located:
    if (PRESET_DIR / f"{name}.yaml").is_file() and "/" not in name and not name.endswith((".yaml", ".yml")):
        return _preset(name)
    base = Path(current.source).parent if not current.source.startswith("<") else Path.cwd()
    path = base / name
    if not path.is_file():
        raise current.error(("extends",), f"no bundled preset or file named '{name}'")
    return load_file(path)


def _deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _blame(docs: list[Located], path: tuple) -> Located:
    """The file that set ``path`` last (the user's file before the presets it extends)."""
    for doc in docs:
        node: Any = doc.data
        for part in path:
            if isinstance(node, dict) and part in node:
                node = node[part]
            else:
                break
        else:
            return doc
    return docs[0]


def parse_rules(raw: Mapping[str, Any], docs: list[Located], prefix: tuple = ("rules",)) -> dict[str, RuleSettings]:
    rules = registry()
    if not isinstance(raw, Mapping):
        raise _blame(docs, prefix).error(prefix, "must be a mapping of rule id to settings")
    out: dict[str, RuleSettings] = {}
    for rule_id, value in raw.items():
        path = prefix + (rule_id,)
        if rule_id not in rules:
            raise _blame(docs, path).error(path, f"unknown rule '{rule_id}' (see `govscan rules`)")
        out[rule_id] = _rule_settings(rules[rule_id], value, docs, path)
    return out


def _rule_settings(rule: Rule, value: Any, docs: list[Located], path: tuple) -> RuleSettings:
    if value in ("off", "disable", False):
        return RuleSettings("off", rule.options)
    if value in ("enable", True, None):
        value = {}
    if isinstance(value, str) and value in RULE_LEVELS:
        value = {"level": value}
    if not isinstance(value, Mapping):
        raise _blame(docs, path).error(path, "must be enable, disable, a level or a mapping")
    level = value.get("level", rule.level)
    if level not in RULE_LEVELS:
        raise _blame(docs, path + ("level",)).error(path + ("level",), f"level must be one of {', '.join(RULE_LEVELS)}, not {level!r}")
    ignore = value.get("ignore-urls", [])
    if not isinstance(ignore, list) or not all(isinstance(i, str) for i in ignore):
        raise _blame(docs, path + ("ignore-urls",)).error(path + ("ignore-urls",), "must be a list of URL patterns")
    options = dict(rule.options)
    for name, option in value.items():
        if name in ("level", "ignore-urls"):
            continue
        problem = rule.validate(name, option)
        if problem:
            raise _blame(docs, path + (name,)).error(path + (name,), problem)
        options[name] = option
    return RuleSettings(level, MappingProxyType(options), tuple(ignore))


def _crawl_settings(raw: Any, docs: list[Located], base: CrawlSettings | None = None) -> CrawlSettings:
    base = base or CrawlSettings()
    if raw is None:
        return base
    if not isinstance(raw, Mapping):
        raise _blame(docs, ("crawl",)).error(("crawl",), "must be a mapping")
    known = {f.name.replace("_", "-"): f.name for f in fields(CrawlSettings)}
    changes: dict[str, Any] = {}
    for key, value in raw.items():
        path = ("crawl", key)
        if key not in known:
            raise _blame(docs, path).error(path, f"unknown crawl setting '{key}' (known: {', '.join(sorted(known))})")
        default = getattr(base, known[key])
        if isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise _blame(docs, path).error(path, "must be a list of strings")
            value = tuple(value)
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise _blame(docs, path).error(path, "must be true or false")
        elif isinstance(default, (int, float)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (isinstance(default, int) and not isinstance(value, int)):
                raise _blame(docs, path).error(path, f"must be {'an integer' if isinstance(default, int) else 'a number'}")
            if value < 0:
                raise _blame(docs, path).error(path, "must not be negative")
        elif not isinstance(value, type(default)):
            raise _blame(docs, path).error(path, "must be a string")
        changes[known[key]] = value
    return replace(base, **changes)


def _check_scoring(raw: Any, defaults: Any, docs: list[Located], path: tuple) -> None:
    """Scoring values must keep the shape and types of the bundled preset's."""
    if isinstance(defaults, Mapping):
        if not isinstance(raw, Mapping):
            raise _blame(docs, path).error(path, "must be a mapping")
        for key, value in raw.items():
            if key not in defaults:
                raise _blame(docs, path + (key,)).error(path + (key,), f"unknown scoring key '{key}'")
            _check_scoring(value, defaults[key], docs, path + (key,))
    elif isinstance(defaults, bool) != isinstance(raw, bool) or (
            isinstance(defaults, (int, float)) and not isinstance(raw, (int, float))) or (
            isinstance(defaults, (str, list)) and not isinstance(raw, type(defaults))):
        raise _blame(docs, path).error(path, f"must be of the same type as the default ({defaults!r})")


# ---------------------------------------------------------------- sites file

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_SITE_KEYS = {"id", "name", "url", "kind", "owner", "parent", "connect_to", "aliases",
              "offers_services", "max_pages", "max_depth", "rules"}


def load_sites(path: str, urls: tuple[str, ...] = (), docs: list[Located] | None = None) -> tuple[SiteConfig, ...]:
    """Sites from a YAML file, a plain list of URLs, and/or command-line URLs."""
    entries: list[tuple[dict, Located | None, tuple]] = []
    if path:
        text_doc = load_file(path)
        data = text_doc.data
        if isinstance(data, str) or _looks_like_url_list(text_doc):
            entries += _plain_list(path)
        else:
            if not isinstance(data, dict):
                raise text_doc.error((), "expected a mapping with a 'sites' list, or one URL per line")
            extra = set(data) - {"sites"}
            if extra:
                key = sorted(map(str, extra))[0]
                raise text_doc.error((key,), f"unknown key '{key}' (expected 'sites')")
            if "sites" not in data:
                raise text_doc.error((), "expected a 'sites' list")
            if not isinstance(data["sites"], list):
                raise text_doc.error(("sites",), "must be a list of sites")
            if not data["sites"]:
                raise text_doc.error(("sites",), "the sites list is empty")
            for i, item in enumerate(data["sites"]):
                if isinstance(item, str):
                    item = {"url": item}
                if not isinstance(item, dict):
                    raise text_doc.error(("sites", i), "each site must be a mapping or a URL")
                entries.append((item, text_doc, ("sites", i)))
    for url in urls:
        entries.append(({"url": url}, None, ()))
    sites: list[SiteConfig] = []
    used: set[str] = set()
    for item, doc, path in entries:
        site = _site(item, doc, path, docs or [])
        if site.id in used:
            if "id" in item and doc is not None:
                raise doc.error(path + ("id",), f"duplicate site id '{site.id}'")
            n = 2
            while f"{site.id}-{n}" in used:
                n += 1
            site = replace(site, id=f"{site.id}-{n}")
        used.add(site.id)
        sites.append(site)
    return tuple(sites)


def _looks_like_url_list(doc: Located) -> bool:
    return isinstance(doc.data, str) and bool(re.match(r"^\s*https?://", doc.data))


def _plain_list(path: str) -> list[tuple[dict, Located | None, tuple]]:
    out = []
    text = Path(path).read_text("utf-8-sig")
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip() if not line.strip().startswith("http") else line.strip()
        if not line:
            continue
        if normalize(line) is None:
            raise ConfigError(path, f"line {lineno}", f"not an http(s) URL: {line!r}")
        out.append(({"url": line}, None, ()))
    if not out:
        raise ConfigError(path, "", "the sites list is empty")
    return out


def _err(doc: Located | None, path: tuple, problem: str, source: str = "command line") -> ConfigError:
    return doc.error(path, problem) if doc is not None else ConfigError(source, "", problem)


def _site(item: dict, doc: Located | None, path: tuple, docs: list[Located]) -> SiteConfig:
    unknown = set(item) - _SITE_KEYS
    if unknown:
        key = sorted(map(str, unknown))[0]
        raise _err(doc, path + (key,), f"unknown site key '{key}' (known: {', '.join(sorted(_SITE_KEYS))})")
    raw_url = item.get("url")
    if not isinstance(raw_url, str):
        raise _err(doc, path + ("url",), "each site needs a url")
    url = normalize(raw_url)
    if url is None:
        raise _err(doc, path + ("url",), f"not an http(s) URL: {raw_url!r}")
    for key in ("id", "name", "owner", "parent", "connect_to"):
        if key in item and not isinstance(item[key], str):
            raise _err(doc, path + (key,), "must be a string")
    host = host_of(url)
    site_id = item.get("id") or _default_id(host)
    if not _ID_RE.match(site_id):
        raise _err(doc, path + ("id",), f"invalid id {site_id!r} (letters, digits, . _ -)")
    kind = item.get("kind", "portal")
    if kind not in SITE_KINDS:
        raise _err(doc, path + ("kind",), f"kind must be one of {', '.join(SITE_KINDS)}, not {kind!r}")
    parent = item.get("parent")
    if parent is not None and normalize(parent) is None:
        raise _err(doc, path + ("parent",), f"not an http(s) URL: {parent!r}")
    connect_to = item.get("connect_to")
    if connect_to is not None and not re.match(r"^[^:\s]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$", connect_to):
        raise _err(doc, path + ("connect_to",), "must be HOST:PORT, e.g. 127.0.0.1:8081")
    aliases = item.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise _err(doc, path + ("aliases",), "must be a list of host names")
    for key in ("max_pages", "max_depth"):
        if key in item and (not isinstance(item[key], int) or isinstance(item[key], bool) or item[key] < 0):
            raise _err(doc, path + (key,), "must be a non-negative integer")
    offers = item.get("offers_services")
    if offers is not None and not isinstance(offers, bool):
        raise _err(doc, path + ("offers_services",), "must be true or false")
    overrides: dict[str, RuleSettings] = {}
    if "rules" in item:
        site_docs = [doc] if doc is not None else []
        overrides = parse_rules(item["rules"] or {}, site_docs or docs, path + ("rules",))
    return SiteConfig(
        id=site_id, name=item.get("name") or host, url=url, kind=kind, owner=item.get("owner", ""),
        parent=normalize(parent) if parent else None, connect_to=connect_to,
        aliases=tuple(a.lower() for a in aliases), offers_services=offers,
        max_pages=item.get("max_pages"), max_depth=item.get("max_depth"),
        rules=MappingProxyType(overrides),
    )


def _default_id(host: str) -> str:
    host = re.sub(r"^www\.", "", host)
    host = re.sub(r"\.gov\.cn$", "", host)
    return re.sub(r"[^A-Za-z0-9_-]+", "-", host).strip("-") or "site"


# ---------------------------------------------------------------- entry point

def scoring_of(merged: Mapping[str, Any], docs: list[Located]) -> dict[str, Any]:
    """The ``scoring`` values of a merged rules document (``load_rules_doc``) over the bundled
    preset's, checked against their shapes and types."""
    defaults = _preset("default").data.get("scoring", {})
    scoring = merged.get("scoring") or {}
    _check_scoring(scoring, defaults, docs, ("scoring",))
    return _deep_merge(defaults, scoring)


def load(sites_path: str | None, urls: tuple[str, ...] = (), rules_path: str | None = None,
         as_of: dt.date | None = None, crawl_overrides: Mapping[str, Any] | None = None) -> RunConfig:
    merged, docs = load_rules_doc(rules_path)
    rules = registry()
    rule_settings = {rid: RuleSettings(r.level, r.options) for rid, r in rules.items()}
    rule_settings.update(parse_rules(merged.get("rules") or {}, docs))
    crawl = _crawl_settings(merged.get("crawl"), docs)
    if crawl_overrides:
        crawl = replace(crawl, **{k: v for k, v in crawl_overrides.items() if v is not None})
    scoring = scoring_of(merged, docs)
    if not sites_path and not urls:
        raise ConfigError("command line", "", "no sites: give URLs or --sites FILE")
    sites = load_sites(sites_path or "", urls, docs)
    return RunConfig(
        sites=sites, crawl=crawl, rules=MappingProxyType(rule_settings),
        scoring=MappingProxyType(scoring),
        as_of=as_of or dt.date.today(), rules_source=rules_path or "default",
        sites_source=sites_path or "",
    )
