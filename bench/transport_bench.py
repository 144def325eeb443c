#!/usr/bin/env python3
"""The HTTP layer alone: fetch every URL of a generated site through several transports.

    python bench/transport_bench.py --pages 5000          # serves the site itself (nginx)
    python bench/transport_bench.py --url http://127.0.0.1:8080/ --pages 5000

Pages are GET with streamed raw bodies (what govscan's Fetcher does), images and attachments
HEAD, ``--concurrency`` in flight. Transports: httpx's own (httpcore), httpx over govscan's
aiohttp transport (govscan.fetch.AiohttpTransport) through AsyncClient.send and straight to the
transport, govscan's Fetcher itself (``fetcher``: what a scan pays per URL), and aiohttp alone
as the floor. Each is
run ``--repeat`` times, alternating, with and without uvloop; the best and median are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))


def site_urls(root: Path, base: str) -> tuple[list[str], list[str]]:
    pages, leaves = [], []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name in ("manifest.json", "robots.txt"):
            continue
        url = base.rstrip("/") + "/" + path.relative_to(root).as_posix()
        (pages if path.suffix == ".html" else leaves).append(url)
    return pages, leaves


async def run_httpx(pages, leaves, concurrency, transport_name):
    import httpx

    from govscan import fetch as gfetch

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    if transport_name == "httpx-aiohttp":
        transport = gfetch.AiohttpTransport(limits=limits)
    else:
        transport = httpx.AsyncHTTPTransport(retries=0, limits=limits)
    client = httpx.AsyncClient(transport=transport, limits=limits, timeout=30,
                               headers={"Accept-Encoding": "gzip, deflate"})
    sem = asyncio.Semaphore(concurrency)
    nbytes = 0

    async def get(url):
        nonlocal nbytes
        async with sem:
            response = await client.send(client.build_request("GET", url), stream=True)
            try:
                async for chunk in response.aiter_raw():
                    nbytes += len(chunk)
            finally:
                await response.aclose()

    async def head(url):
        async with sem:
            response = await client.send(client.build_request("HEAD", url), stream=True)
            await response.aclose()

    await asyncio.gather(*(get(u) for u in pages), *(head(u) for u in leaves))
    await client.aclose()
    return nbytes


async def run_aiohttp(pages, leaves, concurrency, _name):
    import aiohttp

    connector = aiohttp.TCPConnector(limit=concurrency)
    sem = asyncio.Semaphore(concurrency)
    nbytes = 0
    async with aiohttp.ClientSession(connector=connector, auto_decompress=False,
                                     headers={"Accept-Encoding": "gzip, deflate"}) as session:
        async def get(url):
            nonlocal nbytes
            async with sem, session.get(url) as response:
                async for chunk in response.content.iter_any():
                    nbytes += len(chunk)

        async def head(url):
            async with sem, session.head(url) as response:
                await response.release()

        await asyncio.gather(*(get(u) for u in pages), *(head(u) for u in leaves))
    return nbytes


async def run_direct(pages, leaves, concurrency, _name):
    """httpx Requests and Responses, sent straight to the transport (no AsyncClient.send)."""
    import httpx

    from govscan import fetch as gfetch

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    transport = gfetch.AiohttpTransport(limits=limits)
    headers = httpx.Headers({"Accept-Encoding": "gzip, deflate", "User-Agent": "bench"})
    timeout = {"connect": 10.0, "read": 30.0, "write": 30.0, "pool": 30.0}
    sem = asyncio.Semaphore(concurrency)
    nbytes = 0

    async def one(method, url):
        nonlocal nbytes
        async with sem:
            request = httpx.Request(method, url, headers=headers, extensions={"timeout": timeout})
            response = await transport.handle_async_request(request)
            try:
                if method == "GET":
                    async for chunk in response.aiter_raw():
                        nbytes += len(chunk)
            finally:
                await response.aclose()

    await asyncio.gather(*(one("GET", u) for u in pages), *(one("HEAD", u) for u in leaves))
    await transport.aclose()
    return nbytes


async def run_fetcher(pages, leaves, concurrency, _name):
    """govscan's own path: Fetcher.fetch_page for pages, Fetcher.check (HEAD) for leaves, under the
    site's .gov.cn name through --connect-to, as a scan does (retries, redirects, guard, budget).
    Pages are decoded but not parsed (``annotate_later`` where the Fetcher has it)."""
    import inspect
    from urllib.parse import urlsplit

    from govscan.config import CrawlSettings
    from govscan.fetch import ConnectRule, Fetcher

    target = urlsplit(pages[0]).netloc
    host = "www.bench.gov.cn"
    settings = CrawlSettings(concurrency=concurrency, per_host=concurrency, timeout=30.0, retries=1)
    fetcher = Fetcher(settings, [ConnectRule.parse(f"{host}:80:{target}")], ignore_robots=True,
                      trusted_hosts=[host])
    fetcher.keep_snippets((), 0)
    kw = {"annotate_later": True} if "annotate_later" in inspect.signature(fetcher.fetch_page).parameters else {}

    def rename(url):
        return url.replace(target, host, 1)

    nbytes = 0

    async def page(url):
        nonlocal nbytes
        fetched = await fetcher.fetch_page(rename(url), **kw)
        assert fetched.result.ok, fetched.result
        got = fetched.page or fetched.job
        nbytes += len(got.text) if got is not None else 0

    async def leaf(url):
        result = await fetcher.check(rename(url), prefer_head=True)
        assert result.ok, result

    sem = asyncio.Semaphore(concurrency * 2)  # the Fetcher limits itself; this only bounds the tasks

    async def bounded(coro):
        async with sem:
            await coro

    try:
        await asyncio.gather(*(bounded(page(u)) for u in pages), *(bounded(leaf(u)) for u in leaves))
    finally:
        await fetcher.aclose()
    return nbytes


RUNNERS = {"httpx": run_httpx, "httpx-aiohttp": run_httpx, "httpx-aiohttp-direct": run_direct,
           "aiohttp": run_aiohttp, "fetcher": run_fetcher}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--url", default="", help="where the site is served (default: start nginx)")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--transports", default="httpx,httpx-aiohttp,httpx-aiohttp-direct,fetcher,aiohttp")
    parser.add_argument("--loops", default="asyncio,uvloop")
    args = parser.parse_args()
    import run as bench_run

    root, _ = bench_run.ensure_site(args.pages, False)
    nginx = None
    url = args.url
    if not url:
        nginx = bench_run.Nginx(bench_run.free_port())
        nginx.start(root)
        url = f"http://127.0.0.1:{nginx.port}/"
    pages, leaves = site_urls(root, url)
    print(f"{len(pages)} GET + {len(leaves)} HEAD, {args.concurrency} in flight")
    times: dict[tuple[str, str], list[float]] = {}
    try:
        for _ in range(args.repeat):
            for loop_name in args.loops.split(","):
                for name in args.transports.split(","):
                    if loop_name == "uvloop":
                        try:
                            import uvloop
                        except ImportError:
                            continue
                        runner = uvloop.run
                    else:
                        runner = asyncio.run
                    started = time.perf_counter()
                    cpu = time.process_time()
                    runner(RUNNERS[name](pages, leaves, args.concurrency, name))
                    times.setdefault((name, loop_name), []).append(time.perf_counter() - started)
                    times.setdefault((name, loop_name, "cpu"), []).append(time.process_time() - cpu)
    finally:
        if nginx is not None:
            nginx.stop()
    print("| transport | loop | best s | median s | CPU s (median) | URLs/s (best) |")
    print("|---|---|---|---|---|---|")
    for key, values in times.items():
        if len(key) == 3:
            continue
        cpu = statistics.median(times[key + ("cpu",)])
        print(f"| {key[0]} | {key[1]} | {min(values):.2f} | {statistics.median(values):.2f} | {cpu:.2f} "
              f"| {(len(pages) + len(leaves)) / min(values):.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
