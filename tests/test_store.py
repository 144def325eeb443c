"""The history store: schema and migrations, runs and findings by fingerprint, probes and the
7-day availability ratio, several processes writing at once."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from govscan import store as store_mod
from govscan.cli import main
from govscan.config import load
from govscan.facts import SiteFacts
from govscan.model import Finding, SiteInfo, fingerprint
from govscan.report import CrawlStats, Report, SiteResult, Verdict
from govscan.reports import validate
from govscan.scoring import score
from govscan.store import Probe, Store, StoreError, window_end
from history_site import AS_OF, dead_link_site

ROOT = Path(__file__).resolve().parent.parent
UTC = dt.timezone.utc


def finding(site: str, rule: str, url: str, level: str = "error") -> Finding:
    return Finding(url=url, rule=rule, fingerprint=fingerprint(rule, site, url), level=level, title=rule,
                   message=f"{rule} 于 {url}")


def report(sites: dict[str, list[tuple[str, str]]], started: str, *, complete: bool = True,
           options: dict | None = None, unreachable: bool = False) -> dict:
    results = []
    for site_id, items in sites.items():
        found = [finding(site_id, rule, url) for rule, url in items]
        if unreachable:
            found.append(finding(site_id, "site-unreachable", f"http://{site_id}.gov.cn/"))
        results.append(SiteResult(id=site_id, name=f"{site_id}人民政府", url=f"http://{site_id}.gov.cn/",
                                  kind="portal", owner="", crawl=CrawlStats(pages=3, links_checked=9),
                                  verdict=Verdict(qualified=not found, score=100.0 - len(found)),
                                  findings=found, complete=complete))
    data = Report(sites=results, started_at=started, finished_at=started, as_of="2026-11-20",
                  complete=complete, options=options or {}).to_dict()
    validate(data)
    return data


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "h" / "history.sqlite"


# -- schema --------------------------------------------------------------------------------

def test_created_in_wal_mode_with_schema_version(db):
    with Store(db) as s:
        assert s.version == store_mod.SCHEMA_VERSION
        assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in s.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"schema_version", "runs", "site_runs", "findings", "run_findings", "probes"} <= tables
    with Store(db) as again:  # reopening neither fails nor migrates twice
        assert again.conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == store_mod.SCHEMA_VERSION


def test_migrations_upgrade_an_older_store(db, monkeypatch):
    Store(db).close()
    extra = "ALTER TABLE probes ADD COLUMN note TEXT; CREATE INDEX probes_ok ON probes(ok)"
    monkeypatch.setattr(store_mod, "MIGRATIONS", store_mod.MIGRATIONS + (extra,))
    monkeypatch.setattr(store_mod, "SCHEMA_VERSION", store_mod.SCHEMA_VERSION + 1)
    with Store(db) as s:
        assert s.version == store_mod.SCHEMA_VERSION
        columns = {r[1] for r in s.conn.execute("PRAGMA table_info(probes)")}
        assert "note" in columns


def test_a_newer_store_is_refused(db):
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO schema_version VALUES (99, 'x')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="99"):
        Store(db)
    with pytest.raises(StoreError, match="99"):
        Store(db, readonly=True)


def test_unwritable_store_is_a_store_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="无法打开历史库"):
        Store(blocker / "history.sqlite")
    with pytest.raises(StoreError, match="不存在"):
        Store(tmp_path / "missing.sqlite", readonly=True)


# -- runs and findings ---------------------------------------------------------------------------

def test_first_seen_new_open_fixed_and_reopened(db):
    a, b, c = ("dead-link", "http://x.gov.cn/a"), ("dead-link", "http://x.gov.cn/b"), ("missing-icp", "http://x.gov.cn/")
    with Store(db) as s:
        r1 = s.record_run(report({"x": [a, b]}, "2026-11-01T02:00:00+08:00"))
        rec = r1.sites["x"]
        assert rec.previous_run is None and len(rec.new) == 2 and rec.fixed == []
        r2 = s.record_run(report({"x": [b, c]}, "2026-11-02T02:00:00+08:00"))
        rec = r2.sites["x"]
        fp = {k: fingerprint(k[0], "x", k[1]) for k in (a, b, c)}
        assert rec.previous_run["started_at"] == "2026-11-01T02:00:00+08:00"
        assert rec.new == {fp[c]}
        assert [f["fingerprint"] for f in rec.fixed] == [fp[a]]
        assert rec.fixed[0]["first_seen"] == "2026-11-01T02:00:00+08:00"
        assert rec.first_seen[fp[b]] == "2026-11-01T02:00:00+08:00"
        assert {f["fingerprint"] for f in s.open_findings("x")} == {fp[b], fp[c]}
        # a fixed finding that comes back is new again, with a new first-seen time
        r3 = s.record_run(report({"x": [a, b, c]}, "2026-11-03T02:00:00+08:00"))
        assert r3.sites["x"].new == {fp[a]}
        assert r3.sites["x"].first_seen[fp[a]] == "2026-11-03T02:00:00+08:00"
        runs = s.site_runs("x")
        assert [(r["findings"], r["new"], r["fixed"]) for r in runs] == [(2, 0, 0), (2, 1, 1), (3, 1, 0)]
        assert s.conn.execute("SELECT COUNT(*) FROM run_findings").fetchone()[0] == 7


def test_blind_runs_fix_nothing(db):
    """An interrupted scan, an unreachable homepage or a rule left out do not make findings fixed."""
    a, b = ("dead-link", "http://x.gov.cn/a"), ("missing-icp", "http://x.gov.cn/")
    with Store(db) as s:
        s.record_run(report({"x": [a, b]}, "2026-11-01T02:00:00+08:00"))
        rec = s.record_run(report({"x": []}, "2026-11-02T02:00:00+08:00", complete=False)).sites["x"]
        assert rec.fixed == [] and len(rec.unverified) == 2
        rec = s.record_run(report({"x": []}, "2026-11-03T02:00:00+08:00", unreachable=True)).sites["x"]
        assert rec.fixed == [] and len(rec.unverified) == 2
        rec = s.record_run(report({"x": []}, "2026-11-04T02:00:00+08:00", options={"only": ["dead-link"]})).sites["x"]
        # site-unreachable (open since the run before) did not run either
        assert [f["rule"] for f in rec.fixed] == ["dead-link"] and len(rec.unverified) == 2
        assert sorted(f["rule"] for f in s.open_findings("x")) == ["missing-icp", "site-unreachable"]


# -- probes and availability -------------------------------------------------------------------

def _probes(site: str, end: dt.datetime, days: int, per_day: int, failures: int) -> list[Probe]:
    """``days`` × ``per_day`` probes spread evenly before ``end``; ``failures`` of them failed."""
    total = days * per_day
    step = dt.timedelta(days=days) / total
    fail_at = {round(i * total / failures) for i in range(failures)} if failures else set()
    return [Probe(site_id=site, url=f"http://{site}.gov.cn/", ok=i not in fail_at, status=0 if i in fail_at else 200,
                  error="timeout" if i in fail_at else None, latency_ms=120, at=end - step * (i + 0.5))
            for i in range(total)]


def test_availability_window(db):
    end = dt.datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
    with Store(db) as s:
        s.add_probes(_probes("x", end, 7, 24, 3))
        s.add_probes([Probe("x", "u", ok=False, at=end - dt.timedelta(days=8)),   # too old
                      Probe("x", "u", ok=False, at=end + dt.timedelta(hours=1)),  # after the as-of time
                      Probe("y", "u", ok=False, at=end)])                          # another site
        got = s.availability("x", end)
        assert (got["probes"], got["failures"]) == (168, 3)
        assert got["ratio"] == pytest.approx(3 / 168, abs=1e-6)
        assert s.availability("nobody", end) is None
        days = s.probe_days("x", end, days=7)
        assert sum(d["probes"] for d in days) == 168 and days[0]["latency_ms"] == 120


def test_window_ends_with_the_as_of_day_or_now():
    now = dt.datetime(2026, 11, 20, 9, 30).astimezone()
    assert window_end(dt.date(2026, 11, 20), now) == now
    assert window_end(dt.date(2026, 11, 18), now) == dt.datetime(2026, 11, 19).astimezone()


@pytest.mark.parametrize("failures, qualified", [(14, True), (21, False)])  # 4 % and 6 % of 350
def test_seven_days_of_probes_give_a_verdict(db, failures, qualified):
    cfg = load(None, ("http://www.x.gov.cn/",), None, AS_OF)
    end = window_end(AS_OF, dt.datetime(2026, 11, 20, 23, 0).astimezone())
    with Store(db) as s:
        s.add_probes(_probes("x", end, 7, 50, failures))
        availability = s.availability("x", end)
    assert availability["probes"] == 350 and availability["failures"] == failures
    facts = SiteFacts(site=SiteInfo(id="x", name="x", url="http://www.x.gov.cn/", host="www.x.gov.cn"))
    verdict = score([], facts, cfg.scoring, complete=True,
                    availability={k: availability[k] for k in ("probes", "failures", "ratio")})
    assert verdict.qualified is qualified
    vetoes = [v for v in verdict.vetoes if v.get("rule") == "site-unreachable" or "无法访问" in v["item"]]
    assert bool(vetoes) is not qualified


# -- several processes at once -----------------------------------------------------------------

WRITER = textwrap.dedent("""
    import sys
    from govscan.model import Finding, fingerprint
    from govscan.report import CrawlStats, Report, SiteResult, Verdict
    from govscan.store import Probe, Store
    db, kind, tag, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    for i in range(n):
        s = Store(db, busy_timeout_ms=5)   # tiny: make our own retry loop do the waiting
        if kind == "probe":
            s.add_probes([Probe(site_id=tag, url="http://" + tag + "/", ok=i % 7 != 0, status=200)])
        else:
            fs = [Finding(url=f"http://{tag}/{i}/{k}", rule="dead-link", fingerprint=fingerprint("dead-link", tag, f"{i}/{k}"),
                          level="error", title="t", message="m") for k in range(40)]
            site = SiteResult(id=tag, name=tag, url="http://" + tag + "/", kind="portal", owner="",
                              crawl=CrawlStats(), verdict=Verdict(False, 60.0), findings=fs)
            s.record_run(Report([site], f"2026-11-20T00:00:{i:02d}+00:00", "x", "2026-11-20", True).to_dict())
        s.close()
""")


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


def test_parallel_writers_lose_nothing(db):
    """Probe and scan writers in separate processes, racing from the very creation of the file."""
    jobs = [("probe", "p1", 150), ("probe", "p2", 150), ("scan", "s1", 20), ("scan", "s2", 20)]
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), kind, tag, str(n)], env=_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for kind, tag, n in jobs]
    outputs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0 and "locked" not in err, err
    with Store(db) as s:
        assert s.probe_count() == 300
        assert s.run_count() == 40
        assert s.conn.execute("SELECT COUNT(*) FROM run_findings").fetchone()[0] == 40 * 40
        assert s.conn.execute("SELECT COUNT(*) FROM findings").fetchone()[0] == 40 * 40
        assert s.conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == store_mod.SCHEMA_VERSION


PROBE_LOOP = textwrap.dedent("""
    import os, sys
    from govscan.config import load
    from govscan.probe import probe_sites
    from govscan.store import Store
    db, sites, stop = sys.argv[1], sys.argv[2], sys.argv[3]
    cfg = load(sites, (), None, None)
    n = 0
    while n < 5 or not os.path.exists(stop):   # as cron would: open, probe, record, close
        with Store(db) as s:
            probe_sites(cfg, s, timeout=5)
        n += 1
    print(n)
""")


def test_cron_probe_and_scan_at_the_same_time(tmp_path):
    """The acceptance case: probes keep writing to the store for as long as `govscan scan --db` runs."""
    site = dead_link_site(tmp_path / "site", pages=8)
    db = tmp_path / "db" / "history.sqlite"
    stop = tmp_path / "stop"
    try:
        probes = subprocess.Popen([sys.executable, "-c", PROBE_LOOP, str(db), str(site.sites_file), str(stop)],
                                  env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        scan = subprocess.run([sys.executable, "-m", "govscan", "scan", "--sites", str(site.sites_file),
                               "--db", str(db), "--out", str(tmp_path / "out"), "--as-of", AS_OF.isoformat(),
                               "--fail-on", "never", "-q"], env=_env(), cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)
        stop.write_text("")
        out, err = probes.communicate(timeout=120)
    finally:
        site.stop()
    assert scan.returncode == 0 and "locked" not in scan.stderr, scan.stderr
    assert probes.returncode == 0 and "locked" not in err, err
    data = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    validate(data)
    with Store(db) as s:
        assert s.probe_count() == int(out)
        assert s.run_count() == 1
        recorded = s.conn.execute("SELECT COUNT(*) FROM run_findings").fetchone()[0]
    assert recorded == len(data["sites"][0]["findings"]) > 0


# -- govscan history ---------------------------------------------------------------------------

def test_history_command(db):
    end = dt.datetime.now(UTC)
    with Store(db) as s:
        s.record_run(report({"x": [("dead-link", "http://x.gov.cn/a")]}, "2026-11-01T02:00:00+08:00"))
        s.record_run(report({"x": []}, "2026-11-02T02:00:00+08:00"))
        s.add_probes(_probes("x", end, 2, 10, 1))
    runner = CliRunner()
    result = runner.invoke(main, ["history", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "历次检查" in result.output and "近7日可用性" in result.output and "95.00%" in result.output
    result = runner.invoke(main, ["history", "--db", str(db), "--site", "x", "--json"])
    data = json.loads(result.output)
    [site] = data["sites"]
    assert [r["fixed"] for r in site["runs"]] == [0, 1]
    assert site["availability_7d"]["probes"] == 20 and sum(d["probes"] for d in site["probe_days"]) == 20
    assert runner.invoke(main, ["history", "--db", str(db), "--site", "nobody"]).exit_code == 2
    missing = runner.invoke(main, ["history", "--db", str(db.parent / "none.sqlite")])
    assert missing.exit_code == 2 and "不存在" in missing.output


def test_a_store_failing_after_the_scan_still_writes_the_reports(tmp_path, monkeypatch):
    site = dead_link_site(tmp_path / "site", pages=1)

    def broken(self, *args, **kwargs):
        raise StoreError(f"{self.path}: 写入历史库失败（disk I/O error）")

    monkeypatch.setattr(Store, "record_run", broken)
    try:
        result = CliRunner().invoke(main, ["scan", "--sites", str(site.sites_file), "--db", str(tmp_path / "h.sqlite"),
                                           "--out", str(tmp_path / "out"), "--no-progress", "-q", "--fail-on", "never"])
    finally:
        site.stop()
    assert result.exit_code == 3 and "写入历史库失败" in result.output
    validate(json.loads((tmp_path / "out" / "report.json").read_text("utf-8")))
