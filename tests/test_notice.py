"""整改通知书: .docx read back with python-docx holds every finding of its site; the .html
escapes hostile content; deadlines count working days; the CLI command writes both files."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from click.testing import CliRunner
from docx import Document
from selectolax.lexbor import LexborHTMLParser

from govscan.cli import main
from govscan.notice import (NoticeSettings, add_working_days, build_notices, load_settings, render_docx,
                            render_html, write_notices)
from govscan.reports import write_reports
from report_sample import HOSTILE_ATTR, HOSTILE_SCRIPT, sample_report

FRIDAY = dt.date(2024, 3, 1)
OFFICE = "亳州市人民政府办公室"


@pytest.fixture(scope="module")
def report() -> dict:
    return sample_report()


@pytest.fixture(scope="module")
def settings() -> NoticeSettings:
    return load_settings(None)


def docx_text(data: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def test_working_days_skip_weekends_holidays_and_count_makeup_days():
    plain = NoticeSettings()
    assert add_working_days(FRIDAY, 1, plain) == dt.date(2024, 3, 4)       # Friday → Monday
    assert add_working_days(FRIDAY, 10, plain) == dt.date(2024, 3, 15)
    assert add_working_days(dt.date(2024, 3, 2), 1, plain) == dt.date(2024, 3, 4)  # issued on Saturday
    holidays = NoticeSettings(holidays=frozenset({dt.date(2024, 3, 4)}), workdays=frozenset({dt.date(2024, 3, 2)}))
    assert add_working_days(FRIDAY, 1, holidays) == dt.date(2024, 3, 2)    # 调休 Saturday
    assert add_working_days(FRIDAY, 2, holidays) == dt.date(2024, 3, 5)    # Monday is a holiday


def test_defaults_from_rules_yaml(settings):
    assert settings.urgent_days == 1 and settings.days == 10
    assert {"spam-injection", "suspicious-script", "hidden-link", "admin-exposed", "commercial-ad"} <= settings.urgent_rules


def test_a_notice_per_site_with_problems(report, settings):
    notices = build_notices(report, settings, office=OFFICE, issued=FRIDAY)
    with_problems = [s["id"] for s in report["sites"] if s["findings"] or s["verdict"]["vetoes"]]
    assert [n.site_id for n in notices] == with_problems and "jyj" not in with_problems
    county = next(n for n in notices if n.site_id == "mouxian")
    first = county.sections[0]
    assert first.heading.startswith("一、单项否决及安全类问题") and first.deadline == dt.date(2024, 3, 4)
    # the spam finding (veto, security) and the stale homepage (veto) are urgent; the warning is not
    assert {p.rule for p in first.problems} == {"spam-injection", "homepage-stale"}
    assert county.deadline == dt.date(2024, 3, 15)
    assert [p.n for p in county.problems] == list(range(1, len(county.problems) + 1))


def test_docx_contains_every_finding_of_its_site(report, settings):
    for notice in build_notices(report, settings, office=OFFICE, issued=FRIDAY):
        site = next(s for s in report["sites"] if s["id"] == notice.site_id)
        text = docx_text(render_docx(notice))
        assert text.startswith("政府网站问题整改通知书")
        assert f"{site['owner']}：" in text and "国办秘函〔2019〕19号" in text
        assert text.rstrip().endswith(f"{OFFICE}\n2024年3月1日")
        assert "2024年3月15日前" in text
        for f in site["findings"]:
            assert f["fingerprint"] in text, f["rule"]
            assert f"页面：{f['url']}" in text
        rules = {f["rule"] for f in site["findings"]}
        assert len([line for line in text.splitlines() if line.startswith("依据：")]) == len(site["findings"])
        if "dead-link" in rules:
            assert "链接可用性（首页每个扣1分" in text  # the rule's basis from the registry


def test_html_escapes_hostile_content(report, settings):
    county = next(n for n in build_notices(report, settings, office=f"{OFFICE}<b>", issued=FRIDAY)
                  if n.site_id == "mouxian")
    html = render_html(county)
    assert HOSTILE_SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert HOSTILE_ATTR not in html
    tree = LexborHTMLParser(html)
    assert tree.css("script") == [] and not any(
        name.startswith("on") for node in tree.css("*") for name in node.attributes)
    assert "\x08" not in html
    assert f"{OFFICE}<b>" in tree.css_first(".sign").text()  # the office name is text too
    head = tree.css_first("li .head").text()
    assert head.startswith("1. ")


def test_cli_notice_writes_docx_and_html(report, tmp_path):
    write_reports(report, ["json"], tmp_path)
    out = tmp_path / "notices"
    result = CliRunner().invoke(main, ["notice", str(tmp_path / "report.json"), "--site", "bozhou", "--out", str(out),
                                       "--office", OFFICE, "--date", "2024-03-01", "--deadline-days", "5",
                                       "--holiday", "2024-03-05"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["bozhou-整改通知书.docx", "bozhou-整改通知书.html"]
    text = docx_text((out / "bozhou-整改通知书.docx").read_bytes())
    assert "其他问题（请于 5 个工作日内整改）" in text and "2024年3月11日前" in text  # 5 days, one holiday
    bad = CliRunner().invoke(main, ["notice", str(tmp_path / "report.json"), "--site", "nope", "--out", str(out)])
    assert bad.exit_code == 2 and "nope" in bad.output
    bad = CliRunner().invoke(main, ["notice", str(tmp_path / "report.json"), "--date", "3/1", "--out", str(out)])
    assert bad.exit_code == 2 and "--date" in bad.output


def test_write_notices_file_names_are_safe(report, settings, tmp_path):
    odd = json.loads(json.dumps(report))
    odd["sites"][0]["id"] = "../www.bozhou.gov.cn"
    paths = write_notices(odd, tmp_path, settings, issued=FRIDAY, sites=["../www.bozhou.gov.cn"])
    assert [p.parent for p in paths] == [tmp_path, tmp_path]
    assert [p.name for p in paths] == ["_www.bozhou.gov.cn-整改通知书.docx", "_www.bozhou.gov.cn-整改通知书.html"]
