"""`govscan scan --recheck` (复核): only the previous run's open findings are checked again."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from govscan.cli import main
from govscan.config import load
from govscan.recheck import (NOTE_NAVIGATION, NOTE_NEEDS_CRAWL, NOTE_PAGE_FAILED, previous_from_report,
                             previous_from_store, recheck)
from govscan.reports import validate
from govscan.run import RunOptions, run
from govscan.store import Store
from history_site import AS_OF, HOME, Counting, dead_link_site, fix_one_break_another, page

GONE1, GONE2, GONE3 = (HOME + f"gone{i}.html" for i in (1, 2, 3))


def _invoke(*args: str) -> dict | None:
    result = CliRunner().invoke(main, ["scan", "--as-of", AS_OF.isoformat(), "--no-progress", "-q",
                                       "--fail-on", "never", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def _report(out) -> dict:
    data = json.loads((out / "report.json").read_text("utf-8"))
    validate(data)
    return data


@pytest.fixture
def dead_links(tmp_path):
    site = dead_link_site(tmp_path / "site")
    yield site
    site.stop()


def test_recheck_requests_only_the_failing_urls_and_confirms_the_fix(dead_links, tmp_path):
    site, db = dead_links, tmp_path / "history.sqlite"
    _invoke("--sites", str(site.sites_file), "--db", str(db), "--only", "dead-link", "--out", str(tmp_path / "r1"))
    first = _report(tmp_path / "r1")
    assert {f["url"] for f in first["sites"][0]["findings"]} == {GONE1, GONE2}
    fix_one_break_another(site)

    cfg = load(str(site.sites_file), (), None, AS_OF)
    with Store(db) as store:
        previous = previous_from_store(store, [s.id for s in cfg.sites])
    counting = Counting()
    data, outcomes = recheck(cfg, previous, RunOptions(transport=counting))
    validate(data)
    # the two previously failing URLs, once each (robots.txt is the only other request)
    assert counting.paths() - {"/robots.txt"} == {"/gone1.html", "/gone2.html"}
    assert sum(n for (_m, _h, path), n in counting.seen.items() if path != "/robots.txt") == 2
    [result] = data["sites"]
    assert [f["url"] for f in result["fixed"]] == [GONE1]
    assert [(f["url"], f["recheck"]["result"]) for f in result["findings"]] == [(GONE2, "confirmed")]
    assert result["recheck"] == {"previous": 2, "confirmed": 1, "fixed": 1, "not_rechecked": 0}
    assert list(outcomes["lishui"].fixed) == [f["fingerprint"] for f in result["fixed"]]

    # the same through the command line: recorded in the store, a fuller scan then finds gone3 new
    _invoke("--sites", str(site.sites_file), "--db", str(db), "--recheck", "--out", str(tmp_path / "r2"))
    rechecked = _report(tmp_path / "r2")["sites"][0]
    assert [f["url"] for f in rechecked["fixed"]] == [GONE1]
    assert rechecked["changes"]["fixed"] == 1
    with Store(db) as store:
        assert [f["url"] for f in store.open_findings("lishui")] == [GONE2]
        assert [r["kind"] for r in store.site_runs("lishui")] == ["scan", "recheck"]
    _invoke("--sites", str(site.sites_file), "--db", str(db), "--only", "dead-link", "--out", str(tmp_path / "r3"))
    third = _report(tmp_path / "r3")["sites"][0]
    assert {f["url"]: f["status"] for f in third["findings"]} == {GONE2: "open", GONE3: "new"}
    html = (tmp_path / "r2" / "report.html").read_text("utf-8")
    assert "本报告为复核结果" in html and "复核仍存在" in html and "已整改的问题（1）" in html


FOOTER = ('<meta name="SiteName" content="丽水示范市人民政府"><meta name="SiteDomain" content="www.lishui-demo.gov.cn">'
          '<meta name="SiteIDCode" content="3311000001"></head>')


def test_recheck_page_and_homepage_rules_and_what_it_cannot_check(dead_links, tmp_path):
    site = dead_links
    cfg = load(str(site.sites_file), (), None, AS_OF)
    full = Counting()
    first = run(cfg, RunOptions(transport=full)).to_dict()
    rules = {f["rule"] for f in first["sites"][0]["findings"]}
    assert {"missing-icp", "missing-site-code", "missing-page-tags", "homepage-stale", "dead-link"} <= rules
    # a finding only a full crawl can judge, and one on a page that is gone now
    findings = first["sites"][0]["findings"]
    findings.append(dict(findings[0], rule="column-stale", title="栏目不更新", url=HOME + "col/tzgg/",
                         fingerprint="00000000000000c1", found_on=[], evidence={"column": "通知公告"}))
    findings.append(dict(findings[0], rule="missing-page-tags", title="页面标签缺失", url=HOME + "removed.html",
                         fingerprint="00000000000000c2", found_on=[], evidence={}))
    previous_file = tmp_path / "previous.json"
    previous_file.write_text(json.dumps(first, ensure_ascii=False), "utf-8")

    html = (site.dir / "index.html").read_text("utf-8")
    site.write("index.html", html.replace("</head>", FOOTER).replace("</body>", "<p>浙ICP备12345678号</p></body>"))
    counting = Counting()
    data, _ = recheck(cfg, previous_from_report(str(previous_file)), RunOptions(transport=counting))
    validate(data)
    [result] = data["sites"]
    fixed = {f["rule"] for f in result["fixed"]}
    assert {"missing-icp", "missing-site-code", "missing-page-tags"} <= fixed
    assert {f["url"] for f in result["fixed"] if f["rule"] == "dead-link"} == set()
    outcome = {f["fingerprint"]: f["recheck"] for f in result["findings"]}
    assert outcome["00000000000000c1"] == {"result": "not-rechecked", "note": NOTE_NEEDS_CRAWL}
    assert outcome["00000000000000c2"] == {"result": "not-rechecked", "note": NOTE_PAGE_FAILED}
    stale = next(f for f in result["findings"] if f["rule"] == "homepage-stale")
    assert stale["recheck"] == {"result": "not-rechecked", "note": NOTE_NAVIGATION}
    assert all(f["recheck"]["result"] == "confirmed" for f in result["findings"] if f["rule"] == "dead-link")
    # nothing but the homepage, the pages and links of previous findings, the https twin, robots.txt
    assert not {p for p in counting.paths() if p.startswith("/p")}
    assert sum(counting.seen.values()) < sum(full.seen.values()) / 2


def test_recheck_from_a_previous_json_without_sites_or_store(dead_links, tmp_path):
    site = dead_links
    _invoke("--sites", str(site.sites_file), "--only", "dead-link", "--out", str(tmp_path / "r1"))
    site.write("gone2.html", page("旧文件", "已恢复"))
    _invoke("--recheck", str(tmp_path / "r1" / "report.json"), "--connect-to", f"::127.0.0.1:{site.port}",
            "--out", str(tmp_path / "r2"), "--format", "json")
    data = _report(tmp_path / "r2")
    [result] = data["sites"]
    assert result["id"] == "lishui" and result["name"] == "丽水示范市人民政府"
    assert [f["url"] for f in result["fixed"]] == [GONE2]
    assert [f["url"] for f in result["findings"]] == [GONE1]
    assert data["run"]["options"]["recheck"].endswith("report.json")


def test_recheck_usage_errors(dead_links, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["scan", "--sites", str(dead_links.sites_file), "--recheck", "--out", "o"])
    assert result.exit_code == 2 and "--recheck" in result.output
    result = runner.invoke(main, ["scan", "--sites", str(dead_links.sites_file), "--recheck", "missing.json"])
    assert result.exit_code == 2 and "missing.json" in result.output
    empty = runner.invoke(main, ["scan", "--sites", str(dead_links.sites_file), "--db", "h.sqlite", "--recheck"])
    assert empty.exit_code == 2 and "没有这些站点的检查记录" in empty.output


def test_recheck_is_much_cheaper_than_a_full_scan(tmp_path):
    site = dead_link_site(tmp_path / "site", pages=60)
    try:
        cfg = load(str(site.sites_file), (), None, AS_OF)
        full = Counting()
        started = time.monotonic()
        first = run(cfg, RunOptions(transport=full, only=frozenset({"dead-link"}))).to_dict()
        full_s = time.monotonic() - started
        quick = Counting()
        started = time.monotonic()
        data, _ = recheck(cfg, previous_from_report_dict(first), RunOptions(transport=quick))
        recheck_s = time.monotonic() - started
    finally:
        site.stop()
    assert len(data["sites"][0]["findings"]) == 2
    assert sum(quick.seen.values()) <= 3 < 60 < sum(full.seen.values())
    assert recheck_s < full_s


def previous_from_report_dict(data: dict):
    from govscan.recheck import Previous

    return Previous(source="memory", run=data["run"],
                    sites={s["id"]: s["findings"] for s in data["sites"]})
