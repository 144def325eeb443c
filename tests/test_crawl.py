"""Crawl behaviour over httpx.MockTransport: scope, caps, link sources, robots, sharing."""

import datetime as dt
from collections import Counter

import httpx
import pytest

from govscan import config
from govscan.run import RunOptions, run

AS_OF = dt.date(2026, 11, 20)

HOME_A = """<html><head><title>甲市</title><link rel="stylesheet" href="/s.css"><link rel="dns-prefetch" href="//cdn.x.com">
<script src="/app.js"></script></head><body>
<a href="/p1.html">一</a> <a href="p2.html#frag">二</a> <a href="mailto:x@a.gov.cn">信</a> <a href="javascript:void(0)">空</a>
<img src="/logo.png" srcset="/logo@2x.png 2x, /logo@3x.png 3x"><iframe src="/frame.html"></iframe>
<map><area href="/area.html"></map><video><source src="/v.mp4"></video>
<a href="http://www.shared.gov.cn/">共享外链</a> <a href="http://b.gov.cn/news.html">乙站新闻</a>
<a href="/private/secret.html">内部</a> <a href="/files/plan.pdf">附件</a></body></html>"""
PAGES_A = {
    "/": HOME_A,
    "/p1.html": '<a href="/deep/1.html">深</a>',
    "/p2.html": "<title>二</title>",
    "/deep/1.html": '<a href="/deep/2.html">更深</a>',
    "/deep/2.html": '<a href="/deep/3.html">最深</a>',
    "/deep/3.html": "bottom",
    "/frame.html": "frame", "/area.html": "area",
}
PAGES_B = {"/": '<a href="/news.html">新闻</a><a href="http://www.shared.gov.cn/">共享外链</a>', "/news.html": "news"}


def make_handler(calls: Counter):
    def handler(request):
        calls[(request.method, str(request.url))] += 1
        host, path = request.url.host, request.url.path
        if path == "/robots.txt":
            return httpx.Response(200, text="User-agent: *\nDisallow: /private/\n") if host == "a.gov.cn" else httpx.Response(404)
        if host == "www.shared.gov.cn":
            return httpx.Response(200, html="<title>共享</title>")
        pages = {"a.gov.cn": PAGES_A, "b.gov.cn": PAGES_B}.get(host, {})
        if path in pages:
            return httpx.Response(200, html=f"<html><body>{pages[path]}</body></html>")
        if path in ("/s.css", "/app.js", "/logo.png", "/logo@2x.png", "/v.mp4", "/files/plan.pdf"):
            return httpx.Response(200, content=b"x")
        return httpx.Response(404)
    return handler


def scan(tmp_path, urls, **kw):
    calls: Counter = Counter()
    cfg = config.load(None, tuple(urls), as_of=AS_OF, crawl_overrides=kw)
    report = run(cfg, RunOptions(transport=httpx.MockTransport(make_handler(calls)))).to_dict()
    return report, calls


def site(report, site_id):
    return next(s for s in report["sites"] if s["id"] == site_id)


def test_links_from_every_element_kind_and_one_finding_per_target(tmp_path):
    report, _ = scan(tmp_path, ["http://a.gov.cn/"])
    a = site(report, "a")
    dead = {f["url"]: f for f in a["findings"] if f["rule"] == "dead-link"}
    assert set(dead) == {"http://a.gov.cn/logo@3x.png"}
    assert dead["http://a.gov.cn/logo@3x.png"]["evidence"]["element"] == ["img[srcset]"]
    assert dead["http://a.gov.cn/logo@3x.png"]["evidence"]["on_homepage"] is True
    # mailto/javascript skipped; dns-prefetch not a resource; robots-disallowed page skipped
    assert {"url": "http://a.gov.cn/private/secret.html", "reason": "robots"} in a["crawl"]["skipped"]
    assert a["crawl"]["pages"] == 8


def test_depth_and_page_caps(tmp_path):
    report, calls = scan(tmp_path, ["http://a.gov.cn/"], max_depth=2)
    a = site(report, "a")
    assert ("GET", "http://a.gov.cn/deep/2.html") not in calls or calls[("GET", "http://a.gov.cn/deep/2.html")] == 1
    assert a["crawl"]["pages"] == 6  # home, p1, p2, frame, area, deep/1; deep/2 only checked as a link
    report, _ = scan(tmp_path, ["http://a.gov.cn/"], max_pages=3)
    a = site(report, "a")
    assert a["crawl"]["pages"] == 3 and a["crawl"]["truncated"] is True


def test_shared_links_requested_once_per_run_across_sites(tmp_path):
    report, calls = scan(tmp_path, ["http://a.gov.cn/", "http://b.gov.cn/"])
    assert calls[("GET", "http://www.shared.gov.cn/")] == 1
    # a links b's news page; b crawls it: one request serves both
    assert calls[("GET", "http://b.gov.cn/news.html")] == 1
    assert sum(calls.values()) == len(calls)  # nothing requested twice
    assert not [f for s in report["sites"] for f in s["findings"] if f["rule"] == "dead-link"
                and f["url"] != "http://a.gov.cn/logo@3x.png"]


def test_unreachable_and_non_gov_sites(tmp_path):
    report, _ = scan(tmp_path, ["http://gone.gov.cn/", "http://www.county.com/"])
    gone = site(report, "gone")
    assert [f["rule"] for f in gone["findings"]] == ["site-unreachable"]
    assert gone["verdict"]["qualified"] is False and gone["verdict"]["vetoes"][0]["rule"] == "site-unreachable"
    county = site(report, "county-com")
    assert {f["rule"] for f in county["findings"]} == {"site-unreachable", "non-gov-domain"}


def test_fingerprints_stable_across_runs(tmp_path):
    first, _ = scan(tmp_path, ["http://a.gov.cn/"])
    second, _ = scan(tmp_path, ["http://a.gov.cn/"])
    fps = lambda r: sorted(f["fingerprint"] for s in r["sites"] for f in s["findings"])
    assert fps(first) == fps(second) and fps(first)


def test_same_fingerprint_from_several_pages_is_one_finding_listing_all_pages():
    from govscan.crawl import merge_duplicates
    from govscan.model import Finding

    a = Finding(url="http://a.gov.cn/guohui.png", rule="emblem-usage", fingerprint="f1", level="info",
                title="t", message="m", found_on=("http://a.gov.cn/",))
    b = Finding(url="http://a.gov.cn/guohui.png", rule="emblem-usage", fingerprint="f1", level="info",
                title="t", message="m", found_on=("http://a.gov.cn/x.html",))
    merged = merge_duplicates([a, b])
    assert len(merged) == 1 and merged[0].found_on == ("http://a.gov.cn/", "http://a.gov.cn/x.html")


def test_a_crashing_check_becomes_an_internal_error_and_the_scan_goes_on(tmp_path, monkeypatch):
    from govscan.rules import registry

    rule = registry()["non-gov-domain"]

    def broken(facts, options, ctx):
        raise RuntimeError("boom")
        yield  # pragma: no cover

    import dataclasses as dc
    from govscan import rules as rules_mod
    monkeypatch.setitem(rules_mod._REGISTRY, "non-gov-domain", dc.replace(rule, check=broken))
    report, _ = scan(tmp_path, ["http://a.gov.cn/"])
    a = site(report, "a")
    assert a["errors"] and a["errors"][0]["rule"] == "non-gov-domain" and "boom" in a["errors"][0]["error"]
    assert any(f["rule"] == "dead-link" for f in a["findings"])  # other rules still ran
    assert report["run"]["complete"] is True


@pytest.mark.parametrize("url", [
    "http://a.gov.cn/x/y.PDF?q=1.html", "http://a.gov.cn", "http://a.gov.cn/", "http://a.gov.cn/a.b/c",
    "http://a.gov.cn/a/b.html", "https://a.gov.cn:8080/x.jpg", "http://a.gov.cn?x=1.pdf", "http://a.gov.cn/a.js#x",
    "http://a.gov.cn/a.tar.GZ", "http://a.gov.cn/.htaccess", "http://[::1]:8080/a.doc?x#y", "relative/a.png",
])
def test_extension_by_string_cuts_matches_urlsplit(url):
    from urllib.parse import urlsplit

    from govscan.crawl import _ext

    path = urlsplit(url).path.lower()
    dot = path.rfind(".")
    assert _ext(url) == (path[dot:] if dot > path.rfind("/") else "")


def test_page_analysis_merges_where_it_was_due_whatever_the_link_phase_recorded():
    """The link phase runs while the worker sends the site's facts: the analysis's findings and
    errors still come before the link phase's, as when the two ran one after the other."""
    from govscan.analyze import AnalysisResult
    from govscan.crawl import new_state
    from govscan.facts import SiteFacts
    from govscan.model import Finding

    cfg = config.load(None, ("http://www.ceshi.gov.cn/",), None, dt.date(2026, 6, 30))
    state = new_state(cfg.sites[0], cfg)

    def finding(rule: str) -> Finding:
        return Finding(url="http://www.ceshi.gov.cn/", rule=rule, fingerprint=rule, level="error",
                       title=rule, message=rule)

    state.engine.errors.append({"rule": "analysis", "url": "u", "error": "during the crawl"})
    at = (len(state.engine.findings), len(state.engine.errors))
    state.engine.findings.append(finding("dead-link"))
    state.engine.errors.append({"rule": "dead-link", "url": "u", "error": "link phase"})
    facts = SiteFacts(site=state.facts.site, pages=7)
    state.absorb(AnalysisResult(facts=facts, findings=[finding("spam-injection")],
                                errors=[{"rule": "extract", "url": "u", "error": "worker"}]), at)
    assert [f.rule for f in state.engine.findings] == ["spam-injection", "dead-link"]
    assert [e["error"] for e in state.engine.errors] == ["during the crawl", "worker", "link phase"]
    assert state.facts is facts and state.facts.pages == 0  # the crawl's own fields stay
