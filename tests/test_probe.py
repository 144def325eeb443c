"""`govscan probe`: one GET of every homepage, 15 s budget, no retries, recorded, quiet."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner

from govscan.cli import main
from govscan.config import load
from govscan.probe import probe_async
from govscan.store import Store
from history_site import TmpSite, page


@pytest.fixture
def silent_port():
    """A port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


def _refused_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there any more
    return port


@pytest.fixture
def sites(tmp_path, silent_port):
    site = TmpSite(tmp_path / "root")
    site.write("index.html", page("丽水示范市人民政府", "<p>首页</p>"))
    down = tmp_path / "root" / "sites" / "www.down-demo.gov.cn"
    down.mkdir(parents=True)
    (down / "_site.yaml").write_text(yaml.safe_dump({"routes": {"/": {"status": 503}}}), "utf-8")
    path = tmp_path / "sites.yaml"
    path.write_text(yaml.safe_dump({"sites": [
        {"id": "ok", "url": "http://www.lishui-demo.gov.cn/", "connect_to": f"127.0.0.1:{site.port}"},
        {"id": "down", "url": "http://www.down-demo.gov.cn/", "connect_to": f"127.0.0.1:{site.port}"},
        {"id": "refused", "url": "http://www.refused-demo.gov.cn/", "connect_to": f"127.0.0.1:{_refused_port()}"},
        {"id": "silent", "url": "http://www.silent-demo.gov.cn/", "connect_to": f"127.0.0.1:{silent_port}"},
    ]}), "utf-8")
    yield path
    site.stop()


def test_probe_outcomes_within_the_budget(sites):
    cfg = load(str(sites), (), None, None)
    started = time.monotonic()
    probes = {p.site_id: p for p in asyncio.run(probe_async(cfg, timeout=0.5))}
    assert time.monotonic() - started < 3  # the silent server costs the budget, no more
    assert probes["ok"].ok and probes["ok"].status == 200 and probes["ok"].latency_ms is not None
    assert not probes["down"].ok and probes["down"].status == 503
    assert not probes["refused"].ok and probes["refused"].error == "connect"
    assert not probes["silent"].ok and probes["silent"].error == "timeout"


def test_probe_never_retries():
    """The crawl retries 5xx twice; a probe must count the failure, not hide it."""
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(503, text="busy")

    cfg = load(None, ("http://www.x.gov.cn/",), None, None)
    assert cfg.crawl.retries > 0
    [probe] = asyncio.run(probe_async(cfg, transport=httpx.MockTransport(handler)))
    assert calls == ["/"] and not probe.ok and probe.status == 503


def test_probe_cli_is_quiet_and_records(sites, tmp_path):
    db = tmp_path / "db" / "history.sqlite"
    runner = CliRunner()
    result = runner.invoke(main, ["probe", "--sites", str(sites), "--db", str(db), "--timeout", "0.5"])
    assert result.exit_code == 0 and result.output == ""
    result = runner.invoke(main, ["probe", "--sites", str(sites), "--db", str(db), "--timeout", "0.5", "-v"])
    assert result.exit_code == 0
    assert "正常" in result.output and "失败：HTTP 503" in result.output and "失败：请求超时" in result.output
    with Store(db) as s:
        rows = s.conn.execute("SELECT site_id, ok, status, error FROM probes ORDER BY id").fetchall()
    assert len(rows) == 8
    assert {(r["site_id"], r["ok"]) for r in rows} == {("ok", 1), ("down", 0), ("refused", 0), ("silent", 0)}


def test_probe_cli_errors(sites, tmp_path):
    runner = CliRunner()
    bad = tmp_path / "bad.yaml"
    bad.write_text("sites:\n  - name: 无网址\n", "utf-8")
    result = runner.invoke(main, ["probe", "--sites", str(bad), "--db", str(tmp_path / "h.sqlite")])
    assert result.exit_code == 2 and "bad.yaml" in result.output
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = runner.invoke(main, ["probe", "--sites", str(sites), "--db", str(blocker / "h.sqlite")])
    assert result.exit_code == 3 and "无法打开历史库" in result.output


def test_probe_default_store_path(sites, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["probe", "--sites", str(sites), "--timeout", "0.5"])
    assert result.exit_code == 0
    assert Path(tmp_path / ".govscan" / "history.sqlite").is_file()
