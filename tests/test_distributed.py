"""Distributed mode (Celery + Redis): a real redis-server and real worker processes on 127.0.0.1.

Every wait is bounded and every process started here is stopped in a finally block. The
workers use the solo pool (one site at a time, one process each) so that killing a worker's
process kills the worker holding a site.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import MappingProxyType, SimpleNamespace

import pytest
import yaml
from click.testing import CliRunner

pytest.importorskip("celery", reason="pip install 'govscan[distributed]' (scripts/test installs it)")

from govscan import distributed  # noqa: E402
from govscan.cli import main  # noqa: E402
from govscan.config import CrawlSettings, load  # noqa: E402
from govscan.demo import DEMO_AS_OF, connect_all_to, demo_config  # noqa: E402
from govscan.errors import RunError  # noqa: E402
from govscan.fetch import Fetcher  # noqa: E402
from govscan.linkcache import RedisLinkCache, run_key  # noqa: E402
from govscan.report import SiteResult  # noqa: E402
from govscan.reports import validate  # noqa: E402
from govscan.run import RunOptions, run  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
FIXTURE_SITES = ROOT / "fixtures" / "sites.yaml"


# ------------------------------------------------------------------ processes

def redis_binary() -> str:
    path = shutil.which("redis-server") or ("/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None)
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail("redis-server is not installed: CI must run scripts/test, which installs Debian's redis-server")
    pytest.skip("redis-server is not installed (apt-get install redis-server); CI does not skip this test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(workdir),
             "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", str(workdir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        deadline = time.monotonic() + 15
        while True:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
                return
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("redis-server did not start")
                time.sleep(0.05)

    def db(self, n: int) -> str:
        return f"{self.url}/{n}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = Redis(tmp_path_factory.mktemp("redis"))
    try:
        yield server
    finally:
        server.stop()


class Workers:
    """Worker processes (solo pool) on one broker; ``wait_ready`` pings them, ``stop`` ends them."""

    def __init__(self, broker: str, logdir: Path) -> None:
        self.broker = broker
        self.logdir = logdir
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *extra: str, command: list[str] | None = None, env: dict | None = None,
              cwd: Path | None = None) -> None:
        """A `govscan worker --pool solo` named ``name``, or ``command`` (which names itself ``name``)."""
        cmd = command or [sys.executable, "-m", "govscan", "worker", "--broker", self.broker, "--pool", "solo",
                          "--loglevel", "WARNING", "--name", name, *extra]
        log = open(self.logdir / f"{name.split('@')[0]}.log", "w")
        self.procs[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=cwd,
                                            env={**os.environ, **(env or {})}, start_new_session=True)
        log.close()

    def wait_ready(self, timeout: float = 60) -> None:
        app = distributed.make_app(self.broker)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"worker {name} exited: {self.log(name)[-2000:]}")
            answered = {k for reply in app.control.ping(timeout=0.5) for k in reply}
            if set(self.procs) <= answered:
                return
        raise RuntimeError("workers did not answer a ping in time")

    def log(self, name: str) -> str:
        return (self.logdir / f"{name.split('@')[0]}.log").read_text("utf-8", "replace")

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(timeout=10)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGQUIT)  # cold shutdown: do not finish the current job
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture
def workers_on(tmp_path):
    started: list[Workers] = []

    def make(broker: str) -> Workers:
        w = Workers(broker, tmp_path)
        started.append(w)
        return w

    try:
        yield make
    finally:
        for w in started:
            w.stop()


def run_in_thread(fn, *args, **kwargs):
    box: dict = {}

    def target():
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, box


def fingerprints(report: dict) -> dict[str, set[str]]:
    return {s["id"]: {f["fingerprint"] for f in s["findings"]} for s in report["sites"]}


# ------------------------------------------------------------------ data across the wire

def test_run_config_round_trips_through_json(tmp_path):
    cfg = demo_config(DEMO_AS_OF)
    assert distributed.config_from_dict(json.loads(distributed.config_payload(cfg))) == cfg
    sites = tmp_path / "sites.yaml"
    sites.write_text(yaml.safe_dump({"sites": [{
        "id": "a", "url": "http://www.a.gov.cn/", "aliases": ["a.gov.cn"], "max_pages": 3, "connect_to": "127.0.0.1:1",
        "rules": {"column-stale": {"level": "warning"}, "no-https": "off"}}]}), "utf-8")
    cfg = load(str(sites), (), None, DEMO_AS_OF, {"max_pages": 7, "timeout": 2.5})
    back = distributed.config_from_dict(json.loads(distributed.config_payload(cfg)))
    assert back == cfg and back.sites[0].aliases == ("a.gov.cn",) and back.crawl.max_pages == 7
    assert isinstance(back.sites[0].rules["no-https"].ignore_urls, tuple)
    # a value JSON would change is refused before anything is enqueued
    rule = cfg.rules["dead-link"]
    odd = replace(cfg, rules=MappingProxyType({**cfg.rules, "dead-link": replace(
        rule, options=MappingProxyType({**rule.options, "status-levels": {403: "warning"}}))}))
    with pytest.raises(RunError, match="JSON"):
        distributed.config_payload(odd)


def test_site_result_round_trips(fixture_server):
    cfg = demo_config(DEMO_AS_OF)
    cfg = replace(cfg, sites=tuple(s for s in cfg.sites if s.id in ("qingshan", "baishui")))
    data = run(cfg, RunOptions(connect_to=connect_all_to(fixture_server.port))).to_dict()
    for site in data["sites"]:
        assert SiteResult.from_dict(site).to_dict() == site


def test_mask_hides_the_password():
    assert distributed.mask("redis://:s3cret@10.0.0.5:6379/0") == "redis://:***@10.0.0.5:6379/0"
    assert distributed.mask("redis://10.0.0.5:6379/0") == "redis://10.0.0.5:6379/0"


def test_beat_schedule_from_environment():
    assert distributed.beat_schedule_from_env({}) == {}
    schedule = distributed.beat_schedule_from_env({"GOVSCAN_SITES": "/srv/sites.yaml", "GOVSCAN_DB": "/srv/h.sqlite",
                                                   "GOVSCAN_SCAN_AT": "01:40", "GOVSCAN_PROBE_EVERY": "30"})
    scan, probes = schedule["govscan-nightly-scan"], schedule["govscan-probes"]
    assert scan["task"] == distributed.TASK_RUN_SCAN and scan["options"]["queue"] == distributed.QUEUE_RUNS
    assert scan["schedule"].hour == {1} and scan["schedule"].minute == {40}
    assert probes["schedule"].minute == set(range(0, 60, 30)) and probes["kwargs"]["db"] == "/srv/h.sqlite"
    app = distributed.make_app("redis://127.0.0.1:1/0", schedule=schedule)
    assert set(app.conf.beat_schedule) == {"govscan-nightly-scan", "govscan-probes"}
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1 and app.conf.accept_content == ["json"]


# ------------------------------------------------------------------ shared link cache

class CountingHandler(BaseHTTPRequestHandler):
    counts: Counter = Counter()
    delay = 0.0

    def do_GET(self):  # noqa: N802
        type(self).counts[(self.command, self.path)] += 1
        time.sleep(self.delay)
        status = 404 if self.path.startswith("/missing") else 200
        body = b"<html><head><title>t</title></head><body>ok</body></html>"
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def counting_server():
    handler = type("Handler", (CountingHandler,), {"counts": Counter(), "delay": 0.3})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield httpd, handler
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_link_cache_one_request_per_run_across_fetchers(redis_server, counting_server):
    httpd, handler = counting_server
    port = httpd.server_address[1]
    settings = CrawlSettings(retries=0, timeout=5)
    url, missing = "http://portal.example.gov.cn/", "http://portal.example.gov.cn/missing.html"

    async def check_from_two_workers(run_id: str):
        caches = [RedisLinkCache(redis_server.db(1), run_id) for _ in range(2)]
        fetchers = [Fetcher(settings, [distributed_rule(port)], trusted_hosts={"portal.example.gov.cn"},
                            shared_cache=c) for c in caches]
        try:  # both ask at once: one requests, the other waits for its answer
            results = await asyncio.gather(*(f.check(u, False) for f in fetchers for u in (url, missing)))
        finally:
            for f, c in zip(fetchers, caches):
                await f.aclose()
                await c.aclose()
        return results, caches

    results, caches = asyncio.run(check_from_two_workers("run-a"))
    assert [r.status for r in results] == [200, 404, 200, 404]
    assert handler.counts[("GET", "/")] == 1 and handler.counts[("GET", "/missing.html")] == 1
    assert sum(c.hits for c in caches) == 2 and sum(c.waits for c in caches) >= 1
    import redis

    client = redis.Redis.from_url(redis_server.db(1))
    assert 0 < client.ttl(run_key("run-a")) <= 86_400  # the run's table expires
    asyncio.run(check_from_two_workers("run-b"))  # another run asks again: never another run's answers
    assert handler.counts[("GET", "/")] == 2


def distributed_rule(port: int):
    from govscan.fetch import ConnectRule

    return ConnectRule.parse(f"::127.0.0.1:{port}")


def test_link_cache_down_means_no_cache(counting_server):
    httpd, handler = counting_server

    async def go():
        cache = RedisLinkCache(f"redis://127.0.0.1:{free_port()}/0", "x")
        fetcher = Fetcher(CrawlSettings(retries=0, timeout=5), [distributed_rule(httpd.server_address[1])],
                          trusted_hosts={"a.gov.cn"}, shared_cache=cache)
        try:
            return await fetcher.check("http://a.gov.cn/", False)
        finally:
            await fetcher.aclose()
            await cache.aclose()

    assert asyncio.run(go()).status == 200


# ------------------------------------------------------------------ the job's own fault handling

def test_task_reports_a_site_that_keeps_failing_or_losing_workers(redis_server, monkeypatch):
    """The job body with a stand-in task: past max_attempts a site is an error entry, not lost."""
    import redis

    broker = redis_server.db(2)
    cfg = demo_config(DEMO_AS_OF)
    client = redis.Redis.from_url(broker)
    client.set(distributed._config_key("r1"), distributed.config_payload(cfg))

    class Retry(Exception):
        pass

    task = SimpleNamespace(app=SimpleNamespace(conf=SimpleNamespace(
        broker_url=broker, govscan={"time_limit": 30.0, "max_attempts": 3, "retry_delay": 1.0})),
        request=SimpleNamespace(hostname="w@test"), retry=lambda exc, countdown: Retry(countdown))
    monkeypatch.setattr(distributed, "scan_site_sync", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(Retry):  # first delivery: retried with backoff
        distributed._scan_task(task, "r1", "qingshan", {})
    client.hset(distributed._attempts_key("r1"), "qingshan", 2)
    out = distributed._scan_task(task, "r1", "qingshan", {})  # third: reported
    site = out["site"]
    assert site["complete"] is False and site["errors"][0]["code"] == "failed" and "boom" in site["errors"][0]["error"]
    client.hset(distributed._attempts_key("r1"), "baishui", 3)  # three workers died holding it
    site = distributed._scan_task(task, "r1", "baishui", {})["site"]
    assert site["errors"][0]["code"] == "lost" and site["id"] == "baishui"
    client.delete(distributed._config_key("r1"))  # the run is over: queued jobs end at once
    assert distributed._scan_task(task, "r1", "tongze", {}) == {"gone": True, "site_id": "tongze"}


# ------------------------------------------------------------------ acceptance: three workers

@pytest.fixture(scope="module")
def local_fixture_report(fixture_server):
    data = run(demo_config(DEMO_AS_OF), RunOptions(connect_to=connect_all_to(fixture_server.port))).to_dict()
    assert data["run"]["complete"]
    return data


def test_three_workers_find_what_a_local_run_finds(redis_server, workers_on, fixture_server, local_fixture_report,
                                                   tmp_path):
    broker = redis_server.db(3)
    workers = workers_on(broker)
    for n in (1, 2, 3):
        workers.start(f"w{n}@test", "--time-limit", "120")
    workers.wait_ready()
    out, db = tmp_path / "out", tmp_path / "history.sqlite"
    started = time.monotonic()
    result = CliRunner().invoke(main, [
        "scan", "--sites", str(FIXTURE_SITES), "--broker", broker, "--as-of", DEMO_AS_OF.isoformat(),
        "--connect-to", f"::127.0.0.1:{fixture_server.port}", "--out", str(out), "--format", "json",
        "--format", "html", "--db", str(db), "--fail-on", "never", "--no-progress", "-q"], catch_exceptions=False)
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    data = json.loads((out / "report.json").read_text("utf-8"))
    validate(data)
    assert data["run"]["complete"] is True and elapsed < 120
    assert fingerprints(data) == fingerprints(local_fixture_report)
    assert [s["id"] for s in data["sites"]] == [s["id"] for s in local_fixture_report["sites"]]
    assert all(s["complete"] and not s["errors"] for s in data["sites"])
    dist = data["run"]["options"]["distributed"]
    assert len(dist["workers"]) >= 2 and set(dist["workers"]) <= set(workers.procs)
    assert set(dist["jobs"]) == {s["id"] for s in data["sites"]}
    assert "***" not in dist["broker"] and data["history"]["run"]  # recorded once, by the coordinator
    from govscan.store import Store

    with Store(db, readonly=True) as store:
        assert store.run_count() == 1
    # the run's keys are gone from the broker; only Celery's own bookkeeping remains
    import redis

    assert not [k for k in redis.Redis.from_url(broker).keys("govscan:*")]


# ------------------------------------------------------------------ acceptance: a worker killed mid-site

class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # a killed worker's reset connections
        pass


class SlowSite(BaseHTTPRequestHandler):
    """www.slow.gov.cn: a homepage linking 12 pages that each take 1 s to answer."""

    protocol_version = "HTTP/1.1"
    hits: Counter = Counter()

    def do_GET(self):  # noqa: N802
        type(self).hits[self.path] += 1
        if self.path == "/":
            body = ("<html><head><title>慢站</title></head><body>"
                    + "".join(f'<a href="/p{i}.html">第{i}页</a>' for i in range(12)) + "</body></html>")
        elif self.path.startswith("/p"):
            time.sleep(1.0)
            body = "<html><head><title>页面</title></head><body>内容</body></html>"
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_site():
    handler = type("Slow", (SlowSite,), {"hits": Counter()})
    httpd = QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield SimpleNamespace(port=httpd.server_address[1], hits=handler.hits)
    finally:
        httpd.shutdown()
        httpd.server_close()


def started_holder(broker: str, site_id: str, timeout: float = 30) -> dict:
    """The STARTED record (hostname, pid) of ``site_id``'s job, once a worker has taken it."""
    import redis

    client = redis.Redis.from_url(broker)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for key in client.keys(f"celery-task-meta-govscan.*.{site_id}"):
            meta = json.loads(client.get(key) or "{}")
            if meta.get("status") == "STARTED":
                return meta["result"]
        time.sleep(0.05)
    raise AssertionError(f"the job of {site_id} never started")


def wait_inside(slow_site) -> None:
    """Until the slow site's pages are being requested (each takes 1 s), plus a little."""
    slow_site.hits.clear()
    deadline = time.monotonic() + 15
    while not any(p.startswith("/p") for p in slow_site.hits) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)


def test_worker_killed_mid_site_is_rerun_elsewhere(redis_server, workers_on, fixture_server, slow_site, tmp_path):
    broker = redis_server.db(4)
    workers = workers_on(broker)
    sites = yaml.safe_load(FIXTURE_SITES.read_text("utf-8"))["sites"]
    sites = [s for s in sites if s["id"] in ("qingshan", "baishui", "songlin", "tongze")]
    sites.insert(0, {"id": "slow", "name": "慢站", "url": "http://www.slow.gov.cn/",
                     "connect_to": f"127.0.0.1:{slow_site.port}"})
    path = tmp_path / "sites.yaml"
    path.write_text(yaml.safe_dump({"sites": sites}, allow_unicode=True), "utf-8")
    cfg = load(str(path), (), None, DEMO_AS_OF)
    options = RunOptions(connect_to=connect_all_to(fixture_server.port))
    local = run(cfg, options).to_dict()

    # The visibility timeout (a vanished worker's job goes back to the queue) must exceed the longest job.
    for n in (1, 2, 3):
        workers.start(f"k{n}@test", "--time-limit", "60", "--visibility-timeout", "20")
    workers.wait_ready()
    thread, box = run_in_thread(distributed.run_distributed, cfg, options, broker, poll_interval=0.2,
                                stall_timeout=90)
    holder = started_holder(broker, "slow")["hostname"]
    assert holder in workers.procs
    wait_inside(slow_site)
    workers.kill(holder)  # the whole worker: its job comes back after the visibility timeout
    thread.join(timeout=120)
    assert not thread.is_alive(), "the coordinator did not finish"
    assert "error" not in box, box.get("error")
    data = box["value"].to_dict()
    validate(data)
    assert [s["id"] for s in data["sites"]] == sorted(site.id for site in cfg.sites)
    assert data["run"]["complete"] is True and all(s["complete"] for s in data["sites"])
    job = data["run"]["options"]["distributed"]["jobs"]["slow"]
    assert job["worker"] != holder and job["attempt"] == 2
    assert fingerprints(data) == fingerprints(local)


def test_pool_process_killed_mid_site_is_requeued_at_once(redis_server, workers_on, slow_site, tmp_path):
    """Prefork: the pool process dies, the worker rejects the job back to the queue (no timeout wait)."""
    broker = redis_server.db(7)
    workers = workers_on(broker)
    workers.start("p1@test", command=[sys.executable, "-m", "govscan", "worker", "--broker", broker, "--pool",
                                      "prefork", "--concurrency", "1", "--loglevel", "WARNING", "--name", "p1@test",
                                      "--visibility-timeout", "3600"])
    workers.wait_ready()
    path = tmp_path / "sites.yaml"
    path.write_text(yaml.safe_dump({"sites": [{"id": "slow", "url": "http://www.slow.gov.cn/",
                                               "connect_to": f"127.0.0.1:{slow_site.port}"}]}), "utf-8")
    cfg = load(str(path), (), None, DEMO_AS_OF)
    thread, box = run_in_thread(distributed.run_distributed, cfg, RunOptions(), broker, poll_interval=0.2,
                                stall_timeout=60)
    pid = started_holder(broker, "slow")["pid"]
    wait_inside(slow_site)
    os.kill(pid, signal.SIGKILL)
    thread.join(timeout=60)
    assert not thread.is_alive() and "error" not in box, box.get("error")
    data = box["value"].to_dict()
    assert data["run"]["complete"] is True and data["sites"][0]["findings"]
    assert data["run"]["options"]["distributed"]["jobs"]["slow"] == {"worker": "p1@test", "attempt": 2}


def test_site_that_keeps_failing_is_a_reported_error(redis_server, workers_on, fixture_server, tmp_path):
    """Through a real worker (``celery -A``, retries by Celery): the site ends as an error entry."""
    broker = redis_server.db(5)
    workers = workers_on(broker)
    workers.start("f1@test", command=[sys.executable, "-m", "celery", "-A", "distributed_faulty_app", "worker",
                                      "--pool", "solo", "--loglevel", "WARNING", "--queues", distributed.QUEUE_SITES,
                                      "--without-gossip", "--without-mingle", "--hostname=f1@test"],
                  env={"GOVSCAN_BROKER": broker, "GOVSCAN_TEST_FAIL_SITE": "baishui",
                       "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}, cwd=TESTS)
    workers.wait_ready()
    cfg = demo_config(DEMO_AS_OF)
    cfg = replace(cfg, sites=tuple(s for s in cfg.sites if s.id in ("baishui", "songlin")))
    report = distributed.run_distributed(cfg, RunOptions(connect_to=connect_all_to(fixture_server.port)), broker,
                                         poll_interval=0.2, stall_timeout=60).to_dict()
    validate(report)
    by_id = {s["id"]: s for s in report["sites"]}
    assert set(by_id) == {"baishui", "songlin"}
    assert by_id["songlin"]["complete"] and by_id["songlin"]["findings"]
    failed = by_id["baishui"]
    assert failed["complete"] is False and failed["findings"] == []
    assert failed["errors"][0]["code"] == "failed" and "planted failure" in failed["errors"][0]["error"]
    assert "3 次" in failed["errors"][0]["error"]
    assert report["run"]["complete"] is False


# ------------------------------------------------------------------ broker outages and bounded waits

def test_scan_exits_3_when_the_broker_is_down(tmp_path):
    broker = f"redis://127.0.0.1:{free_port()}/0"
    started = time.monotonic()
    result = CliRunner().invoke(main, ["scan", "http://www.a.gov.cn/", "--broker", broker, "--out", str(tmp_path),
                                       "--no-progress"])
    assert result.exit_code == 3
    assert "cannot reach the broker" in result.output and time.monotonic() - started < 20


def test_scan_broker_usage_errors(tmp_path):
    result = CliRunner().invoke(main, ["scan", "http://www.a.gov.cn/", "--broker", "amqp://x/", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "redis://" in result.output
    result = CliRunner().invoke(main, ["scan", "http://www.a.gov.cn/", "--broker", "redis://127.0.0.1:1/0",
                                       "--recheck", str(tmp_path / "x.json"), "--out", str(tmp_path)])
    assert result.exit_code == 2


def test_no_worker_wait_is_bounded(redis_server):
    cfg = demo_config(DEMO_AS_OF)
    cfg = replace(cfg, sites=cfg.sites[:2])
    messages: list[str] = []
    started = time.monotonic()
    report = distributed.run_distributed(cfg, RunOptions(), redis_server.db(6), poll_interval=0.1,
                                         stall_timeout=1.5, log=messages.append).to_dict()
    assert time.monotonic() - started < 20
    assert report["run"]["complete"] is False
    assert [s["errors"][0]["code"] for s in report["sites"]] == ["no-result", "no-result"]
    assert any("no idle worker" in m for m in messages) and any("no site started" in m for m in messages)


def test_broker_lost_mid_run_ends_the_wait(tmp_path):
    server = Redis(tmp_path / "redis")
    try:
        cfg = demo_config(DEMO_AS_OF)
        messages: list[str] = []
        thread, box = run_in_thread(distributed.run_distributed, cfg, RunOptions(), server.db(0), poll_interval=0.1,
                                    outage_timeout=2, log=messages.append)
        import redis

        client = redis.Redis.from_url(server.db(0))
        deadline = time.monotonic() + 20
        while not client.keys("govscan:run:*:config") and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # the jobs are out
        server.stop()
        thread.join(timeout=40)
        assert not thread.is_alive(), "the coordinator hung after the broker went away"
    finally:
        server.stop()
    assert "error" not in box, box.get("error")
    data = box["value"].to_dict()
    validate(data)
    assert data["run"]["complete"] is False and len(data["sites"]) == len(cfg.sites)
    assert {s["errors"][0]["code"] for s in data["sites"]} == {"broker-unreachable"}
    assert any("lost the broker" in m for m in messages)


def test_site_past_its_time_limit_is_cut_short_and_reported(slow_site, tmp_path):
    path = tmp_path / "sites.yaml"
    path.write_text(yaml.safe_dump({"sites": [{"id": "slow", "url": "http://www.slow.gov.cn/",
                                               "connect_to": f"127.0.0.1:{slow_site.port}"}]}), "utf-8")
    cfg = load(str(path), (), None, DEMO_AS_OF)
    started = time.monotonic()
    result, requests = asyncio.run(distributed.scan_one(cfg, cfg.sites[0], {}, time_limit=1.5))
    assert time.monotonic() - started < 6 and requests > 0
    data = result.to_dict()
    assert data["complete"] is False and data["errors"][-1]["code"] == "time-limit"
    assert data["final_url"] == "http://www.slow.gov.cn/" and data["crawl"]["pages"] >= 1
