"""复核: re-check only the previous run's open findings, much faster than a full scan.

- link findings (dead-link): request only those URLs again and re-run the link rule;
- page findings: re-fetch the pages they were found on and re-run that rule on them;
- site findings whose rule needs only the homepage and what it loads (identity marks, channels,
  domain, HTTPS, the admin URL found): re-fetch the homepage and re-run those rules;
- every other site finding (columns, messages, guides, interpretation need the whole crawl)
  is carried over as "not rechecked", still open, with a note saying why.

Every request goes through the Fetcher, so politeness, robots.txt and the private-address guard
apply. A finding is fixed when its rule ran on its subject again and its fingerprint is gone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from govscan import aio, extract
from govscan.config import RunConfig, SiteConfig
from govscan.crawl import is_page_target, new_state
from govscan.engine import Engine
from govscan.errors import ConfigError, RunError
from govscan.facts import AdminProbe
from govscan.fetch import Fetcher
from govscan.model import CheckedLink, Finding, LinkRef, LinkResult
from govscan.page import Page
from govscan.report import CrawlStats, Report, SiteResult
from govscan.rules import registry
from govscan.store import SiteOutcome, Store
from govscan.urls import host_of, normalize

# Site rules that need nothing but the homepage and what it loads (scripts, frames, includes).
HOMEPAGE_RULES = frozenset({
    "site-unreachable", "non-gov-domain", "missing-site-code", "missing-icp", "missing-psb-filing",
    "missing-conac-mark", "missing-sponsor", "missing-parent-link", "missing-interaction-channel",
    "missing-service-entry", "homepage-stale", "no-https", "admin-exposed",
})
MAX_PAGES_PER_FINDING = 20
MAX_HOME_LOADS = 30

NOTE_NEEDS_CRAWL = "该问题需要完整扫描全站（栏目、留言、办事指南等）才能复核，本次未复核，仍视为存在"
NOTE_HOME_FAILED = "首页本次无法访问，未能复核"
NOTE_PAGE_FAILED = "所在页面本次无法访问或不是网页，未能复核"
NOTE_RULE_OFF = "该规则本次未启用（--only/--skip 或规则配置），未复核"
NOTE_ROBOTS = "robots.txt 不允许访问，未复核"
NOTE_SKIPPED = "本次请求被跳过（{reason}），未复核"
NOTE_NAVIGATION = "首页为导航页，需完整扫描二级页面才能判断，本次未复核"
NOTE_TOO_MANY_PAGES = f"所在页面超过 {MAX_PAGES_PER_FINDING} 个，仅复核了前 {MAX_PAGES_PER_FINDING} 个且均未再发现，需完整扫描确认"


@dataclass
class Previous:
    """The open findings to re-check, per site id, and where they came from."""

    source: str
    run: Mapping[str, Any] | None
    sites: dict[str, list[dict[str, Any]]]
    site_info: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> url, name, kind, owner


def previous_from_report(path: str) -> Previous:
    from govscan.reports import load_report

    data = load_report(path)
    sites = {s["id"]: [dict(f) for f in s["findings"]] for s in data["sites"]}
    info = {s["id"]: {k: s.get(k) for k in ("url", "name", "kind", "owner")} for s in data["sites"]}
    return Previous(source=str(path), run=data["run"], sites=sites, site_info=info)


def previous_from_store(store: Store, site_ids: list[str] | None = None) -> Previous:
    known = {s["site_id"]: s for s in store.sites() if s["run_id"] is not None}
    wanted = [i for i in (site_ids if site_ids is not None else list(known)) if i in known]
    runs = [store.last_run(i) for i in wanted]
    latest = max((r for r in runs if r), key=lambda r: r["id"], default=None)
    return Previous(source=f"store:{store.path}", run=latest,
                    sites={i: store.open_findings(i) for i in wanted},
                    site_info={i: {"url": known[i]["url"], "name": known[i]["name"]} for i in wanted})


def config_from_previous(previous: Previous, rules_file: str | None, as_of: dt.date | None,
                         overrides: Mapping[str, Any]) -> RunConfig:
    """A RunConfig for the previous run's sites, when no sites file or URL was given."""
    from govscan import config as config_mod

    if not previous.site_info:
        raise ConfigError(previous.source, "", "上次结果中没有站点可复核")
    ids = sorted(previous.site_info)
    cfg = config_mod.load(None, tuple(previous.site_info[i]["url"] for i in ids), rules_file, as_of, overrides)
    sites = []
    for site_id, site in zip(ids, cfg.sites):
        info = previous.site_info[site_id]
        kind = info.get("kind") if info.get("kind") in config_mod.SITE_KINDS else site.kind
        sites.append(replace(site, id=site_id, name=info.get("name") or site.name, kind=kind,
                             owner=info.get("owner") or site.owner))
    return replace(cfg, sites=tuple(sites))


# ------------------------------------------------------------------ the recheck of one site

@dataclass
class _Verdicts:
    confirmed: dict[str, Finding] = field(default_factory=dict)   # fingerprint -> finding as seen now
    fixed: set[str] = field(default_factory=set)
    notes: dict[str, str] = field(default_factory=dict)           # fingerprint -> why not rechecked


class _SiteRecheck:
    def __init__(self, site: SiteConfig, config: RunConfig, fetcher: Fetcher, findings: list[dict[str, Any]],
                 only: frozenset[str], skip: frozenset[str]) -> None:
        self.site, self.config, self.fetcher = site, config, fetcher
        self.previous = {f["fingerprint"]: f for f in findings}
        rules = registry()
        wanted = {f["rule"] for f in findings}
        self.state = new_state(site, config, only=frozenset(wanted & set(only)) if only else frozenset(wanted),
                               skip=skip)
        self.engine: Engine = self.state.engine
        self.hosts = {site.host, *site.aliases, *config.crawl.aliases}
        self.out = _Verdicts()
        self.pages: dict[str, asyncio.Task] = {}
        self.by_scope: dict[str, list[dict[str, Any]]] = {"link": [], "page": [], "site": []}
        for f in findings:
            rule = rules.get(f["rule"])
            if rule is None or not self.engine.rule_enabled(f["rule"]):
                self.out.notes[f["fingerprint"]] = NOTE_RULE_OFF
            elif rule.scope == "site" and f["rule"] not in HOMEPAGE_RULES:
                self.out.notes[f["fingerprint"]] = NOTE_NEEDS_CRAWL
            else:
                self.by_scope[rule.scope].append(f)
        self.links_checked = 0
        self._page_results: dict[str, list[Finding]] = {}

    async def run(self) -> _Verdicts:
        await asyncio.gather(self._links(), self._pages(), self._site())
        return self.out

    def _match(self, findings: list[dict[str, Any]], hits: list[Finding]) -> None:
        for hit in hits:
            if hit.fingerprint in self.previous:
                self.out.confirmed[hit.fingerprint] = hit

    async def _page(self, url: str):
        """Fetch a page of the site once per recheck (several findings may share it)."""
        task = self.pages.get(url)
        if task is None:
            task = asyncio.ensure_future(self._fetch_page(url))
            self.pages[url] = task
        return await task

    async def _fetch_page(self, url: str):
        # as in the crawl, the homepage itself is fetched whatever robots.txt says
        if url != self.site.url and host_of(url) in self.hosts and not await self.fetcher.allowed(url):
            return None, "robots"
        is_home = url == self.site.url
        fetched = await self.fetcher.fetch_page(url, depth=0 if is_home else 1, is_homepage=is_home)
        self.state.stats.pages += 1
        return fetched, fetched.page

    # -------------------------------------------------------------- link findings

    async def _links(self) -> None:
        async def one(f: dict[str, Any]) -> None:
            url, fp = f["url"], f["fingerprint"]
            evidence = f.get("evidence") or {}
            refs = _refs(f, self.site.url)
            internal = host_of(url) in self.hosts
            if internal and not await self.fetcher.allowed(url):
                self.out.notes[fp] = NOTE_ROBOTS
                return
            prefer_head = not any(is_page_target(url, r.tag) for r in refs)
            result = await self.fetcher.check(url, prefer_head)
            if result.skipped:
                self.out.notes[fp] = NOTE_SKIPPED.format(reason=result.skipped)
                return
            self.links_checked += 1
            checked = CheckedLink(result=result, refs=refs, on_homepage=bool(evidence.get("on_homepage")),
                                  internal=internal)
            hits = self.engine.run("link", checked, url)
            self._match([f], hits)
            if fp not in self.out.confirmed:
                self.out.fixed.add(fp)

        await asyncio.gather(*(one(f) for f in self.by_scope["link"]))

    # -------------------------------------------------------------- page findings

    async def _pages(self) -> None:
        async def one(f: dict[str, Any]) -> None:
            fp = f["fingerprint"]
            pages = list(dict.fromkeys(f.get("found_on") or [f["url"]]))
            capped = len(pages) > MAX_PAGES_PER_FINDING
            missed = None
            for url in pages[:MAX_PAGES_PER_FINDING]:
                fetched, page = await self._page(url)
                if fetched is None or page is None or not fetched.result.ok:
                    missed = NOTE_ROBOTS if fetched is None else NOTE_PAGE_FAILED
                    continue
                self._match([f], self._page_hits(url, page))
                if fp in self.out.confirmed:
                    return
            if missed:
                self.out.notes[fp] = missed
            elif capped:
                self.out.notes[fp] = NOTE_TOO_MANY_PAGES
            else:
                self.out.fixed.add(fp)

        await asyncio.gather(*(one(f) for f in self.by_scope["page"]))

    def _page_hits(self, url: str, page: Page) -> list[Finding]:
        """The page rules' findings on a page, computed once per page."""
        if url not in self._page_results:
            self._page_results[url] = self.engine.run("page", page, page.url) if "javascript" not in page.content_type else []
        return self._page_results[url]

    # -------------------------------------------------------------- site findings

    async def _site(self) -> None:
        findings = self.by_scope["site"]
        if not findings:
            return
        facts = self.state.facts
        home = self.site.url
        fetched, page = await self._page(home)
        if fetched is None:  # robots.txt forbids the homepage
            for f in findings:
                self.out.notes[f["fingerprint"]] = NOTE_ROBOTS
            return
        facts.homepage = fetched.result
        facts.final_url = fetched.result.final_url
        home_ok = fetched.result.ok and page is not None
        if home_ok:
            extract.collect(page, facts)
            own = self.hosts | {host_of(facts.final_url or home)}
            loads = [u for u in list(facts.home_loads)[:MAX_HOME_LOADS] if host_of(u) in own]
            for sub, sub_page in await asyncio.gather(*(self._page(u) for u in loads)):
                if sub is not None and sub_page is not None:
                    extract.collect(sub_page, facts)
        rules = {f["rule"] for f in findings}
        if "no-https" in rules:
            parts = urlsplit(home)
            twin = normalize(parts._replace(scheme="https" if parts.scheme == "http" else "http").geturl()) or home
            result = await self.fetcher.check(twin, prefer_head=False)
            pair = (facts.homepage, result) if parts.scheme == "http" else (result, facts.homepage)
            facts.http_homepage, facts.https_homepage = pair
        for f in findings:
            if f["rule"] == "admin-exposed":
                facts.admin_probes.append(await self._admin_probe(f["url"]))
        facts.pages = self.state.stats.pages
        hits = self.engine.run("site", facts, home)
        self._match(findings, hits)
        navigation = False
        if "homepage-stale" in rules and facts.homepage_list is not None:
            limit = self.engine.settings["homepage-stale"].options.get("navigation-only-max-items", 3)
            navigation = facts.homepage_list.items <= int(limit)
        for f in findings:
            fp = f["fingerprint"]
            if fp in self.out.confirmed:
                if f["rule"] == "homepage-stale" and navigation:
                    # with no second-level pages fetched the rule cannot clear a navigation homepage
                    del self.out.confirmed[fp]
                    self.out.notes[fp] = NOTE_NAVIGATION
            elif not home_ok and f["rule"] != "site-unreachable":
                self.out.notes[fp] = NOTE_HOME_FAILED
            else:
                self.out.fixed.add(fp)

    async def _admin_probe(self, url: str) -> AdminProbe:
        fetched, page = await self._page(url)
        if fetched is None:
            return AdminProbe(url=url, status=0, error="robots")
        result: LinkResult = fetched.result
        has_form = page is not None and "javascript" not in page.content_type and \
            page.tree.css_first("input[type=password]") is not None
        return AdminProbe(url=url, status=result.status, final_url=result.final_url,
                          title=(page.title if page is not None and "javascript" not in page.content_type else "")[:120],
                          has_login_form=has_form, error=result.error)


def _refs(finding: Mapping[str, Any], home: str) -> tuple[LinkRef, ...]:
    """Where a dead link was linked from, rebuilt from its finding (pages × elements)."""
    evidence = finding.get("evidence") or {}
    elements = []
    for element in evidence.get("element") or ["a[href]"]:
        tag, _, attr = str(element).partition("[")
        elements.append((tag, attr.rstrip("]") or "href"))
    texts = list(evidence.get("link_text") or [""])
    return tuple(LinkRef(page, tag, attr, str(texts[0])) for page in (finding.get("found_on") or [home])
                 for tag, attr in elements)


# ------------------------------------------------------------------ the run

def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")


async def recheck_async(config: RunConfig, previous: Previous, options: Any) -> tuple[dict[str, Any], dict[str, SiteOutcome]]:
    """Re-check ``previous`` for the configured sites it names; returns the report dict (with the
    optional recheck keys) and, per site, the fixed and not-rechecked fingerprints for the store."""
    from govscan.run import connect_rules

    started = _now()
    sites = [s for s in config.sites if s.id in previous.sites]
    if not sites:
        raise ConfigError(previous.source, "", "上次结果中没有本次配置的站点（按站点 id 匹配），无可复核的问题")
    trusted = {h for site in config.sites for h in (site.host, *site.aliases)} | set(config.crawl.aliases)
    fetcher = Fetcher(config.crawl, connect_rules(config, options.connect_to), transport=options.transport,
                      ignore_robots=options.ignore_robots, trusted_hosts=trusted)
    checks = [_SiteRecheck(site, config, fetcher, previous.sites[site.id], options.only, options.skip)
              for site in sites]
    clock = time.monotonic()
    try:
        results = await asyncio.gather(*(c.run() for c in checks))
    finally:
        await fetcher.aclose()
    elapsed = time.monotonic() - clock
    site_results, outcomes, notes = [], {}, {}
    for check, verdicts in zip(checks, results):
        kept: list[Finding] = []
        for fp, f in check.previous.items():
            if fp in verdicts.confirmed:
                kept.append(verdicts.confirmed[fp])
            elif fp not in verdicts.fixed:
                kept.append(Finding.from_dict(f))
        stats = CrawlStats(pages=check.state.stats.pages, links_checked=check.links_checked,
                           duration_s=elapsed, ignored_robots=fetcher.ignore_robots)
        check.state.stats = stats
        check.state.engine.findings[:] = kept
        check.state.complete = True
        result: SiteResult = check.state.result(config, options.availability.get(check.site.id))
        site_results.append(result)
        outcomes[check.site.id] = SiteOutcome(fixed=tuple(sorted(verdicts.fixed)),
                                              unverified=tuple(sorted(verdicts.notes)))
        notes[check.site.id] = (verdicts, check.previous)
    report_options = {
        "as_of": config.as_of.isoformat(), "rules": config.rules_source, "sites_file": config.sites_source,
        "recheck": previous.source, "previous_run": (previous.run or {}).get("started_at"),
        "timeout": config.crawl.timeout, "ignore_robots": fetcher.ignore_robots,
        "only": sorted(options.only), "skip": sorted(options.skip), "connect_to": list(options.connect_to),
        "requests": fetcher.requests,
    }
    data = Report(sites=site_results, started_at=started, finished_at=_now(), as_of=config.as_of.isoformat(),
                  complete=True, options=report_options).to_dict()
    for site in data["sites"]:
        verdicts, prev = notes[site["id"]]
        for f in site["findings"]:
            fp = f["fingerprint"]
            f["status"] = "open"
            if prev.get(fp, {}).get("first_seen"):
                f["first_seen"] = prev[fp]["first_seen"]
            f["recheck"] = ({"result": "confirmed"} if fp in verdicts.confirmed
                            else {"result": "not-rechecked", "note": verdicts.notes.get(fp, "")})
        site["fixed"] = [{k: prev[fp][k] for k in ("rule", "level", "title", "message", "url", "fingerprint",
                                                     "first_seen") if k in prev[fp]} | {"fixed_at": data["run"]["started_at"]}
                         for fp in sorted(verdicts.fixed)]
        site["recheck"] = {"previous": len(prev), "confirmed": len(verdicts.confirmed),
                           "fixed": len(verdicts.fixed), "not_rechecked": len(verdicts.notes)}
    return data, outcomes


def recheck(config: RunConfig, previous: Previous, options: Any) -> tuple[dict[str, Any], dict[str, SiteOutcome]]:
    try:
        return aio.run(recheck_async(config, previous, options))
    except KeyboardInterrupt:
        raise RunError("复核被中断，未写入报告（复核很快，请重新运行）") from None


def load_previous(spec: str, store: Store | None, config_site_ids: list[str] | None) -> Previous:
    """``spec`` is a report.json path, or "" for the store's open findings."""
    if spec:
        if not Path(spec).is_file():
            raise ConfigError(spec, "", "上次的检查结果文件不存在（--recheck 需要 report.json 或 --db）")
        return previous_from_report(spec)
    if store is None:
        raise ConfigError("command line", "--recheck", "需要 --db（历史库）或上次的 report.json")
    previous = previous_from_store(store, config_site_ids)
    if not previous.sites:
        raise ConfigError(str(store.path), "", "历史库中没有这些站点的检查记录，无法复核（先运行一次 govscan scan --db）")
    return previous
