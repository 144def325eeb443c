"""Availability probes (站点无法访问): one GET of every site's homepage, recorded in the store.

Meant for cron every 30–60 minutes (the 2019 indicators probe ≥ 20 times a day; a probe fails
when the homepage has not opened within 15 s). No retries: a retry would hide the failure the
probe is there to count. A probe fails on a timeout, a network error or an HTTP status ≥ 400.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace
from typing import Any

import httpx

from govscan import aio
from govscan.config import RunConfig
from govscan.fetch import Fetcher
from govscan.store import Probe, Store

DEFAULT_TIMEOUT = 15.0


async def probe_async(config: RunConfig, timeout: float = DEFAULT_TIMEOUT, connect_to: tuple[str, ...] = (),
                      transport: httpx.AsyncBaseTransport | None = None) -> list[Probe]:
    from govscan.run import connect_rules

    settings = replace(config.crawl, retries=0, timeout=timeout)
    trusted = {h for site in config.sites for h in (site.host, *site.aliases)} | set(config.crawl.aliases)
    fetcher = Fetcher(settings, connect_rules(config, connect_to), transport=transport, trusted_hosts=trusted,
                      ignore_robots=True)  # one homepage GET, as a visitor's browser would

    async def one(site) -> Probe:
        at = dt.datetime.now(dt.timezone.utc)
        result = await fetcher.probe(site.url, timeout)
        return Probe(site_id=site.id, url=site.url, ok=result.ok, status=result.status,
                     latency_ms=result.elapsed_ms, error=result.error or (result.skipped and f"skipped: {result.skipped}"),
                     at=at)

    try:
        return list(await asyncio.gather(*(one(site) for site in config.sites)))
    finally:
        await fetcher.aclose()


def probe_sites(config: RunConfig, store: Store, timeout: float = DEFAULT_TIMEOUT,
                connect_to: tuple[str, ...] = (), transport: httpx.AsyncBaseTransport | None = None) -> list[Probe]:
    """Probe every site's homepage once and record the results in one transaction."""
    probes = aio.run(probe_async(config, timeout, connect_to, transport))
    store.add_probes(probes)
    return probes


def print_probes(probes: list[Probe], console: Any) -> None:
    from rich.table import Table
    from rich.text import Text

    from govscan.checks.availability import describe_failure

    table = Table(title=f"可用性探测（{len(probes)} 个站点，失败 {sum(1 for p in probes if not p.ok)} 个）")
    for column in ("站点", "首页", "结果", "状态码", "耗时(毫秒)"):
        table.add_column(column, overflow="fold")
    for p in probes:
        outcome = "正常" if p.ok else f"失败：{describe_failure(p.status, p.error)}"
        table.add_row(Text(p.site_id), Text(p.url), Text(outcome, style="green" if p.ok else "red"),
                      str(p.status or ""), str(p.latency_ms if p.latency_ms is not None else ""))
    console.print(table)
