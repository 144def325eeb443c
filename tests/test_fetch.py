"""Fetcher behaviour over httpx.MockTransport: retries, redirects, HEAD/GET, dedup, connect-to."""

import asyncio
import dataclasses
from collections import Counter

import httpx
import pytest

from govscan.config import CrawlSettings
from govscan.fetch import ConnectRule, ConnectToTransport, Fetcher

FAST = CrawlSettings(retries=2, backoff=0.01, max_retry_after=0.05, timeout=2.0)


def fetcher_for(handler, settings=FAST, **kw) -> Fetcher:
    return Fetcher(settings, transport=httpx.MockTransport(handler), **kw)


def run(coro):
    return asyncio.run(coro)


def test_retries_on_429_and_5xx_honouring_retry_after():
    calls = Counter()

    def handler(request):
        calls[request.url.path] += 1
        if request.url.path == "/busy" and calls["/busy"] < 3:
            return httpx.Response(429, headers={"Retry-After": "0"})
        if request.url.path == "/flaky" and calls["/flaky"] < 2:
            return httpx.Response(503)
        if request.url.path == "/down":
            return httpx.Response(500)
        return httpx.Response(200, html="<title>ok</title>")

    async def go():
        f = fetcher_for(handler)
        try:
            return [await f.check(f"http://a.gov.cn{p}", prefer_head=False) for p in ("/busy", "/flaky", "/down")]
        finally:
            await f.aclose()

    busy, flaky, down = run(go())
    assert busy.status == 200 and calls["/busy"] == 3
    assert flaky.status == 200 and calls["/flaky"] == 2
    assert down.status == 500 and calls["/down"] == 3  # 1 + 2 retries, then reported


def test_timeouts_and_connection_errors_are_results_not_exceptions():
    def handler(request):
        if request.url.path == "/slow":
            raise httpx.ReadTimeout("slow", request=request)
        raise httpx.ConnectError("refused", request=request)

    async def go():
        f = fetcher_for(handler)
        try:
            return await f.check("http://a.gov.cn/slow", False), await f.check("http://b.gov.cn/", False)
        finally:
            await f.aclose()

    slow, refused = run(go())
    assert slow.error == "timeout" and not slow.ok
    assert refused.error == "connect"


def test_redirect_chain_recorded_and_capped():
    def handler(request):
        path = request.url.path
        if path.startswith("/loop"):
            return httpx.Response(302, headers={"Location": "/loop"})
        hops = {"/a": "/b", "/b": "http://c.gov.cn/final"}
        if path in hops:
            return httpx.Response(301, headers={"Location": hops[path]})
        return httpx.Response(200, html="<title>终点</title>")

    async def go():
        f = fetcher_for(handler, dataclasses.replace(FAST, max_redirects=5))
        try:
            return await f.check("http://a.gov.cn/a", False), await f.check("http://a.gov.cn/loop", False)
        finally:
            await f.aclose()

    chain, loop = run(go())
    assert chain.ok and chain.redirects == ("http://a.gov.cn/a", "http://a.gov.cn/b")
    assert chain.final_url == "http://c.gov.cn/final" and chain.page_title == "终点"
    assert loop.error == "too-many-redirects" and len(loop.redirects) == 6


def test_head_first_then_get_when_head_refused():
    seen = []

    def handler(request):
        seen.append((request.method, request.url.path))
        if request.method == "HEAD":
            return httpx.Response(405)
        return httpx.Response(200, content=b"%PDF-1.4")

    async def go():
        f = fetcher_for(handler)
        try:
            return await f.check("http://a.gov.cn/file.pdf", prefer_head=True)
        finally:
            await f.aclose()

    result = run(go())
    assert result.ok and result.method == "GET"
    assert seen == [("HEAD", "/file.pdf"), ("GET", "/file.pdf")]


def test_each_distinct_url_requested_once_whoever_asks():
    calls = Counter()

    def handler(request):
        calls[str(request.url)] += 1
        return httpx.Response(404)

    async def go():
        f = fetcher_for(handler)
        try:
            return await asyncio.gather(*(f.check("http://www.zj.gov.cn/x", prefer_head=False) for _ in range(20)))
        finally:
            await f.aclose()

    results = run(go())
    assert {r.status for r in results} == {404}
    assert calls["http://www.zj.gov.cn/x"] == 1


def test_page_size_cap_truncates():
    def handler(request):
        return httpx.Response(200, headers={"Content-Type": "text/html"}, content=b"<html>" + b"x" * 100_000)

    async def go():
        f = fetcher_for(handler, dataclasses.replace(FAST, max_page_bytes=1000))
        try:
            return await f.fetch_page("http://a.gov.cn/")
        finally:
            await f.aclose()

    fetched = run(go())
    assert fetched.truncated and len(fetched.page.text) == 1000


def test_robots_obeyed_unless_ignored():
    def handler(request):
        if request.url.path == "/robots.txt":
            return httpx.Response(200, text="User-agent: *\nDisallow: /private/\n")
        return httpx.Response(200, html="ok")

    async def go(ignore):
        f = fetcher_for(handler, ignore_robots=ignore)
        try:
            return await f.allowed("http://a.gov.cn/private/x.html"), await f.allowed("http://a.gov.cn/open.html")
        finally:
            await f.aclose()

    assert run(go(False)) == (False, True)
    assert run(go(True)) == (True, True)


@pytest.mark.parametrize("spec, host, port, expected", [
    ("www.a.gov.cn:80:127.0.0.1:8081", "www.a.gov.cn", 80, ("127.0.0.1", 8081)),
    ("::127.0.0.1:9000", "any.gov.cn", 443, ("127.0.0.1", 9000)),
    ("www.a.gov.cn::backend:", "www.a.gov.cn", 8080, ("backend", 8080)),
    ("www.a.gov.cn:443:[::1]:8443", "www.a.gov.cn", 443, ("::1", 8443)),
])
def test_connect_to_rewrites_destination_keeps_host_header(spec, host, port, expected):
    seen = {}

    def handler(request):
        seen["url"] = request.url
        seen["host"] = request.headers["host"]
        seen["sni"] = request.extensions.get("sni_hostname")
        return httpx.Response(200)

    async def go():
        transport = ConnectToTransport(httpx.MockTransport(handler), [ConnectRule.parse(spec)])
        async with httpx.AsyncClient(transport=transport) as client:
            scheme = "https" if port == 443 else "http"
            await client.get(f"{scheme}://{host}:{port}/p")

    run(go())
    assert (seen["url"].host, seen["url"].port or 443) == expected
    assert seen["host"].split(":")[0] == host
    if port == 443:
        assert seen["sni"] == host


def test_connect_to_rejects_bad_spec():
    with pytest.raises(ValueError):
        ConnectRule.parse("a.gov.cn:80:127.0.0.1")
    with pytest.raises(ValueError):
        ConnectRule.parse("a.gov.cn:x:127.0.0.1:80")


def test_global_and_per_host_limits_and_delay():
    in_flight = Counter()
    peak = Counter()
    started = {}

    async def handler(request):
        host = request.url.host
        in_flight[host] += 1
        in_flight["*"] += 1
        peak[host] = max(peak[host], in_flight[host])
        peak["*"] = max(peak["*"], in_flight["*"])
        started.setdefault(host, []).append(asyncio.get_running_loop().time())
        await asyncio.sleep(0.01)
        in_flight[host] -= 1
        in_flight["*"] -= 1
        return httpx.Response(200)

    async def go(settings):
        f = fetcher_for(handler, settings)
        try:
            urls = [f"http://h{i % 3}.gov.cn/{i}" for i in range(30)]
            await asyncio.gather(*(f.check(u, prefer_head=False) for u in urls))
        finally:
            await f.aclose()

    run(go(dataclasses.replace(FAST, concurrency=4, per_host=2)))
    assert peak["*"] <= 4 and max(peak[f"h{i}.gov.cn"] for i in range(3)) <= 2
    peak.clear()
    started.clear()
    run(go(dataclasses.replace(FAST, concurrency=8, per_host=8, delay=0.02)))
    gaps = [b - a for a, b in zip(started["h0.gov.cn"], started["h0.gov.cn"][1:])]
    assert min(gaps) >= 0.015  # the per-host delay spaces requests out


@pytest.mark.parametrize("url, blocked", [
    ("http://127.0.0.1/admin", True), ("http://10.1.2.3/", True), ("http://192.168.1.1/", True),
    ("http://169.254.169.254/latest/meta-data/", True), ("http://[::1]/", True), ("http://[fe80::1]/", True),
    ("http://172.16.0.9/", True), ("http://0.0.0.0/", True), ("http://203.0.113.9/", True),  # TEST-NET is reserved
    ("http://a.gov.cn/", False),
])
def test_private_address_guard(url, blocked):
    requested = []

    def handler(request):
        requested.append(str(request.url))
        return httpx.Response(200)

    async def go():
        f = fetcher_for(handler)
        try:
            return await f.check(url, prefer_head=False)
        finally:
            await f.aclose()

    result = run(go())
    assert (result.skipped == "private-address") is blocked
    assert (requested == []) is blocked


def test_private_guard_follows_redirects_but_trusts_configured_hosts_and_connect_to():
    requested = []

    def handler(request):
        requested.append(str(request.url))
        if request.url.host == "www.public.gov.cn":
            return httpx.Response(302, headers={"Location": "http://127.0.0.1:8080/internal"})
        return httpx.Response(200)

    async def go(**kw):
        f = fetcher_for(handler, **kw)
        try:
            return await f.check("http://www.public.gov.cn/", prefer_head=False)
        finally:
            await f.aclose()

    redirected = run(go())
    assert redirected.skipped == "private-address" and redirected.redirects == ("http://www.public.gov.cn/",)
    assert requested == ["http://www.public.gov.cn/"]
    assert run(go(trusted_hosts=["127.0.0.1"])).ok
    assert run(go(connect_rules=[ConnectRule.parse("127.0.0.1:8080:127.0.0.1:8080")])).ok


def test_soft_404_text_kept_only_with_a_phrase_in_any_case():
    """Chinese phrases are found by substring, cased ones case-insensitively; long bodies and
    bodies without a phrase keep nothing."""
    fetcher = Fetcher(CrawlSettings(), transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    fetcher.keep_snippets(["页面不存在", "Page Not Found"], 40)
    assert fetcher._keep_snippet("抱歉，您访问的页面不存在") == "抱歉，您访问的页面不存在"
    assert fetcher._keep_snippet("ERROR: PAGE NOT FOUND") == "ERROR: PAGE NOT FOUND"
    assert fetcher._keep_snippet("欢迎访问本站") is None
    assert fetcher._keep_snippet("页面不存在" + "正文" * 40) is None  # longer than 40 characters
    assert fetcher._keep_title("page not found - 测试县") == "page not found - 测试县"
    assert fetcher._keep_title("测试县人民政府") is None


@pytest.mark.parametrize("concurrency, per_host, workers", [(40, 40, 20), (40, 10, 8), (32, 4, 4)])
def test_background_link_checks_use_half_of_what_a_host_allows(concurrency, per_host, workers):
    """Images and attachments found while crawling are checked in the background by at least 8
    coroutines, and by half the slots one host allows when more: with a server of one's own at
    64 in flight, 8 fell a thousand URLs behind. The host's own limit still binds."""
    in_flight, peak = 0, 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200, headers={"content-type": "image/png"})

    async def go():
        settings = dataclasses.replace(FAST, concurrency=concurrency, per_host=per_host)
        fetcher = Fetcher(settings, transport=httpx.MockTransport(handler), ignore_robots=True)
        urls = [f"http://www.ceshi.gov.cn/images/{i}.png" for i in range(120)]
        for url in urls:
            fetcher.prefetch(url)
        for _ in range(500):  # the background checks alone, the link phase not asking yet
            if all(fetcher.known(url) for url in urls):
                break
            await asyncio.sleep(0.01)
        results = [fetcher.known(url) for url in urls]
        await fetcher.aclose()
        return results

    results = asyncio.run(go())
    assert all(r.ok and r.method == "HEAD" for r in results)
    assert peak == workers
