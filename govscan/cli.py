"""Command line: parse arguments, load config, call the run, pick reporters, map exit codes.

Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it (for ``veto``: a
site is 不合格); 2 bad usage, sites file or rules file; 3 a run that could not complete.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import sys
from pathlib import Path
from typing import Any

import click

from govscan import __version__
from govscan.errors import ConfigError, GovscanError, RunError

FAIL_ON = ("veto", "error", "warning", "never")
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint="--as-of") from None


def _fail(message: str, code: int) -> None:
    click.echo(f"govscan: {message}", err=True)
    sys.exit(code)


def exit_code(report: dict[str, Any], fail_on: str) -> int:
    if fail_on == "never":
        return EXIT_OK
    if fail_on == "veto":
        return EXIT_FINDINGS if any(not s["verdict"]["qualified"] for s in report["sites"]) else EXIT_OK
    wanted = {"error": {"error"}, "warning": {"error", "warning"}}[fail_on]
    found = any(f["level"] in wanted for s in report["sites"] for f in s["findings"])
    return EXIT_FINDINGS if found else EXIT_OK


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="govscan")
def main() -> None:
    """govscan: compliance scanner for Chinese government websites."""


@main.command()
@click.argument("urls", nargs=-1)
@click.option("--sites", "sites_file", type=click.Path(dir_okay=False), help="Sites file (YAML, or one URL a line).")
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False), help="rules.yaml (default: bundled preset).")
@click.option("--out", "out_dir", default="govscan-report", show_default=True, type=click.Path(file_okay=False))
@click.option("--format", "formats", multiple=True, help="html|json|junit|md|xlsx (repeatable; default html and json).")
@click.option("--as-of", "as_of", help="Date the date rules measure against (YYYY-MM-DD; default today).")
@click.option("--max-pages", type=click.IntRange(min=1), help="Pages per site.")
@click.option("--max-depth", type=click.IntRange(min=0), help="Link depth from the homepage.")
@click.option("--concurrency", type=click.IntRange(min=1), help="Requests in flight in the whole run.")
@click.option("--per-host", type=click.IntRange(min=1), help="Requests in flight per host.")
@click.option("--delay", type=click.FloatRange(min=0), help="Seconds between requests to one host.")
@click.option("--timeout", type=click.FloatRange(min=0.1), help="Seconds per request.")
@click.option("--jobs", type=click.IntRange(min=0), help="Processes analysing pages beside the crawler "
              "(0: none; default: one per CPU core but one, at most one per site).")
@click.option("--connect-to", "connect_to", multiple=True, metavar="HOST1:PORT1:HOST2:PORT2",
              help="As curl: requests for HOST1:PORT1 go to HOST2:PORT2 (Host header and TLS name stay HOST1).")
@click.option("--ignore-robots", is_flag=True, help="Do not obey robots.txt (authorised self-inspection).")
@click.option("--only", multiple=True, metavar="RULE", help="Run only these rules (repeatable).")
@click.option("--skip", multiple=True, metavar="RULE", help="Do not run these rules (repeatable).")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="error", show_default=True)
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help="History store (SQLite): record the run, mark new and fixed findings.")
@click.option("--recheck", is_flag=False, flag_value="", default=None, metavar="[PREVIOUS.json]",
              help="Re-check only the previous run's open findings (from --db, or from PREVIOUS.json).")
@click.option("--broker", metavar="URL", help="Distributed mode: send each site to the workers behind this Redis "
              "broker (redis://HOST:6379/0) instead of scanning here.")
@click.option("--no-progress", is_flag=True, help="No live progress display.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors (for cron).")
@click.option("-v", "--verbose", is_flag=True, help="Also list every finding on the console.")
def scan(urls, sites_file, rules_file, out_dir, formats, as_of, max_pages, max_depth, concurrency, per_host,
         delay, timeout, jobs, connect_to, ignore_robots, only, skip, fail_on, db_path, recheck, broker, no_progress, quiet,
         verbose):
    """Crawl the sites, run the rules, write reports."""
    from govscan import config as config_mod

    overrides = {"max_pages": max_pages, "max_depth": max_depth, "concurrency": concurrency,
                 "per_host": per_host, "delay": delay, "timeout": timeout, "jobs": jobs}
    chosen = _formats(formats)
    store = previous = None
    try:
        if db_path or recheck == "":
            from govscan.store import DEFAULT_DB, Store

            if not db_path and not DEFAULT_DB.is_file():
                raise ConfigError("command line", "--recheck", f"需要 --db 或上次的 report.json（{DEFAULT_DB} 不存在）")
            store = Store(db_path or DEFAULT_DB)  # StoreError: exit 3
        if recheck is not None and not sites_file and not urls:
            from govscan.recheck import config_from_previous, load_previous

            previous = load_previous(recheck, store, None)
            cfg = config_from_previous(previous, rules_file, _date(as_of), overrides)
        else:
            cfg = config_mod.load(sites_file, tuple(urls), rules_file, _date(as_of), overrides)
        if recheck is not None and previous is None:
            from govscan.recheck import load_previous

            previous = load_previous(recheck, store, [s.id for s in cfg.sites])
        _check_rule_ids(only, "--only")
        _check_rule_ids(skip, "--skip")
        _check_connect_to(connect_to)
        if broker and recheck is not None:
            raise ConfigError("command line", "--broker", "--recheck runs here, not on workers: drop --broker")
        if broker:
            from govscan.distributed import check_broker_url

            check_broker_url(broker)
    except ConfigError as exc:
        _fail(str(exc), EXIT_USAGE)
    code = execute(cfg, out_dir=out_dir, formats=chosen, connect_to=connect_to, ignore_robots=ignore_robots,
                   only=only, skip=skip, fail_on=fail_on, progress=not (no_progress or quiet),
                   quiet=quiet, verbose=verbose, store=store, previous=previous, broker=broker)
    sys.exit(code)


def _check_rule_ids(ids, flag: str) -> None:
    from govscan.rules import registry

    for rule_id in ids:
        if rule_id not in registry():
            raise ConfigError("command line", flag, f"unknown rule '{rule_id}' (see `govscan rules`)")


def _check_connect_to(specs) -> None:
    from govscan.fetch import ConnectRule

    for spec in specs:
        try:
            ConnectRule.parse(spec)
        except ValueError as exc:
            raise ConfigError("command line", "--connect-to", str(exc)) from None


def _formats(formats) -> list[str]:
    from govscan.reports import REPORTERS

    chosen = list(dict.fromkeys(formats or ("html", "json")))
    for name in chosen:
        if name not in REPORTERS:
            _fail(f"--format: unknown format '{name}' (choose from {', '.join(REPORTERS)})", EXIT_USAGE)
    return chosen


def execute(cfg, *, out_dir, formats, connect_to=(), ignore_robots=False, only=(), skip=(), fail_on="error",
            progress=True, quiet=False, verbose=False, transport=None, store=None, previous=None, broker=None) -> int:
    """Run a scan and write its reports; returns the exit code. Shared by scan and demo.

    ``store``: the history store (record the run, annotate the report); ``previous``: re-check
    only these open findings (govscan.recheck.Previous) instead of a full scan; ``broker``: scan
    the sites on the workers of the distributed mode (govscan.distributed)."""
    from rich.console import Console

    from govscan.reports import write_reports
    from govscan.reports.console import RichProgress, print_summary
    from govscan.run import RunOptions, run

    chosen = _formats(formats)
    console = Console(stderr=True)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".govscan-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        _fail(f"cannot write reports to {out}: {exc.strerror or exc}", EXIT_INCOMPLETE)
    options = RunOptions(only=frozenset(only), skip=frozenset(skip), ignore_robots=ignore_robots,
                         connect_to=tuple(connect_to), transport=transport)
    if store is not None:
        from govscan.history import availability_for

        options.availability = availability_for(store, cfg)
    show = progress and console.is_terminal
    outcomes = None
    if broker:
        from functools import partial

        from govscan.distributed import run_distributed

        run = partial(run_distributed, broker=broker, log=lambda m: click.echo(f"govscan: {m}", err=True))
    if previous is not None:
        from govscan.recheck import recheck

        data, outcomes = recheck(cfg, previous, options)
    elif show:
        with RichProgress(console, len(cfg.sites)) as live:
            options.progress = live
            data = run(cfg, options).to_dict()
    else:
        data = run(cfg, options).to_dict()
    store_failed = False
    if store is not None:
        from govscan.history import record_and_annotate
        from govscan.store import StoreError

        try:
            record_and_annotate(store, data, kind="recheck" if previous is not None else "scan", outcomes=outcomes)
        except StoreError as exc:  # still write the reports; exit 3 at the end
            click.echo(f"govscan: {exc}", err=True)
            store_failed = True
    try:
        paths = write_reports(data, chosen, out)
    except OSError as exc:
        _fail(f"cannot write reports to {out}: {exc.strerror or exc}", EXIT_INCOMPLETE)
    if not quiet:
        out_console = Console()
        if verbose:
            from govscan.reports.console import print_findings

            print_findings(data, out_console)
        print_summary(data, out_console, paths)
    if not data["run"]["complete"]:
        if not quiet:
            click.echo("govscan: the scan was interrupted; reports are marked incomplete", err=True)
        return EXIT_INCOMPLETE
    return EXIT_INCOMPLETE if store_failed else exit_code(data, fail_on)


@main.command()
@click.argument("urls", nargs=-1)
@click.option("--sites", "sites_file", type=click.Path(dir_okay=False), help="Sites file (YAML, or one URL a line).")
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False), help="rules.yaml (crawl settings).")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help="History store  [default: ./.govscan/history.sqlite]")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=15.0, show_default=True,
              help="Seconds a homepage has to answer (no retries).")
@click.option("--connect-to", "connect_to", multiple=True, metavar="HOST1:PORT1:HOST2:PORT2", help="As in scan.")
@click.option("-v", "--verbose", is_flag=True, help="Print a table of the results (default: only errors).")
def probe(urls, sites_file, rules_file, db_path, timeout, connect_to, verbose):
    """One availability probe of every homepage, recorded in the history store (for cron)."""
    from rich.console import Console

    from govscan import config as config_mod
    from govscan.probe import print_probes, probe_sites
    from govscan.store import DEFAULT_DB, Store

    try:
        cfg = config_mod.load(sites_file, tuple(urls), rules_file, None, None)
        _check_connect_to(connect_to)
    except ConfigError as exc:
        _fail(str(exc), EXIT_USAGE)
    store = Store(db_path or DEFAULT_DB)
    results = probe_sites(cfg, store, timeout=timeout, connect_to=tuple(connect_to))
    if verbose:
        print_probes(results, Console())


@main.command()
@click.argument("old", type=click.Path(exists=True, dir_okay=False))
@click.argument("new", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--all", "show_open", is_flag=True, help="Also list the findings still open.")
def diff(old, new, as_json, show_open):
    """What is new, fixed and still open between two saved JSON results."""
    from rich.console import Console

    from govscan.diff import diff_reports, print_diff
    from govscan.reports import load_report

    result = diff_reports(load_report(old), load_report(new))
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_diff(result, Console(), show_open=show_open)


@main.command()
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help="History store  [default: ./.govscan/history.sqlite]")
@click.option("--site", "site_id", help="One site (adds its probes per day).")
@click.option("--limit", type=click.IntRange(min=1), default=30, show_default=True, help="Latest runs per site.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def history(db_path, site_id, limit, as_json):
    """Runs, scores, findings and availability per site over time."""
    from rich.console import Console

    from govscan.history import history_data, print_history
    from govscan.store import DEFAULT_DB, Store

    if not Path(db_path or DEFAULT_DB).is_file():
        _fail(f"{db_path or DEFAULT_DB}: 历史库不存在（先运行 govscan scan --db 或 govscan probe）", EXIT_USAGE)
    with Store(db_path or DEFAULT_DB, readonly=True) as store:
        data = history_data(store, site_id, limit)
    if site_id and not data["sites"]:
        _fail(f"--site: 历史库中没有站点 '{site_id}'", EXIT_USAGE)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print_history(data, Console())


@main.command()
@click.argument("rule_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable catalogue.")
def rules(rule_id, as_json):
    """The rule catalogue, or one rule in full."""
    from rich.console import Console
    from rich.table import Table

    from govscan.rules import registry

    catalogue = registry()
    if rule_id and rule_id not in catalogue:
        _fail(f"unknown rule '{rule_id}' (see `govscan rules`)", EXIT_USAGE)
    selected = [catalogue[rule_id]] if rule_id else list(catalogue.values())
    if as_json:
        click.echo(json.dumps([{"id": r.id, "title": r.title, "level": r.level, "scope": r.scope,
                                "indicator": r.indicator, "basis": r.basis, "family": r.family,
                                "options": dict(r.options)} for r in selected], ensure_ascii=False, indent=2))
        return
    console = Console()
    if rule_id:
        rule = selected[0]
        console.print(f"[bold]{rule.id}[/bold]  {rule.title}")
        console.print(f"级别: {rule.level}    范围: {rule.scope}    指标: {rule.indicator}    族: {rule.family}")
        console.print(f"依据: {rule.basis}")
        if rule.options:
            console.print("选项（默认值）:")
            for name, value in rule.options.items():
                console.print(f"  {name}: {json.dumps(value, ensure_ascii=False)}", markup=False)
        console.print()
        console.print(rule.doc, markup=False)
        return
    table = Table(title=f"govscan 规则目录（{len(selected)} 条）")
    table.add_column("id", no_wrap=True)
    table.add_column("标题", no_wrap=True)
    table.add_column("级别", no_wrap=True)
    for column in ("指标", "依据"):
        table.add_column(column, overflow="fold")
    for rule in selected:
        table.add_row(rule.id, rule.title, rule.level, rule.indicator, rule.basis)
    console.print(table)


@main.command()
@click.argument("result", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "formats", multiple=True, required=True, help="html|json|junit|md|xlsx (repeatable).")
@click.option("--out", "out_dir", default="govscan-report", show_default=True, type=click.Path(file_okay=False))
def report(result, formats, out_dir):
    """Re-render reports from a saved JSON result."""
    from govscan.reports import load_report, write_reports

    chosen = _formats(formats)
    try:
        data = load_report(result)
    except GovscanError as exc:
        _fail(str(exc), EXIT_USAGE)
    try:
        paths = write_reports(data, chosen, Path(out_dir))
    except OSError as exc:
        _fail(f"cannot write reports to {out_dir}: {exc.strerror or exc}", EXIT_INCOMPLETE)
    for path in paths:
        click.echo(str(path))


@main.command()
@click.argument("result", type=click.Path(exists=True, dir_okay=False))
@click.option("--site", "site_ids", multiple=True, metavar="ID", help="Only this site (repeatable).")
@click.option("--out", "out_dir", default="govscan-notices", show_default=True, type=click.Path(file_okay=False))
@click.option("--office", help="Issuing office (发文单位), named on the notice and as its signature.")
@click.option("--date", "issued", help="Issue date (YYYY-MM-DD; default today); deadlines count from it.")
@click.option("--deadline-days", type=click.IntRange(min=1), help="Working days for ordinary problems (default 10, rules.yaml scoring.notice.days).")
@click.option("--holiday", "holidays", multiple=True, metavar="YYYY-MM-DD", help="A non-working day (repeatable).")
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False), help="rules.yaml for scoring.notice values.")
def notice(result, site_ids, out_dir, office, issued, deadline_days, holidays, rules_file):
    """Rectification notices (整改通知书, .docx and .html), one per site with problems."""
    from dataclasses import replace

    from govscan import notice as notice_mod
    from govscan.reports import load_report

    data = load_report(result)
    settings = notice_mod.load_settings(rules_file)
    settings = replace(settings, days=deadline_days or settings.days, holidays=settings.holidays | {
        notice_mod.parse_date(h, "command line", "--holiday") for h in holidays})
    when = notice_mod.parse_date(issued, "command line", "--date") if issued else None
    try:
        paths = notice_mod.write_notices(data, Path(out_dir), settings, office=office, issued=when, sites=site_ids)
    except OSError as exc:
        _fail(f"cannot write notices to {out_dir}: {exc.strerror or exc}", EXIT_INCOMPLETE)
    for path in paths:
        click.echo(str(path))
    if not paths:
        click.echo("govscan: no site with problems: no notice written", err=True)


@main.command()
@click.option("--broker", metavar="URL", required=True, help="Redis broker, e.g. redis://10.0.0.5:6379/0.")
@click.option("--concurrency", type=click.IntRange(min=1), default=1, show_default=True,
              help="Sites scanned at once by this worker (pool processes).")
@click.option("--pool", type=click.Choice(["prefork", "solo", "threads"]), default="prefork", show_default=True)
@click.option("--queues", default="govscan.sites", show_default=True,
              help="Queues to take jobs from (govscan.runs: the scheduled runs, on the machine with the history store).")
@click.option("--name", help="Node name (default celery@HOST; give each worker on one machine its own).")
@click.option("--time-limit", type=click.FloatRange(min=1), default=3600, show_default=True,
              help="Seconds one site may take; then its scan is cut short and reported incomplete.")
@click.option("--visibility-timeout", type=click.FloatRange(min=1),
              help="Seconds before a job of a vanished worker goes to another (default: time limit + 300).")
@click.option("--beat", is_flag=True, help="Also run the scheduler (GOVSCAN_SITES ... environment; one per cluster).")
@click.option("--loglevel", default="INFO", show_default=True)
def worker(broker, concurrency, pool, queues, name, time_limit, visibility_timeout, beat, loglevel):
    """Run a worker of the distributed mode: scan the sites that `scan --broker` enqueues."""
    from govscan.distributed import worker_main

    worker_main(broker, concurrency=concurrency, pool=pool, queues=queues, name=name, time_limit=time_limit,
                visibility_timeout=visibility_timeout, loglevel=loglevel, beat=beat)


@main.command()
@click.option("--out", "out_dir", default="govscan-demo", show_default=True, type=click.Path(file_okay=False))
@click.option("--as-of", "as_of", default=None, help="Date for the date rules (default: the fixtures' date).")
@click.option("--no-progress", is_flag=True)
@click.option("-q", "--quiet", is_flag=True)
def demo(out_dir, as_of, no_progress, quiet):
    """Serve the bundled sample sites on 127.0.0.1 and scan them, writing all reports."""
    from govscan import demo as demo_mod, serve
    from govscan.reports import REPORTERS

    server = serve.start()
    try:
        if not quiet:
            click.echo(f"govscan demo: sample sites served on 127.0.0.1:{server.port}", err=True)
        try:
            cfg = demo_mod.demo_config(_date(as_of))
        except ConfigError as exc:
            _fail(str(exc), EXIT_USAGE)
        code = execute(cfg, out_dir=out_dir, formats=list(REPORTERS), connect_to=demo_mod.connect_all_to(server.port),
                       fail_on="never", progress=not (no_progress or quiet), quiet=quiet)
    finally:
        server.stop()
    sys.exit(code)


@main.command()
@click.option("--force", is_flag=True, help="Overwrite existing files.")
def init(force):
    """Write a starter sites.yaml and rules.yaml in the current folder."""
    from govscan.rules import PRESET_DIR

    files = {
        Path("sites.yaml"): STARTER_SITES,
        Path("rules.yaml"): "# 在默认规则之上只写需要改动的部分。\nextends: default\n\n"
                            + "# 完整的默认值（可复制需要的行到上面）：\n"
                            + "".join(f"# {line}\n" if line else "#\n"
                                      for line in (PRESET_DIR / "default.yaml").read_text("utf-8").splitlines()),
    }
    for path, text in files.items():
        if path.exists() and not force:
            _fail(f"{path} exists (use --force to overwrite)", EXIT_USAGE)
    for path, text in files.items():
        path.write_text(text, "utf-8")
        click.echo(f"wrote {path}")


STARTER_SITES = """\
# 待检查的网站列表。每个站点：url 必填，其余可选。
sites:
  - id: example
    name: 示例市人民政府
    url: https://www.example.gov.cn/
    kind: portal                      # portal | department | other
    owner: 示例市人民政府办公室          # 主办单位，整改通知书的收件单位
    parent: https://www.gov.cn/       # 上级政府门户，首页应有链接
    # connect_to: 127.0.0.1:8080      # 把该站点的请求发往测试服务器（同 curl --connect-to）
    # max_pages: 3000
    # rules: {column-stale: {level: warning}}
"""


def _guard(fn):
    """No traceback for expected errors, whichever command raised them."""
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            _fail(str(exc), EXIT_USAGE)
        except RunError as exc:
            _fail(str(exc), EXIT_INCOMPLETE)
    return wrapper


main.main = _guard(main.main)  # type: ignore[method-assign]


def entry() -> None:
    """The ``govscan`` command (and ``python -m govscan``): :func:`main`, then the process ends.

    Everything is frozen out of the interpreter's last garbage collections: after a big scan they
    traverse every object of the run (~0.12 s after 5,000 pages) only to free memory that the
    process's end returns anyway. Library and test callers use ``main`` and keep the defaults."""
    try:
        main()
    finally:
        gc.freeze()
