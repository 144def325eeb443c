"""The run's default transport (httpx over aiohttp) against a real server on 127.0.0.1:
raw bytes for the bounded decoder, --connect-to with the Host header kept, HEAD, errors."""

import asyncio
import gzip
import socket
import threading
import zlib

import httpx
import pytest

from govscan.config import CrawlSettings
from govscan.fetch import AiohttpTransport, ConnectRule, Fetcher, default_transport

PAGE = "<html><head><title>青山市人民政府</title></head><body><p>政务公开</p></body></html>".encode("utf-8")


def _bomb() -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    return comp.compress(b"<html><body>" + b"\0" * (8 << 20)) + comp.flush()


class Server:
    """HTTP/1.1 keep-alive server answering by path; records the Host headers it saw."""

    def __init__(self) -> None:
        self.hosts: list[str] = []
        self.bomb = _bomb()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Server":
        self.thread.start()
        self.ready.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()
        server.close()
        tasks = asyncio.all_tasks(self.loop)
        for task in tasks:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        self.loop.run_until_complete(server.wait_closed())
        self.loop.close()

    async def _client(self, reader, writer) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
                self.hosts.append(headers.get("host", ""))
                if path == "/hang":
                    await asyncio.sleep(30)
                    return
                if path == "/gzip":
                    body, extra = gzip.compress(PAGE), "Content-Encoding: gzip\r\n"
                elif path == "/bomb":
                    body, extra = self.bomb, "Content-Encoding: gzip\r\n"
                else:
                    body, extra = PAGE, ""
                writer.write((f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n{extra}"
                              f"Content-Length: {len(body)}\r\n\r\n").encode())
                if method != "HEAD":
                    writer.write(body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


SETTINGS = CrawlSettings(retries=0, timeout=5.0, max_page_bytes=1_000_000)


def fetch(server: Server, *urls, settings=SETTINGS, method="page"):
    async def go():
        rules = [ConnectRule.parse(f"www.qingshan.gov.cn:80:127.0.0.1:{server.port}")]
        fetcher = Fetcher(settings, rules, trusted_hosts=["www.qingshan.gov.cn"])
        assert isinstance(fetcher.client._transport.inner, AiohttpTransport)
        try:
            if method == "page":
                return [await fetcher.fetch_page(u) for u in urls]
            return [await fetcher.check(u, prefer_head=True) for u in urls]
        finally:
            await fetcher.aclose()
    return asyncio.run(go())


def test_default_transport_is_aiohttp_with_httpcore_fallback(monkeypatch):
    assert isinstance(default_transport(httpx.Limits()), AiohttpTransport)
    monkeypatch.setenv("GOVSCAN_TRANSPORT", "httpx")
    assert isinstance(default_transport(httpx.Limits()), httpx.AsyncHTTPTransport)


def test_raw_bytes_reach_the_bounded_decoder_and_host_header_is_kept():
    with Server() as server:
        plain, zipped, bomb = fetch(server, "http://www.qingshan.gov.cn/", "http://www.qingshan.gov.cn/gzip",
                                    "http://www.qingshan.gov.cn/bomb")
    assert plain.result.ok and plain.page.title == "青山市人民政府"
    assert zipped.result.ok and zipped.page.title == "青山市人民政府"  # gunzipped by govscan, once
    assert bomb.truncated and len(bomb.page.text) <= SETTINGS.max_page_bytes  # 8 MB bomb cut at the cap
    assert set(server.hosts) == {"www.qingshan.gov.cn"}  # --connect-to: URL rewritten, Host kept


def test_head_keepalive_and_errors_are_classified():
    with Server() as server:
        head, = fetch(server, "http://www.qingshan.gov.cn/logo.png", method="check")
        slow, = fetch(server, "http://www.qingshan.gov.cn/hang", settings=CrawlSettings(retries=0, timeout=0.5))
    assert head.ok and head.method == "HEAD"
    assert slow.result.error == "timeout"
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    async def refused():
        rules = [ConnectRule.parse(f"www.qingshan.gov.cn:80:127.0.0.1:{port}")]
        fetcher = Fetcher(SETTINGS, rules, trusted_hosts=["www.qingshan.gov.cn"])
        try:
            return await fetcher.check("http://www.qingshan.gov.cn/", prefer_head=False)
        finally:
            await fetcher.aclose()

    result = asyncio.run(refused())
    assert result.error == "connect" and not result.ok


@pytest.mark.parametrize("spec", ["www.qingshan.gov.cn:443:127.0.0.1:1"])
def test_sni_extension_is_passed_for_https(spec):
    seen = {}

    class Inner(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request):
            seen["url"], seen["sni"] = str(request.url), request.extensions.get("sni_hostname")
            seen["host"] = request.headers["host"]
            return httpx.Response(200)

    from govscan.fetch import ConnectToTransport

    async def go():
        async with httpx.AsyncClient(transport=ConnectToTransport(Inner(), [ConnectRule.parse(spec)])) as client:
            await client.get("https://www.qingshan.gov.cn/")
    asyncio.run(go())
    assert seen == {"url": "https://127.0.0.1:1/", "sni": "www.qingshan.gov.cn", "host": "www.qingshan.gov.cn"}
