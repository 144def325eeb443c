"""Reporters: render the canonical report dict (``Report.to_dict()`` or its saved JSON).

Every format is rendered from that dict alone, so ``govscan report RESULT.json`` can re-render
any of them later. ``write_reports`` validates the dict once, then writes each format.
"""

from __future__ import annotations

import json as stdjson  # the name ``json`` is this package's json submodule
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from jsonschema import ValidationError

from govscan.errors import ConfigError
from govscan.reports import json as _json
from govscan.reports._io import write_atomic
from govscan.reports._schema import load_schema, schema_path, validate

# Renderers are imported when used: a run writes only the formats it asks for, and their
# libraries take time to load (openpyxl with the numpy it pulls in ~0.25 s, jinja2 ~0.05 s).


def render_html(report: Mapping[str, Any]) -> str:
    from govscan.reports.html import render_html as render

    return render(report)


def render_junit(report: Mapping[str, Any]) -> str:
    from govscan.reports.junit import render_junit as render

    return render(report)


def render_markdown(report: Mapping[str, Any]) -> str:
    from govscan.reports.markdown import render_markdown as render

    return render(report)


def render_xlsx(report: Mapping[str, Any]) -> bytes:
    from govscan.reports.xlsx import render_xlsx as render

    return render(report)


__all__ = ["REPORTERS", "Reporter", "load_report", "load_schema", "schema_path", "validate",
           "write_reports"]


@dataclass(frozen=True)
class Reporter:
    """One output format: its file name in the output folder and its renderer.

    ``render`` takes a report dict that already passed :func:`validate` and returns the
    file's content (``str`` is written as UTF-8; ``bytes`` as is, e.g. for .xlsx).
    """

    filename: str
    render: Callable[[Mapping[str, Any]], str | bytes]
    description: str


REPORTERS: dict[str, Reporter] = {
    "json": Reporter("report.json", _json.dumps, "canonical JSON result"),
    "html": Reporter("report.html", render_html, "self-contained HTML report in Chinese"),
    "junit": Reporter("report.junit.xml", render_junit, "JUnit XML, a test case per site × rule"),
    "md": Reporter("report.md", render_markdown, "Markdown summary for CI job pages"),
    "xlsx": Reporter("report.xlsx", render_xlsx, "问题台账 Excel ledger, a row per finding"),
}


def write_reports(report: Mapping[str, Any], formats: Iterable[str], out_dir: Path) -> list[Path]:
    """Write each requested format into ``out_dir`` (created); return the paths written.

    Unknown formats raise ValueError before anything is written; an invalid report raises
    ``jsonschema.ValidationError`` before anything is written. Repeated formats count once.
    """
    wanted = list(dict.fromkeys(formats))
    unknown = [f for f in wanted if f not in REPORTERS]
    if unknown:
        raise ValueError(f"unknown report format {unknown[0]!r} "
                         f"(known formats: {', '.join(sorted(REPORTERS))})")
    validate(report)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in wanted:
        reporter = REPORTERS[name]
        path = out_dir / reporter.filename
        write_atomic(path, reporter.render(report))
        written.append(path)
    return written


def load_report(path: Path | str) -> dict[str, Any]:
    """Read a saved ``report.json`` and validate it; ConfigError names the file and the place."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # tolerate a BOM added by an editor
    except UnicodeDecodeError as exc:
        raise ConfigError(source, f"byte {exc.start}", "not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(source, "", exc.strerror or str(exc)) from None
    try:
        data = stdjson.loads(text)
    except stdjson.JSONDecodeError as exc:
        raise ConfigError(source, f"line {exc.lineno} column {exc.colno}",
                          f"not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict) or data.get("schema") != "govscan-report/1":
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise ConfigError(source, "schema",
                          f"not a govscan result (expected schema 'govscan-report/1', found {found!r})")
    try:
        validate(data)
    except ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        message = exc.message if len(exc.message) <= 200 else exc.message[:199] + "…"
        raise ConfigError(source, where, message) from None
    return data
