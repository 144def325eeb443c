"""Publication dates as government sites print them (govscan.extract.dates)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, strategies as st

from govscan.extract.dates import (MonthDay, article_date, date_from_url, find_date, find_item_date,
                                   labelled_date, newest, normalize, parse_date)
from govscan.page import Page

D = dt.date
AS_OF = D(2025, 1, 5)   # just after a new year: [12-28] belongs to the previous year

# (text as seen on real list and article pages, expected date as of AS_OF)
FORMATS = [
    ("2024-03-01", D(2024, 3, 1)),
    ("2024/03/01", D(2024, 3, 1)),
    ("2024/3/1", D(2024, 3, 1)),
    ("2024.03.01", D(2024, 3, 1)),
    ("2024年3月1日", D(2024, 3, 1)),
    ("2024年03月01日", D(2024, 3, 1)),
    ("2024-03-01 09:30", D(2024, 3, 1)),
    ("2024-03-01  09:30:59", D(2024, 3, 1)),                 # two spaces, seconds
    ("2024-03-01 09∶30", D(2024, 3, 1)),                     # U+2236 RATIO as the colon
    ("2024-03-01 09∶30∶15", D(2024, 3, 1)),
    ("２０２４－０３－０１", D(2024, 3, 1)),                      # full-width digits and dash
    ("２０２４年３月１日", D(2024, 3, 1)),
    ("2024年12月07日 08时01分", D(2024, 12, 7)),               # UCAP article stamp
    ("发布时间：2024-06-19 07:27", D(2024, 6, 19)),
    ("日期：2024-09-27 15:28", D(2024, 9, 27)),
    ("[2024-03-01]", D(2024, 3, 1)),
    ("(2024-03-01)", D(2024, 3, 1)),
    ("19年10月08日", D(2019, 10, 8)),                          # tooltip with a two-digit year
    ("[12-28]", D(2024, 12, 28)),                             # later than as-of this year -> last year
    ("[ 10-08 ]", D(2024, 10, 8)),
    ("01-03", D(2025, 1, 3)),                                 # this year
    ("12-31", D(2024, 12, 31)),
    ("1月3日", D(2025, 1, 3)),
    ("12月30日", D(2024, 12, 30)),
    ("03/01", D(2024, 3, 1)),
    ("[０１－０５]", D(2025, 1, 5)),                            # full-width short date, on as-of itself
]


@pytest.mark.parametrize("text,expected", FORMATS)
def test_real_world_formats(text, expected):
    assert parse_date(text, AS_OF) == expected


def test_short_date_needs_as_of():
    assert parse_date("[03-01]") is None
    assert find_item_date("[03-01]") == MonthDay(3, 1)


@pytest.mark.parametrize("text", [
    "2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "[02-30]", "13-01",
    "1-10月德清县固定资产投资", "2024年1-3月", "10:30", "0551-62601234", "索引号 000014348/2020-35428",
    "192.168.1.1", "第2版", "1850-01-01",
])
def test_impossible_or_non_dates_rejected(text):
    assert parse_date(text, AS_OF) is None


def test_leap_day_without_year_goes_back_to_a_leap_year():
    assert MonthDay(2, 29).resolve(D(2025, 3, 1)) == D(2024, 2, 29)
    assert MonthDay(2, 29).resolve(D(2024, 2, 28)) == D(2020, 2, 29)


def test_last_date_of_a_row_is_its_publication_date():
    # table rows: 索引号, 成文日期, 发布日期 — the last date is the publication
    assert find_item_date("000014348/2020-35428 邯郸市教育局 2020-08-01 2020-08-05") == D(2020, 8, 5)
    assert find_date("2020-08-01 2020-08-05") == D(2020, 8, 1)


@pytest.mark.parametrize("url,expected", [
    ("http://hdzfxxgk.hd.gov.cn/gszbm/auto23716/202008/t20200805_1353179.html", D(2020, 8, 5)),
    ("http://www.jinan.gov.cn/art/2024/6/19/art_1861_4982441.html", D(2024, 6, 19)),
    ("https://www.gov.cn/zhengce/content/2019-04/18/content_5384134.htm", D(2019, 4, 18)),
    ("http://www.sc.gov.cn/10462/14721/2024/12/1/2c9d114faca7497f83a1976515a0b307.shtml", D(2024, 12, 1)),
    ("http://www.shanxi.gov.cn/yw/sxyw/201909/t20190918_693227.shtml", D(2019, 9, 18)),
    ("http://www.example.gov.cn/xwzx/tzgg/index_2.html", None),
    ("http://www.example.gov.cn/202413/t20241301_1.html", None),
])
def test_dates_in_urls(url, expected):
    assert date_from_url(url) == expected


def test_labelled_dates_prefer_publication_labels():
    text = "开始时间：2024-05-08 结束时间：2024-05-10 来源：商务局 发布日期：2024-06-13"
    assert labelled_date(text) == D(2024, 6, 13)
    assert labelled_date("留言时间：2024-01-01 成文日期：2024-01-02 日期：2024-01-03") == D(2024, 1, 3)
    assert labelled_date("信息发布时间∶2024-01-09") == D(2024, 1, 9)
    assert labelled_date("开始时间：2024-05-08") is None


def test_article_date_sources():
    meta = Page.from_html("http://x.gov.cn/a.html",
                          '<meta name="PubDate" content="2024年08月02日"><p>发布时间：2020-01-01</p>')
    assert article_date(meta) == D(2024, 8, 2)
    label = Page.from_html("http://x.gov.cn/a.html", "<p>时间：<i>2022-08-11 14:21</i> 来源：市政府</p>")
    assert article_date(label) == D(2022, 8, 11)
    url = Page.from_html("http://x.gov.cn/202403/t20240301_9.html", "<p>正文，没有日期</p>")
    assert article_date(url) == D(2024, 3, 1)
    stamp = Page.from_html("http://x.gov.cn/a.html", "<p>会议于2024年1月1日召开</p><li>2024年12月07日 08时01分</li>")
    assert article_date(stamp) == D(2024, 12, 7)
    assert article_date(Page.from_html("http://x.gov.cn/a.html", "<p>无日期</p>")) is None


def test_newest_ignores_future_dates_and_resolves_month_days():
    values = [D(2024, 12, 1), MonthDay(12, 28), D(2025, 6, 1), None]
    assert newest(values, AS_OF) == D(2024, 12, 28)
    assert newest([], AS_OF) is None


def test_normalize_folds_full_width_and_odd_colons():
    assert normalize("２０２４－０３－０１　１０∶３０") == "2024-03-01 10:30"


_FORMATTERS = [
    lambda d: f"{d.year}-{d.month:02d}-{d.day:02d}",
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d.year}.{d.month:02d}.{d.day:02d}",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d.year}-{d.month:02d}-{d.day:02d} 08∶05",
    lambda d: f"{d.year}-{d.month:02d}-{d.day:02d}  23:59:59",
    lambda d: normalize_back(f"{d.year}-{d.month:02d}-{d.day:02d}"),
]


def normalize_back(text: str) -> str:
    """ASCII digits and dashes to their full-width forms."""
    return text.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))


@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2099, 12, 31)),
       st.sampled_from(range(len(_FORMATTERS))), st.sampled_from(["", "[", "发布日期："]))
def test_any_date_in_any_format_round_trips(day, which, prefix):
    text = prefix + _FORMATTERS[which](day) + ("]" if prefix == "[" else "")
    assert parse_date(text, AS_OF) == day


@given(st.integers(1, 12), st.integers(1, 31), st.dates(min_value=D(2001, 1, 1), max_value=D(2090, 12, 31)))
def test_month_day_resolves_within_a_year_before_as_of(month, day, as_of):
    try:
        D(2000, month, day)
    except ValueError:
        assert parse_date(f"[{month:02d}-{day:02d}]", as_of) is None
        return
    resolved = parse_date(f"[{month:02d}-{day:02d}]", as_of)
    assert resolved is not None and resolved <= as_of
    assert (resolved.month, resolved.day) == (month, day)
    assert (as_of - resolved).days < 366 or (month, day) == (2, 29)
