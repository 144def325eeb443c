"""missing-interpretation: policy documents paired with their 解读 (inline markup only)."""

from __future__ import annotations

import datetime as dt

import pytest

from govscan import extract
from govscan.extract.policy import article_title, doc_number, doc_number_key
from govscan.facts import SiteFacts
from govscan.model import Context, SiteInfo
from govscan.page import Page
from govscan.rules import registry

HOST = "www.qingshan.gov.cn"
HOME = f"http://{HOST}/"
AS_OF = dt.date(2025, 6, 1)


def facts_of(pages: list[Page]) -> SiteFacts:
    facts = SiteFacts(site=SiteInfo(id="qingshan", name="青山市人民政府", url=HOME, host=HOST))
    facts.final_url = HOME
    for page in pages:
        extract.collect(page, facts)
    return facts


def run(facts: SiteFacts, **options) -> list:
    rule = registry()["missing-interpretation"]
    return list(rule.check(facts, {**dict(rule.options), **options}, Context(site=facts.site, as_of=AS_OF)))


def trs(path: str, title: str, date: str, column: str, body: str = "") -> Page:
    """A TRS article: ArticleTitle / PubDate / ColumnName meta, t-dated URL, TRS_Editor body."""
    html = f"""<html><head><meta charset="utf-8"><title>{title}_青山市人民政府</title>
    <meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="{date} 09:30">
    <meta name="ColumnName" content="{column}"></head><body>
    <div class="nav"><a href="/zwgk/zcwj/">政策文件</a><a href="/zwgk/zcjd/">政策解读</a></div>
    <div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; {column}</div>
    <h1>{title}</h1><div class="info">发布时间：{date}</div>
    <div class="TRS_Editor"><p>正文内容。</p>{body}</div></body></html>"""
    return Page.from_html(f"{HOME}{path}", html)


def hanweb(path: str, title: str, date: str, body: str = "") -> Page:
    """A Hanweb article: /art/Y/M/D/art_ URL, no ColumnName meta, 发布日期 label."""
    html = f"""<html><head><title>{title}</title></head><body>
    <table><tr><td class="title">{title}</td></tr><tr><td>发布日期：{date}　信息来源：市政府办公室</td></tr>
    <tr><td id="zoom"><p>正文。</p>{body}</td></tr></table></body></html>"""
    return Page.from_html(f"{HOME}{path}", html)


def ucap(path: str, title: str, date: str, body: str = "") -> Page:
    """A UCAP-ish article: /content/post_N.html, meta only for title, 信息公开 metadata table."""
    html = f"""<html><head><meta name="ArticleTitle" content="{title}"><title>{title}</title></head><body>
    <div class="article"><h2 class="title">{title}</h2><span class="time">发布时间：{date} 10:00:00</span>
    <div class="content">{body}</div></div></body></html>"""
    return Page.from_html(f"{HOME}{path}", html)


DOC_TITLE = "青山市人民政府关于印发《青山市优化营商环境若干措施》的通知"


# ------------------------------------------------------------------ pairing

def test_interpretation_linked_only_by_its_title_pairs_the_document():
    doc = trs("zwgk/zcwj/202503/t20250310_101.html", f"{DOC_TITLE}（青政发〔2025〕3号）", "2025-03-10", "政策文件")
    jd = trs("zwgk/zcjd/202503/t20250312_102.html", "《青山市优化营商环境若干措施》政策解读", "2025-03-12", "政策解读")
    assert run(facts_of([doc, jd])) == []
    assert run(facts_of([doc]))   # the same document alone is a finding


def test_document_without_interpretation_is_a_finding_with_title_and_doc_number():
    doc = hanweb("art/2025/2/1/art_1229_55.html", "青山市人民政府办公室关于加强城市道路管理的意见（青政办发(2025)7号）",
                 "2025-02-01")
    hits = run(facts_of([doc]))
    assert len(hits) == 1
    hit = hits[0]
    assert hit.url == doc.url
    assert hit.evidence["doc_no"] == "青政办发(2025)7号"
    assert hit.evidence["title"].startswith("青山市人民政府办公室关于加强城市道路管理的意见")
    assert hit.evidence["date"] == "2025-02-01"
    assert "青政办发(2025)7号" in hit.message and "未找到对应的政策解读" in hit.message


@pytest.mark.parametrize("doc_no,jd_no", [
    ("青政发〔2025〕3号", "青政发〔2025〕3号"),
    ("青政发[2025]3号", "青政发〔2025〕3号"),
    ("青政发(2025)3号", "青政发［2025］3号"),
    ("青政发（2025）3号", "青政发[2025]3号"),
])
def test_doc_number_in_any_bracket_style_pairs_by_interpretation_title(doc_no, jd_no):
    doc = ucap("content/post_201.html", f"关于公布青山市第一批数字化改革成果的决定 {doc_no}", "2025-04-01")
    jd = ucap("content/post_202.html", f"图解：{jd_no}文件要点", "2025-04-02")
    assert run(facts_of([doc, jd])) == []
    assert len(run(facts_of([doc]))) == 1


def test_related_interpretation_link_on_the_document_page_pairs_it():
    body = '<div class="xgjd">相关解读：<a href="/zwgk/zcjd/202503/t20250320_9.html">一图读懂营商环境新政</a></div>'
    doc = trs("zwgk/zcwj/202503/t20250318_8.html", DOC_TITLE, "2025-03-18", "政府文件", body)
    assert run(facts_of([doc])) == []   # the 解读 page itself need not be crawled


def test_interpretation_page_linking_the_document_pairs_it():
    doc = trs("zwgk/zcwj/202504/t20250401_11.html", "青山市村级公益事业建设一事一议财政奖补资金管理办法",
              "2025-04-01", "规范性文件")
    body = '<p>原文链接：<a href="/zwgk/zcwj/202504/t20250401_11.html">管理办法全文</a></p>'
    jd = trs("zwgk/zcjd/202504/t20250403_12.html", "一事一议奖补新规答记者问", "2025-04-03", "政策解读", body)
    assert run(facts_of([doc, jd])) == []


def test_original_text_link_from_any_page_pairs_the_document():
    doc = hanweb("art/2025/4/1/art_1_11.html", "青山市人民政府关于印发青山市防汛应急预案的通知", "2025-04-01")
    jd = hanweb("art/2025/4/5/art_1_12.html", "市应急管理局负责同志谈防汛工作", "2025-04-05",
                '<a href="/art/2025/4/1/art_1_11.html">原文</a>')
    assert run(facts_of([doc, jd])) == []


def test_navigation_link_to_the_interpretation_column_does_not_pair():
    # every TRS page links the 政策解读 column in its navigation: that is no 解读 of this document
    doc = trs("zwgk/zcwj/202505/t20250505_31.html", "青山市人民政府关于印发2025年民生实事项目的通知", "2025-05-05", "政策文件")
    assert len(run(facts_of([doc]))) == 1


# ------------------------------------------------------------------ what is a document

def test_document_detected_by_policy_column_without_doc_number():
    doc = trs("zwgk/zcwj/202505/t20250506_40.html", "青山市公共租赁住房管理规定", "2025-05-06", "规范性文件")
    hit = run(facts_of([doc]))[0]
    assert hit.evidence["detected_by"] == "政策文件栏目"
    assert hit.evidence["doc_no"] is None


def test_document_number_from_metadata_field():
    body = "<table><tr><td>发文字号：</td><td>青政办发〔2025〕21号</td></tr></table>"
    doc = ucap("content/post_301.html", "关于做好2025年春季农业生产工作的通知", "2025-03-01", body)
    hit = run(facts_of([doc]))[0]
    assert hit.evidence["doc_no"] == "青政办发〔2025〕21号"


def test_document_number_in_a_metadata_table_cell_without_colon():
    """信息公开 metadata tables put the label and the number in cells of their own, no colon."""
    body = ("<table class='xxgk-meta'><tr><th>索引号</th><td>002601234/2025-00351</td></tr>"
            "<tr><th>发文字号</th><td>青政办发(2025)18号</td><th>发布日期</th><td>2025-03-01</td></tr></table>")
    doc = ucap("content/post_302.html", "关于做好2025年冬春农田水利建设工作的通知", "2025-03-01", body)
    hit = run(facts_of([doc]))[0]
    assert hit.evidence["doc_no"] == "青政办发(2025)18号"
    # without a colon only a number right after the label counts, not one further on in prose
    prose = "<p>本文号召各地做好工作，详见青政办发〔2025〕3号文件。</p>"
    assert facts_of([ucap("content/post_303.html", "市领导调研春耕生产", "2025-03-01", prose)]) \
        .policy_pages["http://www.qingshan.gov.cn/content/post_303.html"].doc_no == ""


def test_ordinary_news_is_not_a_document():
    news = trs("xwzx/jrqs/202505/t20250510_50.html", "市领导调研春耕生产", "2025-05-10", "今日青山")
    assert run(facts_of([news])) == []


def test_documents_outside_the_window_or_excluded_are_not_judged():
    old = trs("zwgk/zcwj/202301/t20230110_1.html", "关于印发青山市旧规划的通知", "2023-01-10", "政策文件")
    future = trs("zwgk/zcwj/202507/t20250701_1.html", "关于印发青山市未来规划的通知", "2025-07-01", "政策文件")
    appoint = trs("zwgk/zcwj/202505/t20250501_2.html", "青山市人民政府关于张三同志任职的通知（青政任〔2025〕2号）",
                  "2025-05-01", "政策文件")
    assert run(facts_of([old, future, appoint])) == []
    assert len(run(facts_of([old]), **{"window-days": 1000})) == 1


def test_interpretation_pages_are_never_documents():
    jd = trs("zwgk/zcjd/202505/t20250502_3.html", "《关于印发青山市民生实事项目的通知》（青政发〔2025〕9号）解读",
             "2025-05-02", "政策解读")
    assert run(facts_of([jd])) == []


def test_traditional_chinese_interpretation_title_pairs():
    doc = hanweb("art/2025/3/1/art_1_70.html", "青山市人民政府關於印發青山市數字經濟發展規劃的通知", "2025-03-01")
    jd = hanweb("art/2025/3/3/art_1_71.html", "《青山市數字經濟發展規劃》政策解讀", "2025-03-03")
    assert run(facts_of([doc, jd])) == []
    assert len(run(facts_of([doc]))) == 1


# ------------------------------------------------------------------ helpers

def test_doc_number_helpers():
    assert doc_number("国务院办公厅关于…的通知 国办发〔2017〕47号") == "国办发〔2017〕47号"
    assert doc_number("地图审图号 GS(2019)1234号") == ""            # map review numbers are no 文号
    assert doc_number_key("青政发[2024] 3号") == doc_number_key("青政发（2024）3号") == "青政发〔2024〕3号"
    page = Page.from_html(f"{HOME}a.html", "<title>通知标题_青山市人民政府</title><h1>通知标题</h1>")
    assert article_title(page) == "通知标题"


def test_facts_keep_no_page_bodies():
    doc = trs("zwgk/zcwj/202503/t20250310_101.html", DOC_TITLE, "2025-03-10", "政策文件")
    facts = facts_of([doc])
    record = facts.policy_pages[doc.url]
    assert record.title == DOC_TITLE and record.date == dt.date(2025, 3, 10) and record.column == "政策文件"
    assert all(len(text) <= 80 for _, text in record.links)
