"""Serve the bundled sample sites on one local port, choosing the site by the Host header.

Each folder ``fixtures/sites/<host>/`` is one virtual host. An optional ``_site.yaml`` there
sets what the Content-Type header claims (``charset:``; omitted or null: no charset) and
special answers per path (``routes:``)::

    charset: utf-8
    routes:
      /old.html: {status: 301, location: /new.html}
      /form.html: {head_status: 405}                  # HEAD refused, GET serves the file
      /broken.html: {status: 500, body: <p>错误</p>}
      /xxgk/index.html: {content_type: text/html; charset=utf-8}   # a wrong header
      /data.jsp: {file: _data.xml, content_type: text/xml}

Files whose name starts with ``_`` are never served. Used by tests, ``govscan demo`` and by hand:
``python -m govscan.serve --port 8080`` then ``curl --connect-to ::127.0.0.1:8080 http://www.qingshan.gov.cn/``.
"""

from __future__ import annotations

import argparse
import html
import posixpath
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

_TYPES = {
    ".html": "text/html", ".htm": "text/html", ".shtml": "text/html", ".css": "text/css",
    ".js": "application/javascript", ".json": "application/json", ".xml": "text/xml",
    ".txt": "text/plain", ".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg", ".ico": "image/x-icon", ".svg": "image/svg+xml", ".pdf": "application/pdf",
    ".doc": "application/msword", ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel", ".zip": "application/zip",
}
_HOST_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
_REASONS = {301: "已永久移动", 302: "已临时移动", 403: "禁止访问", 404: "未找到", 405: "方法不允许",
            500: "服务器内部错误", 503: "服务暂不可用"}


def fixtures_root() -> Path:
    """The sample sites: ``_fixtures`` inside an installed wheel, else the repository's ``fixtures``."""
    bundled = Path(__file__).parent / "_fixtures"
    if bundled.exists():
        return bundled
    return Path(__file__).resolve().parent.parent / "fixtures"


def _error_page(status: int) -> bytes:
    text = f"{status} {_REASONS.get(status, '错误')}"
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{text}</title></head>"
            f"<body><h1>{text}</h1></body></html>").encode("utf-8")


class _Sites:
    """The response logic, independent of the socket plumbing."""

    def __init__(self, root: Path):
        self.sites_dir = root / "sites"
        self._conf: dict[str, dict] = {}
        self._lock = threading.Lock()

    def hosts(self) -> list[str]:
        if not self.sites_dir.is_dir():
            return []
        return sorted(p.name for p in self.sites_dir.iterdir() if p.is_dir() and _HOST_RE.match(p.name))

    def config(self, host: str) -> dict:
        with self._lock:
            if host not in self._conf:
                path = self.sites_dir / host / "_site.yaml"
                data = yaml.safe_load(path.read_text("utf-8")) if path.is_file() else None
                self._conf[host] = data if isinstance(data, dict) else {}
            return self._conf[host]

    def respond(self, method: str, host_header: str, target: str) -> tuple[int, dict[str, str], bytes]:
        host = host_header.strip().lower()
        host = (host.rsplit(":", 1)[0] if not host.endswith("]") else host).rstrip(".")
        site = self.sites_dir / host
        if not _HOST_RE.match(host) or ".." in host or not site.is_dir():
            return self._error(404)
        try:
            path = unquote(urlsplit(target).path or "/", errors="strict")
        except (ValueError, UnicodeDecodeError):
            return self._error(400)
        if not path.startswith("/") or "\x00" in path or ".." in path.split("/"):
            return self._error(404 if path.startswith("/") else 400)
        conf = self.config(host)
        routes = conf.get("routes") or {}
        query = urlsplit(target).query
        route = routes.get(f"{path}?{query}") if query else None
        route = route if route is not None else routes.get(path)
        if route is not None and not isinstance(route, dict):
            route = None
        route = route or {}
        status = int(route.get("status", 200))
        headers: dict[str, str] = {}
        if "location" in route:
            headers["Location"] = str(route["location"])
        if "body" in route:
            body = str(route["body"]).encode("utf-8")
            ctype = route.get("content_type", "text/html; charset=utf-8")
        elif status in (301, 302, 303, 307, 308) or status >= 400:
            body, ctype = _error_page(status), route.get("content_type", "text/html; charset=utf-8")
        else:
            rel = route.get("file") or path
            file = self._file(site, rel if not rel.endswith("/") else rel + "index.html",
                              allow_private="file" in route)
            if file is None:
                if (site / path.strip("/")).is_dir() and not path.endswith("/") and self._public(path):
                    headers["Location"] = path + "/"
                    return 301, {**headers, "Content-Type": "text/html; charset=utf-8"}, _error_page(301)
                return self._error(404)
            body = file.read_bytes()
            ctype = route.get("content_type") or self._type(file, conf)
        if method == "HEAD" and route.get("head_status"):
            status, body = int(route["head_status"]), b""
            headers["Allow"] = "GET"
        headers["Content-Type"] = ctype
        return status, headers, body

    @staticmethod
    def _public(path: str) -> bool:
        parts = [p for p in path.split("/") if p]
        return not any(p.startswith("_") or p.startswith(".") for p in parts)

    def _file(self, site: Path, path: str, allow_private: bool = False) -> Path | None:
        norm = posixpath.normpath("/" + path.lstrip("/"))
        if not allow_private and not self._public(norm):
            return None
        if any(p.startswith(".") for p in norm.split("/") if p):
            return None
        file = site / norm.lstrip("/")
        try:
            ok = file.is_file() and file.resolve().is_relative_to(site.resolve())
        except (OSError, ValueError):
            return None
        return file if ok else None

    @staticmethod
    def _type(file: Path, conf: dict) -> str:
        ctype = _TYPES.get(file.suffix.lower(), "application/octet-stream")
        if ctype == "text/html" and conf.get("charset"):
            ctype += f"; charset={conf['charset']}"
        elif ctype in ("text/css", "application/javascript", "text/plain"):
            ctype += "; charset=utf-8"
        return ctype

    @staticmethod
    def _error(status: int) -> tuple[int, dict[str, str], bytes]:
        return status, {"Content-Type": "text/html; charset=utf-8"}, _error_page(status)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "govscan-fixtures"
    sys_version = ""
    timeout = 30

    def do_GET(self) -> None:  # noqa: N802 (stdlib naming)
        self._answer()

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer()

    def _answer(self) -> None:
        try:
            status, headers, body = self.server.sites.respond(self.command, self.headers.get("Host", ""), self.path)
        except Exception:  # a broken fixture must not kill the server
            status, headers, body = 500, {"Content-Type": "text/html; charset=utf-8"}, _error_page(500)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:
        pass


class Server:
    """A running fixture server: ``.port``, ``.url``, ``.base``, ``.hosts``, ``.stop()``."""

    def __init__(self, httpd: _HTTPServer, thread: threading.Thread):
        self._httpd, self._thread = httpd, thread
        self.host, self.port = httpd.server_address[:2]
        self.base = f"http://{self.host}:{self.port}"
        self.url = self.base + "/"
        self.hosts: list[str] = httpd.sites.hosts()

    @property
    def connect_to(self) -> list[str]:
        """curl-style ``HOST:80:IP:PORT`` mappings sending every fixture host here."""
        return [f"{h}:80:{self.host}:{self.port}" for h in self.hosts]

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start(root: Path | None = None, host: str = "127.0.0.1", port: int = 0) -> Server:
    """Serve the sites under ``root`` (default: the bundled fixtures) in a background thread."""
    httpd = _HTTPServer((host, port), _Handler)
    httpd.sites = _Sites(Path(root) if root else fixtures_root())
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                              name="govscan-fixtures", daemon=True)
    thread.start()
    return Server(httpd, thread)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m govscan.serve",
                                     description="Serve the govscan sample sites by Host header.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--root", type=Path, default=None, help="folder holding sites/<host>/")
    args = parser.parse_args(argv)
    server = start(args.root, args.host, args.port)
    print(f"示例站点已在 {server.url} 提供服务（按 Host 请求头区分站点）：")
    for name in server.hosts:
        print(f"  http://{name}/")
    print(f"访问示例：curl --connect-to ::{server.host}:{server.port} http://{(server.hosts or ['HOST'])[0]}/")
    print("按 Ctrl-C 停止。")
    try:
        server._thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
