"""A run's table of link results shared by the workers of the distributed mode, in Redis.

In a local run one Fetcher requests every distinct URL once, however many sites link it. When
the sites of a run are spread over workers, each worker has its own Fetcher; this cache gives
them one table again: before requesting a link a worker asks the cache, and the first to ask
claims the URL (the others wait for its answer, up to ``claim_timeout`` seconds, then request it
themselves). Results live in one Redis hash per run (``govscan:run:<run-id>:links``) that expires
``ttl`` seconds after its last write (the coordinator also deletes it when the run ends), so a run never reuses another run's answers (a 复核 run
right after a fix must see the fix) and nothing is left behind in the broker.

The cache is an optional seam of :class:`govscan.fetch.Fetcher` (``shared_cache=``); any object
with the three coroutines below serves. A Redis failure never fails a scan: the cache then says
"not known" and the worker requests the link itself.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from typing import Any

from govscan.model import LinkResult

log = logging.getLogger(__name__)

DEFAULT_TTL = 86_400          # seconds a run's table is kept after its last write
DEFAULT_CLAIM_TIMEOUT = 120.0  # seconds to wait for another worker's answer before asking ourselves
_FIELDS = {f.name for f in dataclasses.fields(LinkResult)}


def run_key(run_id: str) -> str:
    return f"govscan:run:{run_id}:links"


def encode(result: LinkResult) -> str:
    return json.dumps({"r": dataclasses.asdict(result)}, ensure_ascii=False)


def decode(raw: str | bytes) -> LinkResult | float | None:
    """A LinkResult, or the time of a claim (a float), or None for anything unreadable."""
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    if "claim" in data:
        return float(data["claim"])
    fields = data.get("r")
    if not isinstance(fields, dict) or "url" not in fields:
        return None
    values: dict[str, Any] = {k: v for k, v in fields.items() if k in _FIELDS}
    values["redirects"] = tuple(values.get("redirects") or ())
    return LinkResult(**values)


def cacheable(result: LinkResult | None) -> bool:
    """Answers the rest of the run may reuse (not skips, which depend on the asker, nor our own bugs)."""
    return result is not None and result.skipped is None and result.error != "internal"


class RedisLinkCache:
    """``get`` / ``put`` / ``offer`` over one Redis hash per run (redis.asyncio, one event loop)."""

    def __init__(self, url: str, run_id: str, *, ttl: int = DEFAULT_TTL,
                 claim_timeout: float = DEFAULT_CLAIM_TIMEOUT, client: Any = None) -> None:
        if client is None:
            import redis.asyncio as aioredis

            client = aioredis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10)
            self._own_client = True
        else:
            self._own_client = False
        self.client = client
        self.key = run_key(run_id)
        self.ttl = int(ttl)
        self.claim_timeout = claim_timeout
        self.hits = self.misses = self.waits = 0
        self._broken = False

    # ------------------------------------------------------------ the Fetcher's seam

    async def get(self, url: str) -> LinkResult | None:
        """The run's answer for ``url``; None: the caller requests it and then calls ``put``."""
        if self._broken:
            return None
        try:
            found = decode(await self.client.hget(self.key, url) or b"null")
            if found is None:
                if await self.client.hsetnx(self.key, url, json.dumps({"claim": time.time()})):
                    await self._touch()
                    self.misses += 1
                    return None  # ours to request
                found = decode(await self.client.hget(self.key, url) or b"null")
            delay = 0.05
            waited = False
            while isinstance(found, float) and time.time() - found < self.claim_timeout:
                waited = True
                await asyncio.sleep(delay)
                delay = min(delay * 1.5, 1.0)
                found = decode(await self.client.hget(self.key, url) or b"null")
            self.waits += waited
            if isinstance(found, LinkResult):
                self.hits += 1
                return found
            self.misses += 1
            return None  # the claimer vanished (its worker died): ask ourselves
        except Exception as exc:  # noqa: BLE001 - a cache problem must never fail a scan
            self._give_up(exc)
            return None

    async def put(self, url: str, result: LinkResult | None) -> None:
        """Record the answer after a ``get`` that returned None (``None``: release the claim)."""
        if self._broken:
            return
        try:
            if cacheable(result):
                await self.client.hset(self.key, url, encode(result))
                await self._touch()
            else:
                raw = await self.client.hget(self.key, url)
                if raw is not None and isinstance(decode(raw), float):
                    await self.client.hdel(self.key, url)
        except Exception as exc:  # noqa: BLE001
            self._give_up(exc)

    async def offer(self, url: str, result: LinkResult) -> None:
        """A page fetched by a crawl: its answer serves other sites' link checks, unless one is there."""
        if self._broken or not cacheable(result):
            return
        try:
            raw = await self.client.hget(self.key, url)
            if raw is None or isinstance(decode(raw), float):
                await self.client.hset(self.key, url, encode(result))
                await self._touch()
        except Exception as exc:  # noqa: BLE001
            self._give_up(exc)

    # ------------------------------------------------------------ housekeeping

    async def aclose(self) -> None:
        if self._own_client:
            try:
                await self.client.aclose()
            except Exception:  # noqa: BLE001
                pass

    async def _touch(self) -> None:
        await self.client.expire(self.key, self.ttl)

    def _give_up(self, exc: BaseException) -> None:
        if not self._broken:
            log.warning("shared link cache unavailable (%s: %s); checking links locally", type(exc).__name__, exc)
        self._broken = True
