"""One site's crawl: frontier, scope, depth and page caps, then its link checks.

``scan_site`` is the independent unit of work of a run: it needs only the site's config,
the run config and a Fetcher, and returns a SiteResult of plain data. Every page is handed
to the page rules and the extractors once, then dropped.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import urlsplit

from govscan.analyze import (LINK_TEXT_CHARS, AnalysisResult, AnalysisWorkerError, LocalAnalyzer, PageJob,
                             PageOutcome)
from govscan.config import RunConfig, SiteConfig
from govscan.engine import Engine
from govscan.facts import CRAWL_FIELDS, AdminProbe, SiteFacts
from govscan.fetch import Fetcher
from govscan.model import CheckedLink, Context, Finding, LinkRef
from govscan.progress import NoProgress, Progress
from govscan.report import CrawlStats, SiteResult
from govscan.scoring import score
from govscan.urls import host_of, normalize

PAGE_TAGS = frozenset({"a", "area", "iframe", "frame"})
# Targets never parsed as pages: checked with HEAD first.
ATTACHMENT_EXT = frozenset({
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".wps", ".et", ".ofd", ".txt", ".csv",
    ".zip", ".rar", ".7z", ".gz", ".tar", ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".svg",
    ".ico", ".mp3", ".mp4", ".avi", ".flv", ".wmv", ".mov", ".swf", ".apk", ".exe", ".dmg", ".iso",
    ".css", ".js", ".xml", ".json", ".ceb", ".caj", ".tif", ".tiff",
})
# Of those, never fetched as pages by the crawl either (extractors follow scripts and includes):
# safe to check ahead of the link phase.
PREFETCH_EXT = ATTACHMENT_EXT - {".js", ".txt", ".xml", ".json"}
MAX_SKIPPED = 2000
MAX_REFS = 20


def _ext(url: str) -> str:
    """The path's extension, lower-cased ("" for none): asked of every link occurrence, so
    string cuts rather than urlsplit (the same answer: tests/test_crawl.py)."""
    start = url.find("/", url.find("//") + 2) if "//" in url else 0
    if start < 0:
        return ""
    path = url[start:]
    for mark in ("?", "#"):
        cut = path.find(mark)
        if cut >= 0:
            path = path[:cut]
    dot = path.rfind(".")
    return path[dot:].lower() if dot > path.rfind("/") else ""


def is_page_target(url: str, tag: str) -> bool:
    return tag in PAGE_TAGS and _ext(url) not in ATTACHMENT_EXT


@dataclass
class SiteState:
    """Mutable state of one site's scan, readable when the scan is interrupted."""

    site: SiteConfig
    facts: SiteFacts
    engine: Engine
    stats: CrawlStats = field(default_factory=CrawlStats)
    # target -> where it is linked from, as LinkRef fields (page, tag, attr, text): plain tuples
    # take 40 bytes less than LinkRefs, ~20 MB on a 50,000-page site; LinkRefs are made per check
    refs: dict[str, list[tuple[str, str, str, str]]] = field(default_factory=dict)
    on_homepage: set[str] = field(default_factory=set)
    complete: bool = False

    def absorb(self, analysis: AnalysisResult, at: tuple[int, int] | None = None) -> None:
        """Take over what the site's page analysis gathered; the crawl's own facts stay.
        ``at``: where its findings and errors go in the engine's lists (default: the end), so
        that their order does not depend on what the crawl recorded meanwhile."""
        own = {name: getattr(self.facts, name) for name in CRAWL_FIELDS}
        self.facts = analysis.facts
        for name, value in own.items():
            setattr(self.facts, name, value)
        findings_at, errors_at = at or (len(self.engine.findings), len(self.engine.errors))
        self.engine.findings[findings_at:findings_at] = analysis.findings
        self.engine.errors[errors_at:errors_at] = analysis.errors

    def result(self, config: RunConfig, availability: Mapping[str, Any] | None = None) -> SiteResult:
        """``availability``: the history store's probes of the last 7 days (None: no history)."""
        findings = merge_duplicates(self.engine.findings)
        extra = {}
        if availability is not None:
            extra["availability"] = {k: availability[k] for k in ("probes", "failures", "ratio")}
        return SiteResult(
            id=self.site.id, name=self.site.name, url=self.site.url, kind=self.site.kind,
            owner=self.site.owner, final_url=self.facts.final_url, crawl=self.stats,
            verdict=score(findings, self.facts, config.scoring, complete=self.complete, **extra),
            findings=findings, errors=list(self.engine.errors), complete=self.complete,
            availability=dict(availability) if availability is not None else None,
        )


async def cancel_all(tasks: list[asyncio.Task]) -> None:
    """Cancel until every task has ended: asyncio.wait_for can swallow one cancellation
    when its inner future finishes at the same moment, leaving a task waiting forever."""
    pending = {t for t in tasks if not t.done()}
    patience = 2.0  # time for a task's own clean-up (it may be cancelling its children)
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=patience)
        patience = 0.5


def merge_duplicates(findings: list[Finding]) -> list[Finding]:
    """One finding per fingerprint: a subject seen from several pages lists them all."""
    merged: dict[str, Finding] = {}
    for finding in findings:
        first = merged.get(finding.fingerprint)
        if first is None:
            merged[finding.fingerprint] = finding
        else:
            pages = tuple(sorted(set(first.found_on) | set(finding.found_on)))
            merged[finding.fingerprint] = dataclasses.replace(first, found_on=pages)
    return sorted(merged.values())


def new_state(site: SiteConfig, config: RunConfig, only: frozenset[str] = frozenset(),
              skip: frozenset[str] = frozenset()) -> SiteState:
    context = Context(site=site.info(), as_of=config.as_of)
    engine = Engine(config.rules_for(site), context, only=only, skip=skip)
    return SiteState(site=site, facts=SiteFacts(site=context.site), engine=engine)


class SiteCrawl:
    def __init__(self, state: SiteState, config: RunConfig, fetcher: Fetcher, progress: Progress,
                 analyzer: Any = None) -> None:
        self.state = state
        self.config = config
        self.fetcher = fetcher
        self.progress = progress
        # page rules and extractors: here, or in a worker process (govscan.analyze)
        self.analyzer = analyzer or LocalAnalyzer(config, state.engine.only, state.engine.skip)
        self._analysing = False  # begun and not yet absorbed
        site = state.site
        self.hosts = {site.host, *site.aliases, *config.crawl.aliases}
        self.max_pages = site.max_pages if site.max_pages is not None else config.crawl.max_pages
        self.max_depth = site.max_depth if site.max_depth is not None else config.crawl.max_depth
        self.queued: set[str] = set()
        self.queue: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
        self.robots_blocked: set[str] = set()
        dead_link = state.engine.settings.get("dead-link")
        if dead_link is not None and state.engine.rule_enabled("dead-link"):
            fetcher.keep_snippets(dead_link.options.get("soft-404-patterns") or (),
                                  int(dead_link.options.get("soft-404-max-chars") or 0))
        else:
            fetcher.keep_snippets((), 0)

    def skip(self, url: str, reason: str) -> None:
        if len(self.state.stats.skipped) < MAX_SKIPPED:
            self.state.stats.skipped.append({"url": url, "reason": reason})

    async def run(self, slots: asyncio.Semaphore | None = None) -> None:
        state, site = self.state, self.state.site
        started = time.monotonic()
        state.stats.ignored_robots = self.fetcher.ignore_robots
        try:
            async with slots or asyncio.Semaphore(1):
                self.progress.site_started(site.id, site.name)
                await self._crawl_pages()
        finally:
            self.fetcher.crawl_finished(self.hosts)
        # Every page's analysis has answered (its links, its text): the link phase needs nothing
        # more of it, and runs while the worker sends the site's facts. They go where they would
        # have gone before the link phase's findings.
        at = (len(state.engine.findings), len(state.engine.errors))

        async def merge_analysis() -> None:
            await self.settle(at=at)
            self.analyzer.site_ended(site)  # its page analysis is merged: a worker may go

        await asyncio.gather(merge_analysis(), self._check_links())
        await self._probe_extras()
        state.facts.pages = state.stats.pages
        state.engine.run("site", state.facts, site.url)
        state.stats.duration_s = time.monotonic() - started
        state.complete = True

    async def settle(self, timeout: float | None = None, at: tuple[int, int] | None = None) -> None:
        """Merge the page analysis into the state (also after an interrupted crawl: the
        worker still answers). ``timeout``: how long to wait for a busy worker; ``at``: see
        SiteState.absorb."""
        if not self._analysing:
            return
        self._analysing = False
        try:
            result = await asyncio.wait_for(self.analyzer.finish(self.state.site), timeout)
        except (AnalysisWorkerError, asyncio.TimeoutError) as exc:
            errors = self.state.engine.errors
            errors.insert(at[1] if at else len(errors), {
                "rule": "analysis", "url": self.state.site.url,
                "error": f"page analysis lost: {type(exc).__name__}: {exc}"[:300]})
            return
        self.state.absorb(result, at)

    # ------------------------------------------------------------ pages

    async def _crawl_pages(self) -> None:
        site = self.state.site
        home = await self.fetcher.fetch_page(site.url, depth=0, is_homepage=True, annotate_later=True)
        self.state.facts.homepage = home.result
        self.state.facts.final_url = home.result.final_url
        self.queued.add(site.url)
        if not home.result.ok or home.job is None:
            return
        final_host = host_of(home.result.final_url or site.url)
        if final_host and final_host not in self.hosts:
            self.hosts.add(final_host)  # www → non-www and similar: the site lives there now
            self.fetcher.crawl_started([final_host])
        await self.analyzer.begin(self.state.site, home.result.final_url)
        self._analysing = True
        await self._handle(home.job, depth=0, is_home=True, truncated=home.truncated)
        workers = [asyncio.create_task(self._worker()) for _ in range(max(1, self.config.crawl.per_host * 2))]
        try:
            await self.queue.join()
        finally:
            # shielded: a second cancellation of this crawl must not orphan its workers
            await asyncio.shield(cancel_all(workers))

    async def _worker(self) -> None:
        while True:
            url, depth = await self.queue.get()
            try:
                if not await self.fetcher.allowed(url):
                    self.robots_blocked.add(url)
                    self.skip(url, "robots")
                    continue
                fetched = await self.fetcher.fetch_page(url, depth=depth, annotate_later=True)
                if fetched.job is not None:
                    await self._handle(fetched.job, depth=depth, is_home=False, truncated=fetched.truncated)
            finally:
                # Drop the page (its text and parsed tree) before yielding: otherwise every worker
                # whose answer came in the same loop turn holds its page at once (~130 MB).
                fetched = None
                self.queue.task_done()
            await asyncio.sleep(0)  # let other sites' coroutines run between big pages

    async def _handle(self, job: PageJob, depth: int, is_home: bool, truncated: bool) -> None:
        state = self.state
        if truncated:
            self.skip(job.url, f"truncated: larger than {self.config.crawl.max_page_bytes} bytes")
        script = "javascript" in job.content_type
        if not script:
            state.stats.pages += 1
            if job.final_url != job.url and host_of(job.final_url) in self.hosts:
                self.queued.add(job.final_url)  # reached through a redirect: do not fetch it again
            self.progress.page_done(state.site.id, job.url)
        try:
            outcome: PageOutcome = await self.analyzer.analyse(state.site, job)
        except AnalysisWorkerError as exc:
            state.engine.errors.append({"rule": "analysis", "url": job.url, "error": str(exc)[:300]})
            return
        if script:
            self._follow(job.url, outcome.links, depth, is_home=False)
            return
        await self.fetcher.annotate(job.url, outcome.title, outcome.snippet)
        self._follow(job.url, outcome.links, depth, is_home)
        for url in outcome.extra:
            if host_of(url) in self.hosts:
                self._enqueue(url, depth + 1, force=True)

    def _follow(self, page_url: str, links, depth: int, is_home: bool) -> None:
        """``links``: (url, tag, attr, text) tuples of one page."""
        refs, queued = self.state.refs, self.queued
        for url, tag, attr, text in links:
            targets = refs.get(url)
            if targets is None:
                if len(refs) >= self.config.crawl.max_links:
                    if not self.state.stats.truncated_links:
                        self.skip(url, f"link cap: more than {self.config.crawl.max_links} distinct links")
                    self.state.stats.truncated_links += 1
                    continue
                targets = refs[url] = []
                # never a page: checked now, while pages are crawled (the link phase would anyway)
                if _ext(url) in PREFETCH_EXT and (
                        self.config.crawl.check_external or host_of(url) in self.hosts):
                    self.fetcher.prefetch(url)
            if len(targets) < MAX_REFS:  # enough to show where; not one entry per page of a big site
                # interned: the same navigation texts on every page are kept once
                targets.append((page_url, tag, attr, sys.intern(text[:LINK_TEXT_CHARS])))
            if is_home:
                self.state.on_homepage.add(url)
            if url not in queued:  # most occurrences: a page already known
                self._consider(url, tag, depth + 1)

    def _consider(self, url: str, tag: str, depth: int) -> None:
        if url in self.queued:  # most occurrences: a page already known
            return
        if host_of(url) in self.hosts and is_page_target(url, tag):
            self._enqueue(url, depth)  # checked in the link phase when not crawled (every target is)

    def _enqueue(self, url: str, depth: int, force: bool = False) -> bool:
        if url in self.queued:
            return True
        if depth > self.max_depth and not force:
            return False
        if len(self.queued) >= self.max_pages:
            self.state.stats.truncated = True
            return False
        self.queued.add(url)
        self.queue.put_nowait((url, depth))
        return True

    # ------------------------------------------------------------ links

    async def _check_links(self) -> None:
        state = self.state
        targets = iter(sorted(state.refs))

        async def one(url: str) -> None:
            refs = state.refs[url]
            internal = host_of(url) in self.hosts
            if not internal and not self.config.crawl.check_external:
                self.skip(url, "external links not checked")
                return
            if url in self.robots_blocked:
                return
            if internal and url not in self.queued and not await self.fetcher.allowed(url):
                self.skip(url, "robots")
                return
            result = self.fetcher.known(url)  # nearly always, by now: crawled or checked meanwhile
            if result is None:
                prefer_head = not any(is_page_target(url, tag) for _, tag, _, _ in refs)
                result = await self.fetcher.check(url, prefer_head)
            if result.skipped:
                self.skip(url, result.skipped)
                return
            state.stats.links_checked += 1
            if result.redirects:
                state.stats.redirects.append({"url": url, "chain": list(result.redirects) + [result.final_url],
                                              "status": result.status})
            self.progress.link_done(state.site.id, url, result.ok)
            checked = CheckedLink(result=result, refs=tuple(LinkRef(*r) for r in refs), on_homepage=url in state.on_homepage,
                                  internal=internal)
            state.engine.run("link", checked, url)

        async def worker() -> None:
            for url in targets:
                await one(url)

        # A fixed pool, not one task per target: a 50,000-page site has ~100,000 targets.
        await asyncio.gather(*(worker() for _ in range(max(1, self.config.crawl.concurrency))))

    # ------------------------------------------------------------ site-level probes

    async def _probe_extras(self) -> None:
        """Requests some site rules need beyond the crawl; made only when those rules are on
        and the homepage answered (an unreachable site has nothing more to tell)."""
        state, engine = self.state, self.state.engine
        site_url = state.site.url
        if state.facts.homepage is None or not state.facts.homepage.ok:
            return
        jobs = []
        if engine.rule_enabled("no-https"):
            jobs.append(self._probe_scheme_twin(site_url))
        if engine.rule_enabled("admin-exposed"):
            base = state.facts.final_url or site_url
            urls = {normalize(path, base) for path in engine.settings["admin-exposed"].options.get("paths", [])}
            jobs += [self._probe_admin(url) for url in sorted(u for u in urls if u)]
        await asyncio.gather(*jobs)
        state.facts.admin_probes.sort(key=lambda probe: probe.url)

    async def _probe_scheme_twin(self, site_url: str) -> None:
        facts = self.state.facts
        parts = urlsplit(site_url)
        twin = parts._replace(scheme="https" if parts.scheme == "http" else "http").geturl()
        result = await self.fetcher.check(normalize(twin) or twin, prefer_head=False)
        if parts.scheme == "http":
            facts.http_homepage, facts.https_homepage = facts.homepage, result
        else:
            facts.http_homepage, facts.https_homepage = result, facts.homepage

    async def _probe_admin(self, url: str) -> None:
        fetched = await self.fetcher.fetch_page(url)
        page, result = fetched.page, fetched.result
        has_form = page is not None and page.tree.css_first("input[type=password]") is not None
        self.state.facts.admin_probes.append(AdminProbe(
            url=url, status=result.status, final_url=result.final_url,
            title=(page.title if page is not None else "")[:120], has_login_form=has_form, error=result.error))


async def scan_site(state: SiteState, config: RunConfig, fetcher: Fetcher,
                    progress: Progress | None = None, analyzer: Any = None) -> SiteResult:
    """Scan one site on its own (the unit a worker of a task queue runs)."""
    crawl = SiteCrawl(state, config, fetcher, progress or NoProgress(), analyzer)
    fetcher.crawl_started(crawl.hosts)
    await crawl.run()
    return state.result(config)
