"""Reporters: JSON schema, HTML safety and content, JUnit, Markdown, console, write_reports."""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from rich.console import Console
from selectolax.lexbor import LexborHTMLParser

from govscan.errors import ConfigError
from govscan.progress import Progress
from govscan.reports import (REPORTERS, load_report, load_schema, schema_path, validate,
                             write_reports)
from govscan.reports.console import RichProgress, print_findings, print_summary
from govscan.reports.html import render_html, safe_href
from govscan.reports.json import render_json
from govscan.reports.junit import render_junit, report_rules
from govscan.reports.markdown import md_escape, render_markdown
from govscan.rules import registry
from report_sample import (GBK_TITLE, HOSTILE_MESSAGE, HOSTILE_SCRIPT, HOSTILE_SITE_NAME,
                           empty_report, sample_report)

SPEC_FORMATS = {"html", "json", "junit", "md", "xlsx"}  # SPEC §2 --format


@pytest.fixture(scope="module")
def report() -> dict:
    return sample_report()


@pytest.fixture(scope="module")
def html(report) -> str:
    return render_html(report)


@pytest.fixture(scope="module")
def tree(html) -> LexborHTMLParser:
    return LexborHTMLParser(html)


# -- JSON and schema ---------------------------------------------------------------------------

def test_schema_is_valid_draft_2020_12_and_shipped():
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema"] == {"const": "govscan-report/1"}
    assert json.loads(schema_path().read_text(encoding="utf-8")) == schema


def test_json_is_utf8_indented_and_valid(report):
    text = render_json(report)
    assert "亳州市人民政府" in text and GBK_TITLE in text  # ensure_ascii=False
    assert text.startswith('{\n  "schema": "govscan-report/1"')
    loaded = json.loads(text)
    validate(loaded)
    assert loaded == json.loads(json.dumps(report))


def test_empty_and_incomplete_reports_validate():
    validate(empty_report())
    validate(sample_report(complete=False))


def _break(path: str, value=None, *, delete=False):
    def mutate(report: dict) -> None:
        *parents, last = path.split(".")
        node = report
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if delete:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value
    return mutate


@pytest.mark.parametrize("mutate", [
    _break("schema", "govscan-report/2"),
    _break("summary", delete=True),
    _break("surprise", 1),
    _break("run.as_of", "1 March 2024"),
    _break("run.complete", "yes"),
    _break("summary.findings.by_level.error", -1),
    _break("sites.0.final_url", 3),
    _break("sites.0.kind", "company"),
    _break("sites.0.crawl.pages", 1.5),
    _break("sites.0.crawl.skipped.0.reason", delete=True),
    _break("sites.0.verdict.score", "87"),
    _break("sites.0.verdict.deductions.0.fingerprints", delete=True),
    _break("sites.0.verdict.deductions.1.uncapped", "14"),
    _break("sites.2.verdict.vetoes.0.rule", "Spam Injection"),
    _break("sites.2.verdict.vetoes.0.item", delete=True),
    _break("sites.0.findings.0.level", "fatal"),
    _break("sites.0.findings.0.fingerprint", "not-a-hash"),
    _break("sites.0.findings.0.found_on", "https://a.gov.cn/"),
    _break("sites.0.findings.0.extra", True),
    _break("sites.0.findings.0.evidence", delete=True),
])
def test_broken_reports_fail_validation(report, mutate, tmp_path):
    broken = copy.deepcopy(report)
    mutate(broken)
    with pytest.raises(jsonschema.ValidationError):
        validate(broken)
    with pytest.raises(jsonschema.ValidationError):
        render_json(broken)
    out = tmp_path / "out"
    with pytest.raises(jsonschema.ValidationError):
        write_reports(broken, ["html", "json"], out)
    assert not out.exists() or not any(out.iterdir())  # nothing half-written


def test_evidence_is_free_form(report):
    lenient = copy.deepcopy(report)
    lenient["sites"][0]["findings"][0]["evidence"] = {"anything": [1, {"x": None}], "n": 1.5}
    validate(lenient)


# -- HTML --------------------------------------------------------------------------------------

def test_html_runs_no_code_from_scanned_pages(html, tree):
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    for node in tree.css("*"):
        for name in node.attributes:
            assert not name.lower().startswith("on"), (node.tag, name)
    scripts = tree.css("script")
    assert len(scripts) == 1  # ours, at the end of <body>
    assert "src" not in scripts[0].attributes
    assert "alert" not in scripts[0].text()
    # The hostile texts are shown, as text.
    msg = tree.css_first('.finding[data-rule="spam-injection"] .msg').text()
    assert msg == HOSTILE_MESSAGE.replace("\x08", "\ufffd")
    dds = [dd.text() for dd in tree.css(".finding dd")]
    assert HOSTILE_SCRIPT in dds and '" onerror="alert(1)' in dds


def test_html_links_only_to_http_pages_with_noopener(tree):
    anchors = tree.css("a")
    assert anchors
    external = 0
    for a in anchors:
        href = a.attributes.get("href") or ""
        assert not re.match(r"\s*(javascript|data|vbscript):", href, re.I), href
        if href.startswith("#"):
            assert tree.css_first(f'[id="{href[1:]}"]') is not None, href  # in-page anchor exists
            continue
        assert re.match(r"https?://", href), href
        assert {"noopener", "noreferrer"} <= set((a.attributes.get("rel") or "").split())
        external += 1
    assert external >= 5
    shown = {c.text() for c in tree.css("code")}
    assert "javascript:alert(1)" in shown  # the javascript: subject is shown as text only


def test_html_is_self_contained(html, tree):
    for node in tree.css("*"):
        for name, value in node.attributes.items():
            if name.lower() in {"src", "srcset", "action", "formaction", "poster", "data",
                                "xlink:href", "background", "ping"}:
                pytest.fail(f"<{node.tag} {name}={value!r}> loads a resource")
            if name.lower() == "href":
                assert node.tag == "a", f"<{node.tag} href> loads a resource"
    assert tree.css("link") == [] and tree.css("iframe") == [] and tree.css("img") == []
    style = "".join(s.text() for s in tree.css("style"))
    assert "url(" not in style and "@import" not in style
    assert len(tree.css("style")) == 1  # the evidence's </style><style>@import stayed text
    assert not re.search(r"""(src|srcset)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"<link[^>]+href", html, re.I)


def test_html_content_security_policy_allows_only_our_script(tree):
    csp = tree.css_first('meta[http-equiv="Content-Security-Policy"]').attributes["content"]
    assert "default-src 'none'" in csp
    js = tree.css_first("script").text()
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_html_chinese_content_and_structure(html, tree, report):
    for text in ("政府网站检查报告", "检查基准日", "2024-03-01", "亳州市人民政府", GBK_TITLE,
                 HOSTILE_SITE_NAME, "单项否决", "扣分", "合格", "不合格", "未检查的网址", "问题分布"):
        assert text in tree.body.text(), text
    assert tree.css_first("html").attributes["lang"] == "zh-CN"
    assert "本次扫描未完成" not in html
    # overview: one row per site, sortable, counts per rule
    rows = tree.css("#overview-table tbody tr")
    assert len(rows) == len(report["sites"])
    headers = [th.text() for th in tree.css("#overview-table thead th")]
    assert headers[:8] == ["站点", "结论", "得分", "页面数", "链接数", "错误", "警告", "提示"]
    assert "栏目不更新" in headers and "暗链及违规内容" in headers
    assert tree.css_first("table.sortable") is not None
    # findings grouped by rule, with filter data and controls
    findings = tree.css(".finding")
    assert len(findings) == report["summary"]["findings"]["total"]
    assert {f.attributes["data-level"] for f in findings} == {"error", "warning", "info"}
    rule_options = {o.attributes["value"] for o in tree.css("#filter-rule option")}
    assert rule_options == {""} | set(report["summary"]["findings"]["by_rule"])
    assert tree.css_first("#filter-text") is not None and tree.css_first("#filter-level") is not None
    # one chart per site with findings, one bar per rule
    charts = tree.css("svg.chart")
    assert len(charts) == 2
    assert len(charts[0].css("rect")) == len({f["rule"] for f in report["sites"][0]["findings"]})


def test_html_groups_column_findings_by_column(tree):
    site = tree.css_first("#site-1")
    group = [g for g in site.css(".group") if g.attributes.get("data-rule") == "column-stale"][0]
    columns = [h.text() for h in group.css("h5")]
    assert columns == ["栏目：政策文件（1）", "栏目：通知公告（2）", "栏目：（未标明栏目）（1）"]
    empty = [g for g in site.css(".group") if g.attributes.get("data-rule") == "column-empty"][0]
    assert [h.text() for h in empty.css("h5")] == ["栏目：人事信息（1）"]


def test_html_found_on_is_capped(tree, report):
    dead = report["sites"][0]["findings"]
    dead = [f for f in dead if f["rule"] == "dead-link"][0]
    node = tree.css_first(f'[id="site-1-f-{dead["fingerprint"]}"]')
    assert f"共 {len(dead['found_on'])} 个" in node.text()
    assert len(node.css("a")) == 1 + 5  # the subject plus the first five pages


def test_html_veto_links_point_at_findings(tree):
    site = tree.css_first("#site-3")
    links = [a.attributes["href"] for a in site.css("ul.vetoes a")]
    assert len(links) == 2
    for href in links:
        assert tree.css_first(f'[id="{href[1:]}"]').attributes["class"].startswith("finding")
    assert "spam-injection" in site.css_first("ul.vetoes li").text()  # the veto's rule id beside its title


def test_html_deduction_shows_the_cap(tree):
    assert "已按上限计，原 14" in tree.css_first("#site-1").text()


def test_html_incomplete_banner():
    assert "本次扫描未完成" in render_html(sample_report(complete=False))


def test_html_empty_report():
    text = render_html(empty_report())
    assert "本次没有检查任何网站" in text


@pytest.mark.parametrize("url,ok", [
    ("https://www.gov.cn/a?b=1#c", True), ("HTTP://WWW.GOV.CN/", True),
    ("javascript:alert(1)", False), (" javascript:alert(1)", False), ("java\tscript:x", False),
    ("data:text/html,<script>", False), ("//evil.example/", False), ("/relative", False),
    ('http://a.gov.cn/" onerror="x', False), ("http://a.gov.cn/\nx", False), (None, False),
])
def test_safe_href(url, ok):
    assert (safe_href(url) is not None) is ok


# -- JUnit -------------------------------------------------------------------------------------

def test_junit_testcase_per_site_and_rule(report):
    xml = render_junit(report)
    root = ET.fromstring(xml.encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == len(report["sites"])
    seen = {f["rule"] for s in report["sites"] for f in s["findings"]}
    rules = set(registry()) | seen
    assert {r for r, _ in report_rules(report)} == rules
    for suite, site in zip(suites, report["sites"]):
        cases = suite.findall("testcase")
        assert len(cases) == len(rules) == int(suite.get("tests"))
        failing = {f["rule"] for f in site["findings"]}
        failures = [c for c in cases if c.find("failure") is not None]
        assert len(failures) == len(failing) == int(suite.get("failures"))
        assert {c.get("name").split()[0] for c in failures} == failing
    assert int(root.get("tests")) == len(rules) * len(report["sites"])
    county = suites[2]
    failure = [c for c in county.findall("testcase") if c.get("name").startswith("spam-injection")][0]
    text = failure.find("failure").text
    assert HOSTILE_SCRIPT in text and "javascript:alert(1)" in text  # escaped in XML, intact here
    assert "\x08" not in text


def test_junit_respects_only_and_skip(report):
    narrowed = copy.deepcopy(report)
    narrowed["run"]["options"] = {"only": ["dead-link"]}
    rules = [r for r, _ in report_rules(narrowed)]
    assert rules[0] == "dead-link" and "site-unreachable" not in rules
    assert "spam-injection" in rules  # seen in findings, so still reported


# -- Markdown ----------------------------------------------------------------------------------

def test_markdown_table_and_findings(report):
    md = render_markdown(report)
    lines = md.splitlines()
    assert "| 站点 | 结论 | 得分 | 页面 | 链接 | 错误 | 警告 | 提示 |" in lines
    assert "| 亳州市人民政府 | ✅ 合格 | 87.5 | 120 | 860 | 6 | 1 | 1 |" in lines
    assert "<script>" not in md
    for line in lines:  # every table row keeps its column count despite hostile pipes
        if line.startswith("|"):
            cells = re.split(r"(?<!\\)\|", line)[1:-1]
            assert len(cells) in (4, 8), line
    assert "## 某某县人民政府\\[bold red\\]（mouxian）" in lines
    assert any("暗链及违规内容" in line and "javascript:alert(1)" in line for line in lines)


def test_markdown_caps_findings_per_site(report):
    big = copy.deepcopy(report)
    template = big["sites"][0]["findings"][0]
    big["sites"][0]["findings"] = [dict(template, url=f"https://a.gov.cn/{i}", fingerprint=f"{i:016x}")
                                   for i in range(200)]
    md = render_markdown(big)
    section = md.split("## 亳州市人民政府（bozhou）")[1].split("\n## ")[0]
    assert len(section.strip().splitlines()) <= 50
    assert "另有 160 个问题未列出" in section


def test_md_escape():
    assert md_escape("a|b\nc<d>[e](javascript:x)") == "a\\|b c\\<d\\>\\[e\\](javascript:x)"


# -- write_reports -----------------------------------------------------------------------------

def test_reporters_cover_the_spec_formats():
    assert set(REPORTERS) <= SPEC_FORMATS
    assert SPEC_FORMATS == set(REPORTERS)
    names = [r.filename for r in REPORTERS.values()]
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("name", sorted(REPORTERS))
def test_every_reporter_renders_sample_and_empty(name, report):
    for data in (report, empty_report()):
        out = REPORTERS[name].render(data)
        assert isinstance(out, (str, bytes)) and out


def test_write_reports_writes_every_format(report, tmp_path):
    out = tmp_path / "deep" / "out"
    paths = write_reports(report, ["json", "html", "junit", "md", "json"], out)
    assert [p.name for p in paths] == ["report.json", "report.html", "report.junit.xml", "report.md"]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)  # no temp files
    validate(json.loads((out / "report.json").read_text(encoding="utf-8")))
    assert "亳州市人民政府" in (out / "report.html").read_text(encoding="utf-8")
    ET.parse(out / "report.junit.xml")
    assert (out / "report.md").read_text(encoding="utf-8").startswith("# 政府网站检查报告")


def test_reports_render_the_same_from_saved_json(report, tmp_path):
    write_reports(report, ["json"], tmp_path)
    saved = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    for reporter in REPORTERS.values():
        assert reporter.render(saved) == reporter.render(report)


def test_write_reports_unknown_format(report, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="'pdf'"):
        write_reports(report, ["html", "pdf"], out)
    assert not out.exists()


def test_load_report_round_trip(report, tmp_path):
    write_reports(report, ["json"], tmp_path)
    assert load_report(tmp_path / "report.json") == json.loads(json.dumps(report))


@pytest.mark.parametrize("content,where", [
    ("{not json", "line 1 column 2"),
    ('{"schema": "other/1"}', "schema"),
    ("[]", "schema"),
])
def test_load_report_rejects_bad_files(tmp_path, content, where):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_report(path)
    assert str(path) in str(info.value) and info.value.where == where


def test_load_report_names_the_invalid_key(report, tmp_path):
    broken = copy.deepcopy(report)
    broken["sites"][0]["findings"][1]["level"] = "fatal"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_report(path)
    assert info.value.where == "sites/0/findings/1/level"
    with pytest.raises(ConfigError):
        load_report(tmp_path / "missing.json")


# -- console -----------------------------------------------------------------------------------

def _console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=160, force_terminal=False, color_system=None), buf


def test_print_summary(report):
    console, buf = _console()
    print_summary(report, console, [Path("out/report.html"), Path("out/report.json")])
    text = buf.getvalue()
    for expected in ("站点", "结论", "得分", "亳州市人民政府", "不合格", "合格", "87.5",
                     HOSTILE_SITE_NAME, "out/report.html", "报告已写入", "共 3 个站点"):
        assert expected in text, expected
    assert "本次扫描未完成" not in text


def test_print_findings(report):
    console, buf = _console()
    print_findings(report, console, limit=2)
    text = buf.getvalue()
    assert "[错误]" in text and HOSTILE_SITE_NAME in text and "另有 6 个问题" in text
    assert "\x08" not in text


def test_print_summary_incomplete_and_empty():
    console, buf = _console()
    print_summary(sample_report(complete=False), console)
    assert "本次扫描未完成" in buf.getvalue()
    print_summary(empty_report(), console)


def test_rich_progress_counts_and_never_raises():
    console, buf = _console()
    with RichProgress(console, 2) as progress:
        p: Progress = progress  # satisfies the protocol
        p.site_started("a", "亳州市人民政府[bold]")
        for i in range(3):
            p.page_done("a", f"https://a.gov.cn/{i}")
        p.link_done("a", "https://a.gov.cn/x", False)
        p.link_done("unknown", "https://b.gov.cn/", True)  # no site_started: still counted
        p.site_finished("a", 4, False)
        p.site_finished("never-started", 0, None)
    assert (progress.pages, progress.links, progress.broken, progress.findings) == (3, 2, 1, 4)
    assert progress.sites_done == 2
    out = buf.getvalue()
    assert "亳州市人民政府[bold]" in out and "不合格" in out


def test_only_console_imports_rich():
    package = Path(__import__("govscan.reports").reports.__file__).parent
    for path in package.rglob("*.py"):
        if path.name != "console.py":
            assert not re.search(r"^\s*(from|import) rich", path.read_text(encoding="utf-8"), re.M), path
