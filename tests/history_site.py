"""A small site written to a temporary folder and served on 127.0.0.1 (govscan.serve), that a
test can change between two scans: for the history, diff and recheck tests."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import httpx
import yaml

from govscan import serve

HOST = "www.lishui-demo.gov.cn"
HOME = f"http://{HOST}/"
AS_OF = dt.date(2026, 11, 20)


def page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body>{body}</body></html>")


class TmpSite:
    """``root/sites/HOST/``: write, remove, serve; ``sites_file`` points the site at the server."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dir = root / "sites" / HOST
        self.dir.mkdir(parents=True)
        self.server = serve.start(root)
        self.port = self.server.port
        self.sites_file = root / "sites.yaml"
        self.sites_file.write_text(yaml.safe_dump({"sites": [{
            "id": "lishui", "name": "丽水示范市人民政府", "url": HOME, "owner": "丽水示范市人民政府办公室",
            "connect_to": f"127.0.0.1:{self.port}"}]}, allow_unicode=True), "utf-8")

    def write(self, path: str, html: str) -> None:
        target = self.dir / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, "utf-8")

    def remove(self, path: str) -> None:
        (self.dir / path.lstrip("/")).unlink()

    def stop(self) -> None:
        self.server.stop()


def dead_link_site(root: Path, pages: int = 4) -> TmpSite:
    """A homepage and ``pages`` pages; /gone1.html and /gone2.html are linked and missing."""
    site = TmpSite(root)
    links = "".join(f'<a href="/p{i}.html">文章{i}</a> ' for i in range(pages))
    site.write("index.html", page("丽水示范市人民政府", links + '<a href="/gone1.html">旧通知</a> '
                                  '<a href="/gone2.html">旧文件</a> <img src="/img/logo.png" alt="标志">'))
    site.write("img/logo.png", "png")
    for i in range(pages):
        site.write(f"p{i}.html", page(f"文章{i}", '<a href="/">首页</a> <a href="/gone2.html">旧文件</a>'))
    return site


def fix_one_break_another(site: TmpSite) -> None:
    """Between two scans: /gone1.html now exists; the homepage links a new missing /gone3.html."""
    site.write("gone1.html", page("旧通知", "已恢复"))
    html = (site.dir / "index.html").read_text("utf-8")
    site.write("index.html", html.replace("</body>", '<a href="/gone3.html">新栏目</a></body>'))


class Counting(httpx.AsyncHTTPTransport):
    """A real transport that counts requests by (method, Host, path)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: Counter = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen[(request.method, request.headers["host"], request.url.raw_path.decode())] += 1
        return await super().handle_async_request(request)

    def paths(self) -> set[str]:
        return {path for _m, _h, path in self.seen}
