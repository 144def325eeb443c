"""Page analysis in worker processes: the same report as in-process, and nothing lost when a
worker dies or the run is interrupted."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import socket
import struct

import httpx
import pytest

from govscan.analyze import (AnalysisWorkerError, LocalAnalyzer, PageJob, ProcessAnalyzer, _Slot, default_processes,
                             make_analyzer)
from govscan.config import load
from govscan.demo import DEMO_AS_OF, connect_all_to, demo_config
from govscan.reports import validate
from govscan.run import RunOptions, run, run_async

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="worker processes are forked")

SPAM_HOME = ("<html><head><title>澳门新葡京_百家乐_真人视讯_测试县人民政府</title>"
             "<meta name='keywords' content='澳门新葡京,百家乐,真人视讯'></head>"
             "<body><a href='/a.html'>甲</a><a href='/b.html'>乙</a><img src='/logo.png'></body></html>")
PLAIN = "<html><head><title>{t}</title></head><body><p>{t}</p><a href='/'>首页</a></body></html>"


def _config(url: str = "http://www.ceshi.gov.cn/"):
    return load(None, (url,), None, dt.date(2026, 6, 30))


def _job(url: str, html: str, home: bool = False) -> PageJob:
    return PageJob(url=url, final_url=url, status=200, text=html, headers={}, content_type="text/html",
                   encoding="utf-8", depth=0 if home else 1, redirects=(), is_homepage=home)


def _comparable(report: dict) -> dict:
    return {s["id"]: {
        "findings": sorted((f["fingerprint"], f["level"], tuple(f["found_on"])) for f in s["findings"]),
        "errors": s["errors"], "verdict": s["verdict"], "pages": s["crawl"]["pages"],
        "links": s["crawl"]["links_checked"],
    } for s in report["sites"]}


def test_workers_give_the_same_report_as_one_process(fixture_server):
    config = demo_config(DEMO_AS_OF)
    options = RunOptions(connect_to=connect_all_to(fixture_server.port))
    here = run(config, options, jobs=0).to_dict()
    apart = run(config, options, jobs=2).to_dict()
    validate(apart)
    assert here["summary"]["pages"] > 100
    assert _comparable(apart) == _comparable(here)


def test_site_analysis_in_a_worker_matches_local():
    config = _config()
    site = config.sites[0]
    jobs = [_job(site.url, SPAM_HOME, home=True), _job(site.url + "a.html", PLAIN.format(t="甲"))]

    async def through(analyzer):
        await analyzer.begin(site, site.url)
        outcomes = [await analyzer.analyse(site, job) for job in jobs]
        return outcomes, await analyzer.finish(site)

    local = asyncio.run(through(LocalAnalyzer(config)))
    pool = ProcessAnalyzer(config, 1)
    try:
        apart = asyncio.run(through(pool))
        # its only site finished and no other can come: the worker ended once it had answered
        pool.slots[0].process.join(10)
        assert pool.slots[0].process.exitcode == 0
    finally:
        pool.close()
    assert apart[0] == local[0]
    assert [u for u, *_ in apart[0][0].links] == [site.url + "a.html", site.url + "b.html", site.url + "logo.png"]
    assert apart[0][0].title.startswith("澳门新葡京")
    assert {f.rule for f in apart[1].findings} == {f.rule for f in local[1].findings} >= {"spam-injection"}
    assert apart[1].facts == local[1].facts
    assert apart[1].errors == local[1].errors == []


def _in_worker(scenario):
    """``scenario(pool, site)`` against one worker process, bounded in time; the pool closed after."""
    config = _config()
    pool = ProcessAnalyzer(config, 1)
    try:
        return asyncio.run(asyncio.wait_for(scenario(pool, config.sites[0]), 30))
    finally:
        pool.close()


def test_a_dead_worker_costs_its_facts_not_the_run():
    async def scenario(pool, site):
        await pool.begin(site, site.url)
        first = await pool.analyse(site, _job(site.url, SPAM_HOME, home=True))
        os.kill(pool.pids[0], signal.SIGKILL)
        await asyncio.sleep(0.2)
        second = await pool.analyse(site, _job(site.url + "a.html", SPAM_HOME.replace("测试县", "甲")))
        return site, first, second, await pool.finish(site)

    site, first, second, result = _in_worker(scenario)
    assert first.links and second.links  # the second page was analysed here instead
    assert [e["rule"] for e in result.errors] == ["analysis"]
    assert "lost" in result.errors[0]["error"]
    # the spam finding of the page analysed after the worker died is kept
    assert [f.url for f in result.findings if f.rule == "spam-injection"] == [site.url + "a.html"]


def test_workers_ignore_ctrl_c_of_the_process_group():
    async def scenario(pool, site):
        await pool.begin(site, site.url)
        os.kill(pool.pids[0], signal.SIGINT)
        await asyncio.sleep(0.2)
        await pool.analyse(site, _job(site.url, SPAM_HOME, home=True))
        return await pool.finish(site)

    result = _in_worker(scenario)
    assert result.errors == []
    assert any(f.rule == "spam-injection" for f in result.findings)


def test_interrupted_run_keeps_what_the_worker_found():
    """The crawl is cancelled while a page hangs: the homepage's page finding, gathered in the
    worker, is still in the (incomplete) report."""
    config = _config()
    state = {}  # the hang's event, made in the run's loop

    async def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/":
            return httpx.Response(200, html=SPAM_HOME)
        if path == "/a.html":
            state["hanging"].set()
            await asyncio.sleep(60)
        return httpx.Response(200, html=PLAIN.format(t=path))

    pool = make_analyzer(config, processes=1)
    assert isinstance(pool, ProcessAnalyzer)

    async def scenario():
        state["hanging"] = asyncio.Event()
        task = asyncio.create_task(run_async(config, RunOptions(transport=httpx.MockTransport(handler)), pool))
        await asyncio.wait_for(state["hanging"].wait(), 20)
        task.cancel()
        return await asyncio.wait_for(task, 30)

    try:
        report = asyncio.run(scenario()).to_dict()
    finally:
        pool.close()
    validate(report)
    assert report["run"]["complete"] is False
    site = report["sites"][0]
    assert site["errors"] == []
    assert [f["url"] for f in site["findings"] if f["rule"] == "spam-injection"] == [config.sites[0].url]


def test_process_count():
    config = _config()
    assert default_processes(config) == min(1, (os.cpu_count() or 1) - 1)  # one site: one worker at most
    from dataclasses import replace

    assert default_processes(replace(config, crawl=replace(config.crawl, jobs=0))) == 0
    assert default_processes(replace(config, crawl=replace(config.crawl, jobs=3))) == 3
    assert isinstance(make_analyzer(config, processes=0), LocalAnalyzer)


def test_redirect_to_a_page_still_in_analysis_gets_its_soft_404_text():
    """/old.html redirects to /new.html, which was fetched but is still being analysed when the
    redirect resolves: once analysed, both link results carry its title and text, so the
    dead-link rule sees the soft 404 behind each."""
    config = _config()
    state = {}
    home = "<html><head><title>首页</title></head><body><a href='/new.html'>新</a><a href='/old.html'>旧</a></body></html>"

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/":
            return httpx.Response(200, html=home)
        if request.url.path == "/old.html":
            await state["new_fetched"].wait()
            state["old_served"].set()
            return httpx.Response(301, headers={"location": "/new.html"})
        if request.url.path == "/new.html":
            return httpx.Response(200, html="<html><head><title>提示</title></head><body>您访问的页面不存在</body></html>")
        return httpx.Response(404)

    class Held(LocalAnalyzer):
        async def analyse(self, site, job):
            if job.url.endswith("/new.html"):
                state["new_fetched"].set()
                await state["old_served"].wait()
                await asyncio.sleep(0.05)  # /old.html's redirect reuses /new.html's answer meanwhile
            return await super().analyse(site, job)

    async def scenario():
        state.update(new_fetched=asyncio.Event(), old_served=asyncio.Event())
        return await asyncio.wait_for(run_async(config, RunOptions(transport=httpx.MockTransport(handler)),
                                                Held(config)), 30)

    report = asyncio.run(scenario()).to_dict()
    validate(report)
    dead = {f["url"]: f["evidence"] for f in report["sites"][0]["findings"] if f["rule"] == "dead-link"}
    base = config.sites[0].url
    assert set(dead) == {base + "new.html", base + "old.html"}
    assert all(e["soft_404"] for e in dead.values())
    assert dead[base + "old.html"]["redirects"] == [base + "old.html"]


def test_an_unreadable_answer_fails_the_worker_not_the_loop():
    """Bytes that do not unpickle: the operations waiting on that worker fail with an
    AnalysisWorkerError (the crawler then analyses here) instead of the loop's reader raising."""
    ours, theirs = socket.socketpair()

    class Process:  # stands in for the forked worker: the test writes its answers
        pid, exitcode = 0, None

        def join(self, timeout=None):
            return None

    slot = _Slot(Process(), ours)

    async def scenario():
        answer = asyncio.ensure_future(slot.submit("page", "site", "job"))
        await asyncio.sleep(0.05)
        assert theirs.recv(65536)  # the request arrived
        theirs.sendall(struct.pack("!I", 3) + b"abc")
        with pytest.raises(AnalysisWorkerError, match="unreadable answer"):
            await asyncio.wait_for(answer, 5)

    try:
        asyncio.run(scenario())
        assert slot.broken and "unreadable" in slot.broken
    finally:
        slot.close()
        theirs.close()


def test_a_run_tunes_the_collector_and_restores_it(monkeypatch):
    """During a run what was alive at its start is frozen out of garbage collection and young
    collections are rarer (workers are forked inside that); afterwards both are as before."""
    import gc

    import govscan.run as run_module

    seen = {}
    real_run = run_module.aio.run

    def watching(coro):
        seen.update(threshold=gc.get_threshold(), frozen=gc.get_freeze_count())
        return real_run(coro)

    monkeypatch.setattr(run_module.aio, "run", watching)
    before = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    transport = httpx.MockTransport(lambda request: httpx.Response(200, html=PLAIN.format(t="测试")))
    run(_config(), RunOptions(transport=transport), jobs=1)
    assert seen["threshold"][0] == run_module.GC_YOUNG_THRESHOLD > before[0]
    assert seen["frozen"] > 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_a_worker_pool_leaves_a_callers_freeze_alone():
    import gc

    config = _config()
    gc.freeze()
    try:
        ProcessAnalyzer(config, 1).close()
        assert gc.get_freeze_count() > 0  # still frozen: the caller unfreezes
    finally:
        gc.unfreeze()
    ProcessAnalyzer(config, 1).close()
    assert gc.get_freeze_count() == 0  # frozen only for the fork


def test_the_warm_up_page_analyses_cleanly():
    """A worker analyses a made-up page before its first real one, to build what every first
    analysis builds; an error there is swallowed, so it is checked here that there is none."""
    from govscan.analyze import _WARM_UP_PAGE, SiteAnalysis, _warm_up

    config = _config()
    site = config.sites[0]
    analysis = SiteAnalysis(site, config)
    analysis.begin(site.url)
    for url, depth in ((site.url, 0), ("http://www.ceshi.gov.cn/tzgg/202601/t20260102_1.html", 2)):
        outcome = analysis.analyse(PageJob(url=url, final_url=url, status=200, text=_WARM_UP_PAGE, headers={},
                                           content_type="text/html; charset=utf-8", encoding="", depth=depth,
                                           redirects=(), is_homepage=depth == 0))
        assert outcome.title == "首页_示例县人民政府" and len(outcome.links) >= 8
    assert analysis.finish().errors == []
    _warm_up(config, frozenset(), frozenset())  # and as the worker calls it


def test_unpickling_messages_pauses_the_collector_and_leaves_it_as_found():
    import gc
    import pickle

    from govscan.analyze import _HEADER, _messages

    body = pickle.dumps([("page", "s", {"k": [1, 2]})])
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            buffer = bytearray(_HEADER.pack(len(body)) + body) * 2
            assert list(_messages(buffer)) == [[("page", "s", {"k": [1, 2]})]] * 2 and not buffer
            assert gc.isenabled() is enabled
    finally:
        gc.enable()
