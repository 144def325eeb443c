"""Every network call of a run: client, --connect-to, politeness, retries, robots, caps.

One ``Fetcher`` per run. It keeps the run's table of link results so that every distinct
URL is requested once, however many pages and sites link it. Nothing else imports httpx.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import email.utils
import ipaddress
import random
import re
import socket
import sys
import time
import zlib
from dataclasses import dataclass, field, replace
from typing import Iterable, NamedTuple, Protocol
from urllib import robotparser
from urllib.parse import urlsplit

import httpx

from govscan import __version__
from govscan.analyze import SNIPPET_CHARS, PageJob
from govscan.charset import decode
from govscan.config import CrawlSettings
from govscan.model import LinkResult
from govscan.page import Page
from govscan.urls import host_port, normalize

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
HTML_TYPES = ("text/html", "application/xhtml+xml")
LINK_BODY_BYTES = 262_144  # enough of a linked page to judge a soft 404
# A request's total budget without a task per request (asyncio.wait_for makes one); 3.11+.
_budget = getattr(asyncio, "timeout", None)
PREFETCH_WORKERS = 8       # background link checks during a crawl at least (within the run's limits)
PREFETCH_QUEUE = 20_000    # URLs waiting for them at most


# ------------------------------------------------------------------ --connect-to

@dataclass(frozen=True)
class ConnectRule:
    """curl's HOST1:PORT1:HOST2:PORT2; an empty HOST1/PORT1 matches any, HOST2/PORT2 keep."""

    host1: str
    port1: int | None
    host2: str
    port2: int | None

    @classmethod
    def parse(cls, spec: str) -> "ConnectRule":
        parts = _split_connect(spec)
        if len(parts) != 4:
            raise ValueError(f"--connect-to must be HOST1:PORT1:HOST2:PORT2, not {spec!r}")
        h1, p1, h2, p2 = parts
        try:
            return cls(h1.lower().strip("[]"), int(p1) if p1 else None, h2.strip("[]"), int(p2) if p2 else None)
        except ValueError:
            raise ValueError(f"--connect-to ports must be numbers: {spec!r}") from None

    def matches(self, host: str, port: int) -> bool:
        return (not self.host1 or self.host1 == host) and (self.port1 is None or self.port1 == port)


def _split_connect(spec: str) -> list[str]:
    """Split on ':' outside [IPv6] brackets."""
    parts, current, depth = [], "", 0
    for ch in spec:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == ":" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


class ConnectToTransport(httpx.AsyncBaseTransport):
    """Sends requests for HOST1:PORT1 to HOST2:PORT2; Host header and TLS name stay HOST1."""

    def __init__(self, inner: httpx.AsyncBaseTransport, rules: Iterable[ConnectRule]) -> None:
        self.inner = inner
        self.rules = tuple(rules)
        # (scheme, host, port) -> the destination's host and port as httpx normalises them
        self._routes: dict[tuple[str, str, int], tuple[str, int | None]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        host = url.host
        port = url.port or (443 if url.scheme == "https" else 80)
        for rule in self.rules:
            if rule.matches(host, port):
                request.url = self._reroute(url, rule.host2 or host, rule.port2 or port)
                if url.scheme == "https":
                    request.extensions = {**request.extensions, "sni_hostname": host}
                break
        return await self.inner.handle_async_request(request)

    def _reroute(self, url: httpx.URL, host: str, port: int) -> httpx.URL:
        """``url.copy_with(host=host, port=port)``. copy_with parses and checks every part of
        the URL again (as much CPU as the rest of building the request); here the destination
        is normalised by httpx once per origin and put into the already parsed URL."""
        key = (url.scheme, host, port)
        dest = self._routes.get(key)
        if dest is None or not _FAST_URLS:
            new = url.copy_with(host=host, port=port)
            if _FAST_URLS and len(self._routes) < 10_000:
                self._routes[key] = (new._uri_reference.host, new._uri_reference.port)
            return new
        return _parsed_url(url._uri_reference._replace(host=dest[0], port=dest[1]))

    async def aclose(self) -> None:
        await self.inner.aclose()


# httpx parses a URL in pure Python, character by character (~15 µs for a typical one, as
# much as the rest of building a request): the URLs a run requests are already normalised
# (govscan.urls.normalize), so the common shape is recognised by one regex and put into httpx's
# parsed form directly. Anything else (IP hosts, dot segments, characters httpx would escape,
# fragments, user info) goes through httpx.URL.
_SIMPLE_URL = re.compile(
    r"(https?)://([a-z0-9-]+(?:\.[a-z0-9-]+)*)(?::([0-9]{1,5}))?"
    r"((?:/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*)*)"
    r"(?:\?((?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*))?")
_IPV4ISH = re.compile(r"[0-9.]+")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _parsed_url(reference) -> httpx.URL:
    url = httpx.URL.__new__(httpx.URL)
    url._uri_reference = reference
    return url


def _parse_url(url: str) -> httpx.URL:
    """``httpx.URL(url)``, without httpx's parser for the usual normalised URL."""
    match = _SIMPLE_URL.fullmatch(url) if _FAST_URLS and len(url) <= 4096 else None
    if match is None:
        return httpx.URL(url)
    scheme, host, port, path, query = match.groups()
    if "/." in path or _IPV4ISH.fullmatch(host):
        return httpx.URL(url)  # dot segments to remove; an IPv4 address to validate
    port_number = int(port) if port else None
    if port_number == _DEFAULT_PORTS[scheme]:
        port_number = None
    return _parsed_url(_URI_REFERENCE(scheme, "", host, port_number, path, query, None))


def _uri_reference_type() -> type | None:
    """The NamedTuple (scheme, userinfo, host, port, path, query, fragment) that httpx.URL
    keeps as ``_uri_reference`` (httpx 0.24 to 0.28), or None should httpx keep URLs otherwise:
    then URLs are parsed and rerouted through httpx's public API only."""
    try:
        url = httpx.URL("https://u@www.a.gov.cn:8443/a/%E4%B8%AD?q=%20#f")
        kind = type(url._uri_reference)
        moved = _parsed_url(url._uri_reference._replace(host="127.0.0.1", port=9000))
        made = _parsed_url(kind("http", "", "www.a.gov.cn", 8080, "/a/b%E4%B8%AD;x=1", "q=1&r=/s?", None))
        simple = httpx.URL("http://www.a.gov.cn:8080/a/b%E4%B8%AD;x=1?q=1&r=/s?")
        ok = str(moved) == str(url.copy_with(host="127.0.0.1", port=9000)) \
            == "https://u@127.0.0.1:9000/a/%E4%B8%AD?q=%20#f" and moved.port == 9000 \
            and tuple(made._uri_reference) == tuple(simple._uri_reference) and made == simple \
            and made.raw_path == b"/a/b%E4%B8%AD;x=1?q=1&r=/s?" and made.netloc == b"www.a.gov.cn:8080"
        return kind if ok else None
    except Exception:
        return None


_URI_REFERENCE = _uri_reference_type()
_FAST_URLS = _URI_REFERENCE is not None


class SharedLinkCache(Protocol):
    """Link results shared beyond this Fetcher (the distributed mode's workers: govscan.linkcache).

    ``get`` returns the run's answer or None, in which case this Fetcher requests the link and
    then calls ``put`` (with None when it could not: the URL is released for others); ``offer``
    hands over a crawled page's result. Implementations never raise."""

    async def get(self, url: str) -> LinkResult | None: ...
    async def put(self, url: str, result: LinkResult | None) -> None: ...
    async def offer(self, url: str, result: LinkResult) -> None: ...


# ------------------------------------------------------------------ results

@dataclass
class Fetched:
    """A finished request: its LinkResult plus, for pages, the decoded Page, or with
    ``annotate_later`` the undecoded PageJob that an analyzer decodes and parses."""

    result: LinkResult
    page: Page | None = None
    truncated: bool = False
    job: PageJob | None = None


class _Answer(NamedTuple):
    """A response with its headers read into a plain dict (lower-case names) and its body."""

    response: httpx.Response
    headers: dict[str, str]
    body: bytes
    truncated: bool


_NO_BODY = httpx.ByteStream(b"")  # requests without a body (GET, HEAD)


_UNLIMITED = contextlib.nullcontext()  # in place of a host's semaphore that could never bind


@dataclass
class _HostSlot:
    semaphore: asyncio.Semaphore | contextlib.nullcontext
    delay: float
    last: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def wait_turn(self) -> None:
        if self.delay <= 0:
            return
        async with self.lock:
            wait = self.last + self.delay - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self.last = time.monotonic()


class Fetcher:
    def __init__(self, settings: CrawlSettings, connect_rules: Iterable[ConnectRule] = (),
                 transport: httpx.AsyncBaseTransport | None = None, ignore_robots: bool = False,
                 trusted_hosts: Iterable[str] = (), shared_cache: SharedLinkCache | None = None) -> None:
        self.settings = settings
        self.shared_cache = shared_cache  # consulted by check() before requesting (distributed mode)
        self.connect_rules = tuple(connect_rules)
        # Hosts the user configured (sites, aliases): they may live on private addresses.
        self.trusted_hosts = frozenset(h.lower() for h in trusted_hosts)
        self._resolve_dns = transport is None  # a test transport has no real network path
        self._private: dict[str, bool] = {}
        self.ignore_robots = ignore_robots or not settings.obey_robots
        limits = httpx.Limits(max_connections=max(settings.concurrency, 1),
                              max_keepalive_connections=max(settings.concurrency, 1))
        inner = transport or default_transport(limits)
        timeout = httpx.Timeout(settings.timeout, connect=min(settings.timeout, 10.0))
        ua = settings.user_agent.replace("{version}", __version__)
        self._transport = ConnectToTransport(inner, self.connect_rules)
        # The client holds the run's defaults (headers, timeouts), its cookie jar and its closed
        # state, and closes the transport; requests bypass AsyncClient.send (see _once).
        self.client = httpx.AsyncClient(
            transport=self._transport, limits=limits, timeout=timeout,
            follow_redirects=False, headers={"User-Agent": ua, "Accept-Language": "zh-CN,zh;q=0.9",
                     "Accept-Encoding": "gzip, deflate"},
            trust_env=False,
        )
        self._extensions = {"timeout": timeout.as_dict()}  # what build_request would set
        self._request_headers: dict[bytes, httpx.Headers] = {}  # netloc -> Host + client defaults
        self._global = asyncio.Semaphore(max(settings.concurrency, 1))
        self._hosts: dict[str, _HostSlot] = {}
        self._robots: dict[str, asyncio.Task] = {}
        # url -> a Future while its request runs, then its LinkResult (compact: ~100,000 entries
        # on a 50,000-page site)
        self._table: dict[str, asyncio.Future | LinkResult] = {}
        self._background: set[asyncio.Task] = set()
        self._crawling: dict[str, int] = {}
        self._crawl_done: dict[str, asyncio.Event] = {}
        self.requests = 0
        # Soft-404 snippets kept in link results: None keeps all; see keep_snippets().
        self._snippet_phrases: set[str] | None = None
        self._snippet_max = 0
        self._snippet_re: re.Pattern | None = None
        self._snippet_plain: tuple[str, ...] = ()
        # table keys of crawled pages whose title and text their analysis will bring (annotate)
        self._unannotated: dict[str, list[str]] = {}
        self._prefetch: collections.deque[str] = collections.deque()
        self._prefetchers = 0
        # half the slots one host allows: 8 kept up with a polite crawl, not with a server
        # of one's own at 64 in flight (a thousand images then waited for the link phase)
        self._prefetch_limit = max(PREFETCH_WORKERS, min(settings.concurrency, settings.per_host) // 2)

    async def aclose(self) -> None:
        # Background checks and robots loads outlive an interrupted crawl: end them first.
        pending = {t for t in self._background if not t.done()}
        while pending:
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=0.5)
        await self.client.aclose()

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def keep_snippets(self, phrases: Iterable[str], max_chars: int) -> None:
        """Keep a page's text snippet in its LinkResult only when a site of this run could judge
        it a soft 404 by its text: at most ``max_chars`` long and containing one of ``phrases``
        (case-insensitive; dead-link's options). Called once per site; the union is kept. Until
        then every snippet is kept. A 50,000-page site otherwise keeps ~80 MB of text no rule reads.
        The page title likewise is kept only when it holds one of the phrases."""
        self._snippet_phrases = (self._snippet_phrases or set()) | {p for p in phrases if p}
        self._snippet_max = max(self._snippet_max, max_chars)
        # Phrases without cased letters (Chinese ones) match case-insensitively exactly where
        # they occur: a substring test, many times faster than the regex on CJK text.
        self._snippet_plain = tuple(p for p in self._snippet_phrases if p.lower() == p == p.upper())
        cased = sorted(set(self._snippet_phrases) - set(self._snippet_plain), key=len, reverse=True)
        self._snippet_re = re.compile("|".join(map(re.escape, cased)), re.I) if cased else None

    def _has_phrase(self, text: str) -> bool:
        return any(p in text for p in self._snippet_plain) or (
            self._snippet_re is not None and self._snippet_re.search(text) is not None)

    def _keep_snippet(self, text: str | None) -> str | None:
        if text is None:
            return None
        snippet = text[:SNIPPET_CHARS]
        if self._snippet_phrases is None:
            return snippet
        if len(snippet) > self._snippet_max or not self._has_phrase(snippet):
            return None  # dead-link reads no text here: a match needs a phrase in a short enough body
        return snippet

    def _keep_title(self, title: str | None) -> str | None:
        if title is None:
            return None
        if self._snippet_phrases is None or self._has_phrase(title):
            return title
        return None  # dead-link reads the title only for soft-404 phrases

    async def annotate(self, url: str, title: str | None, snippet: str | None) -> None:
        """A crawled page's title and visible text, known once the page is analysed
        (``fetch_page(..., annotate_later=True)``): recorded in its link results, those of
        its redirect target and of URLs that redirected to it meanwhile."""
        group = self._unannotated.pop(url, None)
        if group is None:
            return
        title, snippet = self._keep_title(title), self._keep_snippet(snippet)
        for key in group:
            self._unannotated.pop(key, None)
            entry = self._table.get(key)
            if isinstance(entry, LinkResult) and (title is not None or snippet is not None):
                self._table[key] = replace(entry, page_title=title, page_snippet=snippet)
        if self.shared_cache is not None:
            entry = self._table.get(url)
            if isinstance(entry, LinkResult):
                await self.shared_cache.offer(url, entry)

    # ------------------------------------------------------------ crawl bookkeeping

    def crawl_started(self, hosts: Iterable[str]) -> None:
        for host in hosts:
            self._crawling[host] = self._crawling.get(host, 0) + 1
            self._crawl_done.setdefault(host, asyncio.Event()).clear()

    def crawl_finished(self, hosts: Iterable[str]) -> None:
        for host in hosts:
            self._crawling[host] -= 1
            if self._crawling[host] <= 0:
                self._crawl_done[host].set()

    # ------------------------------------------------------------ public API

    async def fetch_page(self, url: str, depth: int = 0, is_homepage: bool = False,
                         annotate_later: bool = False) -> Fetched:
        """GET a page of a site being crawled; records its result in the run's link table.
        ``depth`` and ``is_homepage`` are stamped on the Page, which is parsed once for all.
        ``annotate_later``: the page is not decoded nor parsed here (``Fetched.job`` instead of
        ``Fetched.page``); its analysis calls :meth:`annotate`."""
        fetched = await self._request(url, want_body=True, max_bytes=self.settings.max_page_bytes,
                                      method="GET", page_kw={"depth": depth, "is_homepage": is_homepage},
                                      defer_text=annotate_later)
        self._resolve(url, fetched.result)
        page = fetched.job
        if annotate_later and page is not None and "javascript" not in page.content_type:
            group = [url] if page.final_url == url else [url, page.final_url]
            for key in group:
                self._unannotated[key] = group
        elif self.shared_cache is not None:
            await self.shared_cache.offer(url, fetched.result)
        return fetched

    async def check(self, url: str, prefer_head: bool) -> LinkResult:
        """The result of requesting ``url``, once per run whoever asks."""
        future = self._table.get(url)
        if isinstance(future, LinkResult):
            return future
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._table[url] = future
            self._spawn(self._check_into(url, prefer_head, future))
        return await asyncio.shield(future)

    def prefetch(self, url: str) -> None:
        """Check ``url`` in the background now, ahead of the link phase that will ask for it:
        only for targets that are never crawled as pages (attachments, images: HEAD first), so
        the crawl's spare capacity does the work. robots.txt is obeyed; the queue is bounded
        (beyond it the link phase requests them as before)."""
        if url in self._table or len(self._prefetch) >= PREFETCH_QUEUE:
            return
        self._prefetch.append(url)
        if self._prefetchers < self._prefetch_limit:
            self._prefetchers += 1
            self._spawn(self._prefetch_worker())

    async def _prefetch_worker(self) -> None:
        try:
            while self._prefetch:
                url = self._prefetch.popleft()
                if url in self._table or not await self.allowed(url):
                    continue
                future = asyncio.get_running_loop().create_future()
                self._table[url] = future
                await self._check_into(url, True, future, wait_crawl=False)
        finally:
            self._prefetchers -= 1

    async def probe(self, url: str, budget: float) -> LinkResult:
        """One availability probe: a fresh GET of ``url`` (redirects included) within ``budget``
        seconds in all, never answered from the run's table. Build the Fetcher with
        ``retries=0``: a retry would hide the very failure a probe is there to count."""
        started = time.monotonic()
        try:
            fetched = await asyncio.wait_for(
                self._request(url, want_body=True, max_bytes=LINK_BODY_BYTES, method="GET", for_link=True),
                timeout=budget)
        except asyncio.TimeoutError:
            return LinkResult(url=url, error="timeout", error_detail=f"no answer within {budget:g} s",
                              elapsed_ms=_ms(started))
        return fetched.result

    def known(self, url: str) -> LinkResult | None:
        entry = self._table.get(url)
        if entry is None or isinstance(entry, LinkResult):
            return entry
        return entry.result() if entry.done() and not entry.cancelled() else None

    async def allowed(self, url: str) -> bool:
        """robots.txt permits crawling ``url`` (always True with --ignore-robots)."""
        if self.ignore_robots:
            return True
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        task = self._robots.get(origin)
        if task is None:
            task = self._spawn(self._load_robots(origin))
            self._robots[origin] = task
        parser = await asyncio.shield(task)
        return parser is None or parser.can_fetch(self.client.headers["User-Agent"], url)

    # ------------------------------------------------------------ internals

    def _resolve(self, url: str, result: LinkResult) -> None:
        """Record ``url``'s result unless it has one (the first answer wins)."""
        entry = self._table.get(url)
        if entry is None:
            self._table[url] = result
        elif not isinstance(entry, LinkResult):
            if not entry.done():
                entry.set_result(result)
            self._settle(url, entry)

    def _settle(self, url: str, future: asyncio.Future) -> None:
        """Replace a finished Future in the table by its result (waiters keep the Future)."""
        if self._table.get(url) is future and future.done() and not future.cancelled():
            self._table[url] = future.result()

    async def _check_into(self, url: str, prefer_head: bool, future: asyncio.Future,
                          wait_crawl: bool = True) -> None:
        try:
            host = host_port(url)[0]
            event = self._crawl_done.get(host) if wait_crawl else None
            if event is not None and not event.is_set():
                # The host is being crawled in this run: its pages come with their result.
                await event.wait()
                if future.done():
                    return
            if self.shared_cache is not None:
                result = await self._check_shared(url, prefer_head)
            else:
                result = await self._check(url, prefer_head)
        except asyncio.CancelledError:
            if not future.done():
                future.cancel()
            raise
        except Exception as exc:  # never leave a waiter hanging
            result = LinkResult(url=url, error="internal", error_detail=f"{type(exc).__name__}: {exc}")
        if not future.done():
            future.set_result(result)
        self._settle(url, future)

    async def _check_shared(self, url: str, prefer_head: bool) -> LinkResult:
        """Through the shared cache: another worker's answer, or ours recorded for the others."""
        cached = await self.shared_cache.get(url)
        if cached is not None:
            return cached
        result = None
        try:
            result = await self._check(url, prefer_head)
            return result
        finally:
            await self.shared_cache.put(url, result)

    async def _check(self, url: str, prefer_head: bool) -> LinkResult:
        if prefer_head and self.settings.head_first:
            fetched = await self._request(url, want_body=False, max_bytes=0, method="HEAD")
            result = fetched.result
            # HEAD is often refused or answered wrongly: confirm any failure with GET.
            if result.ok or result.error == "timeout":
                return result
        fetched = await self._request(url, want_body=True, max_bytes=LINK_BODY_BYTES, method="GET",
                                      for_link=True)
        return fetched.result

    def _slot(self, host: str) -> _HostSlot:
        slot = self._hosts.get(host)
        if slot is None:
            per_host = max(self.settings.per_host, 1)
            # a host allowed as many requests as the whole run needs no limit of its own
            limit = asyncio.Semaphore(per_host) if per_host < max(self.settings.concurrency, 1) else _UNLIMITED
            slot = _HostSlot(limit, self.settings.delay)
            self._hosts[host] = slot
        return slot

    async def _once(self, method: str, url: str, want_body: bool, max_bytes: int) -> _Answer:
        slot = self._slot(host_port(url)[0])
        async with self._global, slot.semaphore:
            await slot.wait_turn()
            if self.client.is_closed:  # the run is over (interrupted): end quietly
                raise asyncio.CancelledError()
            self.requests += 1
            request = self._build_request(method, url)
            try:
                # httpx times each read; a server trickling bytes forever needs a total budget.
                if _budget is None:  # Python 3.10: wait_for (a task per request)
                    return await asyncio.wait_for(self._send(request, want_body, max_bytes),
                                                  timeout=self.settings.timeout)
                async with _budget(self.settings.timeout):
                    return await self._send(request, want_body, max_bytes)
            except asyncio.TimeoutError:
                raise httpx.ReadTimeout("total time budget exceeded", request=request) from None

    def _build_request(self, method: str, url: str) -> httpx.Request:
        """The request client.build_request would make (Host first, then the client's default
        headers; cookies; timeouts), without its merging of base URL, params and headers, and
        with the header list made once per origin: httpx's own preparation of the automatic
        headers costs more than the rest of building the request."""
        parsed = _parse_url(url)
        netloc = parsed.netloc
        headers = self._request_headers.get(netloc)
        if headers is None:
            headers = httpx.Headers([(b"Host", netloc), *self.client.headers.raw])
            if len(self._request_headers) < 10_000:
                self._request_headers[netloc] = headers
        request = httpx.Request(method, parsed, headers=headers, extensions=self._extensions, stream=_NO_BODY)
        request.read()
        if self.client.cookies:
            self.client.cookies.set_cookie_header(request)
        return request

    async def _send(self, request: httpx.Request, want_body: bool, max_bytes: int) -> _Answer:
        # Straight to the transport, not AsyncClient.send: its auth and hook machinery, the next
        # request it builds for every redirect, its logging and the cookie parsing of every
        # response cost more CPU than the exchange itself (bench/transport_bench.py). Redirects
        # are followed by _request; cookies are kept as the client would keep them.
        response = await self._transport.handle_async_request(request)
        try:
            response.request = request
            # read once: every lookup in httpx's Headers scans and decodes the whole list
            headers = dict(response.headers.items())
            if "set-cookie" in headers:
                self.client.cookies.extract_cookies(response)
            body = bytearray()
            truncated = False
            if want_body and request.method != "HEAD":
                decoder = _BoundedDecoder(headers.get("content-encoding", ""))
                try:
                    async for chunk in response.aiter_raw():
                        body.extend(decoder.feed(chunk, max_bytes - len(body) + 1))
                        if len(body) > max_bytes or decoder.overflow:
                            truncated = True
                            break
                except httpx.StreamConsumed:  # an in-memory response (test transports): already decoded
                    body.extend(response.content[: max_bytes + 1])
                    truncated = len(body) > max_bytes
                del body[max_bytes:]
            return _Answer(response, headers, bytes(body), truncated)
        finally:
            await response.aclose()

    async def _request(self, url: str, want_body: bool, max_bytes: int, method: str,
                       for_link: bool = False, page_kw: dict | None = None, defer_text: bool = False) -> Fetched:
        started = time.monotonic()
        chain: list[str] = []
        current = url
        status = 0
        for _hop in range(self.settings.max_redirects + 1):
            private = self._private_known(current)
            if private is None:
                private = await self._is_private(current)
            if private:
                return Fetched(LinkResult(url=url, status=0, error="blocked-private",
                                          error_detail=f"{host_port(current)[0]} resolves to a private or loopback address",
                                          final_url=current, redirects=tuple(chain), method=method,
                                          skipped="private-address", elapsed_ms=_ms(started)))
            answer, error, detail = await self._with_retries(method, current, want_body, max_bytes)
            if error or answer is None:
                return Fetched(LinkResult(url=url, status=0, error=error, error_detail=detail, final_url=current,
                                          redirects=tuple(chain), method=method, elapsed_ms=_ms(started)))
            status = answer.response.status_code
            headers, body, truncated = answer.headers, answer.body, answer.truncated
            location = headers.get("location")
            if status in REDIRECT_STATUSES and location:
                target = normalize(location, current)
                if target is None:
                    return Fetched(LinkResult(url=url, status=status, error="bad-redirect", error_detail=location[:200],
                                              final_url=current, redirects=tuple(chain), method=method,
                                              elapsed_ms=_ms(started)))
                chain.append(current)
                current = target
                known = self.known(target)
                if known is not None:
                    group = self._unannotated.get(target)
                    if group is not None:  # its title and text come later: this URL gets them too
                        group.append(url)
                        self._unannotated[url] = group
                    # The target was requested already in this run: reuse its answer.
                    return Fetched(replace(known, url=url, redirects=tuple(chain) + known.redirects,
                                           method=method, elapsed_ms=_ms(started)))
                continue
            content_type = headers.get("content-type", "")
            page = None
            title = snippet = None
            job = None
            is_html = bool(body) and status < 400 and _is_html(content_type, body)
            is_script = (not is_html and bool(body) and status < 400 and not for_link
                         and _is_script(content_type, current))
            # a script answered without a type is analysed as one all the same
            page_type = content_type if is_html else content_type or "application/javascript"
            if defer_text and (is_html or is_script):
                # decoded where it is analysed: this process only passes the bytes on
                kw = (page_kw or {}) if is_html else {}
                job = PageJob(url=url, final_url=current, status=status, text=body, headers=headers,
                              content_type=page_type, encoding="", depth=kw.get("depth", 0), redirects=tuple(chain),
                              is_homepage=kw.get("is_homepage", False))
            elif is_html:
                text, encoding = decode(body, content_type)
                page = Page(url=url, final_url=current, status=status, text=text,
                            headers=headers, content_type=content_type, encoding=encoding,
                            redirects=tuple(chain), **(page_kw or {}))
                if not defer_text:
                    title, snippet = self._keep_title(page.title), self._keep_snippet(page.visible_text)
                if for_link:
                    page = None
            elif is_script:
                text, encoding = decode(body, content_type)
                page = Page(url=url, final_url=current, status=status, text=text, headers=headers,
                            content_type=page_type, encoding=encoding,
                            redirects=tuple(chain))
            result = LinkResult(url=url, status=status, final_url=current, redirects=tuple(chain),
                                content_type=sys.intern(content_type.split(";")[0].strip()) or None, method=method,
                                elapsed_ms=_ms(started), page_title=title, page_snippet=snippet)
            if chain and method == "GET" and current not in self._table:
                self._resolve(current, replace(result, url=current, redirects=()))
            return Fetched(result, page, truncated, job)
        return Fetched(LinkResult(url=url, status=status, error="too-many-redirects",
                                  error_detail=f"more than {self.settings.max_redirects} redirects",
                                  final_url=current, redirects=tuple(chain), method=method,
                                  elapsed_ms=_ms(started)))

    async def _with_retries(self, method: str, url: str, want_body: bool, max_bytes: int):
        attempt = 0
        while True:
            error = detail = None
            answer = None
            try:
                answer = await self._once(method, url, want_body, max_bytes)
            except httpx.TimeoutException as exc:
                error, detail = "timeout", type(exc).__name__
            except httpx.ConnectError as exc:
                error, detail = _connect_error(exc)
            except httpx.TooManyRedirects as exc:  # not raised with follow_redirects=False; kept for safety
                error, detail = "too-many-redirects", str(exc)[:200]
            except (httpx.DecodingError, httpx.RemoteProtocolError, httpx.LocalProtocolError) as exc:
                error, detail = "protocol", f"{type(exc).__name__}: {str(exc)[:160]}"
            except httpx.TransportError as exc:
                error, detail = "read", f"{type(exc).__name__}: {str(exc)[:160]}"
            except httpx.InvalidURL as exc:
                error, detail = "invalid-url", str(exc)[:200]
            retryable = error in ("timeout", "connect", "read", "protocol") or (
                answer is not None and answer.response.status_code in RETRY_STATUSES)
            if not retryable or attempt >= self.settings.retries:
                return answer, error, detail
            delay = self.settings.backoff * (2 ** attempt) * (0.9 + 0.2 * random.random())
            if answer is not None:
                delay = max(delay, _retry_after(answer.headers.get("retry-after")) or 0.0)
            await asyncio.sleep(min(delay, self.settings.max_retry_after))
            attempt += 1

    def _private_known(self, url: str) -> bool | None:
        """:meth:`_is_private` when it needs no lookup (nearly always), else None."""
        host, port = host_port(url)
        if host in self.trusted_hosts or any(rule.matches(host, port) for rule in self.connect_rules):
            return False
        return self._private.get(host)

    async def _is_private(self, url: str) -> bool:
        """True when ``url`` would reach a private, loopback or link-local address that no
        configured site or --connect-to rule put there (the guard against being turned inward)."""
        known = self._private_known(url)
        if known is not None:
            return known
        host, port = host_port(url)
        key = host
        addresses: list[str] = []
        try:
            addresses = [str(ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            if self._resolve_dns:
                try:
                    infos = await asyncio.wait_for(
                        asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM),
                        timeout=min(self.settings.timeout, 10.0))
                    addresses = [info[4][0] for info in infos]
                except (OSError, asyncio.TimeoutError, UnicodeError):
                    addresses = []  # unresolvable: the request itself reports the DNS error
        blocked = any(_non_public(a) for a in addresses)
        self._private[key] = blocked
        return blocked

    async def _load_robots(self, origin: str) -> robotparser.RobotFileParser | None:
        """None (allow everything) when robots.txt is missing, broken or unreachable."""
        url = origin + "/robots.txt"
        for _hop in range(3):
            answer, error, _d = await self._with_retries("GET", url, True, 500_000)
            if error or answer is None:
                return None
            location = answer.headers.get("location")
            if answer.response.status_code in REDIRECT_STATUSES and location:
                url = normalize(location, url) or url
                continue
            if answer.response.status_code != 200:
                return None
            parser = robotparser.RobotFileParser()
            parser.parse(answer.body.decode("utf-8", "replace").splitlines())
            return parser
        return None


class _BoundedDecoder:
    """Content-Encoding decoding that never produces more than asked for (gzip/deflate bombs)."""

    def __init__(self, encoding: str) -> None:
        encoding = encoding.strip().lower()
        self._zlib = None
        self._deflate = encoding == "deflate"
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(wbits=47)
        elif self._deflate:
            self._zlib = zlib.decompressobj()
        self.overflow = False

    def feed(self, data: bytes, limit: int) -> bytes:
        if self._zlib is None:
            return data
        try:
            out = self._zlib.decompress(data, max(limit, 1))
        except zlib.error:
            if self._deflate:  # some servers send raw deflate without the zlib header
                self._deflate = False
                self._zlib = zlib.decompressobj(wbits=-15)
                return self.feed(data, limit)
            raise httpx.DecodingError("invalid compressed body") from None
        if self._zlib.unconsumed_tail:
            self.overflow = True
        return out


def _non_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast \
        or ip.is_unspecified


def _connect_error(exc: httpx.ConnectError) -> tuple[str, str]:
    text = str(exc)
    lowered = text.lower()
    if "name or service not known" in lowered or "nodename nor servname" in lowered or "getaddrinfo" in lowered \
            or "no address associated" in lowered or "temporary failure in name resolution" in lowered:
        return "dns", text[:200]
    if "ssl" in lowered or "certificate" in lowered:
        return "tls", text[:200]
    return "connect", text[:200] or "connection failed"


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _is_html(content_type: str, body: bytes) -> bool:
    ct = content_type.lower()
    if any(t in ct for t in HTML_TYPES):
        return True
    if ct and not ct.startswith("text/plain") and "octet-stream" not in ct:
        return False
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def _is_script(content_type: str, url: str) -> bool:
    ct = content_type.lower()
    return "javascript" in ct or "ecmascript" in ct or (urlsplit(url).path.endswith(".js") and not ct.startswith(("image/", "video/")))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


# ------------------------------------------------------------------ transport

def default_transport(limits: httpx.Limits) -> httpx.AsyncBaseTransport:
    """The inner transport of a run's client, chosen by measurement (bench/transport_bench.py):
    httpx's API over aiohttp's connection pool and C HTTP parser moves the same URLs about 2.5×
    faster than httpx's own httpcore transport. httpcore stays the fallback when aiohttp is
    missing, and ``GOVSCAN_TRANSPORT=httpx`` selects it (for comparison runs)."""
    import os

    if os.environ.get("GOVSCAN_TRANSPORT", "").lower() != "httpx":
        try:
            return AiohttpTransport(limits)
        except ImportError:
            pass
    return httpx.AsyncHTTPTransport(retries=0, http2=False, limits=limits)


class _AiohttpStream(httpx.AsyncByteStream):
    """The response body as aiohttp receives it: raw bytes, never decompressed here
    (the Fetcher decodes Content-Encoding itself, with a bound)."""

    def __init__(self, response) -> None:
        self._response = response

    async def __aiter__(self):
        with _mapped_errors(read=True):
            async for chunk in self._response.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        # back to the pool when the body was read to the end; closed otherwise
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport over one aiohttp ClientSession (created in the running loop).

    HTTP/1.1 only; no cookies of its own (httpx's client keeps them), no proxies from the
    environment, no automatic decompression, no redirects. Honours the request's Host header
    (so ConnectToTransport can point the URL elsewhere), its ``sni_hostname`` extension and its
    connect/read timeouts; aiohttp's errors become the httpx exceptions the Fetcher classifies.
    """

    def __init__(self, limits: httpx.Limits | None = None, verify: bool = True) -> None:
        import aiohttp  # ImportError: the caller falls back to httpcore
        from yarl import URL

        self._aiohttp, self._URL = aiohttp, URL  # per request, not an import statement each
        self._limits = limits or httpx.Limits()
        self._verify = verify
        self._session = None
        # (pool, connect, read) -> aiohttp.ClientTimeout: one per distinct set, not per request
        self._timeouts: dict[tuple, object] = {}

    def _get_session(self):
        import aiohttp

        if self._session is None or self._session.closed:
            ssl_context = httpx.create_ssl_context(verify=self._verify, trust_env=False)
            connector = aiohttp.TCPConnector(
                limit=self._limits.max_connections or 0, limit_per_host=0, ssl=ssl_context,
                keepalive_timeout=self._limits.keepalive_expiry or 5.0, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector, auto_decompress=False, trust_env=False,
                cookie_jar=aiohttp.DummyCookieJar(), timeout=aiohttp.ClientTimeout(total=None),
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept", "Content-Type"),
                requote_redirect_url=False, raise_for_status=False)
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session
        if session is None or session.closed:
            session = self._get_session()
        timeouts = request.extensions.get("timeout", {})
        key = (timeouts.get("pool"), timeouts.get("connect"), timeouts.get("read"))
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = self._timeouts[key] = self._aiohttp.ClientTimeout(
                total=None, connect=key[0], sock_connect=key[1], sock_read=key[2])
        try:
            data = request.content or None
        except httpx.RequestNotRead:
            data = await request.aread() or None
        headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "connection"]
        with _mapped_errors(read=False, request=request):
            response = await session.request(
                request.method, self._URL(str(request.url), encoded=True), headers=headers, data=data,
                allow_redirects=False, compress=None, server_hostname=request.extensions.get("sni_hostname"),
                timeout=timeout)
        extensions = {"http_version": b"HTTP/1.1"}
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode("latin-1", "replace")
        return httpx.Response(response.status, headers=list(response.raw_headers),
                              stream=_AiohttpStream(response), request=request, extensions=extensions)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class _mapped_errors:
    """aiohttp and socket errors as the httpx exceptions the Fetcher knows how to classify."""

    def __init__(self, read: bool, request: httpx.Request | None = None) -> None:
        self.read = read
        self.request = request

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None or isinstance(exc, (httpx.HTTPError, asyncio.CancelledError)):
            return False
        import aiohttp

        mapped: Exception | None = None
        text = str(exc)[:300]
        if isinstance(exc, (aiohttp.ConnectionTimeoutError,)) or (
                isinstance(exc, (aiohttp.ServerTimeoutError, asyncio.TimeoutError)) and not self.read
                and "connect" in text.lower()):
            mapped = httpx.ConnectTimeout(text or "connect timeout")
        elif isinstance(exc, (aiohttp.ServerTimeoutError, asyncio.TimeoutError, TimeoutError)):
            mapped = httpx.ReadTimeout(text or "read timeout")
        elif isinstance(exc, aiohttp.ClientConnectorDNSError):
            mapped = httpx.ConnectError(f"Name or service not known: {exc.os_error}")
        elif isinstance(exc, (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError)):
            mapped = httpx.ConnectError(f"SSL certificate error: {exc}")
        elif isinstance(exc, aiohttp.ClientConnectorError):
            mapped = httpx.ConnectError(str(exc.os_error) or text)
        elif isinstance(exc, aiohttp.ServerDisconnectedError):
            mapped = httpx.RemoteProtocolError(text or "server disconnected without sending a response")
        elif isinstance(exc, (aiohttp.ClientPayloadError, aiohttp.ClientResponseError)):
            mapped = httpx.RemoteProtocolError(text)
        elif isinstance(exc, (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError)):
            mapped = httpx.UnsupportedProtocol(text)
        elif isinstance(exc, (aiohttp.ClientError, OSError)):
            mapped = httpx.ReadError(text) if self.read else httpx.ConnectError(text)
        if mapped is None:
            return False
        if self.request is not None:
            mapped.request = self.request
        raise mapped from exc
