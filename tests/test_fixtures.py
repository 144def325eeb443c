"""The fixture sites scanned end to end over real HTTP on 127.0.0.1, compared with
fixtures/expected/*.yaml exactly: every planted problem found, nothing else reported."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from govscan.cli import main
from govscan.demo import DEMO_AS_OF, connect_all_to, demo_config
from govscan.reports import validate
from govscan.run import RunOptions, run

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_DIR = ROOT / "fixtures" / "expected"


@pytest.fixture(scope="module")
def server(fixture_server):
    return fixture_server


@pytest.fixture(scope="module")
def report(demo_report):
    return demo_report


def expected_entries() -> list[dict]:
    entries = []
    for path in sorted(EXPECTED_DIR.glob("*.yaml")):
        entries += yaml.safe_load(path.read_text("utf-8")) or []
    return entries


def test_expected_files_are_well_formed():
    entries = expected_entries()
    assert entries, "no expected findings"
    keys = [(e["site"], e["rule"], e["url"]) for e in entries]
    assert len(keys) == len(set(keys)), "an expected finding is listed twice"
    for e in entries:
        assert e["level"] in ("error", "warning", "info") and e.get("note")


def test_findings_are_exactly_the_planted_problems(report):
    sites_in_run = {s["id"] for s in report["sites"]}
    expected = {(e["site"], e["rule"], e["url"], e["level"]) for e in expected_entries() if e["site"] in sites_in_run}
    actual = {(s["id"], f["rule"], f["url"], f["level"]) for s in report["sites"] for f in s["findings"]}
    missed = sorted(expected - actual)
    extra = sorted(actual - expected)
    assert not missed and not extra, f"missed: {missed}\nextra: {extra}"


def test_found_on_pages_match(report):
    by_key = {(s["id"], f["rule"], f["url"]): f for s in report["sites"] for f in s["findings"]}
    for e in expected_entries():
        if "found_on" in e and (e["site"], e["rule"], e["url"]) in by_key:
            assert by_key[(e["site"], e["rule"], e["url"])]["found_on"] == sorted(e["found_on"]), e["url"]


def test_no_internal_errors_and_complete(report):
    assert report["run"]["complete"] is True
    assert [s["errors"] for s in report["sites"]] == [[] for _ in report["sites"]]


def test_robots_skip_and_redirect_chain_recorded(report):
    qingshan = next(s for s in report["sites"] if s["id"] == "qingshan")
    assert {"url": "http://www.qingshan.gov.cn/private/x.html", "reason": "robots"} in qingshan["crawl"]["skipped"]
    chains = {r["url"]: r["chain"] for r in qingshan["crawl"]["redirects"]}
    assert len(chains["http://www.qingshan.gov.cn/old/zcwj.html"]) == 3  # 301 → 302 → 200


def test_shared_links_requested_once(server):
    """Each distinct URL once per run: count the server's requests per (method, host, path)."""
    cfg = demo_config(DEMO_AS_OF)
    seen: Counter = Counter()
    import httpx

    class Counting(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request):
            seen[(request.method, request.url.scheme, request.headers["host"], request.url.raw_path.decode())] += 1
            return await super().handle_async_request(request)

    data = run(cfg, RunOptions(connect_to=connect_all_to(server.port), transport=Counting())).to_dict()
    assert data["summary"]["pages"] > 0
    # retries of 5xx answers and refused connections are the only repeats, by design
    repeats = {k: n for k, n in seen.items()
               if n > 1 and k[3] != "/hdjl/zxdc/index.html" and k[2] != "www.lvshui.gov.cn"}
    # HEAD refused → GET is one URL requested by two methods, not a repeat of one request
    assert not repeats, repeats


def test_gbk_site_chinese_text_in_reports(server, tmp_path):
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path), "--no-progress", "-q"], catch_exceptions=False)
    assert result.exit_code == 0
    data = json.loads((tmp_path / "report.json").read_text("utf-8"))
    validate(data)
    baishui = next(s for s in data["sites"] if s["id"] == "baishui")
    texts = {t for f in baishui["findings"] for t in f["evidence"].get("link_text", [])}
    assert any("\u4e00" <= ch <= "\u9fff" for t in texts for ch in t), texts
    html = (tmp_path / "report.html").read_text("utf-8")
    assert "白水县人民政府" in html
    for t in texts:
        assert t in html
