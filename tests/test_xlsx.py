"""问题台账 (.xlsx): read back with openpyxl, one row per finding, hostile text stays text."""

from __future__ import annotations

import copy
import io
import json

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from govscan.cli import main
from govscan.reports import REPORTERS, write_reports
from govscan.reports.xlsx import COLUMNS, cell_text, render_xlsx
from report_sample import HOSTILE_MESSAGE, empty_report, sample_report


@pytest.fixture(scope="module")
def report() -> dict:
    return sample_report()


def rows(data: bytes, sheet: str = "问题台账") -> list[dict]:
    ws = load_workbook(io.BytesIO(data))[sheet]
    values = list(ws.iter_rows(values_only=True))
    header = values[0]
    return [dict(zip(header, row)) for row in values[1:]]


def test_one_row_per_finding(report):
    data = render_xlsx(report)
    got = rows(data)
    findings = [(s, f) for s in report["sites"] for f in s["findings"]]
    assert len(got) == len(findings)
    for row, (site, f) in zip(got, findings):
        assert row["站点"] == site["name"] and row["主办单位"] == site["owner"]
        assert row["规则"] == f["title"] and row["规则编号"] == f["rule"]
        assert row["页面"] == f["url"] and row["问题描述"] == cell_text(f["message"])
        assert row["问题编号"] == f["fingerprint"]
        assert row["状态"] == "待整改"
        assert row["首次发现"] == "2024-03-01"  # the run's date: no history yet
        assert row["级别"] in ("错误", "警告", "提示")
    # the spam finding is behind a veto and says so
    spam = next(r for r in got if r["规则编号"] == "spam-injection")
    assert spam["单项否决"] == "是" and spam["问题描述"] == HOSTILE_MESSAGE.replace("\x08", "\ufffd")
    assert "片段：<script>alert(1)</script>" in spam["证据"]


def test_header_styled_frozen_filtered_and_sized(report):
    wb = load_workbook(io.BytesIO(render_xlsx(report)))
    ws = wb["问题台账"]
    assert [c.value for c in ws[1]] == [name for name, _ in COLUMNS]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:N{ws.max_row}"
    assert ws["A1"].font.bold and ws["A1"].fill.fgColor.rgb.endswith("1F4E78")
    assert ws.column_dimensions["H"].width == 50
    sites = rows(render_xlsx(report), "站点结论")
    assert [(s["站点"], s["结论"]) for s in sites] == [
        (site["name"], "合格" if site["verdict"]["qualified"] else "不合格") for site in report["sites"]]
    assert "不合格" in [s["结论"] for s in sites]


def test_formula_injection_stays_text(report):
    hostile = copy.deepcopy(report)
    f = hostile["sites"][0]["findings"][0]
    f["message"] = '=HYPERLINK("http://evil.example/","点我")'
    f["evidence"] = {"snippet": "=cmd|' /C calc'!A0", "text": "a\x00b"}
    ws = load_workbook(io.BytesIO(render_xlsx(hostile)))["问题台账"]
    cell = ws.cell(row=2, column=[n for n, _ in COLUMNS].index("问题描述") + 1)
    assert cell.data_type == "s" and cell.value == f["message"]
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_first_seen_from_history_and_empty_report(report):
    seen = copy.deepcopy(report)
    seen["sites"][0]["findings"][0]["evidence"]["first_seen"] = "2023-12-01T08:00:00+08:00"
    assert rows(render_xlsx(seen))[0]["首次发现"] == "2023-12-01"
    assert rows(render_xlsx(empty_report())) == []


def test_deterministic_bytes(report):
    assert render_xlsx(report) == render_xlsx(copy.deepcopy(report))


def test_report_command_renders_xlsx_from_saved_json(report, tmp_path):
    write_reports(report, ["json"], tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["report", str(tmp_path / "report.json"), "--format", "xlsx",
                                       "--format", "html", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "report.xlsx").read_bytes() == REPORTERS["xlsx"].render(
        json.loads((tmp_path / "report.json").read_text("utf-8")))
    assert len(rows((out / "report.xlsx").read_bytes())) == sum(len(s["findings"]) for s in report["sites"])
    assert (out / "report.html").exists()
