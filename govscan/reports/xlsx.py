"""问题台账: the Excel ledger an office tracks rectification in, one row per finding.

A second sheet holds each site's verdict. Scanned text is hostile here too: a cell starting with
``=`` must stay text (not a formula), and characters Excel cannot store are replaced.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from typing import Any, Mapping

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

LEVEL_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}
STATUS_OPEN = "待整改"
CELL_MAX = 32767          # Excel's limit per cell
EVIDENCE_MAX = 2000       # keep rows readable; the JSON has it all
EVIDENCE_LABELS = {
    "status": "HTTP状态码", "error": "错误", "detail": "详情", "soft_404": "软404", "redirects": "重定向",
    "final_url": "最终地址", "element": "元素", "link_text": "链接文字", "on_homepage": "位于首页",
    "internal": "站内链接", "column": "栏目", "class": "栏目类别", "level": "栏目级别", "newest": "最新日期",
    "age_days": "距今天数", "limit_days": "更新期限(天)", "placeholder": "占位文字", "snippet": "片段",
    "selector": "选择器", "title": "标题", "missing": "缺少", "keyword": "关键词", "host": "主机",
    "text": "文字", "wrong": "错误表述", "right": "正确表述", "severity": "严重程度", "context": "上下文",
    "asked": "留言日期", "replied": "答复日期", "days": "天数", "method": "请求方法",
    "site_url": "网站地址", "https_url": "HTTPS地址", "https_error": "HTTPS错误", "count": "次数",
    "pubdate": "发布日期", "category": "类别", "where": "位置", "present": "已有",
    "missing_count": "缺少项数", "url": "网址", "status_text": "状态",
}
# (header, width)
COLUMNS = (("序号", 6), ("站点", 22), ("主办单位", 22), ("规则", 18), ("规则编号", 22), ("级别", 6),
           ("单项否决", 9), ("页面", 50), ("所在页面", 40), ("问题描述", 50), ("证据", 60),
           ("首次发现", 12), ("状态", 9), ("问题编号", 18))
SITE_COLUMNS = (("站点", 22), ("主办单位", 22), ("网址", 36), ("结论", 8), ("得分", 8), ("单项否决项", 40),
                ("问题数", 8), ("错误", 8), ("警告", 8), ("提示", 8))

_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_THIN = Side(style="thin", color="BFBFBF")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def cell_text(value: Any, limit: int = CELL_MAX) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def evidence_text(evidence: Mapping[str, Any]) -> str:
    lines = []
    for key, value in evidence.items():
        if value in (None, "", [], {}):
            continue
        if isinstance(value, bool):
            shown = "是" if value else "否"
        elif isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, float)) for v in value):
            shown = "、".join(str(v) for v in value)
        else:
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        lines.append(f"{EVIDENCE_LABELS.get(key, key)}：{shown}")
    return cell_text("\n".join(lines), EVIDENCE_MAX)


def first_seen(finding: Mapping[str, Any], run_date: str) -> str:
    """The history's first-seen date when the finding carries one, else the run's date."""
    for value in (finding.get("first_seen"), finding.get("evidence", {}).get("first_seen")):
        if isinstance(value, str) and len(value) >= 10:
            return value[:10]
    return run_date


def run_date(report: Mapping[str, Any]) -> str:
    started = str(report["run"].get("started_at") or "")
    try:
        return dt.datetime.fromisoformat(started.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        return report["run"]["as_of"]


def _put(ws, row: int, values: list[Any]) -> None:
    for col, value in enumerate(values, 1):
        cell = ws.cell(row=row, column=col)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            cell.value = value
        else:
            cell.value = cell_text("" if value is None else value)
            cell.data_type = "s"  # "=cmd|…" from a hostile page must never become a formula
        cell.alignment = Alignment(vertical="top", wrap_text=True)
        cell.border = _BORDER


def _header(ws, columns) -> None:
    for col, (name, width) in enumerate(columns, 1):
        cell = ws.cell(row=1, column=col, value=name)
        cell.fill, cell.font, cell.border = _HEADER_FILL, _HEADER_FONT, _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 22


def render_xlsx(report: Mapping[str, Any]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "问题台账"
    _header(ws, COLUMNS)
    date = run_date(report)
    row = 1
    for site in report["sites"]:
        vetoed = {fp for v in site["verdict"]["vetoes"] for fp in v["fingerprints"]}
        for f in site["findings"]:
            row += 1
            found_on = list(f["found_on"])
            pages = "\n".join(found_on[:10]) + (f"\n等 {len(found_on)} 个页面" if len(found_on) > 10 else "")
            _put(ws, row, [row - 1, site["name"] or site["id"], site["owner"], f["title"], f["rule"],
                           LEVEL_LABELS.get(f["level"], f["level"]), "是" if f["fingerprint"] in vetoed else "",
                           f["url"], pages, f["message"], evidence_text(f["evidence"]),
                           first_seen(f, date), STATUS_OPEN, f["fingerprint"]])
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(row, 2)}"

    sites = wb.create_sheet("站点结论")
    _header(sites, SITE_COLUMNS)
    for i, site in enumerate(report["sites"], 2):
        verdict = site["verdict"]
        levels = {lv: sum(1 for f in site["findings"] if f["level"] == lv) for lv in LEVEL_LABELS}
        _put(sites, i, [site["name"] or site["id"], site["owner"], site["url"],
                        "合格" if verdict["qualified"] else "不合格", verdict["score"],
                        "；".join(v["title"] or v["item"] for v in verdict["vetoes"]),
                        len(site["findings"]), levels["error"], levels["warning"], levels["info"]])
    sites.auto_filter.ref = f"A1:{get_column_letter(len(SITE_COLUMNS))}{max(len(report['sites']) + 1, 2)}"

    wb.properties.creator = f"{report['tool']['name']} {report['tool']['version']}"
    wb.properties.title = f"政府网站问题台账（{report['run']['as_of']}）"
    stamp = _stamp(report)
    wb.properties.created = stamp
    buffer = io.BytesIO()
    wb.save(buffer)
    return _deterministic(buffer.getvalue(), stamp)


def _stamp(report: Mapping[str, Any]) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(str(report["run"]["started_at"]).replace("Z", "+00:00"))
    except ValueError:
        return dt.datetime(2000, 1, 1)
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return when.replace(microsecond=0)


def _deterministic(data: bytes, stamp: dt.datetime) -> bytes:
    """The same report gives the same bytes: openpyxl stamps save time into core.xml and the zip."""
    modified = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                 rb"\g<1>" + modified + rb"\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, content)
    return out.getvalue()
