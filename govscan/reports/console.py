"""Terminal output: the live progress display and the end-of-run summary table.

This and ``govscan.cli`` are the only modules that import rich. Site names and anything else
from a report go through :class:`rich.text.Text` (never markup) with control characters
replaced, so a hostile name can neither restyle the output nor send terminal escapes.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any, Iterable, Mapping

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from govscan.reports._io import plain_text

NAME_MAX = 40
_RANK = {"error": 0, "warning": 1, "info": 2}
_LEVELS = {"error": "错误", "warning": "警告", "info": "提示"}
_STYLES = {"error": "red", "warning": "yellow", "info": "cyan"}


def _name(value: Any) -> str:
    text = plain_text(value)
    return text if len(text) <= NAME_MAX else text[:NAME_MAX - 1] + "…"


class _Site:
    __slots__ = ("task", "name", "pages", "links")

    def __init__(self, task: TaskID, name: str) -> None:
        self.task, self.name, self.pages, self.links = task, name, 0, 0


class RichProgress:
    """:class:`govscan.progress.Progress` as a rich live display on stderr.

    One overall row (sites done of total, pages, links, findings) and one row per site being
    scanned. Use as a context manager: ``with RichProgress(console, total_sites) as p: ...``.
    The Progress protocol says events must never raise, so every handler swallows errors.
    """

    def __init__(self, console: Console | None = None, total_sites: int | None = None) -> None:
        self.console = console if console is not None else Console(stderr=True)
        self.total_sites = total_sites
        self.sites_done = self.pages = self.links = self.broken = self.findings = 0
        self.unqualified = 0
        self._sites: dict[str, _Site] = {}
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}", markup=False),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[count]}", markup=False),  # sites done/total, overall row only
            TextColumn("{task.fields[stats]}", markup=False),
            TimeElapsedColumn(),
            console=self.console, refresh_per_second=4, transient=False,
        )
        self._overall = self._progress.add_task("站点", total=total_sites or None,
                                                count=self._count(), stats=self._overall_stats())

    # -- context manager -------------------------------------------------------------------
    def start(self) -> None:
        self._progress.start()

    def stop(self) -> None:
        self._progress.stop()

    def __enter__(self) -> "RichProgress":
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- Progress protocol -----------------------------------------------------------------
    def site_started(self, site_id: str, name: str) -> None:
        try:
            self._site(site_id, name)
        except Exception:  # noqa: BLE001 - a display problem must never stop a scan
            pass

    def page_done(self, site_id: str, url: str) -> None:
        try:
            self.pages += 1
            site = self._site(site_id)
            site.pages += 1
            self._update(site)
        except Exception:  # noqa: BLE001
            pass

    def link_done(self, site_id: str, url: str, ok: bool) -> None:
        try:
            self.links += 1
            self.broken += 0 if ok else 1
            site = self._site(site_id)
            site.links += 1
            self._update(site)
        except Exception:  # noqa: BLE001
            pass

    def site_finished(self, site_id: str, findings: int, qualified: bool | None) -> None:
        try:
            self.sites_done += 1
            self.findings += findings
            site = self._sites.pop(site_id, None)
            if site is not None:
                self._progress.remove_task(site.task)
            verdict = {True: ("合格", "green"), False: ("不合格", "red")}.get(
                qualified, ("未评定", "yellow"))
            if qualified is False:
                self.unqualified += 1
            line = Text("● ", style="dim")
            line.append(site.name if site else _name(site_id))
            line.append("：")
            line.append(verdict[0], style=verdict[1])
            line.append(f"，问题 {findings} 个" + (f"，页面 {site.pages} 个" if site else ""))
            self._progress.console.print(line)
            self._progress.update(self._overall, completed=self.sites_done, count=self._count(),
                                  stats=self._overall_stats())
        except Exception:  # noqa: BLE001
            pass

    # -- internals -------------------------------------------------------------------------
    def _site(self, site_id: str, name: str | None = None) -> _Site:
        site = self._sites.get(site_id)
        if site is None:
            label = _name(name or site_id)
            task = self._progress.add_task(f"  {label}", total=None, count="", stats="")
            site = self._sites[site_id] = _Site(task, label)
        return site

    def _update(self, site: _Site) -> None:
        # Fields only; rich redraws on its own timer, so a page event stays cheap.
        self._progress.update(site.task, stats=f"页面 {site.pages} · 链接 {site.links}")
        self._progress.update(self._overall, stats=self._overall_stats())

    def _count(self) -> str:
        return f"{self.sites_done}/{self.total_sites}" if self.total_sites else str(self.sites_done)

    def _overall_stats(self) -> str:
        broken = f"（失败 {self.broken}）" if self.broken else ""
        return f"页面 {self.pages} · 链接 {self.links}{broken} · 问题 {self.findings}"


def print_findings(report: Mapping[str, Any], console: Console, limit: int = 200) -> None:
    """Every site's findings, one line each (for ``-v``); at most ``limit`` lines per site."""
    for site in report["sites"]:
        findings = sorted(site["findings"], key=lambda f: (_RANK.get(f["level"], 9), f["rule"], f["url"]))
        head = Text(_name(site["name"] or site["id"]), style="bold")
        head.append(f"（{len(findings)} 个问题）", style="dim")
        console.print(head)
        for f in findings[:limit]:
            line = Text("  ")
            line.append(f"[{_LEVELS.get(f['level'], f['level'])}]", style=_STYLES.get(f["level"], ""))
            line.append(f" {plain_text(f['title'])}：{plain_text(f['message'])} ")
            line.append(plain_text(f["url"]), style="dim")
            console.print(line, overflow="fold")
        if len(findings) > limit:
            console.print(Text(f"  … 另有 {len(findings) - limit} 个问题，见报告文件", style="dim"))


def print_summary(report: Mapping[str, Any], console: Console,
                  paths: Iterable[Path | str] = ()) -> None:
    """The end-of-run table (one row per site, totals in the footer) and where reports went."""
    summary = report["summary"]
    by_level = summary["findings"]["by_level"]
    table = Table(title="检查结果", show_footer=True, title_justify="left")
    table.add_column("站点", footer=Text(f"合计 {summary['sites']} 个"), overflow="fold")
    table.add_column("结论", footer=Text(f"不合格 {summary['unqualified']}"), no_wrap=True)
    table.add_column("得分", justify="right")
    table.add_column("页面", justify="right", footer=str(summary["pages"]))
    table.add_column("链接", justify="right", footer=str(summary["links"]))
    table.add_column("错误", justify="right", footer=str(by_level.get("error", 0)), style="red")
    table.add_column("警告", justify="right", footer=str(by_level.get("warning", 0)), style="yellow")
    table.add_column("提示", justify="right", footer=str(by_level.get("info", 0)), style="cyan")
    for site in report["sites"]:
        counts = {"error": 0, "warning": 0, "info": 0}
        for f in site["findings"]:
            counts[f["level"]] = counts.get(f["level"], 0) + 1
        verdict = site["verdict"]
        conclusion = Text("合格", style="green") if verdict["qualified"] else Text("不合格", style="bold red")
        if not site["complete"]:
            conclusion.append("（未完成）", style="yellow")
        score = verdict["score"]
        table.add_row(
            Text(_name(site["name"] or site["id"])), conclusion,
            f"{score:g}" if isinstance(score, (int, float)) else str(score),
            str(site["crawl"]["pages"]), str(site["crawl"]["links_checked"]),
            str(counts["error"]), str(counts["warning"]), str(counts["info"]),
        )
    console.print(table)
    line = Text(f"共 {summary['sites']} 个站点：合格 {summary['qualified']} 个，"
                f"不合格 {summary['unqualified']} 个；页面 {summary['pages']} 个，"
                f"链接 {summary['links']} 个；问题 {summary['findings']['total']} 个"
                f"（错误 {by_level.get('error', 0)}，警告 {by_level.get('warning', 0)}，"
                f"提示 {by_level.get('info', 0)}）。")
    console.print(line)
    if not report["run"]["complete"]:
        console.print(Text("本次扫描未完成：报告只包含中断前已检查的内容。", style="bold yellow"))
    written = [str(p) for p in paths]
    if written:
        console.print(Text("报告已写入：", style="bold"))
        for p in written:
            console.print(Text("  " + plain_text(p)))
