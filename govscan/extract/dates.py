"""Publication dates as government sites write them: pure functions, no clock.

Full dates (2024-03-01, 2024/3/1, 2024.03.01, 2024年3月1日, with an optional time written
with ``:``, ``∶`` (U+2236) or 时/分, full-width digits) resolve to a ``datetime.date``.
Short list dates ([03-01], 03-01, 3月1日) carry no year: they become a :class:`MonthDay`
that the rules resolve against the injected as-of date, because extraction happens
before any rule knows the clock.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator, Union

from govscan.page import Page

MIN_YEAR = 1980   # older "dates" on government pages are document numbers, not publication
MAX_YEAR = 2100


@dataclass(frozen=True, order=True)
class MonthDay:
    """A list date without a year ([03-01]); its year comes from the as-of date."""

    month: int
    day: int

    def resolve(self, as_of: dt.date) -> dt.date:
        """The latest date with this month and day that is not after ``as_of``."""
        for year in range(as_of.year, as_of.year - 9, -1):   # 02-29 may need a leap year
            try:
                candidate = dt.date(year, self.month, self.day)
            except ValueError:
                continue
            if candidate <= as_of:
                return candidate
        raise ValueError(f"impossible month-day {self.month:02d}-{self.day:02d}")

    def isoformat(self) -> str:
        return f"--{self.month:02d}-{self.day:02d}"


ItemDate = Union[dt.date, MonthDay]

# Characters that NFKC leaves alone but sites use as separators.
_TRANSLATE = str.maketrans({
    "\u2236": ":", "\ufe55": ":", "\u02d0": ":",              # ∶ ﹕ ː
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u3000": " ", "\xa0": " ", "\u200b": "",
})

_TIME = r"(?:\s{0,3}|T)(?P<H>[01]?\d|2[0-3])\s?[:时]\s?(?P<M>[0-5]\d)(?:\s?[:分]\s?(?P<S>[0-5]\d)?)?"
_FULL = re.compile(
    r"(?<![\d.])(?P<y>(?:19|20|21)\d{2})\s?"
    r"(?:(?P<sep>[-/.])\s?(?P<m>\d{1,2})\s?(?P=sep)\s?(?P<d>\d{1,2})(?![\d])"
    r"|年\s?(?P<m2>\d{1,2})\s?月\s?(?P<d2>\d{1,2})\s?[日号]?)"
    rf"(?:{_TIME})?"
)
# Two-digit years as some CMSs print them in tooltips: 19年10月08日.
_SHORT_YEAR = re.compile(r"(?<![\d])(?P<y>\d{2})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日")
# [03-01], 03-01, 03/01, 3月1日: month-day without a year. Not followed by 月/日 (1-3月 ranges).
_MONTH_DAY = re.compile(
    r"(?<![\d\-/.:年])(?P<m>\d{1,2})(?:(?P<sep>[-/.])(?P<d>\d{1,2})(?![\d\-/.:月日号期%])"
    r"|月(?P<d2>\d{1,2})[日号])"
)
# Dates in URLs: t20240301_123.html, /art/2024/3/1/art_…, /202403/t…, /2024-03/01/content_…
_URL_DATES = (
    re.compile(r"[/_]t(?P<y>20\d{2})(?P<m>\d{2})(?P<d>\d{2})_\d+"),
    re.compile(r"/art/(?P<y>20\d{2})/(?P<m>\d{1,2})/(?P<d>\d{1,2})/"),
    re.compile(r"/(?P<y>20\d{2})-?(?P<m>\d{2})/(?P<d>\d{2})/(?:content|art|t)"),
    re.compile(r"/(?P<y>20\d{2})(?P<m>\d{2})(?P<d>\d{2})/[^/]+\.s?html?"),
    re.compile(r"/(?P<y>20\d{2})-(?P<m>\d{2})-(?P<d>\d{2})/"),
    re.compile(r"/(?P<y>20\d{2})/(?P<m>\d{1,2})/(?P<d>\d{1,2})/[\w-]+\.s?html?$"),
)

# Labels that introduce an article's publication date. Specific ones (发布时间) may follow any
# text; bare 时间/日期 only count when not part of another label (开始时间, 留言时间, 成文日期).
_LABEL_RE = re.compile(
    r"(?P<label>(?:发布|发表|发文|公开|更新|发稿|上传)(?:时间|日期)|(?<![\u4e00-\u9fff])(?:时间|日期))"
    r"\s*[:：]\s*"
)
PUBDATE_META = ("pubdate", "publishdate", "firstpublishedtime", "article:published_time",
                "published_time", "dc.date", "dcterms.created", "date")


def normalize(text: str) -> str:
    """Full-width digits and punctuation to ASCII, odd colons and dashes to plain ones."""
    return unicodedata.normalize("NFKC", text).translate(_TRANSLATE)


def _make(y: int, m: int, d: int) -> dt.date | None:
    if not MIN_YEAR <= y <= MAX_YEAR:
        return None
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _month_day(m: int, d: int) -> MonthDay | None:
    try:
        dt.date(2000, m, d)   # a leap year: 02-29 is possible, 02-30 is not
    except ValueError:
        return None
    return MonthDay(m, d)


def iter_dates(text: str) -> Iterator[dt.date]:
    """Every full date in ``text``, in order of appearance; impossible dates skipped."""
    text = normalize(text)
    for match in _FULL.finditer(text):
        month = match.group("m") or match.group("m2")
        day = match.group("d") or match.group("d2")
        found = _make(int(match.group("y")), int(month), int(day))
        if found is not None:
            yield found
    for match in _SHORT_YEAR.finditer(text):
        found = _make(2000 + int(match.group("y")), int(match.group("m")), int(match.group("d")))
        if found is not None:
            yield found


def find_date(text: str, last: bool = False) -> dt.date | None:
    """The first (or last) full date in ``text``."""
    found = None
    for found in iter_dates(text):
        if not last:
            return found
    return found


def find_month_day(text: str, last: bool = False) -> MonthDay | None:
    """A year-less list date ([03-01], 3月1日) when ``text`` has no full date."""
    found = None
    for match in _MONTH_DAY.finditer(normalize(text)):
        day = match.group("d") or match.group("d2")
        candidate = _month_day(int(match.group("m")), int(day))
        if candidate is not None:
            found = candidate
            if not last:
                return found
    return found


def find_item_date(text: str) -> ItemDate | None:
    """The date of a list row's text (title removed): a full date, else a month-day."""
    if len(text) <= 64:  # a row's date text ("2024-03-01", "[03-01]") repeats down a list
        return _item_date_cached(text)
    return _item_date(text)


def _item_date(text: str) -> ItemDate | None:
    full = find_date(text, last=True)
    if full is not None:
        return full
    return find_month_day(text, last=True)


_item_date_cached = lru_cache(maxsize=4096)(_item_date)


def parse_date(text: str, as_of: dt.date | None = None) -> dt.date | None:
    """One date from a short text; a year-less one is resolved only when ``as_of`` is given."""
    found = find_item_date(text)
    if isinstance(found, MonthDay):
        return found.resolve(as_of) if as_of is not None else None
    return found


def date_from_url(url: str) -> dt.date | None:
    """The publication date TRS, Hanweb and gov.cn put in article URLs."""
    for pattern in _URL_DATES:
        match = pattern.search(url)
        if match:
            found = _make(int(match.group("y")), int(match.group("m")), int(match.group("d")))
            if found is not None:
                return found
    return None


def resolve(value: ItemDate | None, as_of: dt.date) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, MonthDay):
        return value.resolve(as_of)
    return value


def newest(values: Iterable[ItemDate | None], as_of: dt.date) -> dt.date | None:
    """The newest date not after ``as_of`` (later ones are typos or event dates, not updates)."""
    best = None
    for value in values:
        day = resolve(value, as_of)
        if day is not None and day <= as_of and (best is None or day > best):
            best = day
    return best


def labelled_date(text: str) -> dt.date | None:
    """The date after a 发布时间/发布日期/日期/时间 label (其他 labels such as 开始时间 skipped)."""
    text = normalize(text)
    best: tuple[int, dt.date] | None = None
    for match in _LABEL_RE.finditer(text):
        found = _FULL.match(text, match.end()) or _SHORT_YEAR.match(text, match.end())
        if not found:
            continue
        day = find_date(found.group(0))
        if day is None:
            continue
        rank = 1 if match.group("label") in ("时间", "日期") else 0
        if best is None or rank < best[0]:
            best = (rank, day)
    return best[1] if best else None


def article_date(page: Page) -> dt.date | None:
    """An article page's publication date: PubDate meta, a labelled date, the URL, a date+time stamp."""
    for name in PUBDATE_META:
        value = page.meta.get(name)
        if value:
            found = find_date(value)
            if found is not None:
                return found
    text = page.visible_text
    found = labelled_date(text)
    if found is not None:
        return found
    found = date_from_url(page.final_url) or date_from_url(page.url)
    if found is not None:
        return found
    # A date followed by a time is a publication stamp far more often than a date in prose.
    for match in _FULL.finditer(normalize(text)):
        if match.group("H") is not None:
            month = match.group("m") or match.group("m2")
            day = match.group("d") or match.group("d2")
            stamp = _make(int(match.group("y")), int(month), int(day))
            if stamp is not None:
                return stamp
    return None
