"""A hostile HTTP server on 127.0.0.1 for the robustness tests (issue 9).

Raw asyncio sockets, so it can misbehave as real broken servers do: trickle bytes, reset
mid-body, lie about lengths, charsets and encodings, redirect forever, flood with links.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import struct
import threading
import zlib
from collections import Counter

HOST = "www.hostile.gov.cn"
CASES = ["/slow", "/reset", "/loop", "/chain/1", "/to-private", "/gzip-bomb", "/br-bomb", "/huge",
         "/calendar?d=0", "/binary", "/nested", "/badcharset", "/links100k", "/busy/1", "/busy/2",
         "/malformed"]


def _gzip_bomb(size: int) -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1 << 20)
    out = [comp.compress(b"<html><body>")]
    for _ in range(size >> 20):
        out.append(comp.compress(chunk))
    out.append(comp.flush())
    return b"".join(out)


class HostileServer:
    def __init__(self) -> None:
        self.requests: Counter = Counter()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.bomb = _gzip_bomb(512 << 20)  # 512 MB of zeros in about 0.5 MB

    def start(self) -> "HostileServer":
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        for task in asyncio.all_tasks(self._loop):
            task.cancel()
        self._loop.run_until_complete(asyncio.sleep(0.05))
        self._loop.run_until_complete(server.wait_closed())
        self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
                line = head.split(b"\r\n", 1)[0].decode("latin-1")
                method, target, _ = line.split(" ", 2)
                self.requests[target] += 1
                keep = await self._respond(method, target, writer)
                if not keep:
                    break
        except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError, ValueError,
                asyncio.LimitOverrunError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass

    @staticmethod
    def _head(status: int, headers: dict[str, str], length: int | None) -> bytes:
        lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in headers.items()]
        if length is not None:
            lines.append(f"Content-Length: {length}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def _send(self, writer, status=200, body=b"", headers=None, head_only=False) -> bool:
        headers = {"Content-Type": "text/html; charset=utf-8", **(headers or {})}
        writer.write(self._head(status, headers, len(body)) + (b"" if head_only else body))
        await writer.drain()
        return True

    async def _respond(self, method: str, target: str, writer) -> bool:
        head_only = method == "HEAD"
        path, _, query = target.partition("?")
        if target == "/":
            links = "".join(f'<a href="{c}">{c}</a>\n' for c in CASES)
            links += '<a href="http://www.public-look.com/go">外部</a><a href="http://www.public-look.com/go2">外部2</a>'
            return await self._send(writer, body=f"<html><title>敌意站点</title><body>{links}</body></html>".encode(), head_only=head_only)
        if path == "/robots.txt":
            return await self._send(writer, 404, b"")
        if path == "/slow":  # slow loris: valid headers, then one byte at a time, forever
            writer.write(self._head(200, {"Content-Type": "text/html"}, 10_000_000))
            while True:
                writer.write(b"x")
                await writer.drain()
                await asyncio.sleep(0.2)
        if path == "/reset":
            writer.write(self._head(200, {"Content-Type": "text/html"}, 100_000) + b"<html><body>partial")
            await writer.drain()
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        if path == "/loop":
            return await self._send(writer, 302, b"", {"Location": "/loop"})
        if path.startswith("/chain/"):
            n = int(path.rsplit("/", 1)[1])
            if n < 50:
                return await self._send(writer, 301, b"", {"Location": f"/chain/{n + 1}"})
            return await self._send(writer, body=b"<title>end</title>")
        if path == "/to-private":
            return await self._send(writer, 302, b"", {"Location": f"http://127.0.0.1:{self.port}/secret"})
        if path == "/go":  # served for a public-looking host
            return await self._send(writer, 302, b"", {"Location": "http://10.1.2.3/admin"})
        if path == "/go2":
            return await self._send(writer, 302, b"", {"Location": f"http://127.0.0.1:{self.port}/secret"})
        if path == "/secret":
            return await self._send(writer, body=b"secret")
        if path == "/gzip-bomb":
            return await self._send(writer, body=self.bomb, headers={"Content-Encoding": "gzip"}, head_only=head_only)
        if path == "/br-bomb":
            return await self._send(writer, body=os.urandom(300_000), headers={"Content-Encoding": "br"}, head_only=head_only)
        if path == "/huge":  # 100 MB, streamed
            writer.write(self._head(200, {"Content-Type": "text/html"}, 100 * (1 << 20)))
            if not head_only:
                block = b"<p>x</p>" * 8192
                for _ in range(100 * (1 << 20) // len(block)):
                    writer.write(block)
                    await writer.drain()
            return False
        if path == "/calendar":
            d = int(query.split("=", 1)[1] or 0) if "=" in query else 0
            body = f'<a href="/calendar?d={d - 1}">前一天</a><a href="/calendar?d={d + 1}">后一天</a>'
            return await self._send(writer, body=body.encode(), head_only=head_only)
        if path == "/binary":
            return await self._send(writer, body=random.Random(7).randbytes(200_000), head_only=head_only)
        if path == "/nested":
            body = ("<div>层" * 100_000 + "</div>" * 50_000).encode()
            return await self._send(writer, body=body, head_only=head_only)
        if path == "/malformed":
            body = b"<html><head><title>x</title><body><a href='/ok'><table><tr><td><p><a href=\"\x00\"><b><i></a></p>" \
                   b"<script>document.write('<a href=\"/w\">')</scr" + b"<!-- " * 1000 + b"<a href=//[bad>x</a>"
            return await self._send(writer, body=body, head_only=head_only)
        if path in ("/ok", "/w"):
            return await self._send(writer, body=b"ok", head_only=head_only)
        if path == "/badcharset":
            body = "<html><title>乱码测试</title><body>政府信息公开".encode("gbk") + b"\xff\xfe\x81" * 100
            return await self._send(writer, body=body, head_only=head_only)
        if path == "/links100k":
            body = "".join(f'<a href="/l/{i}">{i}</a>' for i in range(100_000)).encode()
            return await self._send(writer, body=body, head_only=head_only)
        if path.startswith("/l/"):
            return await self._send(writer, body=b"ok", head_only=head_only)
        if path.startswith("/busy/"):
            return await self._send(writer, 429, b"", {"Retry-After": "1"})
        return await self._send(writer, 404, b"not found")
