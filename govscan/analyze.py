"""Page analysis: page rules, extractors and link extraction, in this process or in workers.

Analysing a page is CPU work (parse, rules, extractors: about a millisecond a page) that would
otherwise share one core with the event loop doing the HTTP. The crawler hands each fetched
page to an analyzer as a picklable :class:`PageJob` and gets back a small :class:`PageOutcome`:
the links to follow and check, extra URLs for the frontier, and the title and text the dead-link
rule may judge. Page findings and SiteFacts stay with the site's :class:`SiteAnalysis` until
``finish``, when the crawler merges them into the site's state.

- :class:`LocalAnalyzer` runs SiteAnalysis in the crawler's process (tests, library calls from a
  running loop, one-core machines, ``--jobs 0``).
- :class:`ProcessAnalyzer` forks worker processes before the event loop starts. Each site is
  pinned to one worker (its facts live there); a worker takes whatever pages are waiting in one
  batch, so the per-page cost of crossing processes stays small. A worker that dies costs its
  sites' facts gathered so far (an error entry says so); their remaining pages are analysed here.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import os
import pickle
import signal
import socket
import struct
import time
import warnings
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from govscan import extract
from govscan.charset import decode
from govscan.config import RunConfig, SiteConfig
from govscan.engine import Engine
from govscan.facts import SiteFacts
from govscan.model import Context, Finding
from govscan.page import Page
from govscan.urls import load_suffix_list, normalize

SNIPPET_CHARS = 2000  # of a page's visible text kept for the dead-link rule's soft-404 phrases
LINK_TEXT_CHARS = 80  # of a link's text kept where the link table records it


@dataclass(frozen=True)
class PageJob:
    """A fetched page as the crawler hands it over: the Page's own fields, no parsed state.
    ``text`` may be the undecoded body (bytes): then the analysis decodes it (charset, with
    ``content_type``'s declaration) and ``encoding`` is the one it found."""

    url: str
    final_url: str
    status: int
    text: str | bytes
    headers: Mapping[str, str]
    content_type: str
    encoding: str
    depth: int
    redirects: tuple[str, ...]
    is_homepage: bool

    def page(self) -> Page:
        text, encoding = self.text, self.encoding
        if isinstance(text, bytes):
            text, encoding = decode(text, self.content_type)
        return Page(url=self.url, final_url=self.final_url, status=self.status, text=text,
                    headers=self.headers, content_type=self.content_type, encoding=encoding,
                    depth=self.depth, redirects=self.redirects, is_homepage=self.is_homepage)


@dataclass(frozen=True)
class PageOutcome:
    """What the crawler needs of an analysed page. Links are plain (url, tag, attr, text)
    tuples, the page's own first, then those its platform's scripts render; their text is cut
    to what the link table keeps."""

    links: tuple[tuple[str, str, str, str], ...] = ()
    extra: tuple[str, ...] = ()        # absolute URLs reached by other means (script pagination …)
    title: str | None = None           # HTML pages only
    snippet: str | None = None         # start of the visible text (HTML pages only)


@dataclass
class AnalysisResult:
    """A site's analysis at its end: facts the extractors gathered, page findings, errors."""

    facts: SiteFacts
    findings: list[Finding] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


class SiteAnalysis:
    """One site's page analysis: its page-rule engine and the SiteFacts its extractors fill."""

    def __init__(self, site: SiteConfig, config: RunConfig, only: frozenset[str] = frozenset(),
                 skip: frozenset[str] = frozenset()) -> None:
        context = Context(site=site.info(), as_of=config.as_of)
        self.engine = Engine(config.rules_for(site), context, only=only, skip=skip)
        self.facts = SiteFacts(site=context.site)

    def begin(self, final_url: str | None) -> None:
        """The homepage answered at ``final_url``: extractors judge same-site links by it."""
        self.facts.final_url = final_url

    def analyse(self, job: PageJob) -> PageOutcome:
        page = job.page()
        if "javascript" in page.content_type:
            rendered, _ = self._extract(page, with_extra=False)
            return PageOutcome(links=_plain(rendered))
        self.engine.run("page", page, page.url)
        rendered, extra = self._extract(page, with_extra=True)
        base = page.base_url
        absolute = tuple(u for u in (normalize(url, base) for url in extra) if u)
        return PageOutcome(links=_plain(page.links) + _plain(rendered), extra=absolute, title=page.title,
                           snippet=page.visible_text[:SNIPPET_CHARS])

    def _extract(self, page: Page, with_extra: bool) -> tuple[tuple, list[str]]:
        """Facts, script-rendered links and extra URLs; a failing extractor must not end the scan."""
        try:
            extract.collect(page, self.facts)
            return extract.rendered_links(page), extract.extra_links(page) if with_extra else []
        except Exception as exc:
            self.engine.errors.append({"rule": "extract", "url": page.url,
                                       "error": f"{type(exc).__name__}: {exc}"[:300]})
            return (), []

    def finish(self) -> AnalysisResult:
        return AnalysisResult(facts=self.facts, findings=self.engine.findings, errors=self.engine.errors)


def _plain(links) -> tuple[tuple[str, str, str, str], ...]:
    return tuple((link.url, link.tag, link.attr, link.text[:LINK_TEXT_CHARS]) for link in links)


# ------------------------------------------------------------------ in this process

class LocalAnalyzer:
    """SiteAnalysis in the crawler's own process (each call blocks the loop for its page)."""

    def __init__(self, config: RunConfig, only: frozenset[str] = frozenset(),
                 skip: frozenset[str] = frozenset()) -> None:
        self.config, self.only, self.skip = config, only, skip
        self.sites: dict[str, SiteAnalysis] = {}

    async def begin(self, site: SiteConfig, final_url: str | None) -> None:
        analysis = self.sites[site.id] = SiteAnalysis(site, self.config, self.only, self.skip)
        analysis.begin(final_url)

    async def analyse(self, site: SiteConfig, job: PageJob) -> PageOutcome:
        return self.sites[site.id].analyse(job)

    async def finish(self, site: SiteConfig) -> AnalysisResult:
        return self.sites.pop(site.id).finish()

    def site_ended(self, site: SiteConfig) -> None:
        """``site``'s scan is over (nothing to free here)."""

    def close(self) -> None:
        self.sites.clear()


# ------------------------------------------------------------------ in worker processes

# A worker process's sites (module state of the worker only: the parent never fills it).
_WORKER: dict[str, Any] = {}

_HEADER = struct.Struct("!I")  # each message: its length, then a pickled list
FLUSH_EVERY = 0.01  # seconds of analysis after which a worker sends back what it has


def _frame(items: list) -> tuple[bytes, bytes]:
    """A message as (header, body), sent one after the other: joined, a big site's facts
    would be copied once more at the moment its memory peaks."""
    body = pickle.dumps(items, pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(body)), body


def _messages(buffer: bytearray) -> Iterator[list]:
    """The complete messages at the start of ``buffer``, unpickled, each taken out as read."""
    while len(buffer) >= _HEADER.size:
        (size,) = _HEADER.unpack_from(buffer)
        if len(buffer) < _HEADER.size + size:
            return
        with memoryview(buffer) as view:
            items = _loads(view[_HEADER.size:_HEADER.size + size])
        del buffer[:_HEADER.size + size]
        yield items


def _loads(data: memoryview) -> list:
    """``pickle.loads`` without garbage collection meanwhile: a message is a tree of new objects
    (a site's facts at its end: ~100,000 on a 5,000-page site), and the collections their count
    set off, which traverse the process's whole heap, took longer than the unpickling itself
    (60 ms against 22 ms in the crawler)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(data)
    finally:
        if enabled:
            gc.enable()


def _run_op(op: str, site_id: str, arg: Any) -> tuple[bool, Any]:
    """One (op, site id, argument) in a worker; a failure is returned, not raised."""
    sites: dict[str, SiteAnalysis] = _WORKER["sites"]
    try:
        if op == "begin":
            config: RunConfig = _WORKER["config"]
            site = next(s for s in config.sites if s.id == site_id)
            analysis = sites[site_id] = SiteAnalysis(site, config, _WORKER["only"], _WORKER["skip"])
            analysis.begin(arg)
            return True, None
        if op == "page":
            return True, sites[site_id].analyse(arg)
        if op == "finish":
            result = sites.pop(site_id).finish()
            if arg and not sites:  # no site will come here again: end once this is sent
                _WORKER["retire"] = True
            return True, result
        return False, f"unknown operation {op!r}"
    except Exception as exc:  # noqa: BLE001  (reported back to the crawler as an error entry)
        return False, f"{type(exc).__name__}: {exc}"[:300]


def _answer(sock: socket.socket, results: list[tuple[bool, Any]]) -> None:
    try:
        header, body = _frame(results)
    except Exception:  # noqa: BLE001  one unpicklable result must not cost the others
        header, body = _frame([_picklable(r) for r in results])
    sock.sendall(header)
    sock.sendall(body)


def _picklable(result: tuple[bool, Any]) -> tuple[bool, Any]:
    try:
        pickle.dumps(result, pickle.HIGHEST_PROTOCOL)
        return result
    except Exception as exc:  # noqa: BLE001
        return False, f"result not transferable: {type(exc).__name__}: {exc}"[:300]


def _worker_main(sock: socket.socket, inherited: list[socket.socket], config: RunConfig,
                 only: frozenset[str], skip: frozenset[str]) -> None:
    """A worker's life: read operations as they come, answer in order, end at end of input."""
    # Ctrl-C reaches the whole process group: the parent decides when the run ends and then
    # still asks its workers for what they gathered.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for other in inherited:  # other workers' parent ends: their workers must see our parent close
        other.close()
    _WORKER.update(config=config, only=only, skip=skip, sites={})
    _warm_up(config, only, skip)
    buffer = bytearray()
    ops: deque[tuple[str, str, Any]] = deque()
    while True:
        if not ops:
            chunk = sock.recv(1 << 20)  # block: nothing to do until the crawler sends
            if not chunk:
                return
            buffer += chunk
        # take whatever else has arrived meanwhile, without waiting
        while True:
            try:
                chunk = sock.recv(1 << 20, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                break
            if not chunk:
                break
            buffer += chunk
        for message in _messages(buffer):
            ops.extend(message)
        results: list[tuple[bool, Any]] = []
        started = time.monotonic()
        while ops:
            results.append(_run_op(*ops.popleft()))
            if time.monotonic() - started >= FLUSH_EVERY:
                break  # answer what is done; then look for new operations
        if results:
            _answer(sock, results)
        if _WORKER.get("retire") and not ops:
            # Gone before the crawler unpickles the facts just sent: a big site's facts are then
            # never held by both processes at once (the run's peak memory).
            return


# A small page in the markup the rules read (lists, dates, footer identity, scripts, forms).
_WARM_UP_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>首页_示例县人民政府</title>
<meta name="SiteName" content="示例县人民政府"><meta name="SiteDomain" content="www.example.gov.cn">
<meta name="SiteIDCode" content="0000000000"><meta name="ColumnName" content="通知公告">
<meta name="ArticleTitle" content="关于印发《示例办法》的通知"><meta name="PubDate" content="2026-01-02 08:00">
<script src="/js/common.js"></script></head><body><div class="nav"><a href="/">首页</a>
<a href="/zwgk/">政务公开</a><a href="/zcjd/">政策解读</a><a href="/hdjl/">互动交流</a></div>
<div class="list"><ul><li><a href="/tzgg/202601/t20260102_1.html">关于印发《示例办法》的通知</a>
<span>2026-01-02</span></li><li><a href="/tzgg/202512/t20251230_2.html">示例县政府常务会议</a>
<span>2025年12月30日</span></li></ul></div><div class="content"><p>示例县政府办公室 示政办发〔2026〕1号
为贯彻落实有关要求，现将《示例办法》印发给你们，请认真贯彻执行。相关解读见政策解读栏目。</p>
<img src="/images/map.png" alt="地图 审图号：GS（2026）1号"><a href="/files/a.pdf">附件：示例办法</a></div>
<form action="/search"><input name="q" type="text"></form><div class="footer"><p>主办单位：示例县人民政府办公室
网站标识码：0000000000 <a href="https://beian.miit.gov.cn/">京ICP备00000000号</a>
京公网安备00000000000000号</p><script>document.write('<span>技术支持：示例</span>');</script>
<a href="https://bszs.conac.cn/sitename?method=show&id=0"><img src="/images/red.png" alt="党政机关"></a>
</div></body></html>""".encode()


def _warm_up(config: RunConfig, only: frozenset[str], skip: frozenset[str]) -> None:
    """Analyse a made-up page once, for nothing, before the first real one: the first analysis
    in a process builds the lexicon automata, compiles the rules' expressions and loads the
    suffix list (~70 ms), and the crawler waits for the homepage's links. Done here, that
    overlaps the crawler's own start and its fetching of the homepage. Its results are dropped;
    an error here would recur, and be reported, on a real page."""
    load_suffix_list()
    if not config.sites:
        return
    site = config.sites[0]
    try:
        analysis = SiteAnalysis(site, config, only, skip)
        analysis.begin(site.url)
        # as the homepage, then as an article: some collectors read only one kind
        for url, depth in ((site.url, 0), (normalize("/tzgg/202601/t20260102_1.html", site.url) or site.url, 2)):
            analysis.analyse(PageJob(url=url, final_url=url, status=200, text=_WARM_UP_PAGE, headers={},
                                     content_type="text/html; charset=utf-8", encoding="", depth=depth,
                                     redirects=(), is_homepage=depth == 0))
    except Exception:  # noqa: BLE001
        pass


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """``gc.freeze()`` for the block: what is alive now stays out of garbage collections. A
    caller that froze objects already unfreezes them itself, when it will."""
    frozen_by_caller = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not frozen_by_caller:
            gc.unfreeze()


class AnalysisWorkerError(RuntimeError):
    """The worker could not analyse: it died, or the operation failed there."""


class _Slot:
    """One worker process, spoken to over a socket pair. Operations are written as they come
    (one message per turn of the loop) and answered in order, so the worker never waits for a
    round trip while pages are queued for it. Plain reader and writer callbacks rather than a
    transport: the socket can be closed after its loop has (a run interrupted, a test's loop)."""

    def __init__(self, process: multiprocessing.process.BaseProcess, sock: socket.socket) -> None:
        self.process = process
        self.pid = process.pid
        self.sock = sock
        self.loop: asyncio.AbstractEventLoop | None = None
        self.outbox: list[tuple[str, str, Any, asyncio.Future]] = []
        self.pending: deque[asyncio.Future] = deque()  # sent, answers due in this order
        self.inbuf = bytearray()
        self.outbuf = bytearray()
        self.broken: str | None = None
        self.sites = 0  # sites pinned here and not finished

    async def submit(self, op: str, site_id: str, arg: Any) -> Any:
        loop = asyncio.get_running_loop()
        if self.loop is None and self.broken is None:
            self.loop = loop
            self.sock.setblocking(False)
            loop.add_reader(self.sock.fileno(), self._readable)
        if self.broken or self.loop is not loop:
            raise AnalysisWorkerError(self.broken or "analysis worker bound to another event loop")
        future = loop.create_future()
        if not self.outbox:
            loop.call_soon(self._flush)
        self.outbox.append((op, site_id, arg, future))
        return await future

    def _flush(self) -> None:
        batch, self.outbox = self.outbox, []
        if self.broken:
            self._fail_all([f for *_, f in batch], self.broken)
            return
        try:
            header, body = _frame([(op, site_id, arg) for op, site_id, arg, _ in batch])
        except Exception:  # noqa: BLE001  an unpicklable argument fails its own operation only
            sendable = []
            for item in batch:
                try:
                    pickle.dumps(item[2], pickle.HIGHEST_PROTOCOL)
                    sendable.append(item)
                except Exception as exc:  # noqa: BLE001
                    if not item[3].done():
                        item[3].set_exception(AnalysisWorkerError(f"{type(exc).__name__}: {exc}"[:300]))
            batch = sendable
            header, body = _frame([(op, site_id, arg) for op, site_id, arg, _ in batch])
        self.pending.extend(future for *_, future in batch)
        waiting = bool(self.outbuf)
        self.outbuf += header
        self.outbuf += body
        if not waiting:
            self._writable()

    def _writable(self) -> None:
        try:
            sent = self.sock.send(self.outbuf)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError as exc:
            self._fail(f"{type(exc).__name__}: {exc}")
            return
        del self.outbuf[:sent]
        assert self.loop is not None
        if self.outbuf:
            self.loop.add_writer(self.sock.fileno(), self._writable)
        else:
            self.loop.remove_writer(self.sock.fileno())

    def _readable(self) -> None:
        try:
            data = self.sock.recv(1 << 20)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._fail(f"{type(exc).__name__}: {exc}")
            return
        if not data:
            self.process.join(timeout=0.1)
            code = self.process.exitcode
            self._fail(f"exit code {code}" if code is not None else "connection closed")
            return
        self.inbuf += data
        try:
            for results in _messages(self.inbuf):
                for ok, value in results:
                    future = self.pending.popleft()
                    if future.done():  # its crawler was cancelled meanwhile
                        continue
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(AnalysisWorkerError(value))
        except Exception as exc:  # noqa: BLE001  unreadable: no later answer can be matched either
            self._fail(f"unreadable answer: {type(exc).__name__}: {exc}")

    def _fail(self, error: str) -> None:
        if self.broken is None:
            self.broken = f"analysis worker process {self.pid} ended: {error}"[:300]
        self._detach()
        futures = list(self.pending) + [f for *_, f in self.outbox]
        self.pending.clear()
        self.outbox = []
        self._fail_all(futures, self.broken)

    def _detach(self) -> None:
        if self.loop is not None and not self.loop.is_closed() and self.sock.fileno() >= 0:
            self.loop.remove_reader(self.sock.fileno())
            self.loop.remove_writer(self.sock.fileno())

    @staticmethod
    def _fail_all(futures: list[asyncio.Future], error: str) -> None:
        for future in futures:
            if not future.done():
                future.set_exception(AnalysisWorkerError(error))

    def close(self) -> None:
        if self.broken is None:
            self.broken = "closed"
        self._detach()
        self.sock.close()  # the worker reads the end of its input and ends


class ProcessAnalyzer:
    """Worker processes forked before the event loop (``fork``: they inherit the loaded code,
    the RunConfig and the compiled lexicons; nothing is pickled but pages and outcomes).

    A site is pinned to a worker by its order of arrival; a site whose worker fails is finished
    here with what can still be gathered, and an error entry says what was lost."""

    def __init__(self, config: RunConfig, processes: int, only: frozenset[str] = frozenset(),
                 skip: frozenset[str] = frozenset()) -> None:
        context = multiprocessing.get_context("fork")
        self.local = LocalAnalyzer(config, only, skip)
        self.slots: list[_Slot] = []
        # Objects alive now stay out of the workers' garbage collections, which would otherwise
        # touch (and so copy) every page of memory they share with this process.
        with frozen_heap(), warnings.catch_warnings():
            # Python 3.12+ warns when forking a process that runs other threads (a library
            # caller's): a worker only analyses pages and takes no lock those threads hold.
            warnings.simplefilter("ignore", DeprecationWarning)
            for _ in range(max(1, processes)):
                ours, theirs = socket.socketpair()
                process = context.Process(  # forked now, while this process has no event loop of ours
                    target=_worker_main, name="govscan-analysis", daemon=True,
                    args=(theirs, [slot.sock for slot in self.slots] + [ours], config, only, skip))
                process.start()
                theirs.close()
                self.slots.append(_Slot(process, ours))
        self.assigned: dict[str, _Slot] = {}
        self.lost: dict[str, str] = {}     # site id -> why its worker's facts were lost
        self.expected = len(config.sites)
        self.ended: set[str] = set()

    @property
    def pids(self) -> list[int]:
        return [slot.pid for slot in self.slots]

    async def begin(self, site: SiteConfig, final_url: str | None) -> None:
        slot = min(self.slots, key=lambda s: (s.broken is not None, s.sites))
        slot.sites += 1
        self.assigned[site.id] = slot
        try:
            await slot.submit("begin", site.id, final_url)
        except AnalysisWorkerError as exc:
            await self._fall_back(site, final_url, str(exc))

    async def analyse(self, site: SiteConfig, job: PageJob) -> PageOutcome:
        if site.id in self.local.sites:
            return await self.local.analyse(site, job)
        try:
            return await self.assigned[site.id].submit("page", site.id, job)
        except AnalysisWorkerError as exc:
            if self.assigned[site.id].broken is None:
                raise  # the page itself failed there: the crawler records it
            await self._fall_back(site, None, str(exc))
            return await self.local.analyse(site, job)

    async def finish(self, site: SiteConfig) -> AnalysisResult:
        if site.id in self.local.sites:
            result = await self.local.finish(site)
        else:
            slot = self.assigned[site.id]
            slot.sites -= 1
            # the worker may end with this answer when no site can be pinned to it any more
            last = slot.sites == 0 and len(set(self.assigned) | self.ended) >= self.expected
            try:
                result = await slot.submit("finish", site.id, last)
            except AnalysisWorkerError as exc:
                self.lost.setdefault(site.id, str(exc))
                result = AnalysisResult(facts=SiteFacts(site=site.info()))
        if site.id in self.lost:
            result.errors.append({"rule": "analysis", "url": site.url,
                                  "error": f"{self.lost[site.id]}; facts and page findings gathered there are lost"})
        return result

    async def _fall_back(self, site: SiteConfig, final_url: str | None, error: str) -> None:
        if site.id not in self.local.sites:
            self.lost.setdefault(site.id, error)
            await self.local.begin(site, final_url)

    def site_ended(self, site: SiteConfig) -> None:
        """``site``'s scan is over, its analysis merged. Once every site's is, the workers go:
        their memory (a big site's facts, also copied to the crawler) is no longer needed for
        the link checks, site rules and reports still to come."""
        self.ended.add(site.id)
        if len(self.ended) >= self.expected:
            self.close()

    def close(self) -> None:
        for slot in self.slots:
            slot.close()
        for slot in self.slots:  # nothing more is asked of them: an unfinished one is stopped
            slot.process.join(timeout=0.2)
            if slot.process.is_alive():
                slot.process.terminate()
                slot.process.join(timeout=1)
        self.local.close()


def default_processes(config: RunConfig) -> int:
    """Worker processes for a run: ``crawl.jobs`` when set (0: none), else one per core but
    one (the event loop keeps a core), at most one per site; none where fork is unavailable."""
    wanted = config.crawl.jobs
    if wanted < 0:
        wanted = min(len(config.sites), (os.cpu_count() or 1) - 1)
    if wanted <= 0 or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return wanted


def make_analyzer(config: RunConfig, only: frozenset[str] = frozenset(), skip: frozenset[str] = frozenset(),
                  processes: int | None = None) -> LocalAnalyzer | ProcessAnalyzer:
    """The run's analyzer; call before the event loop starts (workers are forked here)."""
    count = default_processes(config) if processes is None else processes
    if count > 0:
        return ProcessAnalyzer(config, count, only, skip)
    return LocalAnalyzer(config, only, skip)
