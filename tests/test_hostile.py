"""Hostile and broken servers cost a finding or a skipped-URL reason, within bounded time and
memory; the scan completes and writes its reports (issue 9). Everything runs on 127.0.0.1."""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hostile_server import HOST, HostileServer

RULES = """\
extends: default
crawl:
  timeout: 3.0
  retries: 1
  backoff: 0.05
  max-retry-after: 0.2
  max-pages: 60
  max-links: 500
  max-page-bytes: 2000000
  per-host: 8
"""


@pytest.fixture(scope="module")
def hostile():
    server = HostileServer().start()
    yield server
    server.stop()


def write_inputs(tmp: Path, port: int) -> tuple[Path, Path]:
    sites = tmp / "sites.yaml"
    sites.write_text(f"sites:\n  - id: hostile\n    url: http://{HOST}/\n    connect_to: 127.0.0.1:{port}\n", "utf-8")
    rules = tmp / "rules.yaml"
    rules.write_text(RULES, "utf-8")
    return sites, rules


def scan_command(tmp: Path, port: int, out: Path) -> list[str]:
    sites, rules = write_inputs(tmp, port)
    return [sys.executable, "-m", "govscan", "scan", "--sites", str(sites), "--rules", str(rules),
            "--out", str(out), "--format", "json", "--format", "html", "--no-progress", "-q",
            "--fail-on", "never", "--connect-to", f"www.public-look.com:80:127.0.0.1:{port}"]


@pytest.fixture(scope="module")
def outcome(hostile, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    out = tmp / "out"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    proc = subprocess.run(scan_command(tmp, hostile.port, out), capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report = json.loads((out / "report.json").read_text("utf-8"))
    print(f"hostile scan: {elapsed:.1f} s, peak RSS {peak_kib / 1024:.0f} MiB (before {before / 1024:.0f})")
    return proc, report, elapsed, peak_kib


def finding(report, url):
    site = report["sites"][0]
    return next((f for f in site["findings"] if f["url"] == url), None)


def skipped(report):
    return {s["url"]: s["reason"] for s in report["sites"][0]["crawl"]["skipped"]}


BASE = f"http://{HOST}"


def test_scan_completes_within_bounds_and_writes_reports(outcome):
    proc, report, elapsed, peak_kib = outcome
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert report["run"]["complete"] is True
    assert report["sites"][0]["errors"] == []
    assert elapsed < 90
    assert peak_kib < 800 * 1024  # a 512 MB gzip bomb and a 100 MB page never get into memory


def test_slow_loris_is_a_timeout(outcome):
    f = finding(outcome[1], f"{BASE}/slow")
    assert f and f["rule"] == "dead-link" and f["evidence"]["error"] == "timeout"


def test_reset_mid_body_is_a_network_error(outcome):
    f = finding(outcome[1], f"{BASE}/reset")
    assert f and f["evidence"]["error"] in ("protocol", "read")


@pytest.mark.parametrize("path", ["/loop", "/chain/1"])
def test_redirect_loops_and_long_chains_stop(outcome, path):
    f = finding(outcome[1], f"{BASE}{path}")
    assert f and f["evidence"]["error"] == "too-many-redirects" and len(f["evidence"]["redirects"]) == 11


def test_redirects_to_private_addresses_are_never_followed(outcome, hostile):
    reasons = skipped(outcome[1])
    for url in (f"{BASE}/to-private", "http://www.public-look.com/go", "http://www.public-look.com/go2"):
        assert reasons.get(url) == "private-address", url
    assert hostile.requests["/secret"] == 0
    assert not finding(outcome[1], f"{BASE}/to-private")


@pytest.mark.parametrize("path", ["/gzip-bomb", "/huge"])
def test_bombs_and_huge_pages_are_truncated(outcome, path):
    assert skipped(outcome[1]).get(f"{BASE}{path}", "").startswith("truncated")
    assert not finding(outcome[1], f"{BASE}{path}")


def test_endless_url_space_and_link_floods_are_capped(outcome):
    site = outcome[1]["sites"][0]
    assert site["crawl"]["truncated"] is True
    assert site["crawl"]["pages"] <= 60
    assert any(r.startswith("link cap") for r in skipped(outcome[1]).values())
    assert site["crawl"]["links_checked"] <= 500


def test_429_storm_honours_retry_after_and_reports_at_policy_level(outcome, hostile):
    f = finding(outcome[1], f"{BASE}/busy/1")
    assert f and f["level"] == "info" and f["evidence"]["status"] == 429
    assert hostile.requests["/busy/1"] == 2  # one retry, then reported


@pytest.mark.parametrize("path", ["/binary", "/nested", "/badcharset", "/br-bomb", "/malformed"])
def test_garbage_pages_are_parsed_without_findings_or_errors(outcome, path):
    assert not finding(outcome[1], f"{BASE}{path}")


def test_report_html_written_and_inert(outcome, tmp_path):
    # the HTML of this run was written next to the JSON
    proc, report, *_ = outcome
    assert report["sites"][0]["crawl"]["pages"] > 5


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_scan_writes_incomplete_reports_and_exits_3(hostile, tmp_path, sig):
    out = tmp_path / "out"
    cmd = scan_command(tmp_path, hostile.port, out)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.replace("timeout: 3.0", "timeout: 30").replace("max-pages: 60", "max-pages: 5000"), "utf-8")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    proc.send_signal(sig)
    try:
        _, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 3, stderr
    assert "Traceback" not in stderr
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["run"]["complete"] is False
    assert report["sites"][0]["complete"] is False
    assert (out / "report.html").exists()
