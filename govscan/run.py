"""A whole run: every site scanned concurrently over one Fetcher, merged into a Report.

Library entry point: ``run(config, RunOptions(...)) -> Report``. SIGINT/SIGTERM end the
run early; what was found so far is still returned, marked incomplete.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import signal
from dataclasses import dataclass, field
from typing import Any, Mapping

import httpx

from govscan import aio
from govscan.analyze import LocalAnalyzer, frozen_heap, make_analyzer
from govscan.config import RunConfig
from govscan.crawl import SiteCrawl, SiteState, cancel_all, new_state
from govscan.fetch import ConnectRule, Fetcher
from govscan.progress import NoProgress, Progress
from govscan.report import Report


@dataclass
class RunOptions:
    only: frozenset[str] = frozenset()
    skip: frozenset[str] = frozenset()
    ignore_robots: bool = False
    connect_to: tuple[str, ...] = ()
    progress: Progress = field(default_factory=NoProgress)
    transport: httpx.AsyncBaseTransport | None = None  # the test seam
    # per site id: the history store's 7-day probes {probes, failures, ratio, ...} for scoring
    availability: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def connect_rules(config: RunConfig, extra: tuple[str, ...] = ()) -> list[ConnectRule]:
    """Per-site connect_to first (most specific), then rules.yaml's and the command line's."""
    rules: list[ConnectRule] = []
    for site in config.sites:
        if site.connect_to:
            host, _, port = site.connect_to.rpartition(":")
            for name in (site.host, *site.aliases):
                rules.append(ConnectRule(name, None, host.strip("[]"), int(port)))
    for spec in (*extra, *config.crawl.connect_to):
        rules.append(ConnectRule.parse(spec))
    return rules


SETTLE_TIMEOUT = 10.0  # seconds an interrupted run waits for a worker's analysis of a site
# Allocations between two young-generation collections during a run (CPython's default: 700).
GC_YOUNG_THRESHOLD = 10_000


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")


async def run_async(config: RunConfig, options: RunOptions | None = None, analyzer: Any = None) -> Report:
    """``analyzer``: where pages are analysed (govscan.analyze; default: in this process)."""
    options = options or RunOptions()
    analyzer = analyzer or LocalAnalyzer(config, options.only, options.skip)
    started = _now()
    trusted = {h for site in config.sites for h in (site.host, *site.aliases)} | set(config.crawl.aliases)
    fetcher = Fetcher(config.crawl, connect_rules(config, options.connect_to), transport=options.transport,
                      ignore_robots=options.ignore_robots, trusted_hosts=trusted)
    states: list[SiteState] = [new_state(site, config, options.only, options.skip) for site in config.sites]
    crawls = [SiteCrawl(state, config, fetcher, options.progress, analyzer) for state in states]
    for crawl in crawls:
        fetcher.crawl_started(crawl.hosts)
    # Pages phases share a few slots; link phases wait on other sites' crawls, never on slots.
    slots = asyncio.Semaphore(max(2, config.crawl.concurrency // max(config.crawl.per_host, 1)))
    complete = True
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass

    async def one(crawl: SiteCrawl) -> None:
        try:
            await crawl.run(slots)
        finally:
            options.progress.site_finished(crawl.state.site.id, len(crawl.state.engine.findings), None)

    tasks = [asyncio.create_task(one(c)) for c in crawls]
    stopper = asyncio.create_task(stop.wait())
    try:
        pending = set(tasks)
        while pending and not stop.is_set():
            _, pending = await asyncio.wait(pending | {stopper}, return_when=asyncio.FIRST_COMPLETED)
            pending.discard(stopper)
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()
    except asyncio.CancelledError:  # the caller cancelled the run: same as a signal
        stop.set()
    finally:
        if stop.is_set():
            complete = False
            await cancel_all(tasks)
            # what the page analysis of the interrupted sites gathered is part of the report
            await asyncio.shield(asyncio.gather(*(c.settle(timeout=SETTLE_TIMEOUT) for c in crawls)))
        stopper.cancel()
        for sig in installed:
            loop.remove_signal_handler(sig)
        await asyncio.shield(fetcher.aclose())
    return Report(sites=[s.result(config, options.availability.get(s.site.id)) for s in states], started_at=started, finished_at=_now(),
                  as_of=config.as_of.isoformat(), complete=complete and all(s.complete for s in states),
                  options=report_options(config, options, fetcher.requests))


def report_options(config: RunConfig, options: RunOptions, requests: int) -> dict[str, Any]:
    """The run's settings as the report records them (local and distributed runs alike)."""
    return {
        "as_of": config.as_of.isoformat(), "rules": config.rules_source, "sites_file": config.sites_source,
        "max_pages": config.crawl.max_pages, "max_depth": config.crawl.max_depth,
        "concurrency": config.crawl.concurrency, "per_host": config.crawl.per_host,
        "delay": config.crawl.delay, "timeout": config.crawl.timeout,
        # as the Fetcher decides it
        "ignore_robots": bool(options.ignore_robots or not config.crawl.obey_robots),
        "only": sorted(options.only), "skip": sorted(options.skip),
        "connect_to": list(options.connect_to), "requests": requests,
    }


@contextlib.contextmanager
def _collector_for_run():
    """Garbage collection tuned for a run, restored after it.

    A scan allocates and frees millions of short-lived objects. With CPython's defaults the
    crawling process of a 5,000-page scan spent ~0.5 s in ~700 young and 5 full collections
    (bench), the full ones traversing every module, lexicon and setting loaded at start. Those
    are alive for the whole run: they are frozen out of the collections until it ends, and
    young collections run every GC_YOUNG_THRESHOLD allocations (~0.08 s in all). Forked
    analysis workers inherit both."""
    threshold = gc.get_threshold()
    with frozen_heap():
        gc.set_threshold(GC_YOUNG_THRESHOLD, threshold[1], threshold[2])
        try:
            yield
        finally:
            gc.set_threshold(*threshold)


def run(config: RunConfig, options: RunOptions | None = None, jobs: int | None = None) -> Report:
    """``jobs``: processes analysing pages (None: ``config.crawl.jobs``; see govscan.analyze)."""
    options = options or RunOptions()
    with _collector_for_run():
        # forked here, before the event loop and its threads exist
        analyzer = make_analyzer(config, options.only, options.skip, jobs)
        try:
            return aio.run(run_async(config, options, analyzer))
        finally:
            analyzer.close()
