"""The history store: one SQLite file shared by scans, probes, diffs and trends.

Several processes use it at once (a cron probe every half hour, a nightly scan), so: WAL mode
(readers never block the writer), a busy timeout, short write transactions opened with
``BEGIN IMMEDIATE`` (the write lock is taken up front, so no transaction fails half-way when
it tries to upgrade a read lock), and a retry loop on SQLITE_BUSY around each transaction.

Times are stored as UTC ISO strings ``YYYY-MM-DDTHH:MM:SSZ`` so that text order is time order,
except run and finding times, which keep the report's own ISO timestamp for display.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from govscan.errors import RunError

DEFAULT_DB = Path(".govscan") / "history.sqlite"
BUSY_TIMEOUT_MS = 5000      # SQLite's own wait for a lock, per attempt
RETRY_FOR_S = 120.0         # then our retries, with backoff, for at most this long
AVAILABILITY_DAYS = 7

# Each entry upgrades the schema by one version; never edit a released entry, append one.
MIGRATIONS: tuple[str, ...] = (
    # 1: runs, per-site summaries, findings by fingerprint, availability probes
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL DEFAULT 'scan',          -- scan | recheck
        started_at TEXT NOT NULL,                   -- the report's timestamps (ISO 8601)
        finished_at TEXT,
        as_of TEXT NOT NULL,                        -- YYYY-MM-DD
        complete INTEGER NOT NULL,
        tool_version TEXT,
        options TEXT NOT NULL DEFAULT '{}',         -- JSON
        recorded_at TEXT NOT NULL                   -- UTC
    );
    CREATE TABLE site_runs (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        site_id TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        url TEXT NOT NULL,
        complete INTEGER NOT NULL,
        qualified INTEGER NOT NULL,
        score REAL NOT NULL,
        vetoes TEXT NOT NULL DEFAULT '[]',          -- JSON: the verdict's vetoes
        findings INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        warnings INTEGER NOT NULL,
        infos INTEGER NOT NULL,
        new INTEGER NOT NULL DEFAULT 0,
        fixed INTEGER NOT NULL DEFAULT 0,
        pages INTEGER NOT NULL DEFAULT 0,
        links INTEGER NOT NULL DEFAULT 0,
        probes INTEGER,                              -- availability used by the verdict
        probe_failures INTEGER,
        availability REAL,
        PRIMARY KEY (run_id, site_id)
    );
    CREATE INDEX site_runs_site ON site_runs(site_id, run_id);
    CREATE TABLE findings (
        site_id TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        rule TEXT NOT NULL,
        level TEXT NOT NULL,
        url TEXT NOT NULL,
        status TEXT NOT NULL,                       -- open | fixed
        first_seen_run INTEGER NOT NULL,
        first_seen_at TEXT NOT NULL,
        last_seen_run INTEGER NOT NULL,
        last_seen_at TEXT NOT NULL,
        fixed_run INTEGER,
        fixed_at TEXT,
        data TEXT NOT NULL,                         -- JSON: the finding as last reported
        PRIMARY KEY (site_id, fingerprint)
    );
    CREATE INDEX findings_open ON findings(site_id, status);
    CREATE TABLE run_findings (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        site_id TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        PRIMARY KEY (run_id, site_id, fingerprint)
    );
    CREATE TABLE probes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,                           -- UTC, YYYY-MM-DDTHH:MM:SSZ
        site_id TEXT NOT NULL,
        url TEXT NOT NULL,
        ok INTEGER NOT NULL,
        status INTEGER NOT NULL DEFAULT 0,
        latency_ms INTEGER,
        error TEXT
    );
    CREATE INDEX probes_site_at ON probes(site_id, at);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(RunError):
    """The store cannot be opened, migrated or written (the CLI exits 3)."""


def utc_text(when: dt.datetime) -> str:
    if when.tzinfo is None:
        when = when.astimezone()  # naive means local time
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def window_end(as_of: dt.date, now: dt.datetime | None = None) -> dt.datetime:
    """The end of the availability window for a scan as of ``as_of``: the end of that day
    (local time), or now when that is earlier (a scan of today sees probes up to now)."""
    now = now or dt.datetime.now().astimezone()
    end_of_day = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time()).astimezone()
    return min(now, end_of_day)


@dataclass(frozen=True)
class Probe:
    site_id: str
    url: str
    ok: bool
    status: int = 0
    latency_ms: int | None = None
    error: str | None = None
    at: dt.datetime | None = None   # default: now


def _busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class Store:
    """The history store at ``path``. Opening creates it (and its folder) and migrates it,
    unless ``readonly``: then a missing file raises StoreError and nothing is written."""

    def __init__(self, path: str | Path = DEFAULT_DB, *, readonly: bool = False,
                 busy_timeout_ms: int = BUSY_TIMEOUT_MS, retry_for: float = RETRY_FOR_S) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.retry_for = retry_for
        try:
            if readonly:
                if not self.path.is_file():
                    raise StoreError(f"{self.path}: 历史库不存在（先用 govscan scan --db 或 govscan probe 生成）")
                uri = self.path.resolve().as_uri() + "?mode=ro"
                self.conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout_ms / 1000,
                                            isolation_level=None, check_same_thread=False)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.conn = sqlite3.connect(str(self.path), timeout=busy_timeout_ms / 1000,
                                            isolation_level=None, check_same_thread=False)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            self.conn.execute("PRAGMA foreign_keys = ON")
            if not readonly:
                self._retry(lambda: self.conn.execute("PRAGMA journal_mode = WAL").fetchone())
                self.conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; durable per checkpoint
                self._migrate()
            else:
                self._check_version(self._version())
        except StoreError:
            raise
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{self.path}: 无法打开历史库（{_reason(exc)}）") from None

    # ------------------------------------------------------------ plumbing

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _retry(self, fn):
        deadline = time.monotonic() + self.retry_for
        delay = 0.02
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 1.0)

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction: the write lock is taken at BEGIN, so the body never waits."""
        if self.readonly:
            raise StoreError(f"{self.path}: 以只读方式打开，不能写入")
        try:
            self._retry(lambda: self.conn.execute("BEGIN IMMEDIATE"))
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: 无法写入历史库（{_reason(exc)}）") from None
        try:
            yield self.conn
            self._retry(lambda: self.conn.execute("COMMIT"))
        except BaseException as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"{self.path}: 写入历史库失败（{_reason(exc)}）") from None
            raise

    def _version(self) -> int:
        exists = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
        if not exists:
            return 0
        row = self.conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: 历史库版本为 {version}，高于本程序支持的 {SCHEMA_VERSION}，请升级 govscan")

    def _migrate(self) -> None:
        if self._version() == SCHEMA_VERSION:
            return
        with self._write() as conn:
            # Checked again under the write lock: another process may have migrated meanwhile.
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)")
            version = self._version()
            self._check_version(version)
            for number in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _statements(MIGRATIONS[number - 1]):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_version VALUES (?, ?)", (number, utc_text(dt.datetime.now(dt.timezone.utc))))

    @property
    def version(self) -> int:
        return self._version()

    # ------------------------------------------------------------ probes

    def add_probes(self, probes: Iterable[Probe]) -> int:
        now = dt.datetime.now(dt.timezone.utc)
        rows = [(utc_text(p.at or now), p.site_id, p.url, int(bool(p.ok)), int(p.status or 0), p.latency_ms, p.error)
                for p in probes]
        with self._write() as conn:
            conn.executemany("INSERT INTO probes (at, site_id, url, ok, status, latency_ms, error) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        return len(rows)

    def availability(self, site_id: str, end: dt.datetime, days: int = AVAILABILITY_DAYS) -> dict[str, Any] | None:
        """Probes of ``site_id`` in [end − days, end]: count, failures, failure ratio; None when there are none."""
        start = end - dt.timedelta(days=days)
        row = self.conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(1 - ok), 0) FROM probes WHERE site_id = ? AND at >= ? AND at <= ?",
            (site_id, utc_text(start), utc_text(end))).fetchone()
        probes, failures = int(row[0]), int(row[1])
        if not probes:
            return None
        return {"probes": probes, "failures": failures, "ratio": round(failures / probes, 6),
                "window_start": utc_text(start), "window_end": utc_text(end), "days": days}

    def probe_days(self, site_id: str, end: dt.datetime, days: int = 14) -> list[dict[str, Any]]:
        """Probes per UTC day for the last ``days`` days up to ``end``."""
        start = end - dt.timedelta(days=days)
        rows = self.conn.execute(
            "SELECT substr(at, 1, 10) AS day, COUNT(*) AS probes, SUM(1 - ok) AS failures, "
            "AVG(CASE WHEN ok THEN latency_ms END) AS latency FROM probes "
            "WHERE site_id = ? AND at >= ? AND at <= ? GROUP BY day ORDER BY day",
            (site_id, utc_text(start), utc_text(end))).fetchall()
        return [{"day": r["day"], "probes": r["probes"], "failures": r["failures"],
                 "ratio": round(r["failures"] / r["probes"], 6),
                 "latency_ms": None if r["latency"] is None else round(r["latency"])} for r in rows]

    def probe_count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM probes").fetchone()[0])

    # ------------------------------------------------------------ runs and findings

    def open_findings(self, site_id: str) -> list[dict[str, Any]]:
        """Findings of ``site_id`` open after its latest run, as reported, with ``first_seen``."""
        rows = self.conn.execute(
            "SELECT data, first_seen_at FROM findings WHERE site_id = ? AND status = 'open' ORDER BY url, rule, fingerprint",
            (site_id,)).fetchall()
        return [dict(json.loads(r["data"]), first_seen=r["first_seen_at"]) for r in rows]

    def last_run(self, site_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT r.id, r.kind, r.started_at, r.as_of, r.complete FROM site_runs s JOIN runs r ON r.id = s.run_id "
            "WHERE s.site_id = ? ORDER BY r.id DESC LIMIT 1", (site_id,)).fetchone()
        return dict(row) if row else None

    def sites(self) -> list[dict[str, Any]]:
        """Every site the store knows, with its latest name and URL."""
        rows = self.conn.execute(
            "SELECT s.site_id, s.name, s.url, s.run_id FROM site_runs s JOIN "
            "(SELECT site_id, MAX(run_id) AS run_id FROM site_runs GROUP BY site_id) m "
            "ON m.site_id = s.site_id AND m.run_id = s.run_id ORDER BY s.site_id").fetchall()
        known = [dict(r) for r in rows]
        seen = {r["site_id"] for r in known}
        for r in self.conn.execute("SELECT site_id, MAX(url) AS url FROM probes GROUP BY site_id ORDER BY site_id"):
            if r["site_id"] not in seen:
                known.append({"site_id": r["site_id"], "name": "", "url": r["url"], "run_id": None})
        return sorted(known, key=lambda r: r["site_id"])

    def site_runs(self, site_id: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Per-site run summaries, oldest first (the latest ``limit`` per site when given)."""
        sql = ("SELECT s.*, r.kind, r.started_at, r.finished_at, r.as_of, r.complete AS run_complete "
               "FROM site_runs s JOIN runs r ON r.id = s.run_id")
        args: tuple = ()
        if site_id is not None:
            sql += " WHERE s.site_id = ?"
            args = (site_id,)
        rows = [dict(r) for r in self.conn.execute(sql + " ORDER BY s.site_id, r.id", args)]
        if limit is not None:
            by_site: dict[str, list[dict[str, Any]]] = {}
            for r in rows:
                by_site.setdefault(r["site_id"], []).append(r)
            rows = [r for rs in by_site.values() for r in rs[-limit:]]
        for r in rows:
            r["vetoes"] = json.loads(r["vetoes"])
        return rows

    def run_count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def record_run(self, report: Mapping[str, Any], *, kind: str = "scan",
                   outcomes: Mapping[str, "SiteOutcome"] | None = None) -> "Recorded":
        """Record a finished report: the run, each site's summary, and its findings by fingerprint.

        For each site the previous open findings are compared with the reported ones
        (``govscan.diff.classify``) inside the write transaction; ``outcomes`` replaces that
        comparison for a site (a recheck knows which findings it confirmed or could not check).
        """
        from govscan.diff import classify

        now = utc_text(dt.datetime.now(dt.timezone.utc))
        run = report["run"]
        when = run["started_at"]
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO runs (kind, started_at, finished_at, as_of, complete, tool_version, options, recorded_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (kind, when, run.get("finished_at"), run["as_of"], int(bool(run["complete"])),
                 report.get("tool", {}).get("version"), json.dumps(run.get("options", {}), ensure_ascii=False,
                                                                   default=str), now))
            run_id = int(cur.lastrowid)
            sites: dict[str, SiteRecord] = {}
            for site in report["sites"]:
                site_id = site["id"]
                previous_run = conn.execute(
                    "SELECT r.id, r.kind, r.started_at, r.as_of FROM site_runs s JOIN runs r ON r.id = s.run_id "
                    "WHERE s.site_id = ? AND r.id < ? ORDER BY r.id DESC LIMIT 1", (site_id, run_id)).fetchone()
                previous = {r["fingerprint"]: dict(json.loads(r["data"]), first_seen=r["first_seen_at"],
                                                   first_seen_run=r["first_seen_run"])
                            for r in conn.execute("SELECT fingerprint, data, first_seen_at, first_seen_run FROM findings "
                                                  "WHERE site_id = ? AND status = 'open'", (site_id,))}
                outcome = (outcomes or {}).get(site_id) or classify(previous.values(), site, run.get("options", {}))
                fixed_fps = set(outcome.fixed)
                seen = {f["fingerprint"]: f for f in site["findings"]}
                first_seen: dict[str, str] = {}
                for fp, finding in seen.items():
                    data = json.dumps({k: v for k, v in finding.items() if k not in _ANNOTATIONS},
                                      ensure_ascii=False, default=str)
                    if fp in previous:
                        first_seen[fp] = previous[fp]["first_seen"]
                        if (finding.get("recheck") or {}).get("result") == "not-rechecked":
                            continue  # carried over unchecked: it was not seen again
                        conn.execute("UPDATE findings SET level = ?, url = ?, last_seen_run = ?, last_seen_at = ?, "
                                     "data = ? WHERE site_id = ? AND fingerprint = ?",
                                     (finding["level"], finding["url"], run_id, when, data, site_id, fp))
                    else:
                        first_seen[fp] = when
                        # new, or fixed once and back: a new streak starts now
                        conn.execute(
                            "INSERT INTO findings (site_id, fingerprint, rule, level, url, status, first_seen_run, "
                            "first_seen_at, last_seen_run, last_seen_at, data) VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?) "
                            "ON CONFLICT (site_id, fingerprint) DO UPDATE SET level = excluded.level, url = excluded.url, "
                            "status = 'open', first_seen_run = excluded.first_seen_run, first_seen_at = excluded.first_seen_at, "
                            "last_seen_run = excluded.last_seen_run, last_seen_at = excluded.last_seen_at, "
                            "fixed_run = NULL, fixed_at = NULL, data = excluded.data",
                            (site_id, fp, finding["rule"], finding["level"], finding["url"], run_id, when, run_id, when, data))
                conn.executemany("INSERT OR IGNORE INTO run_findings VALUES (?, ?, ?)",
                                 [(run_id, site_id, fp) for fp in seen])
                fixed = [dict(previous[fp], fixed_at=when) for fp in sorted(fixed_fps) if fp in previous and fp not in seen]
                conn.executemany("UPDATE findings SET status = 'fixed', fixed_run = ?, fixed_at = ? "
                                 "WHERE site_id = ? AND fingerprint = ?",
                                 [(run_id, when, site_id, f["fingerprint"]) for f in fixed])
                new = [fp for fp in seen if fp not in previous]
                levels = [f["level"] for f in site["findings"]]
                availability = site.get("availability") or {}
                verdict = site["verdict"]
                conn.execute(
                    "INSERT INTO site_runs (run_id, site_id, name, url, complete, qualified, score, vetoes, findings, "
                    "errors, warnings, infos, new, fixed, pages, links, probes, probe_failures, availability) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (run_id, site_id, site.get("name") or "", site["url"], int(bool(site["complete"])),
                     int(bool(verdict["qualified"])), float(verdict["score"]),
                     json.dumps([{"item": v.get("item"), "rule": v.get("rule"), "title": v.get("title")}
                                 for v in verdict["vetoes"]], ensure_ascii=False),
                     len(levels), levels.count("error"), levels.count("warning"), levels.count("info"),
                     len(new) if previous_run else 0, len(fixed),
                     site["crawl"]["pages"], site["crawl"]["links_checked"],
                     availability.get("probes"), availability.get("failures"),
                     None if not availability else 1.0 - float(availability["ratio"])))
                sites[site_id] = SiteRecord(
                    previous_run=dict(previous_run) if previous_run else None, first_seen=first_seen,
                    new=frozenset(new), fixed=fixed, unverified=list(outcome.unverified))
        return Recorded(run_id=run_id, started_at=when, sites=sites)


# Keys the history adds to a reported finding; not part of what is stored as its data.
_ANNOTATIONS = frozenset({"first_seen", "status", "recheck", "first_seen_run", "fixed_at"})


@dataclass(frozen=True)
class SiteOutcome:
    """How a site's previous open findings fared: fixed ones, and ones that could not be checked."""

    fixed: Sequence[str] = ()
    unverified: Sequence[str] = ()


@dataclass(frozen=True)
class SiteRecord:
    previous_run: dict[str, Any] | None
    first_seen: Mapping[str, str]
    new: frozenset[str]
    fixed: list[dict[str, Any]]
    unverified: list[str]


@dataclass(frozen=True)
class Recorded:
    run_id: int
    started_at: str
    sites: Mapping[str, SiteRecord]


def _statements(script: str) -> list[str]:
    """Split a migration into statements (ours contain no ';' inside literals or triggers)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)
