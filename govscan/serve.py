"""Serve the bundled sample sites on one local port, choosing the site by the Host header.

Each ``fixtures/sites/<host>/`` is one virtual host. Its optional ``_site.yaml`` sets what the
Content-Type header claims for HTML (``charset:``; omitted: no charset) and special answers per
path (``routes:``, an exact ``path?query`` key wins over the bare path), e.g.
``/old.html: {status: 301, location: /new.html}``, ``/form.html: {head_status: 405}`` (HEAD refused),
``/x.html: {status: 500, body: ...}``, ``/a.html: {content_type: text/html; charset=utf-8}`` (the
file with a wrong header), ``"/d.jsp?p=1": {file: _d.xml, content_type: text/xml}``.
Names starting with ``_`` or ``.`` are never served. By hand: ``python -m govscan.serve --port 8080``
then ``curl --connect-to ::127.0.0.1:8080 http://www.qingshan.gov.cn/``.
"""

from __future__ import annotations

import argparse
import posixpath
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

_TYPES = {".html": "text/html", ".htm": "text/html", ".shtml": "text/html", ".xml": "text/xml",
          ".css": "text/css; charset=utf-8", ".js": "application/javascript; charset=utf-8",
          ".txt": "text/plain; charset=utf-8", ".json": "application/json", ".png": "image/png",
          ".gif": "image/gif", ".jpg": "image/jpeg", ".ico": "image/x-icon", ".pdf": "application/pdf",
          ".doc": "application/msword", ".xls": "application/vnd.ms-excel", ".zip": "application/zip"}
_HOST_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
_REASONS = {301: "已永久移动", 302: "已临时移动", 400: "请求错误", 403: "禁止访问", 404: "未找到",
            405: "方法不允许", 500: "服务器内部错误", 503: "服务暂不可用"}
_HTML = "text/html; charset=utf-8"


def fixtures_root() -> Path:
    """The sample sites: ``_fixtures`` inside an installed wheel, else the repository's ``fixtures``."""
    bundled = Path(__file__).parent / "_fixtures"
    return bundled if bundled.exists() else Path(__file__).resolve().parent.parent / "fixtures"


def _page(status: int) -> bytes:
    text = f"{status} {_REASONS.get(status, '错误')}"
    return f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{text}</title></head><body><h1>{text}</h1></body></html>'.encode()


def _public(path: str) -> bool:
    return not any(p.startswith(("_", ".")) for p in path.split("/") if p)


class _Sites:
    """What to answer for (method, Host, request target); no socket code here."""

    def __init__(self, root: Path):
        self.dir, self._conf, self._lock = root / "sites", {}, threading.Lock()

    def hosts(self) -> list[str]:
        dirs = self.dir.iterdir() if self.dir.is_dir() else ()
        return sorted(p.name for p in dirs if p.is_dir() and _HOST_RE.match(p.name))

    def config(self, host: str) -> dict:
        with self._lock:
            if host not in self._conf:
                path = self.dir / host / "_site.yaml"
                data = yaml.safe_load(path.read_text("utf-8")) if path.is_file() else None
                self._conf[host] = data if isinstance(data, dict) else {}
            return self._conf[host]

    def respond(self, method: str, host: str, target: str) -> tuple[int, dict[str, str], bytes]:
        host = host.strip().lower()
        host = (host if host.endswith("]") else host.rsplit(":", 1)[0]).rstrip(".")
        site = self.dir / host
        parts = urlsplit(target)
        path = unquote(parts.path or "/")
        if (not _HOST_RE.match(host) or ".." in host or not site.is_dir() or not path.startswith("/")
                or "\x00" in path or ".." in path.split("/")):
            return 404, {"Content-Type": _HTML}, _page(404)
        conf = self.config(host)
        routes = conf.get("routes") or {}
        route = routes.get(f"{path}?{parts.query}") if parts.query else None
        route = route if isinstance(route, dict) else routes.get(path)
        route = route if isinstance(route, dict) else {}
        status = int(route.get("status", 200))
        headers = {"Location": str(route["location"])} if "location" in route else {}
        ctype = route.get("content_type")
        if "body" in route:
            body = str(route["body"]).encode("utf-8")
        elif status >= 300:
            body = _page(status)
        else:
            rel = str(route.get("file") or path)
            file = self._file(site, rel + "index.html" if rel.endswith("/") else rel, "file" in route)
            if file is None:
                if not path.endswith("/") and _public(path) and (site / path.strip("/")).is_dir():
                    return 301, {"Location": path + "/", "Content-Type": _HTML}, _page(301)
                return 404, {"Content-Type": _HTML}, _page(404)
            body = file.read_bytes()
            ctype = ctype or self._type(file, conf)
        if method == "HEAD" and route.get("head_status"):
            status, body, headers["Allow"] = int(route["head_status"]), b"", "GET"
        headers["Content-Type"] = ctype or _HTML
        return status, headers, body

    @staticmethod
    def _file(site: Path, path: str, private_ok: bool) -> Path | None:
        norm = posixpath.normpath("/" + path.lstrip("/"))
        if not (private_ok or _public(norm)) or any(p.startswith(".") for p in norm.split("/") if p):
            return None
        file = site / norm.lstrip("/")
        try:
            return file if file.is_file() and file.resolve().is_relative_to(site.resolve()) else None
        except (OSError, ValueError):
            return None

    @staticmethod
    def _type(file: Path, conf: dict) -> str:
        ctype = _TYPES.get(file.suffix.lower(), "application/octet-stream")
        return f"{ctype}; charset={conf['charset']}" if ctype == "text/html" and conf.get("charset") else ctype


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version, sys_version = "govscan-fixtures", ""
    timeout = 30
    wbufsize, disable_nagle_algorithm = 1 << 16, True  # one write per answer, no Nagle delay

    def do_GET(self) -> None:  # noqa: N802 (stdlib naming)
        try:
            status, headers, body = self.server.sites.respond(self.command, self.headers.get("Host", ""), self.path)
        except Exception:  # a broken fixture must not kill the server
            status, headers, body = 500, {"Content-Type": _HTML}, _page(500)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (stdlib signature)
        pass


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # resets, bad clients: stay quiet
        pass


class Server:
    """A running fixture server: ``.port``, ``.url``, ``.base``, ``.hosts``, ``.stop()``, and
    ``.connect_to``: curl-style ``HOST:80:IP:PORT`` mappings sending every fixture host here."""

    def __init__(self, httpd: _HTTPServer, thread: threading.Thread):
        self._httpd, self._thread = httpd, thread
        self.host, self.port = httpd.server_address[:2]
        self.base = f"http://{self.host}:{self.port}"
        self.url = self.base + "/"
        self.hosts = httpd.sites.hosts()
        self.connect_to = [f"{h}:80:{self.host}:{self.port}" for h in self.hosts]

    def stop(self) -> None:
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()


def start(root: Path | None = None, host: str = "127.0.0.1", port: int = 0) -> Server:
    """Serve the sites under ``root`` (default: the bundled fixtures) from a background thread."""
    httpd = _HTTPServer((host, port), _Handler)
    httpd.sites = _Sites(Path(root) if root else fixtures_root())
    thread = threading.Thread(target=httpd.serve_forever, args=(0.1,), name="govscan-fixtures", daemon=True)
    thread.start()
    return Server(httpd, thread)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m govscan.serve",
                                     description="Serve the govscan sample sites, one per Host header.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--root", type=Path, default=None, help="folder holding sites/<host>/")
    args = parser.parse_args(argv)
    server = start(args.root, args.host, args.port)
    print(f"示例站点已启动：{server.url}（按 Host 请求头区分站点）\n  " + "\n  ".join(server.hosts))
    print(f"访问示例：curl --connect-to ::{server.host}:{server.port} http://www.qingshan.gov.cn/\n按 Ctrl-C 停止。")
    try:
        while server._thread.is_alive():
            server._thread.join(0.5)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
