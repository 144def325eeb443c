"""The Fetcher's request path without AsyncClient.send: what the client would have sent, test
transports, --connect-to, cookies, closing; the URL fast paths against httpx's own parser; the
event loop govscan.aio picks."""

import asyncio
import sys

import httpx
import pytest
from hypothesis import given, settings, strategies as st

from govscan import __version__, aio
from govscan import fetch as fetch_module
from govscan.config import CrawlSettings
from govscan.fetch import _FAST_URLS, ConnectRule, ConnectToTransport, Fetcher, _parse_url

SETTINGS = CrawlSettings(retries=0, timeout=7.0)
PAGE = "<html><head><title>政务公开</title></head><body>正文</body></html>"


def run(coro):
    return asyncio.run(coro)


def test_direct_path_sends_what_the_client_would():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, html=PAGE)

    async def go():
        fetcher = Fetcher(SETTINGS, transport=httpx.MockTransport(handler))
        try:
            fetched = await fetcher.fetch_page("http://www.a.gov.cn/p?x=1")
            head = await fetcher.check("http://www.a.gov.cn/logo.png", prefer_head=True)
            client = fetcher.client
            expected = client.build_request("GET", "http://www.a.gov.cn/p?x=1")
            return fetched, head, expected
        finally:
            await fetcher.aclose()

    fetched, head, expected = run(go())
    assert fetched.result.ok and fetched.page.title == "政务公开" and head.ok and head.method == "HEAD"
    get, hd = seen
    assert get.method == "GET" and hd.method == "HEAD"
    assert str(get.url) == "http://www.a.gov.cn/p?x=1" and get.headers["host"] == "www.a.gov.cn"
    assert get.headers["user-agent"] == f"govscan/{__version__} (+https://github.com/govscan/govscan)"
    assert get.headers["accept-language"] == "zh-CN,zh;q=0.9"
    assert get.headers["accept-encoding"] == "gzip, deflate"
    # the same headers in the same order, and the same timeouts, as client.build_request makes
    assert get.headers.multi_items() == expected.headers.multi_items()
    assert get.extensions["timeout"] == expected.extensions["timeout"] == {
        "connect": 7.0, "read": 7.0, "write": 7.0, "pool": 7.0}


def test_redirects_are_not_followed_by_httpx_and_connect_to_applies_to_each_hop():
    seen = []

    def handler(request):
        seen.append((str(request.url), request.headers["host"]))
        if request.url.path == "/old":
            return httpx.Response(301, headers={"Location": "https://www.b.gov.cn/new"})
        return httpx.Response(200, html=PAGE)

    async def go():
        rules = [ConnectRule.parse("www.a.gov.cn:80:10.0.0.1:8080"), ConnectRule.parse("www.b.gov.cn:443:10.0.0.2:8443")]
        fetcher = Fetcher(SETTINGS, rules, transport=httpx.MockTransport(handler))
        try:
            return await fetcher.fetch_page("http://www.a.gov.cn/old")
        finally:
            await fetcher.aclose()

    fetched = run(go())
    assert fetched.result.ok and fetched.result.redirects == ("http://www.a.gov.cn/old",)
    assert fetched.result.final_url == "https://www.b.gov.cn/new"
    assert seen == [("http://10.0.0.1:8080/old", "www.a.gov.cn"), ("https://10.0.0.2:8443/new", "www.b.gov.cn")]


def test_cookies_are_kept_as_the_client_keeps_them():
    cookies = []

    def handler(request):
        cookies.append(request.headers.get("cookie"))
        if request.url.path == "/login":
            return httpx.Response(200, html=PAGE, headers={"Set-Cookie": "sid=abc; Path=/"})
        return httpx.Response(200, html=PAGE)

    async def go():
        fetcher = Fetcher(SETTINGS, transport=httpx.MockTransport(handler))
        try:
            for path in ("/login", "/a", "/b"):
                await fetcher.fetch_page("http://www.a.gov.cn" + path)
            await fetcher.fetch_page("http://www.other.gov.cn/")
            return dict(fetcher.client.cookies)
        finally:
            await fetcher.aclose()

    assert run(go()) == {"sid": "abc"}
    assert cookies == [None, "sid=abc", "sid=abc", None]  # the jar's domain rules still apply


def test_aclose_closes_the_transport_and_later_requests_end_quietly():
    calls = []

    class Recording(httpx.MockTransport):
        closed = False

        async def aclose(self):
            Recording.closed = True

    async def go():
        fetcher = Fetcher(SETTINGS, transport=Recording(lambda r: calls.append(r) or httpx.Response(200)))
        await fetcher.check("http://www.a.gov.cn/1", prefer_head=True)
        await fetcher.aclose()
        assert fetcher.client.is_closed and Recording.closed
        with pytest.raises(asyncio.CancelledError):
            await fetcher.fetch_page("http://www.a.gov.cn/2")
        with pytest.raises(asyncio.CancelledError):
            await fetcher.check("http://www.a.gov.cn/3", prefer_head=True)

    run(go())
    assert len(calls) == 1


@pytest.mark.parametrize("timeout_cm", [True, False])  # asyncio.timeout (3.11+) or wait_for (3.10)
def test_total_budget_still_cuts_a_trickling_body(timeout_cm, monkeypatch):
    if not timeout_cm:
        monkeypatch.setattr(fetch_module, "_budget", None)
    elif fetch_module._budget is None:
        pytest.skip("asyncio.timeout: Python 3.11+")

    class Trickle(httpx.AsyncByteStream):
        async def __aiter__(self):
            while True:
                await asyncio.sleep(0.05)
                yield b"<html>"

    async def go():
        fetcher = Fetcher(CrawlSettings(retries=0, timeout=0.4),
                          transport=httpx.MockTransport(lambda r: httpx.Response(200, stream=Trickle())))
        try:
            return await fetcher.fetch_page("http://www.a.gov.cn/")
        finally:
            await fetcher.aclose()

    result = run(go()).result
    assert result.error == "timeout" and result.elapsed_ms < 3000  # each read was quick


# ------------------------------------------------------------------ URLs

def test_fast_urls_are_on_with_this_httpx():
    assert _FAST_URLS  # otherwise every request pays httpx's full parse twice


_CHARS = st.sampled_from(list("abcXYZ019-._~!$&'()*+,;=:@/%?#[]{}|\\^`\"<> ") + ["%41", "%e4%b8%ad", "中", "/./", "/../", "\t"])
_HOSTS = st.sampled_from(["www.a.gov.cn", "WWW.A.gov.cn", "a-b.c", "1.2.3.4", "999.1.1.1", "xn--fiqs8s.cn", "中国.cn",
                          "a..b", "a.b.", "[::1]", "localhost", "u@www.a.gov.cn", ""])
_PORTS = st.sampled_from(["", ":80", ":443", ":8080", ":0", ":00080", ":99999", ":x", ":"])


# mostly what normalised URLs are made of, so that most examples take the fast path
_PLAIN = st.sampled_from(list("abcXYZ019-._~!$&'()*+,;=:@/") + ["%41", "%e4%b8%ad", "/./", "/..", "%4", "|", "?"])
_PLAIN_HOSTS = st.sampled_from(["www.a.gov.cn", "a-b.c", "x1.y2", "1.2.3.4", "a.B.cn"])


@settings(max_examples=300, deadline=None)
@given(scheme=st.sampled_from(["http", "https", "HTTP", "ftp"]), host=_HOSTS, port=_PORTS,
       path=st.lists(_CHARS, max_size=12).map("".join), query=st.none() | st.lists(_CHARS, max_size=8).map("".join))
def test_parse_url_is_httpx_url(scheme, host, port, path, query):
    _same_as_httpx(scheme, host, port, path, query)


@settings(max_examples=300, deadline=None)
@given(scheme=st.sampled_from(["http", "https"]), host=_PLAIN_HOSTS, port=st.sampled_from(["", ":80", ":443", ":8080"]),
       path=st.lists(_PLAIN, max_size=16).map("".join), query=st.none() | st.lists(_PLAIN, max_size=8).map("".join))
def test_parse_url_is_httpx_url_for_plain_urls(scheme, host, port, path, query):
    _same_as_httpx(scheme, host, port, path, query)


def _same_as_httpx(scheme, host, port, path, query):
    url = f"{scheme}://{host}{port}{'/' if path and not path.startswith('/') else ''}{path}"
    if query is not None:
        url += "?" + query
    try:
        expected = httpx.URL(url)
    except httpx.InvalidURL:
        with pytest.raises(httpx.InvalidURL):
            _parse_url(url)
        return
    got = _parse_url(url)
    assert tuple(got._uri_reference) == tuple(expected._uri_reference)
    assert got == expected and got.raw_path == expected.raw_path and got.netloc == expected.netloc


@pytest.mark.parametrize("spec, url", [
    ("www.a.gov.cn:80:127.0.0.1:8081", "http://www.a.gov.cn/p/%E4%B8%AD?q=1"),
    ("::127.0.0.1:9000", "https://any.gov.cn/"),
    ("www.a.gov.cn::backend:", "http://www.a.gov.cn:8080/x"),
    ("www.a.gov.cn:443:[::1]:8443", "https://user@www.a.gov.cn/p?x#f"),
    ("www.a.gov.cn:80:127.0.0.1:80", "http://www.a.gov.cn/"),
    ("xn--fiqs8s.cn:80:127.0.0.1:81", "http://中国.cn/路径"),
])
def test_reroute_is_copy_with(spec, url):
    rule = ConnectRule.parse(spec)
    transport = ConnectToTransport(httpx.MockTransport(lambda r: httpx.Response(200)), [rule])
    for _ in range(2):  # the first time through copy_with, then from the remembered destination
        source = httpx.URL(url)
        host, port = source.host, source.port or (443 if source.scheme == "https" else 80)
        got = transport._reroute(source, rule.host2 or host, rule.port2 or port)
        expected = source.copy_with(host=rule.host2 or host, port=rule.port2 or port)
        assert tuple(got._uri_reference) == tuple(expected._uri_reference) and got == expected


# ------------------------------------------------------------------ event loop

async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_aio_run_prefers_uvloop_unless_told_otherwise(monkeypatch):
    """The choice, with a stand-in uvloop module (uvloop is optional: not installed by CI)."""
    import types

    calls = []
    fake = types.ModuleType("uvloop")
    fake.run = lambda coro: calls.append("uvloop") or asyncio.run(coro)
    monkeypatch.setitem(sys.modules, "uvloop", fake)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("GOVSCAN_LOOP", raising=False)
    assert aio.loop_name() == "uvloop" and aio.run(_loop_module()).startswith("asyncio") and calls == ["uvloop"]
    monkeypatch.setenv("GOVSCAN_LOOP", "asyncio")
    assert aio.loop_name() == "asyncio" and aio.run(_loop_module()).startswith("asyncio") and calls == ["uvloop"]


def test_aio_run_falls_back_to_asyncio(monkeypatch):
    monkeypatch.delenv("GOVSCAN_LOOP", raising=False)
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop -> ImportError
    assert aio.loop_name() == "asyncio" and aio.run(_loop_module()).startswith("asyncio")
    monkeypatch.delitem(sys.modules, "uvloop")
    monkeypatch.setattr(sys, "platform", "win32")
    assert aio.loop_name() == "asyncio"


def test_aio_run_returns_the_result_and_raises_the_error():
    async def ok():
        await asyncio.sleep(0)
        return 42

    async def boom():
        raise ValueError("x")

    assert aio.run(ok()) == 42
    with pytest.raises(ValueError):
        aio.run(boom())
