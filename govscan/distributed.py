"""Distributed mode: one run's sites scanned by workers of a Celery task queue (Redis broker).

- **Coordinator** (``govscan scan --broker URL``, :func:`run_distributed`): checks that the broker
  answers, stores the run's configuration once in Redis, enqueues one ``govscan.scan_site`` job per
  site, shows sites as workers start and finish them, gathers each site's result (plain JSON), and
  returns the same :class:`~govscan.report.Report` as a local run. The history store is written by
  the coordinator alone (``cli.execute`` records the report after the run, as in local mode).
- **Workers** (``govscan worker --broker URL``, :func:`worker_main`, or ``celery -A
  govscan.distributed worker``): each job rebuilds the run's RunConfig and scans one site with
  :class:`~govscan.crawl.SiteCrawl`, exactly as a local run does, over a Fetcher whose link table
  is shared with the other workers through :mod:`govscan.linkcache`.
- **Faults**: jobs are acknowledged after completion (``acks_late``), a job whose worker process
  dies is given back to the queue (``task_reject_on_worker_lost`` for a pool process; the Redis
  visibility timeout for a whole worker that vanished) and taken by another worker; each worker holds
  one job at a time (``worker_prefetch_multiplier=1``). A job that raises is retried with backoff; a
  site that keeps failing (or keeps killing its workers) ends after ``max_attempts`` deliveries as a
  site with an error entry and ``complete: false`` in the report, never as a lost site. A site that
  runs past the worker's time limit is cancelled like an interrupted local scan (what it found is
  kept, marked incomplete); Celery's soft and hard limits back this up on prefork pools. A broker
  that cannot be reached makes the coordinator stop with :class:`~govscan.errors.RunError` (exit 3)
  after a short connection check, and every wait of the coordinator is bounded.
- **Scheduling**: a beat schedule (nightly scan, half-hourly probes) read from ``GOVSCAN_*``
  environment variables; the two tasks run on the ``govscan.runs`` queue, consumed by a worker on the
  machine that keeps the history store and the reports. See README "Distributed mode".

Messages are JSON only (``accept_content=["json"]``): pickle would let anyone who can write to the
broker run code on every worker, and a site's job needs nothing JSON cannot carry. The RunConfig
travels as JSON too (:func:`config_to_dict`), stored once per run in Redis rather than in each of a
thousand messages; the coordinator checks before enqueuing that it comes back equal.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import fields, replace
from types import MappingProxyType
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit, urlunsplit

from govscan import aio
from govscan.config import CrawlSettings, RuleSettings, RunConfig, SiteConfig
from govscan.errors import ConfigError, RunError
from govscan.report import Report, SiteResult

QUEUE_SITES = "govscan.sites"     # site scans: every worker machine
QUEUE_RUNS = "govscan.runs"       # scheduled runs (coordinators): the machine with the history store
TASK_SCAN = "govscan.scan_site"
TASK_RUN_SCAN = "govscan.run_scan"
TASK_RUN_PROBES = "govscan.run_probes"

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
DEFAULT_TIME_LIMIT = 3600.0       # seconds one site may take on a worker
DEFAULT_MAX_ATTEMPTS = 3          # deliveries of one site's job before it is reported as an error
DEFAULT_RETRY_DELAY = 10.0        # seconds before the first retry of a job that raised; doubles
DEFAULT_STALL_TIMEOUT = 3 * 3600.0  # coordinator: no site started or finished for this long → give up
RUN_TTL = 3 * 86_400              # seconds a run's keys (config, attempts, links, results) are kept at most
ERROR_RULE = "worker"             # the "rule" of a site's error entry written by the distributed mode


# ------------------------------------------------------------------ RunConfig as JSON

def _plain(value: Any) -> Any:
    if isinstance(value, (dict, MappingProxyType)):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _frozen(value: Any) -> Any:
    """JSON's dicts as the read-only mappings config.load builds (nested mappings stay dicts)."""
    return MappingProxyType(dict(value))


def _rule_to_dict(setting: RuleSettings) -> dict[str, Any]:
    return {"level": setting.level, "options": _plain(setting.options), "ignore_urls": list(setting.ignore_urls)}


def _rule_from_dict(d: Mapping[str, Any]) -> RuleSettings:
    return RuleSettings(d["level"], _frozen(d["options"]), tuple(d["ignore_urls"]))


def _settings_from_dict(cls: type, d: Mapping[str, Any]) -> Any:
    values = {}
    for f in fields(cls):
        if f.name in d:
            value = d[f.name]
            values[f.name] = tuple(value) if isinstance(value, list) else value
    return cls(**values)


def config_to_dict(config: RunConfig) -> dict[str, Any]:
    """The RunConfig as JSON-able data (the worker's side: :func:`config_from_dict`)."""
    sites = []
    for site in config.sites:
        entry = {f.name: _plain(getattr(site, f.name)) for f in fields(SiteConfig) if f.name != "rules"}
        entry["rules"] = {rid: _rule_to_dict(s) for rid, s in site.rules.items()}
        sites.append(entry)
    out = {f.name: _plain(getattr(config, f.name)) for f in fields(RunConfig)
           if f.name not in ("sites", "crawl", "rules", "scoring", "as_of")}
    out.update({
        "sites": sites,
        "crawl": {f.name: _plain(getattr(config.crawl, f.name)) for f in fields(CrawlSettings)},
        "rules": {rid: _rule_to_dict(s) for rid, s in config.rules.items()},
        "scoring": _plain(config.scoring),
        "as_of": config.as_of.isoformat(),
    })
    return out


def config_from_dict(d: Mapping[str, Any]) -> RunConfig:
    sites = []
    for entry in d["sites"]:
        site = _settings_from_dict(SiteConfig, {k: v for k, v in entry.items() if k != "rules"})
        sites.append(replace(site, rules=_frozen({rid: _rule_from_dict(s) for rid, s in entry["rules"].items()})))
    rest = {f.name: d[f.name] for f in fields(RunConfig)
            if f.name in d and f.name not in ("sites", "crawl", "rules", "scoring", "as_of")}
    return RunConfig(
        sites=tuple(sites), crawl=_settings_from_dict(CrawlSettings, d["crawl"]),
        rules=_frozen({rid: _rule_from_dict(s) for rid, s in d["rules"].items()}),
        scoring=_frozen(d["scoring"]), as_of=dt.date.fromisoformat(d["as_of"]), **rest)


def config_payload(config: RunConfig) -> str:
    """The JSON stored for the workers; RunError when the config would not come back the same
    (a rules file with values JSON cannot carry, such as a YAML date or a non-string key)."""
    try:
        text = json.dumps(config_to_dict(config), ensure_ascii=False, separators=(",", ":"))
        same = config_from_dict(json.loads(text)) == config
    except (TypeError, ValueError) as exc:
        raise RunError(f"the configuration cannot be sent to workers as JSON: {exc}") from None
    if not same:
        raise RunError("the configuration cannot be sent to workers as JSON unchanged "
                       "(a value in the rules or sites file is not a string, number, list or mapping "
                       "with string keys); quote it")
    return text


# ------------------------------------------------------------------ broker helpers

def mask(url: str) -> str:
    """The broker URL without its password, for messages and reports."""
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def check_broker_url(url: str) -> None:
    if urlsplit(url).scheme not in ("redis", "rediss"):
        raise ConfigError("command line", "--broker", f"must be a redis:// or rediss:// URL, not {url!r}")


def check_broker(url: str, timeout: float = 5.0) -> None:
    """Raise RunError unless the broker answers a PING within ``timeout`` seconds."""
    import redis

    check_broker_url(url)
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    except (redis.exceptions.RedisError, OSError) as exc:
        raise RunError(f"cannot reach the broker at {mask(url)}: {exc}") from None
    finally:
        client.close()


def _config_key(run_id: str) -> str:
    return f"govscan:run:{run_id}:config"


def _attempts_key(run_id: str) -> str:
    return f"govscan:run:{run_id}:attempts"


_CLIENTS: dict[tuple[int, str], Any] = {}


def _redis(url: str) -> Any:
    """A synchronous client per process (prefork children get their own)."""
    import redis

    key = (os.getpid(), url)
    client = _CLIENTS.get(key)
    if client is None:
        client = _CLIENTS[key] = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=15)
    return client


# ------------------------------------------------------------------ the Celery app

def make_app(broker: str = DEFAULT_BROKER, *, time_limit: float = DEFAULT_TIME_LIMIT,
             max_attempts: int = DEFAULT_MAX_ATTEMPTS, retry_delay: float = DEFAULT_RETRY_DELAY,
             visibility_timeout: float | None = None, schedule: Mapping[str, Any] | None = None):
    """A Celery app on a Redis broker (also its result backend) with govscan's tasks.

    ``time_limit``: seconds one site may take; ``visibility_timeout``: seconds after which a job
    taken by a worker that vanished is handed to another (default: the time limit plus 5 minutes;
    it must exceed the longest job, or a job still running is handed out twice)."""
    try:
        from celery import Celery
    except ImportError:  # pragma: no cover - the extra is not installed
        raise ConfigError("command line", "--broker",
                          "the distributed mode needs Celery: pip install 'govscan[distributed]'") from None
    check_broker_url(broker)
    visibility = float(visibility_timeout or time_limit + 300)
    app = Celery("govscan", broker=broker, backend=broker, set_as_current=False)
    app.conf.update(
        task_serializer="json", result_serializer="json", accept_content=["json"],
        result_accept_content=["json"],
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_track_started=True, result_expires=RUN_TTL, result_extended=False,
        task_default_queue=QUEUE_SITES,
        task_routes={TASK_RUN_SCAN: {"queue": QUEUE_RUNS}, TASK_RUN_PROBES: {"queue": QUEUE_RUNS}},
        # Backstops of the in-task limit (prefork pools only: the solo pool cannot interrupt a job).
        task_soft_time_limit=time_limit + 30, task_time_limit=time_limit + 60,
        broker_transport_options={
            "visibility_timeout": visibility,
            # how often a worker looks for jobs of vanished workers (cheap: one sorted-set read)
            "unacked_restore_interval": max(1, min(10, int(visibility / 10))), "unacked_restore_throttle": 1,
            "socket_connect_timeout": 5, "socket_timeout": 30,
        },
        broker_connection_timeout=5, broker_connection_retry_on_startup=True,
        redis_socket_connect_timeout=5, redis_socket_timeout=15,
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1},
        worker_hijack_root_logger=False, worker_cancel_long_running_tasks_on_connection_loss=False,
        broker_connection_retry=True,
        beat_schedule=dict(schedule) if schedule is not None else beat_schedule_from_env(),
        timezone=os.environ.get("GOVSCAN_TZ", "Asia/Shanghai"),
    )
    from celery.signals import after_setup_logger

    after_setup_logger.connect(_quiet_http_logs, weak=False, dispatch_uid="govscan-quiet-http")
    app.conf.govscan = {"time_limit": float(time_limit), "max_attempts": int(max_attempts),
                        "retry_delay": float(retry_delay)}

    # shared=False: the tasks belong to this app only (tests and `govscan worker` make several apps).
    app.task(bind=True, name=TASK_SCAN, shared=False, acks_late=True, reject_on_worker_lost=True,
             max_retries=None)(_scan_task)
    app.task(bind=True, name=TASK_RUN_SCAN, shared=False, acks_late=False, time_limit=86_400,
             soft_time_limit=86_000)(_run_scan_task)
    app.task(bind=True, name=TASK_RUN_PROBES, shared=False, acks_late=False, time_limit=900,
             soft_time_limit=880)(_run_probes_task)
    return app


def _run_scan_task(task: Any, sites: str, db: str | None = None, out: str = "reports", rules: str | None = None,
                   extra: list | None = None) -> dict:
    """The nightly scan: this machine coordinates (`govscan scan --broker`), the workers scan."""
    args = ["scan", "--sites", sites, "--broker", task.app.conf.broker_url, "-q", "--fail-on", "never",
            "--out", os.path.join(out, dt.date.today().isoformat())]
    args += (["--db", db] if db else []) + (["--rules", rules] if rules else []) + list(extra or [])
    return _govscan(args, timeout=86_000)


def _run_probes_task(task: Any, sites: str, db: str | None = None, rules: str | None = None) -> dict:
    """A probe round: one GET per homepage, recorded in this machine's history store."""
    args = ["probe", "--sites", sites] + (["--db", db] if db else []) + (["--rules", rules] if rules else [])
    return _govscan(args, timeout=870)


def _govscan(args: list[str], timeout: float) -> dict:
    """A scheduled run is the command line's own scan or probe, in a child process."""
    done = subprocess.run([sys.executable, "-m", "govscan", *args], capture_output=True, text=True,
                          timeout=timeout, check=False)
    return {"args": args, "exit": done.returncode, "stderr": done.stderr[-2000:]}


def beat_schedule_from_env(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The beat schedule from GOVSCAN_SITES (required), GOVSCAN_DB, GOVSCAN_OUT, GOVSCAN_RULES,
    GOVSCAN_SCAN_AT (HH:MM, default 02:15) and GOVSCAN_PROBE_EVERY (minutes, default 30)."""
    env = os.environ if env is None else env
    sites = env.get("GOVSCAN_SITES")
    if not sites:
        return {}
    return beat_schedule(sites, db=env.get("GOVSCAN_DB"), out=env.get("GOVSCAN_OUT", "reports"),
                         rules=env.get("GOVSCAN_RULES"), scan_at=env.get("GOVSCAN_SCAN_AT", "02:15"),
                         probe_every=int(env.get("GOVSCAN_PROBE_EVERY", "30")))


def beat_schedule(sites: str, *, db: str | None = None, out: str = "reports", rules: str | None = None,
                  scan_at: str = "02:15", probe_every: int = 30) -> dict[str, Any]:
    """A nightly distributed scan at ``scan_at`` and a probe of every homepage every ``probe_every``
    minutes, both on the ``govscan.runs`` queue (the machine with the history store)."""
    from celery.schedules import crontab

    hour, _, minute = scan_at.partition(":")
    common = {"sites": sites, "db": db, "rules": rules}
    return {
        "govscan-nightly-scan": {
            "task": TASK_RUN_SCAN, "schedule": crontab(hour=int(hour), minute=int(minute or 0)),
            "kwargs": {**common, "out": out}, "options": {"queue": QUEUE_RUNS, "expires": 6 * 3600},
        },
        "govscan-probes": {
            "task": TASK_RUN_PROBES, "schedule": crontab(minute=f"*/{probe_every}"),
            "kwargs": common, "options": {"queue": QUEUE_RUNS, "expires": probe_every * 60 * 0.8},
        },
    }


# ------------------------------------------------------------------ worker side

_RUN_CONFIGS: dict[str, RunConfig] = {}


class _RunGone(Exception):
    """The run's configuration is no longer in the broker (the run ended or was abandoned)."""


def _run_config(client: Any, run_id: str) -> RunConfig:
    raw = client.get(_config_key(run_id))
    if raw is None:
        _RUN_CONFIGS.pop(run_id, None)
        raise _RunGone(run_id)
    config = _RUN_CONFIGS.get(run_id)
    if config is None:
        config = config_from_dict(json.loads(raw))
        if len(_RUN_CONFIGS) >= 4:
            _RUN_CONFIGS.pop(next(iter(_RUN_CONFIGS)))
        _RUN_CONFIGS[run_id] = config
    return config


def _scan_task(task: Any, run_id: str, site_id: str, job: dict) -> dict:
    from celery.exceptions import SoftTimeLimitExceeded

    conf = task.app.conf
    limits = conf.govscan
    client = _redis(conf.broker_url)
    attempt = int(client.hincrby(_attempts_key(run_id), site_id, 1))
    client.expire(_attempts_key(run_id), RUN_TTL)
    try:
        config = _run_config(client, run_id)
    except _RunGone:
        return {"gone": True, "site_id": site_id}
    site = next(s for s in config.sites if s.id == site_id)
    availability = job.get("availability")
    worker = task.request.hostname or socket.gethostname()
    base = {"worker": worker, "attempt": attempt, "requests": 0}
    if attempt > limits["max_attempts"]:
        result = error_result(config, site, "lost", f"站点扫描 {attempt - 1} 次均未完成（工作进程中断或被终止），不再重试",
                              availability)
        return {**base, "site": result.to_dict()}
    try:
        result, requests = scan_site_sync(config, site, job, redis_url=conf.broker_url, run_id=run_id,
                                          time_limit=limits["time_limit"])
    except SoftTimeLimitExceeded:
        result, requests = error_result(config, site, "time-limit", f"站点扫描超过时限 {limits['time_limit']:g} 秒",
                                        availability), 0
    except Exception as exc:  # noqa: BLE001 - retried, then reported; never a lost site
        if attempt < limits["max_attempts"]:
            raise task.retry(exc=exc, countdown=limits["retry_delay"] * 2 ** (attempt - 1)) from None
        result, requests = error_result(config, site, "failed",
                                        f"站点扫描 {attempt} 次均失败：{type(exc).__name__}: {exc}"[:500],
                                        availability), 0
    return {**base, "requests": requests, "site": result.to_dict()}


def scan_site_sync(config: RunConfig, site: SiteConfig, job: Mapping[str, Any], *, redis_url: str | None,
                   run_id: str, time_limit: float | None) -> tuple[SiteResult, int]:
    return aio.run(scan_one(config, site, job, redis_url=redis_url, run_id=run_id, time_limit=time_limit))


async def scan_one(config: RunConfig, site: SiteConfig, job: Mapping[str, Any], *, redis_url: str | None = None,
                   run_id: str = "", time_limit: float | None = None, transport: Any = None) -> tuple[SiteResult, int]:
    """One site of a run, as a local run scans it: same Fetcher settings, connect rules and trusted
    hosts (those of every site of the run), same crawl; link answers shared through Redis."""
    from govscan.crawl import SiteCrawl, new_state
    from govscan.fetch import Fetcher
    from govscan.linkcache import RedisLinkCache
    from govscan.progress import NoProgress
    from govscan.run import connect_rules

    cache = None
    if redis_url:
        crawl = config.crawl
        claim = min(300.0, crawl.timeout * (crawl.retries + 1) * 2 + crawl.backoff * 8 + 10)
        cache = RedisLinkCache(redis_url, run_id, ttl=RUN_TTL, claim_timeout=claim)
    trusted = {h for s in config.sites for h in (s.host, *s.aliases)} | set(config.crawl.aliases)
    fetcher = Fetcher(config.crawl, connect_rules(config, tuple(job.get("connect_to", ()))), transport=transport,
                      ignore_robots=bool(job.get("ignore_robots")), trusted_hosts=trusted, shared_cache=cache)
    state = new_state(site, config, frozenset(job.get("only", ())), frozenset(job.get("skip", ())))
    crawl_ = SiteCrawl(state, config, fetcher, NoProgress())
    fetcher.crawl_started(crawl_.hosts)
    timed_out = False
    task = asyncio.ensure_future(crawl_.run())
    try:
        done, _ = await asyncio.wait({task}, timeout=time_limit or None)
        if not done:  # past the time limit: cut short, keep what was found (as an interrupted local run)
            timed_out = True
            while not task.done():  # a wait_for deep inside may swallow one cancellation: repeat
                task.cancel()
                await asyncio.wait({task}, timeout=0.5)
        elif task.exception() is not None:
            raise task.exception()
    finally:
        await asyncio.shield(crawl_.settle())  # a cut-short crawl keeps its page findings
        await asyncio.shield(fetcher.aclose())
        if cache is not None:
            await cache.aclose()
    result = state.result(config, job.get("availability"))
    if timed_out:
        result.errors.append(_error_entry(site, "time-limit", f"站点扫描超过时限 {time_limit:g} 秒，结果不完整"))
    return result, fetcher.requests


def _error_entry(site: SiteConfig, code: str, message: str) -> dict[str, Any]:
    return {"rule": ERROR_RULE, "url": site.url, "error": message, "code": code}


def error_result(config: RunConfig, site: SiteConfig, code: str, message: str,
                 availability: Mapping[str, Any] | None = None) -> SiteResult:
    """A site the run could not scan: in the report with its error and ``complete: false``."""
    from govscan.crawl import new_state

    result = new_state(site, config).result(config, availability)
    result.errors.append(_error_entry(site, code, message))
    return result


def _quiet_http_logs(**_kwargs: Any) -> None:
    """httpx logs every request at INFO: too much for a worker's log."""
    import logging

    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


def worker_main(broker: str, *, concurrency: int = 1, pool: str = "prefork", queues: str = QUEUE_SITES,
                name: str | None = None, time_limit: float = DEFAULT_TIME_LIMIT,
                visibility_timeout: float | None = None, loglevel: str = "INFO", beat: bool = False) -> None:
    """Run a worker until it is stopped (SIGTERM: finish the current job first; SIGQUIT: at once)."""
    app = make_app(broker, time_limit=time_limit, visibility_timeout=visibility_timeout)
    argv = ["worker", f"--loglevel={loglevel}", f"--concurrency={concurrency}", f"--pool={pool}",
            f"--queues={queues}", "--without-gossip", "--without-mingle"]
    if name:
        argv.append(f"--hostname={name}")
    if beat:
        argv.append("--beat")
    app.worker_main(argv)


# ------------------------------------------------------------------ coordinator

def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")


class _Stop(Exception):
    pass


def run_distributed(config: RunConfig, options: Any = None, broker: str = DEFAULT_BROKER, *,
                    app: Any = None, poll_interval: float = 0.5, stall_timeout: float = DEFAULT_STALL_TIMEOUT,
                    connect_timeout: float = 5.0, outage_timeout: float = 30.0,
                    log: Callable[[str], None] | None = None) -> Report:
    """Scan ``config``'s sites on the workers behind ``broker``; the same Report as ``run.run``.

    RunError when the broker cannot be reached at the start. Once jobs are out, the run ends with
    every site in the report: a site with no result (broker gone for ``outage_timeout`` seconds, no
    site started or finished for ``stall_timeout`` seconds, Ctrl-C/SIGTERM) gets an error entry and
    ``complete: false``, and so does the run."""
    from govscan.run import RunOptions, report_options as run_report_options

    options = options or RunOptions()
    log = log or (lambda message: None)
    progress = options.progress
    check_broker(broker, connect_timeout)
    payload = config_payload(config)
    app = app or make_app(broker)
    client = _redis(broker)
    run_id = uuid.uuid4().hex[:12]
    started_at = _now()
    by_task: dict[str, SiteConfig] = {}
    try:
        if not app.control.ping(timeout=1.0):
            log(f"no idle worker answered at {mask(broker)}; the sites wait in the queue '{QUEUE_SITES}' "
                "until a worker (govscan worker --broker URL) takes them")
    except Exception:  # noqa: BLE001 - only a hint
        pass
    try:
        client.set(_config_key(run_id), payload, ex=RUN_TTL)
        with app.producer_or_acquire() as producer:
            for site in config.sites:
                job = {"connect_to": list(options.connect_to), "only": sorted(options.only),
                       "skip": sorted(options.skip), "ignore_robots": bool(options.ignore_robots),
                       "availability": _plain(options.availability.get(site.id))}
                task_id = f"govscan.{run_id}.{site.id}"
                app.send_task(TASK_SCAN, args=[run_id, site.id, job], task_id=task_id, queue=QUEUE_SITES,
                              producer=producer)
                by_task[task_id] = site
    except Exception as exc:  # noqa: BLE001 - the broker went away while we were enqueuing
        _cleanup(client, app, run_id, list(by_task))
        raise RunError(f"lost the broker at {mask(broker)} while enqueuing the sites: {exc}") from None
    results: dict[str, SiteResult] = {}
    requests = 0
    workers: set[str] = set()
    jobs: dict[str, dict[str, Any]] = {}   # per site: the worker that scanned it, in which delivery
    seen_started: set[str] = set()
    pending = dict(by_task)
    stop_reason = None
    last_change = time.monotonic()
    outage_since: float | None = None
    previous = _sigterm_raises()
    try:
        while pending:
            try:
                metas = _states(app, list(pending))
                outage_since = None
            except Exception as exc:  # noqa: BLE001 - redis connection errors and their wrappers
                outage_since = outage_since or time.monotonic()
                if time.monotonic() - outage_since > outage_timeout:
                    stop_reason = ("broker-unreachable", f"与任务队列 {mask(broker)} 失去连接，未取得结果")
                    log(f"lost the broker at {mask(broker)} for more than {outage_timeout:g} s ({exc}); "
                        f"{len(pending)} site(s) without a result")
                    break
                time.sleep(poll_interval)
                continue
            for task_id, meta in metas.items():
                site = pending[task_id]
                status = meta.get("status")
                if status not in ("SUCCESS", "FAILURE", "REVOKED"):  # PENDING, STARTED, RETRY
                    if status == "STARTED" and task_id not in seen_started:
                        seen_started.add(task_id)
                        last_change = time.monotonic()
                        progress.site_started(site.id, site.name)
                    continue
                if status == "SUCCESS" and isinstance(meta.get("result"), dict) and "site" in meta["result"]:
                    out = meta["result"]
                    results[site.id] = SiteResult.from_dict(out["site"])
                    requests += int(out.get("requests") or 0)
                    if out.get("worker"):
                        workers.add(str(out["worker"]))
                    jobs[site.id] = {"worker": out.get("worker"), "attempt": out.get("attempt")}
                else:  # FAILURE (a hard time limit, a bug outside the scan), REVOKED
                    detail = meta.get("result")
                    if isinstance(detail, dict) and "exc_type" in detail:
                        detail = f"{detail.get('exc_type')}: {' '.join(map(str, detail.get('exc_message') or ()))}"
                    results[site.id] = error_result(config, site, "failed", f"站点扫描失败：{detail}"[:500],
                                                    options.availability.get(site.id))
                del pending[task_id]
                last_change = time.monotonic()
                done = results[site.id]
                if task_id not in seen_started:
                    progress.site_started(site.id, site.name)
                progress.site_finished(site.id, len(done.findings), done.verdict.qualified if done.verdict else None)
            if pending and time.monotonic() - last_change > stall_timeout:
                stop_reason = ("no-result", f"{stall_timeout:g} 秒内没有站点开始或完成扫描，未取得结果")
                log(f"no site started or finished in {stall_timeout:g} s; {len(pending)} site(s) without a result")
                break
            if pending:
                time.sleep(poll_interval)
    except (KeyboardInterrupt, _Stop):
        stop_reason = ("interrupted", "扫描被中断，未取得结果")
    finally:
        _restore_sigterm(previous)
    for task_id, site in pending.items():
        code, message = stop_reason or ("no-result", "未取得结果")
        results[site.id] = error_result(config, site, code, message, options.availability.get(site.id))
        progress.site_finished(site.id, 0, None)
    if stop_reason is None or stop_reason[0] != "broker-unreachable":
        _cleanup(client, app, run_id, list(by_task))
    report_options = dict(run_report_options(config, options, requests), distributed={
        "broker": mask(broker), "run": run_id, "workers": sorted(workers), "jobs": dict(sorted(jobs.items()))})
    sites = [results[s.id] for s in config.sites]
    return Report(sites=sites, started_at=started_at, finished_at=_now(), as_of=config.as_of.isoformat(),
                  complete=stop_reason is None and all(s.complete for s in sites), options=report_options)


def _states(app: Any, task_ids: list[str]) -> dict[str, dict]:
    """The result backend's record of each task that has one (STARTED, RETRY, SUCCESS, FAILURE …)."""
    backend = app.backend
    out: dict[str, dict] = {}
    for i in range(0, len(task_ids), 500):
        chunk = task_ids[i:i + 500]
        values = backend.client.mget([backend.get_key_for_task(t) for t in chunk])
        for task_id, raw in zip(chunk, values):
            if raw is not None:
                meta = backend.decode(raw)
                if isinstance(meta, dict):
                    out[task_id] = meta
    return out


def _cleanup(client: Any, app: Any, run_id: str, task_ids: list[str]) -> None:
    """The run's keys: config (jobs still queued then end at once), attempts, links, results."""
    from govscan.linkcache import run_key

    try:
        keys = [_config_key(run_id), _attempts_key(run_id), run_key(run_id)]
        keys += [app.backend.get_key_for_task(t) for t in task_ids]
        for i in range(0, len(keys), 500):
            client.delete(*keys[i:i + 500])
    except Exception:  # noqa: BLE001 - the keys expire anyway
        pass


def _sigterm_raises() -> Any:
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        raise _Stop()

    try:
        return signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):
        return None


def _restore_sigterm(previous: Any) -> None:
    if previous is not None:
        try:
            signal.signal(signal.SIGTERM, previous)
        except (ValueError, OSError):
            pass


_ENV_APP: Any = None


def __getattr__(name: str) -> Any:
    """``app``: for ``celery -A govscan.distributed worker|beat``, made from the environment
    (GOVSCAN_BROKER, GOVSCAN_TIME_LIMIT, GOVSCAN_MAX_ATTEMPTS, GOVSCAN_RETRY_DELAY,
    GOVSCAN_VISIBILITY_TIMEOUT, and the schedule's GOVSCAN_SITES ...)."""
    global _ENV_APP
    if name != "app":
        raise AttributeError(name)
    if _ENV_APP is None:
        visibility = os.environ.get("GOVSCAN_VISIBILITY_TIMEOUT")
        _ENV_APP = make_app(os.environ.get("GOVSCAN_BROKER", DEFAULT_BROKER),
                            time_limit=float(os.environ.get("GOVSCAN_TIME_LIMIT", DEFAULT_TIME_LIMIT)),
                            max_attempts=int(os.environ.get("GOVSCAN_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)),
                            retry_delay=float(os.environ.get("GOVSCAN_RETRY_DELAY", DEFAULT_RETRY_DELAY)),
                            visibility_timeout=float(visibility) if visibility else None)
    return _ENV_APP
