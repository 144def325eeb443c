"""整改通知书: a formal rectification notice per site with problems, as .docx and .html.

Built from the canonical report dict alone (``govscan notice RESULT.json``). Deadlines count
working days from the issue date: weekends and configured holidays are skipped, configured
make-up working days (调休) count. 单项否决 and security problems get the short deadline.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import jinja2

from govscan.errors import ConfigError
from govscan.reports._io import plain_text, write_atomic, xml_text
from govscan.reports.xlsx import evidence_text

DEFAULT_OFFICE = "政府网站监管单位"
BASIS = ("《政府网站发展指引》（国办发〔2017〕47号）、《国务院办公厅秘书局关于印发政府网站与政务新媒体检查指标、"
         "监管工作年度考核指标的通知》（国办秘函〔2019〕19号）和《全国政府网站普查评分表》（国办发〔2015〕15号）")
LEVEL_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}
FOUND_ON_SHOWN = 5


@dataclass(frozen=True)
class NoticeSettings:
    urgent_days: int = 1
    days: int = 10
    urgent_rules: frozenset[str] = frozenset()
    urgent_severities: frozenset[str] = frozenset({"severe"})
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()

    @classmethod
    def from_scoring(cls, scoring: Mapping[str, Any], source: str = "rules.yaml") -> "NoticeSettings":
        cfg = scoring.get("notice", {})
        return cls(urgent_days=int(cfg.get("urgent-days", 1)), days=int(cfg.get("days", 10)),
                   urgent_rules=frozenset(cfg.get("urgent-rules", ())),
                   urgent_severities=frozenset(cfg.get("urgent-severities", ())),
                   holidays=frozenset(parse_date(d, source, "scoring.notice.holidays") for d in cfg.get("holidays", ())),
                   workdays=frozenset(parse_date(d, source, "scoring.notice.workdays") for d in cfg.get("workdays", ())))


def parse_date(value: Any, source: str, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(source, where, f"{value!r} is not a date (YYYY-MM-DD)") from None


def load_settings(rules_path: str | None = None) -> NoticeSettings:
    """The ``scoring.notice`` values of a rules file (merged over the bundled preset)."""
    from govscan import config

    merged, docs = config.load_rules_doc(rules_path)
    return NoticeSettings.from_scoring(config.scoring_of(merged, docs), rules_path or "default")


def is_workday(day: dt.date, settings: NoticeSettings) -> bool:
    if day in settings.workdays:
        return True
    return day.weekday() < 5 and day not in settings.holidays


def add_working_days(start: dt.date, days: int, settings: NoticeSettings) -> dt.date:
    """The date ``days`` working days after ``start`` (the issue day itself does not count)."""
    day = start
    left = max(days, 0)
    while left:
        day += dt.timedelta(days=1)
        if is_workday(day, settings):
            left -= 1
    return day


def zh_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass
class Problem:
    n: int
    title: str
    rule: str
    level: str
    url: str
    found_on: list[str]
    found_on_count: int
    message: str
    evidence: str
    basis: str
    veto: str
    fingerprint: str

    @property
    def headline(self) -> str:
        """Title and message, without saying the title twice (链接不可用：链接不可用：HTTP 404)."""
        return self.message if self.title in self.message else f"{self.title}：{self.message}"


@dataclass
class Section:
    heading: str
    deadline: dt.date | None
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Notice:
    site_id: str
    site_name: str
    url: str
    owner: str
    office: str
    issued: dt.date
    as_of: str
    qualified: bool
    score: float
    vetoes: list[str]
    sections: list[Section]
    urgent_deadline: dt.date
    deadline: dt.date
    number: str

    @property
    def problems(self) -> list[Problem]:
        return [p for s in self.sections for p in s.problems]

    @property
    def paragraphs(self) -> dict[str, str]:
        """The notice's fixed text, shared by the .docx and the .html."""
        count = len(self.problems)
        urgent = sum(len(s.problems) for s in self.sections if s.deadline == self.urgent_deadline)
        if self.qualified:
            verdict = f"检查结论为合格，得分 {_num(self.score)} 分"
        elif self.vetoes:
            verdict = f"检查结论为不合格，存在单项否决项：{'；'.join(self.vetoes)}"
        else:
            verdict = f"检查结论为不合格，得分 {_num(self.score)} 分"
        return {
            "opening": (f"根据{BASIS}等有关规定，{self.office}以 {self.as_of} 为检查基准日，对你单位主办的"
                        f"“{self.site_name}”（{self.url}）进行了检查。{verdict}。"
                        f"共发现问题 {count} 项，其中单项否决及安全类问题 {urgent} 项。具体问题如下："),
            "closing": (f"请你单位高度重视，对照上述问题逐项整改：单项否决及安全类问题于 {zh_date(self.urgent_deadline)}"
                        f"前整改完毕，其他问题于 {zh_date(self.deadline)}前整改完毕，并将整改情况书面报送{self.office}。"
                        "逾期未整改或整改不到位的，将按有关规定予以通报。"),
        }


def _num(value: float) -> str:
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def _rule_basis() -> dict[str, str]:
    from govscan.rules import registry

    return {rule_id: rule.basis for rule_id, rule in registry().items()}


def is_urgent(finding: Mapping[str, Any], vetoed: set[str], settings: NoticeSettings) -> bool:
    if finding["fingerprint"] in vetoed or finding["rule"] in settings.urgent_rules:
        return True
    return finding["rule"] == "wrong-expression" and finding["evidence"].get("severity") in settings.urgent_severities


def build_notices(report: Mapping[str, Any], settings: NoticeSettings, *, office: str | None = None,
                  issued: dt.date | None = None, sites: Iterable[str] = ()) -> list[Notice]:
    """A notice per site with problems (findings or vetoes); ``sites`` limits to those ids."""
    wanted = list(sites)
    known = {s["id"] for s in report["sites"]}
    for site_id in wanted:
        if site_id not in known:
            raise ConfigError("command line", "--site", f"no site '{site_id}' in the result "
                                                         f"(sites: {', '.join(sorted(known)) or 'none'})")
    issued = issued or dt.date.today()
    office = office or DEFAULT_OFFICE
    basis = _rule_basis()
    urgent_deadline = add_working_days(issued, settings.urgent_days, settings)
    deadline = add_working_days(issued, settings.days, settings)
    notices = []
    for site in report["sites"]:
        if wanted and site["id"] not in wanted:
            continue
        verdict = site["verdict"]
        if not site["findings"] and not verdict["vetoes"]:
            continue
        vetoed = {fp for v in verdict["vetoes"] for fp in v["fingerprints"]}
        veto_of = {fp: v["title"] or v["item"] for v in verdict["vetoes"] for fp in v["fingerprints"]}
        sections = [Section(f"单项否决及安全类问题（请于 {settings.urgent_days} 个工作日内整改）", urgent_deadline),
                    Section(f"其他问题（请于 {settings.days} 个工作日内整改）", deadline),
                    Section("需人工核实的事项", None)]
        ordered = sorted(site["findings"], key=lambda f: (f["rule"], f["url"]))
        for f in ordered:
            if is_urgent(f, vetoed, settings):
                target = sections[0]
            elif f["level"] == "info":
                target = sections[2]
            else:
                target = sections[1]
            found_on = [u for u in f["found_on"] if u != f["url"]]
            target.problems.append(Problem(
                n=0, title=f["title"], rule=f["rule"], level=f["level"], url=f["url"],
                found_on=found_on[:FOUND_ON_SHOWN], found_on_count=len(found_on), message=f["message"],
                evidence=evidence_text(f["evidence"]), basis=basis.get(f["rule"], BASIS),
                veto=veto_of.get(f["fingerprint"], ""), fingerprint=f["fingerprint"]))
        sections = [s for s in sections if s.problems]
        for numeral, section in zip("一二三", sections):
            section.heading = f"{numeral}、{section.heading}"
        n = 0
        for section in sections:
            for p in section.problems:
                n += 1
                p.n = n
        vetoes = [f"{v['title'] or v['item']}" + (f"（{v['reason']}）" if v.get("reason") else "")
                  for v in verdict["vetoes"]]
        notices.append(Notice(
            site_id=site["id"], site_name=site["name"] or site["id"], url=site["url"],
            owner=site["owner"] or site["name"] or site["id"], office=office, issued=issued,
            as_of=report["run"]["as_of"], qualified=verdict["qualified"], score=verdict["score"],
            vetoes=vetoes, sections=sections, urgent_deadline=urgent_deadline,
            deadline=deadline, number=f"{issued:%Y%m%d}-{site['id']}"))
    return notices


# ------------------------------------------------------------------ html

@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("govscan.reports", "templates"),
        autoescape=True,  # every value is escaped: page text, URLs and evidence are hostile
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        finalize=lambda v: plain_text(v) if isinstance(v, str) else v)


def render_html(notice: Notice) -> str:
    return _env().get_template("notice.html.j2").render(
        n=notice, p=notice.paragraphs, zh_date=zh_date, level_labels=LEVEL_LABELS)


# ------------------------------------------------------------------ docx

def _text(value: Any) -> str:
    return xml_text(value)  # python-docx refuses control characters


def render_docx(notice: Notice) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "FangSong"
    normal.font.size = Pt(14)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋")  # Word picks CJK fonts from eastAsia
    doc.core_properties.title = f"{notice.site_name}整改通知书"
    doc.core_properties.author = notice.office

    def para(text: str, *, bold: bool = False, size: float | None = None, align=None, indent: bool = False,
             font: str | None = None):
        p = doc.add_paragraph()
        run = p.add_run(_text(text))
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        if font:
            run.font.name = font
            run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
        if align is not None:
            p.alignment = align
        if indent:
            p.paragraph_format.first_line_indent = Pt(28)
        return p

    para("政府网站问题整改通知书", bold=True, size=22, align=WD_ALIGN_PARAGRAPH.CENTER, font="黑体")
    para(f"编号：{notice.number}", size=12, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(f"{notice.owner}：")
    texts = notice.paragraphs
    para(texts["opening"], indent=True)
    for section in notice.sections:
        para(section.heading, bold=True, font="黑体")
        for prob in section.problems:
            para(f"{prob.n}. {prob.headline}", bold=True)
            para(f"页面：{prob.url}", size=12)
            if prob.found_on:
                more = f" 等 {prob.found_on_count} 个页面" if prob.found_on_count > len(prob.found_on) else ""
                para(f"所在页面：{'，'.join(prob.found_on)}{more}", size=12)
            if prob.evidence:
                para("证据：" + prob.evidence.replace("\n", "；"), size=12)
            if prob.veto:
                para(f"单项否决项：{prob.veto}", size=12)
            para(f"依据：{prob.basis}", size=12)
            if section.deadline:
                para(f"整改期限：{zh_date(section.deadline)}前", size=12)
            para(f"问题编号：{prob.fingerprint}", size=10)
    para(texts["closing"], indent=True)
    para("")
    para(notice.office, align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(zh_date(notice.issued), align=WD_ALIGN_PARAGRAPH.RIGHT)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------ files

def _file_stem(site_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", site_id).strip(".") or "site"


def write_notices(report: Mapping[str, Any], out_dir: Path, settings: NoticeSettings, *,
                  office: str | None = None, issued: dt.date | None = None,
                  sites: Iterable[str] = ()) -> list[Path]:
    """Write ``<site>-整改通知书.docx`` and ``.html`` per site with problems; return the paths."""
    notices = build_notices(report, settings, office=office, issued=issued, sites=sites)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for notice in notices:
        stem = f"{_file_stem(notice.site_id)}-整改通知书"
        for suffix, content in ((".docx", render_docx(notice)), (".html", render_html(notice))):
            path = out_dir / f"{stem}{suffix}"
            write_atomic(path, content)
            paths.append(path)
    return paths
