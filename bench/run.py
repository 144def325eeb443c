#!/usr/bin/env python3
"""Benchmark govscan against linkinator and linkchecker on one synthetic site served by nginx.

    bash bench/run.sh                      # 5,000 pages: all three tools; 50,000 pages: govscan
    bash bench/run.sh --pages 5000 --tools govscan,linkinator
    bash bench/run.sh --pages 5000 --pages 50000 --big-tools govscan,linkinator

What it does, every step idempotent:

1. installs what is missing: nginx (apt-get), linkinator (npm, into bench/.node), linkchecker
   (pip, into the venv bench/.venv), govscan itself (pip install -e . when not importable);
2. generates the site(s) with bench/generate.py into bench/.sites/<pages> (seeded, reused
   when the manifest matches);
3. starts nginx on 127.0.0.1:<port> (config and logs in bench/.run/), serving every host name,
   gzip on like a real portal, and the ``LinkChecker`` response header that lets linkchecker
   lift its per-host throttle (each tool gets its politeness raised for one's own server);
4. runs the tools one after another on the same site, each bounded by --timeout seconds:
   govscan (every rule, through --connect-to under the site's .gov.cn name), linkinator
   (--recurse) and linkchecker (recursive, threads raised);
5. prints wall time, pages and distinct URLs per second, peak RSS, CPU seconds and the ratios
   to govscan, and writes the same to bench/.run/results-<time>.json.

Peak RSS is the larger of the child's ``ru_maxrss`` from wait4 (the largest process of its tree)
and the peak of the summed RSS of its process tree sampled every 50 ms with psutil (installed
when missing): govscan forks page-analysis workers, so the sum is what counts. Summed RSS
counts the pages a forked worker shares with its parent twice; the peak summed PSS
(proportional set size: a shared page split between its sharers) is printed beside it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RUN = BENCH / ".run"
SITES = BENCH / ".sites"
NODE_PREFIX = BENCH / ".node"
VENV = BENCH / ".venv"
HOST = "www.bench.gov.cn"
SEED = 20260630
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    log("$ " + " ".join(cmd))
    return subprocess.run(cmd, check=True, **kw)


# ------------------------------------------------------------------ installs

def sudo() -> list[str]:
    return [] if os.geteuid() == 0 else ["sudo"]


_apt_updated = False


def apt_install(*packages: str) -> None:
    global _apt_updated
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        sh(sudo() + ["apt-get", "update", "-qq"], env=env)
        _apt_updated = True
    sh(sudo() + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages], env=env)


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
                                           if os.access(p, os.X_OK)), None)
    if found:
        return found
    log("nginx missing: installing it")
    try:
        apt_install("nginx-light")
    except subprocess.CalledProcessError:
        apt_install("nginx")
    return shutil.which("nginx") or "/usr/sbin/nginx"


def linkinator_cli() -> list[str]:
    cli = NODE_PREFIX / "node_modules" / "linkinator" / "build" / "src" / "cli.js"
    if not cli.is_file():
        if not shutil.which("npm"):
            log("node/npm missing: installing them")
            apt_install("nodejs", "npm")
        sh(["npm", "install", "--prefix", str(NODE_PREFIX), "--no-audit", "--no-fund", "--loglevel=error",
            "linkinator"])
    return [shutil.which("node") or "node", str(cli)]


def linkchecker_cli() -> list[str]:
    exe = VENV / "bin" / "linkchecker"
    if not exe.is_file():
        if not (VENV / "bin" / "python").is_file():
            sh([sys.executable, "-m", "venv", str(VENV)])
        sh([str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", "linkchecker"])
    return [str(exe)]


def govscan_cli() -> list[str]:
    ensure_psutil()
    probe = subprocess.run([sys.executable, "-c", "import govscan.cli"], cwd=ROOT, capture_output=True)
    if probe.returncode != 0:
        sh([sys.executable, "-m", "pip", "install", "-q", "-e", str(ROOT)])
    # Byte-compiled as an installed package is (pip compiles a wheel's modules; a checkout's are
    # cached on first run) - unless PYTHONDONTWRITEBYTECODE is set, as on some CI machines: then
    # every timed run would compile all of govscan from source first (~0.1 s).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "govscan")], check=False,
                   stdout=subprocess.DEVNULL)
    return [sys.executable, "-m", "govscan"]


def tool_version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd + ["--version"], capture_output=True, text=True, timeout=60, cwd=ROOT)
        return (out.stdout or out.stderr).strip().splitlines()[0][:80]
    except Exception:  # noqa: BLE001
        return "?"


# ------------------------------------------------------------------ site and server

def ensure_site(pages: int, regenerate: bool) -> tuple[Path, dict]:
    out = SITES / str(pages)
    manifest_path = out / "manifest.json"
    if not regenerate and manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("seed") == SEED and manifest.get("requested_pages") == pages:
            return out, manifest
    log(f"generating a {pages}-page site in {out}")
    return out, generate.generate(out, pages, SEED)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    def __init__(self, port: int) -> None:
        self.port = port
        self.binary = nginx_binary()
        self.dir = RUN / f"nginx-{port}"
        self.conf = self.dir / "nginx.conf"
        self.pidfile = self.dir / "nginx.pid"

    def start(self, root: Path) -> None:
        self.stop()
        self.dir.mkdir(parents=True, exist_ok=True)
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.dir / sub).mkdir(exist_ok=True)
        user = "user root;" if os.geteuid() == 0 else ""
        self.conf.write_text(f"""# written by bench/run.py
{user}
worker_processes 2;
worker_rlimit_nofile 16384;
daemon on;
pid {self.pidfile};
error_log {self.dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    types {{ text/html html; text/css css; application/javascript js; image/png png;
             application/pdf pdf; text/plain txt; application/json json; }}
    default_type application/octet-stream;
    access_log off;
    sendfile on; tcp_nopush on; tcp_nodelay on;
    keepalive_timeout 65; keepalive_requests 1000000;
    open_file_cache max=2000 inactive=20s;
    gzip on; gzip_min_length 512; gzip_types text/css application/javascript;
    client_body_temp_path {self.dir}/client_body; proxy_temp_path {self.dir}/proxy;
    fastcgi_temp_path {self.dir}/fastcgi; uwsgi_temp_path {self.dir}/uwsgi; scgi_temp_path {self.dir}/scgi;
    server {{
        listen 127.0.0.1:{self.port} default_server;
        server_name {HOST} _;
        root {root};
        index index.html;
        add_header LinkChecker bench;
        charset utf-8;
    }}
}}
""", encoding="utf-8")
        sh([self.binary, "-c", str(self.conf), "-p", str(self.dir)])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"nginx did not start on 127.0.0.1:{self.port}; see {self.dir}/error.log")

    def stop(self) -> None:
        if self.pidfile.is_file():
            try:
                subprocess.run([self.binary, "-c", str(self.conf), "-p", str(self.dir), "-s", "quit"],
                               capture_output=True, timeout=20)
            except Exception:  # noqa: BLE001
                pass
            deadline = time.monotonic() + 10
            while self.pidfile.exists() and time.monotonic() < deadline:
                time.sleep(0.1)


# ------------------------------------------------------------------ measuring

@dataclass
class Measure:
    tool: str
    pages_site: int
    command: list[str]
    wall_s: float = 0.0
    peak_rss_mb: float = 0.0
    # summed proportional set size: a page shared by forked processes counted once (psutil, Linux)
    peak_pss_mb: float | None = None
    cpu_s: float = 0.0
    exit_code: int | None = None
    timed_out: bool = False
    pages: int | None = None
    urls: int | None = None
    broken: int | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def pages_per_s(self) -> float | None:
        return self.pages / self.wall_s if self.pages and self.wall_s else None

    @property
    def urls_per_s(self) -> float | None:
        return self.urls / self.wall_s if self.urls and self.wall_s else None


def ensure_psutil() -> None:
    """psutil samples the memory of a tool's whole process tree (govscan forks analysis workers,
    linkchecker runs threads, linkinator may spawn): without it only the largest process counts."""
    try:
        import psutil  # noqa: F401
    except ImportError:
        sh([sys.executable, "-m", "pip", "install", "-q", "psutil"])


def run_measured(m: Measure, stdout: Path, stderr: Path, timeout: float, env: dict | None = None) -> Measure:
    try:
        import psutil  # tree-wide RSS and PSS sampling (ensure_psutil installs it)
    except ImportError:
        psutil = None
    log(f"running {m.tool}: {' '.join(m.command)}")
    started = time.monotonic()
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        proc = subprocess.Popen(m.command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=ROOT,
                                start_new_session=True, env=env)
        tree_peak = 0
        pss_peak = None
        root = psutil.Process(proc.pid) if psutil else None
        tree: list = []
        rusage = None
        status = 0
        samples = 0
        while True:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if root is not None:
                # The sampler shares the machine with the tool: RSS (statm, ~20 µs) every 50 ms;
                # the process tree (a scan of /proc) and PSS (a walk of every page table, ~1.5 ms
                # a process, holding the tool's memory lock meanwhile) every 0.5 s only, so that
                # measuring does not slow down what it measures.
                try:
                    if samples % 10 == 0:
                        tree = [root, *root.children(recursive=True)]
                    total = sum(p.memory_info().rss for p in tree)
                    tree_peak = max(tree_peak, total)
                    if samples % 10 == 0:
                        pss = sum(p.memory_full_info().pss for p in tree)
                        pss_peak = max(pss_peak or 0, pss)
                except Exception:  # noqa: BLE001 (process ending; no PSS on this platform)
                    tree = [root]
                samples += 1
            if time.monotonic() - started > timeout:
                m.timed_out = True
                log(f"{m.tool}: over {timeout:.0f} s, stopping it")
                for sig in (signal.SIGTERM, signal.SIGKILL):
                    try:
                        os.killpg(proc.pid, sig)
                    except ProcessLookupError:
                        break
                    end = time.monotonic() + 5
                    while time.monotonic() < end:
                        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
                        if pid:
                            break
                        time.sleep(0.05)
                    if pid:
                        break
                if not pid:
                    pid, status, rusage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
    m.wall_s = time.monotonic() - started
    m.exit_code = proc.returncode
    m.peak_rss_mb = max(rusage.ru_maxrss * 1024, tree_peak) / 2**20
    m.peak_pss_mb = pss_peak / 2**20 if pss_peak else None
    m.cpu_s = rusage.ru_utime + rusage.ru_stime
    return m


# ------------------------------------------------------------------ the tools

def run_govscan(port: int, pages: int, manifest: dict, args, out_dir: Path) -> Measure:
    rules = out_dir / "govscan-rules.yaml"
    rules.write_text("extends: default\ncrawl: {max-links: 10000000, retries: 1}\n", encoding="utf-8")
    report_dir = out_dir / f"govscan-{pages}"
    cmd = govscan_cli() + [
        "scan", f"http://{HOST}/", "--connect-to", f"{HOST}:80:127.0.0.1:{port}", "--rules", str(rules),
        "--concurrency", str(args.concurrency), "--per-host", str(args.concurrency),
        "--max-pages", str(max(100000, pages * 2)), "--max-depth", "1000", "--timeout", "30",
        "--ignore-robots", "--as-of", manifest["as_of"], "--format", "json", "--out", str(report_dir),
        "--no-progress", "--fail-on", "never", "-q"]
    m = Measure("govscan", pages, cmd)
    env = {**os.environ, **({"GOVSCAN_TRANSPORT": args.govscan_transport} if args.govscan_transport else {})}
    run_measured(m, out_dir / f"govscan-{pages}.out", out_dir / f"govscan-{pages}.err", args.timeout, env)
    try:
        report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
        site = report["sites"][0]
        crawl = site["crawl"]
        m.pages = crawl.get("pages")
        m.urls = crawl.get("links_checked")
        m.broken = sum(1 for f in site["findings"] if f["rule"] == "dead-link")
        m.extra = {"findings": len(site["findings"]), "requests": report["run"]["options"].get("requests"),
                   "duration_s": crawl.get("duration_s"), "errors": len(site.get("errors", [])),
                   "rules_with_findings": sorted({f["rule"] for f in site["findings"]})}
    except Exception as exc:  # noqa: BLE001
        m.note = f"no report: {exc}"
    return m


def run_linkinator(port: int, pages: int, args, out_dir: Path) -> Measure:
    cmd = linkinator_cli() + [f"http://127.0.0.1:{port}/", "--recurse", "--concurrency",
                              str(args.linkinator_concurrency), "--timeout", "30000", "--format", "json"]
    m = Measure("linkinator", pages, cmd)
    stdout = out_dir / f"linkinator-{pages}.json"
    run_measured(m, stdout, out_dir / f"linkinator-{pages}.err", args.timeout)
    try:
        data = json.loads(stdout.read_text(encoding="utf-8"))
        links = data.get("links", [])
        urls = {link["url"] for link in links}
        m.urls = len(urls)
        # pages: the HTML URLs it fetched successfully (linkinator parses these)
        m.pages = len({u for u in urls if u.endswith((".html", "/"))} - {link["url"] for link in links
                                                                         if link.get("state") == "BROKEN"})
        m.broken = len({link["url"] for link in links if link.get("state") == "BROKEN"})
    except Exception as exc:  # noqa: BLE001
        m.note = f"no JSON: {exc}"
    return m


def run_linkchecker(port: int, pages: int, args, out_dir: Path) -> Measure:
    # Readable by the 'nobody' user linkchecker drops to when started as root.
    rc = Path(tempfile.gettempdir()) / f"govscan-bench-linkcheckerrc-{port}"
    rc.write_text(f"[checking]\nthreads={args.linkchecker_threads}\nmaxrequestspersecond=100000\ntimeout=30\n"
                  "recursionlevel=-1\n[filtering]\ncheckextern=0\n", encoding="utf-8")
    rc.chmod(0o644)
    cmd = linkchecker_cli() + ["-f", str(rc), "--no-status", "--no-warnings", "--no-robots",
                               "-t", str(args.linkchecker_threads), f"http://127.0.0.1:{port}/"]
    m = Measure("linkchecker", pages, cmd)
    stdout = out_dir / f"linkchecker-{pages}.out"
    run_measured(m, stdout, out_dir / f"linkchecker-{pages}.err", args.timeout)
    text = stdout.read_text(encoding="utf-8", errors="replace")
    found = re.search(r"(\d+) links? in (\d+) URLs? checked", text)
    if found:
        m.urls = int(found.group(2))
        m.extra["link_occurrences"] = int(found.group(1))
    errors = re.search(r"(\d+) errors? found", text)
    if errors:
        m.broken = int(errors.group(1))
    if not found:
        m.note = "no summary line (stopped early?)"
    return m


# ------------------------------------------------------------------ report

def fmt(value, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def table(results: list[Measure]) -> str:
    head = ("| site pages | tool | exit | wall s | pages | pages/s | URLs | URLs/s | broken | peak RSS MB "
            "| peak PSS MB | CPU s | wall ÷ govscan | RSS ÷ govscan |")
    rows = [head, "|" + "---|" * 14]
    for size in dict.fromkeys(r.pages_site for r in results):
        group = [r for r in results if r.pages_site == size]
        base = next((r for r in group if r.tool == "govscan"), None)
        for r in group:
            wall_ratio = r.wall_s / base.wall_s if base and base.wall_s else None
            rss_ratio = r.peak_rss_mb / base.peak_rss_mb if base and base.peak_rss_mb else None
            code = "timeout" if r.timed_out else str(r.exit_code)
            rows.append(f"| {size} | {r.tool} | {code} | {r.wall_s:.1f} | {fmt(r.pages, 'd')} | {fmt(r.pages_per_s, '.0f')} "
                        f"| {fmt(r.urls, 'd')} | {fmt(r.urls_per_s, '.0f')} | {fmt(r.broken, 'd')} "
                        f"| {r.peak_rss_mb:.0f} | {fmt(r.peak_pss_mb, '.0f')} | {r.cpu_s:.1f} | {fmt(wall_ratio, '.2f')} "
                        f"| {fmt(rss_ratio, '.2f')} |")
    return "\n".join(rows)


def acceptance(results: list[Measure]) -> list[str]:
    lines = []
    by: dict[tuple[int, str], Measure] = {}
    for r in results:  # with --repeat, each tool's fastest run
        best = by.get((r.pages_site, r.tool))
        if best is None or (not r.timed_out and r.wall_s < best.wall_s):
            by[(r.pages_site, r.tool)] = r
    small = sorted({r.pages_site for r in results})[0] if results else None
    g, lk = by.get((small, "govscan")), by.get((small, "linkinator"))
    if g and lk and not lk.timed_out and lk.exit_code is not None:
        lines.append(f"{small} pages: govscan wall ÷ linkinator = {g.wall_s / lk.wall_s:.2f} (bar ≤ 0.40), "
                     f"RSS ÷ linkinator = {g.peak_rss_mb / lk.peak_rss_mb:.2f} (bar ≤ 0.33)"
                     + (f", PSS ÷ linkinator = {g.peak_pss_mb / lk.peak_pss_mb:.2f}" if g.peak_pss_mb and lk.peak_pss_mb else ""))
        # the runs of one round, next to each other in time, compared
        ours = [r for r in results if r.pages_site == small and r.tool == "govscan"]
        theirs = [r for r in results if r.pages_site == small and r.tool == "linkinator" and not r.timed_out]
        rounds = [a.wall_s / b.wall_s for a, b in zip(ours, theirs)]
        if len(rounds) > 1:
            lines.append(f"{small} pages, round by round: govscan wall ÷ linkinator = "
                         + " ".join(f"{x:.2f}" for x in rounds) + f" (median {statistics.median(rounds):.2f})")
    big = sorted({r.pages_site for r in results})[-1] if results else None
    gb = by.get((big, "govscan"))
    if g and gb and big != small:
        lines.append(f"{big} pages: govscan RSS ÷ its {small}-page RSS = {gb.peak_rss_mb / g.peak_rss_mb:.2f} (bar ≤ 2.00)"
                     + (f", PSS ratio {gb.peak_pss_mb / g.peak_pss_mb:.2f}" if gb.peak_pss_mb and g.peak_pss_mb else ""))
    return lines


def _site_summary(size: int) -> dict:
    manifest = json.loads((SITES / str(size) / "manifest.json").read_text(encoding="utf-8"))
    return {**manifest, "dead_targets": len(manifest["dead_targets"])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="govscan vs linkinator vs linkchecker on a synthetic site")
    parser.add_argument("--pages", type=int, action="append",
                        help="site size(s); repeatable (default: 5000 and 50000)")
    parser.add_argument("--tools", default="govscan,linkinator,linkchecker", help="tools on the first (smallest) size")
    parser.add_argument("--big-tools", default="govscan", help="tools on the larger sizes")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per tool run (default 900)")
    parser.add_argument("--port", type=int, default=0, help="nginx port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--concurrency", type=int, default=64, help="govscan --concurrency and --per-host")
    parser.add_argument("--linkinator-concurrency", type=int, default=100)
    parser.add_argument("--linkchecker-threads", type=int, default=64)
    parser.add_argument("--govscan-transport", default="", help="GOVSCAN_TRANSPORT for the govscan run")
    parser.add_argument("--regenerate", action="store_true", help="write the site(s) again")
    parser.add_argument("--serve-only", action="store_true",
                        help="only serve the (first) site on --port until interrupted (for profiling)")
    parser.add_argument("--repeat", type=int, default=1, help="run each tool this many times (report each)")
    args = parser.parse_args(argv)
    sizes = sorted(set(args.pages or [5000, 50000]))
    RUN.mkdir(parents=True, exist_ok=True)
    if args.serve_only:
        nginx = Nginx(args.port or free_port())
        root, manifest = ensure_site(sizes[0], args.regenerate)
        nginx.start(root)
        print(f"serving {root} on http://127.0.0.1:{nginx.port}/ (as {HOST} with "
              f"--connect-to {HOST}:80:127.0.0.1:{nginx.port}); Ctrl-C stops", flush=True)
        try:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
        finally:
            nginx.stop()
        return 0
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out_dir = RUN / stamp
    out_dir.mkdir(parents=True)
    nginx = Nginx(args.port or free_port())
    results: list[Measure] = []
    runners = {"govscan": lambda p, m: run_govscan(nginx.port, p, m, args, out_dir),
               "linkinator": lambda p, m: run_linkinator(nginx.port, p, args, out_dir),
               "linkchecker": lambda p, m: run_linkchecker(nginx.port, p, args, out_dir)}
    # Install everything first, so that no tool's time includes another's install.
    wanted = {t.strip() for t in (args.tools + "," + args.big_tools).split(",") if t.strip()}
    unknown = wanted - set(runners)
    if unknown:
        parser.error(f"unknown tool(s): {', '.join(sorted(unknown))}")
    versions = {}
    versions["govscan"] = tool_version(govscan_cli()) if "govscan" in wanted else None
    versions["linkinator"] = tool_version(linkinator_cli()) if "linkinator" in wanted else None
    versions["linkchecker"] = tool_version(linkchecker_cli()) if "linkchecker" in wanted else None
    versions["nginx"] = subprocess.run([nginx.binary, "-v"], capture_output=True, text=True).stderr.strip()
    try:
        for i, size in enumerate(sizes):
            root, manifest = ensure_site(size, args.regenerate)
            nginx.start(root)
            tools = args.tools if i == 0 else args.big_tools
            # Rounds of one run per tool, not each tool's runs in a row: a shared machine's speed
            # drifts over minutes, and should then weigh on every tool alike.
            for _ in range(max(1, args.repeat)):
                for tool in [t.strip() for t in tools.split(",") if t.strip()]:
                    m = runners[tool](size, manifest)
                    results.append(m)
                    log(f"{tool} on {size} pages: {m.wall_s:.1f} s, {m.peak_rss_mb:.0f} MB, exit {m.exit_code}"
                        + (" (timeout)" if m.timed_out else "") + (f" — {m.note}" if m.note else ""))
    finally:
        nginx.stop()
    load = os.getloadavg()
    summary = {
        "when": stamp, "cpus": os.cpu_count(), "loadavg_after": load, "versions": versions,
        "sites": {str(s): _site_summary(s) for s in sizes},
        "results": [dict(asdict(r), pages_per_s=r.pages_per_s, urls_per_s=r.urls_per_s) for r in results],
        "acceptance": acceptance(results),
    }
    (out_dir / "results.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    print()
    for s in sizes:
        info = summary["sites"][str(s)]
        print(f"site {s}: {info['pages']} pages, {info['distinct_targets']} distinct URLs, "
              f"{info['link_occurrences']} link occurrences, {info['dead_targets']} dead")
    print(f"machine: {os.cpu_count()} CPUs, load average after the run {load[0]:.2f} "
          "(numbers are noisy when other work shares the machine)")
    print("versions: " + "; ".join(f"{k} {v}" for k, v in versions.items() if v))
    print()
    print(table(results))
    print()
    for line in summary["acceptance"]:
        print(line)
    print(f"\nraw outputs and results.json in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
