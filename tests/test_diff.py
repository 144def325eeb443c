"""`govscan diff`, and `govscan scan --db` marking new and fixed findings, the availability figure
and the trend chart in the reports."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from click.testing import CliRunner
from selectolax.lexbor import LexborHTMLParser

from govscan.cli import main
from govscan.diff import diff_reports
from govscan.reports import validate
from govscan.reports.html import render_html
from govscan.store import Probe, Store, window_end
from history_site import AS_OF, HOME, dead_link_site, fix_one_break_another
from report_sample import HOSTILE_MESSAGE, HOSTILE_SCRIPT, sample_report

GONE1, GONE2, GONE3 = (HOME + f"gone{i}.html" for i in (1, 2, 3))


def _scan(site, out, db, *extra) -> dict:
    result = CliRunner().invoke(main, ["scan", "--sites", str(site.sites_file), "--out", str(out), "--db", str(db),
                                       "--as-of", AS_OF.isoformat(), "--no-progress", "-q", "--fail-on", "never",
                                       *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "report.json").read_text("utf-8"))
    validate(data)
    return data


@pytest.fixture(scope="module")
def two_scans(tmp_path_factory):
    """Two scans of one site, recorded in a store, with one dead link fixed and one added between."""
    tmp = tmp_path_factory.mktemp("diff")
    site = dead_link_site(tmp / "site")
    db = tmp / "history.sqlite"
    try:
        first = _scan(site, tmp / "r1", db)
        fix_one_break_another(site)
        second = _scan(site, tmp / "r2", db)
    finally:
        site.stop()
    return tmp, first, second


def _dead(data: dict) -> set[str]:
    return {f["url"] for f in data["sites"][0]["findings"] if f["rule"] == "dead-link"}


def test_the_site_changed_as_planned(two_scans):
    _tmp, first, second = two_scans
    assert {GONE1, GONE2} <= _dead(first) and GONE3 not in _dead(first)
    assert {GONE2, GONE3} <= _dead(second) and GONE1 not in _dead(second)


def test_diff_json_new_fixed_open(two_scans):
    tmp, first, second = two_scans
    result = CliRunner().invoke(main, ["diff", str(tmp / "r1" / "report.json"), str(tmp / "r2" / "report.json"), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    [site] = data["sites"]
    assert [f["url"] for f in site["new"]] == [GONE3]
    assert [f["url"] for f in site["fixed"]] == [GONE1]
    before = {f["fingerprint"] for f in first["sites"][0]["findings"]}
    fixed = {f["fingerprint"] for f in site["fixed"]}
    assert {f["fingerprint"] for f in site["open"]} == before - fixed
    assert site["unverified"] == []
    assert data["totals"] == {"new": 1, "fixed": 1, "open": len(before) - 1, "unverified": 0}


def test_diff_text_table(two_scans):
    tmp, _first, _second = two_scans
    wide = {"COLUMNS": "250"}  # no URL folded over two lines
    result = CliRunner().invoke(main, ["diff", str(tmp / "r1" / "report.json"), str(tmp / "r2" / "report.json")], env=wide)
    assert result.exit_code == 0
    out = result.output
    assert "变化概况" in out and "问题明细" in out
    assert "gone3.html" in out and "gone1.html" in out and "gone2.html" not in out  # still open: only with --all
    full = CliRunner().invoke(main, ["diff", str(tmp / "r1" / "report.json"), str(tmp / "r2" / "report.json"), "--all"],
                              env=wide)
    assert "gone2.html" in full.output and "仍存在" in full.output


def test_diff_rejects_a_non_report(tmp_path, two_scans):
    tmp, *_ = two_scans
    bad = tmp_path / "bad.json"
    bad.write_text("{}", "utf-8")
    result = CliRunner().invoke(main, ["diff", str(bad), str(tmp / "r2" / "report.json")])
    assert result.exit_code == 2 and "bad.json" in result.output


def test_scan_db_marks_new_and_fixed(two_scans):
    _tmp, first, second = two_scans
    site1, site2 = first["sites"][0], second["sites"][0]
    assert "changes" not in site1 and all(f["status"] == "new" for f in site1["findings"])
    status = {f["url"]: f["status"] for f in site2["findings"] if f["rule"] == "dead-link"}
    assert status[GONE3] == "new" and status[GONE2] == "open"
    assert [f for f in site2["findings"] if f["status"] == "new"] == [f for f in site2["findings"] if f["url"] == GONE3]
    gone2 = next(f for f in site2["findings"] if f["url"] == GONE2)
    assert gone2["first_seen"] == first["run"]["started_at"]
    assert [f["url"] for f in site2["fixed"]] == [GONE1]
    assert site2["changes"]["new"] == 1 and site2["changes"]["fixed"] == 1
    assert site2["changes"]["open"] == len(site2["findings"]) - 1
    trend = second["history"]["sites"]["lishui"]
    assert len(trend) == 2 and trend[1]["new"] == 1 and trend[1]["fixed"] == 1


def test_html_marks_new_lists_fixed_and_draws_the_trend(two_scans):
    tmp, _first, second = two_scans
    tree = LexborHTMLParser((tmp / "r2" / "report.html").read_text("utf-8"))
    new = tree.css(".finding[data-new]")
    assert len(new) == 1 and "gone3.html" in new[0].text() and "新发现" in new[0].text()
    fixed = tree.css(".fixed-list li")
    assert len(fixed) == 1 and "gone1.html" in fixed[0].text()
    assert "已整改的问题（1）" in tree.body.text()
    assert tree.css_first("#filter-new") is not None
    [trend] = tree.css("svg.trend")
    assert len(trend.css("circle")) == 2
    assert "首次发现" in tree.body.text()
    headers = [th.text() for th in tree.css("#overview-table thead th")]
    assert "新增" in headers and "已整改" in headers
    # the first run has nothing to compare with: no marks, no trend yet
    first = LexborHTMLParser((tmp / "r1" / "report.html").read_text("utf-8"))
    assert not first.css(".finding[data-new]") and not first.css("svg.trend") and not first.css(".fixed-list")


def test_scan_reads_availability_from_the_store(tmp_path):
    site = dead_link_site(tmp_path / "site")
    db = tmp_path / "history.sqlite"
    end = window_end(AS_OF)
    with Store(db) as s:  # 7 days × 24 probes, 12 failed (7.1 %), plus old failures outside the window
        s.add_probes([Probe("lishui", HOME, ok=i % 14 != 0, status=200 if i % 14 else 0, latency_ms=30,
                            at=end - dt.timedelta(hours=7 * 24) * (i + 0.5) / 168) for i in range(168)])
        s.add_probes([Probe("lishui", HOME, ok=False, at=end - dt.timedelta(days=9))] * 5)
    try:
        data = _scan(site, tmp_path / "out", db)
    finally:
        site.stop()
    avail = data["sites"][0]["availability"]
    assert (avail["probes"], avail["failures"], avail["days"]) == (168, 12, 7)
    assert data["sites"][0]["verdict"]["qualified"] is False
    assert any("无法访问" in v["item"] or v.get("rule") == "site-unreachable" for v in data["sites"][0]["verdict"]["vetoes"])
    html = (tmp_path / "out" / "report.html").read_text("utf-8")
    assert "近7日首页可用率" in html and "92.86%" in html and "探测 168 次，失败 12 次" in html


def test_history_keys_are_escaped_and_optional():
    """Fixed findings carry scanned text: escaped like everything else; reports without history still render."""
    report = sample_report()
    plain = render_html(report)
    assert "svg class=\"trend\"" not in plain and "已整改的问题" not in plain
    site = report["sites"][0]
    site["fixed"] = [{"rule": "spam-injection", "level": "error", "title": "暗链及违规内容", "message": HOSTILE_MESSAGE,
                      "url": "javascript:alert(1)", "fingerprint": "0123456789abcdef",
                      "first_seen": "2024-02-01T02:00:00+08:00", "fixed_at": "2024-03-01T02:00:00+08:00"}]
    site["changes"] = {"previous_run": "2024-02-01T02:00:00+08:00", "new": 0, "open": len(site["findings"]), "fixed": 1}
    site["availability"] = {"probes": 300, "failures": 3, "ratio": 0.01, "days": 7}
    for f in site["findings"]:
        f.update(status="open", first_seen="2024-02-01T02:00:00+08:00")
    point = {"run": 1, "started_at": "x", "as_of": "2024-02-01", "score": 70, "qualified": True, "findings": 3,
             "availability": 0.99}
    report["history"] = {"run": 2, "sites": {site["id"]: [point, dict(point, run=2, as_of="2024-03-01", score=55,
                                                                        qualified=False)]}}
    validate(report)
    html = render_html(report)
    assert HOSTILE_SCRIPT not in html and "&lt;script&gt;" in html
    tree = LexborHTMLParser(html)
    assert not [a for a in tree.css(".fixed-list a") if "javascript" in a.attributes.get("href", "")]
    assert len(tree.css("script")) == 1
    assert "99.00%" in tree.body.text() and "可用率" in [th.text() for th in tree.css("#overview-table thead th")]
    assert len(tree.css("svg.trend polyline")) == 2  # score and availability
    broken = copy.deepcopy(report)
    broken["sites"][0]["findings"][0]["status"] = "maybe"
    with pytest.raises(Exception):
        validate(broken)


def test_diff_only_trusts_what_the_new_run_checked():
    old = sample_report()
    new = copy.deepcopy(old)
    first = new["sites"][0]
    gone = first["findings"].pop(0)
    new["run"]["options"] = {"skip": [gone["rule"]]}
    result = diff_reports(old, new)
    assert [f["fingerprint"] for f in result.sites[0].unverified] == [gone["fingerprint"]]
    assert result.sites[0].fixed == []
    new["run"]["options"] = {}
    first["complete"] = False
    assert [f["fingerprint"] for f in diff_reports(old, new).sites[0].unverified] == [gone["fingerprint"]]
    first["complete"] = True
    assert [f["fingerprint"] for f in diff_reports(old, new).sites[0].fixed] == [gone["fingerprint"]]
    dropped = copy.deepcopy(new)
    removed = dropped["sites"].pop()
    result = diff_reports(old, dropped)
    assert result.only_in_old == [removed["id"]]
