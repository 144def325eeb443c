"""Rules wrong-expression, map-review-number and emblem-usage on inline markup."""

from __future__ import annotations

import datetime as dt

import pytest

from govscan.model import Context, SiteInfo
from govscan.text import load_lexicon, normalize

import rulecheck

HOME = "http://www.songlin.gov.cn/"
SITE = SiteInfo(id="songlin", name="松林县人民政府", url=HOME, host="www.songlin.gov.cn")
CTX = Context(site=SITE, as_of=dt.date(2026, 11, 20))
URL = HOME + "zwgk/tzgg/202611/t20261112_5502.html"


def run(rule_id: str, html: str, url: str = URL, **options):
    return rulecheck.check_page(rule_id, html, url, CTX, **options)


def doc(body: str, pubdate: str = "2026-11-12 09:30", title: str = "通知公告-松林县人民政府") -> str:
    meta = f"<meta name='PubDate' content='{pubdate}'>" if pubdate else ""
    return (f"<html><head><meta charset='utf-8'>{meta}<title>{title}</title></head>"
            f"<body><div class='TRS_Editor'>{body}</div></body></html>")


# ------------------------------------------------------------------ wrong-expression

def by_wrong(hits):
    return {h.evidence["wrong"]: h for h in hits}


def test_lexicon_shape():
    rows = load_lexicon("wrong-expressions")
    assert len(rows) >= 80
    categories = {r[2] for r in rows}
    assert {"国名", "机构名称", "领导人", "政治表述", "涉台港澳", "机构改革"} <= categories
    assert {r[3] for r in rows} == {"severe", "normal"}
    for r in rows:
        wrong, right = r[0], r[1]
        assert normalize(wrong) != normalize(right), wrong
        if r[4:5] and r[4]:
            dt.date.fromisoformat(r[4])
        # the right form never triggers its own entry
        assert wrong not in by_wrong(run("wrong-expression", doc(f"<p>{right}</p>"))), wrong


@pytest.mark.parametrize("text, wrong, right, severity", [
    ("深入学习贯彻中华人民共合国宪法", "中华人民共合国", "中华人民共和国", "severe"),
    ("国務院辦公庭印發", "国务院办公庭", "国务院办公厅", "severe"),          # traditional, still found
    ("紧密团结在以习近平为核心的党中央周围", "以习近平为核心的党中央", "以习近平同志为核心的党中央", "severe"),
    ("会见台湾总统一行", "台湾总统", "台湾地区领导人", "severe"),
    ("来自港澳台国家的客商", "港澳台国家", "港澳台地区", "severe"),
    ("贯彻党的十九大五中全会精神", "十九大五中全会", "十九届五中全会", "normal"),
    ("香港政府代表团来访", "香港政府", "香港特别行政区政府", "normal"),
    ("根据国土资源部有关规定", "国土资源部", "自然资源部", "normal"),
    ("县环保局开展执法检查", "环保局", "生态环境局", "normal"),
    ("中华 人民\u200b共合国", "中华人民共合国", "中华人民共和国", "severe"),  # split by space / zero width
])
def test_wrong_expressions_found(text, wrong, right, severity):
    hits = by_wrong(run("wrong-expression", doc(f"<p>{text}</p>")))
    hit = hits[wrong]
    assert hit.evidence["right"] == right and hit.evidence["severity"] == severity
    assert hit.evidence["context"]
    assert right in hit.message and wrong in hit.message
    assert hit.level == (None if severity == "severe" else "warning")  # severe: the rule's level
    assert hit.key == normalize(wrong)


def test_wrong_expression_in_title_counted_once():
    (hit,) = run("wrong-expression", doc("<p>中华人民共合国</p><p>中华人民共合国</p>", title="中华人民共合国宪法"))
    assert hit.evidence["count"] == 3 and hit.evidence["where"] == ["title", "text"]


@pytest.mark.parametrize("text", [
    "原国土资源部、原环境保护部职责整合。",                       # 原 = historical reference
    "原四川银监局党委书记接受审查。",                             # 原 + place name
    "县农业部门组织春耕。文化部门开展送戏下乡。纪检监察部门通报。",      # exceptions
    "美国农业部发布全球农产品供需报告。",                           # foreign body
    "中华民国时期，县城设有商会。",                                 # history
    "以习近平同志为核心的党中央；习近平新时代中国特色社会主义思想。",
    "台湾地区领导人；台湾当局；香港特别行政区政府；十九届五中全会。",
    "台湾国际机场；台湾国民党。",
    "自然资源部、生态环境部、农业农村部、文化和旅游部、国家市场监督管理总局。",
    "李克强总理；中央军委会议。",
])
def test_correct_expressions_not_flagged(text):
    assert run("wrong-expression", doc(f"<p>{text}</p>")) == []


def test_historical_page_and_pubdate():
    page = "<p>原国土资源部于2018年撤销。国土资源部曾发布多项规章。</p>"
    assert run("wrong-expression", doc(page)) == []
    assert len(run("wrong-expression", doc(page), **{"historical-pages": False})) == 1
    old = doc("<p>根据国土资源部、农业部要求，现将有关事项通知如下。</p>", pubdate="2017-05-12 10:20")
    assert run("wrong-expression", old) == []
    assert len(run("wrong-expression", old, **{"use-pubdate": False})) == 2
    cn_date = doc("<p>国土资源部</p>", pubdate="2016年08月02日")
    assert run("wrong-expression", cn_date) == []
    # names abolished in 2023 are still right on a 2020 page
    assert run("wrong-expression", doc("<p>中国银保监会发布通知。</p>", pubdate="2020-03-01")) == []
    assert len(run("wrong-expression", doc("<p>中国银保监会发布通知。</p>"))) == 1


def test_wrong_expression_options():
    html = doc("<p>市人民征府召开会议。台湾总统。</p>")
    hits = by_wrong(run("wrong-expression", html, **{"extra-entries": [
        {"wrong": "人民征府", "right": "人民政府", "category": "错别字", "severity": "severe"}]}))
    assert hits["人民征府"].evidence["category"] == "错别字"
    assert run("wrong-expression", html, **{"ignore-entries": ["台湾总统"]}) == []
    (hit,) = run("wrong-expression", html, **{"severity-levels": {"severe": "info"}})
    assert hit.level == "info"
    assert run("wrong-expression", doc("<p>香港政府</p>"), **{"severity-levels": {"normal": "off"}})[0].level == "off"
    with pytest.raises(ValueError):
        run("wrong-expression", html, **{"extra-entries": ["人民征府"]})
    with pytest.raises(ValueError):
        run("wrong-expression", html, **{"extra-entries": [{"wrong": "x", "severity": "huge"}]})


# ------------------------------------------------------------------ map-review-number

FILLER = "<p>" + "松林县位于浙江省西北部，总面积1200平方公里，辖8个镇、3个乡。" * 6 + "</p>"


@pytest.mark.parametrize("markup, reason", [
    ("<p style='text-align:center'><img src='/u/cms/2026/qsx_ditu.jpg'></p>", "文件名"),
    ("<p><img src='/u/cms/2026/map_2026.png'></p>", "文件名"),
    ("<p><img src='/u/cms/2026/松林县地图.jpg'></p>", "文件名"),
    ("<p><img src='/u/cms/2026/W0202611.jpg' alt='松林县行政区划地图'></p>", "替代文字"),
    ("<p><img src='/u/cms/2026/W0202612.jpg'></p><p style='text-align:center'>松林县旅游图</p>", "图片说明"),
    ("<figure><img src='/u/cms/2026/W0202613.jpg'><figcaption>松林县交通图</figcaption></figure>", "图片说明"),
    ("<iframe src='https://api.map.baidu.com/marker?location=30.2,120.1&title=县政府' width='600' "
     "height='400'></iframe>", "嵌入地图服务"),
])
def test_map_without_review_number(markup, reason):
    (hit,) = run("map-review-number", doc(FILLER + markup + FILLER))
    assert hit.evidence["reason"] == reason
    assert hit.url is None and hit.key == hit.evidence["url"]


def test_map_service_script_without_number_anywhere():
    html = doc("<div id='allmap' style='height:400px'></div>" + FILLER,) .replace(
        "</head>", "<script src='https://webapi.amap.com/maps?v=2.0&key=abc'></script></head>")
    (hit,) = run("map-review-number", html)
    assert hit.evidence["service"] == "webapi.amap.com" and hit.evidence["element"] == "script"
    assert run("map-review-number", html.replace("</body>", "<p>审图号：GS(2023)551号</p></body>")) == []


@pytest.mark.parametrize("number", ["审图号：浙S(2021)012号", "GS(2019)1234号", "粤S（2020）123号", "GS京(2022)0001号",
                                    "审图号：ＧＳ（２０２３）２７６７号", "深圳市标准地图 粤BS(2022)018号"])
def test_map_with_review_number(number):
    near = f"<p><img src='/u/cms/2026/qsx_ditu.jpg'></p><p>{number}</p>"
    assert run("map-review-number", doc(FILLER + near + FILLER)) == []
    figure = f"<figure><img src='/u/cms/2026/map.png'><figcaption>松林县地图 {number}</figcaption></figure>"
    assert run("map-review-number", doc(FILLER + figure + FILLER)) == []


def test_number_far_away_does_not_count():
    html = doc("<p>审图号：浙S(2021)012号</p>" + FILLER * 3 + "<p><img src='/u/2026/qsx_ditu.jpg'></p>" + FILLER)
    assert len(run("map-review-number", html)) == 1


@pytest.mark.parametrize("markup", [
    "<a href='/wzdt/'><img src='/images/sitemap.png' alt='网站地图'></a>",
    "<img src='/images/icon_map.png' width='16' height='16'>",
    "<img src='/images/bitmap_logo.png'><img src='/images/mapping.jpg'>",
    "<a href='https://map.baidu.com/?q=县政府'>在百度地图中查看</a>",
])
def test_not_maps(markup):
    assert run("map-review-number", doc(FILLER + markup + FILLER)) == []


# ------------------------------------------------------------------ emblem-usage

@pytest.mark.parametrize("markup, reason", [
    ("<img src='/images/guohui.png'>", "文件名"),
    ("<img src='/images/top_guohui_2x.png'>", "文件名"),
    ("<img src='/images/national-emblem.svg'>", "文件名"),
    ("<img src='/images/国徽.png'>", "文件名"),
    ("<img src='/images/flag.gif'>", "文件名"),
    ("<img src='/images/t1.png' alt='国徽'>", "替代文字/标题"),
    ("<img src='/images/t2.png' title='中华人民共和国国旗'>", "替代文字/标题"),
])
def test_emblem_images(markup, reason):
    (hit,) = run("emblem-usage", doc(markup + markup))   # once per image
    assert hit.url.startswith("http://www.songlin.gov.cn/images/")
    assert hit.found_on == (URL,)
    assert hit.evidence["reason"] == reason


@pytest.mark.parametrize("markup", ["<img src='/images/logo.png' alt='松林县人民政府'>",
                                    "<img src='/images/flagship.jpg'>", "<img src='/images/dangjian.png' alt='党建'>"])
def test_not_emblem(markup):
    assert run("emblem-usage", doc(markup)) == []
