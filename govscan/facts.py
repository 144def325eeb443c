"""SiteFacts: what the crawl and the extractors learned about one site, for site rules.

Filled while the site is crawled (page bodies are dropped after extraction); read-only for
rules and scoring. Families add their own fields here with empty defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govscan.model import LinkResult, SiteInfo


@dataclass(frozen=True)
class AdminProbe:
    """One request to a known CMS admin/login path of the site (rule admin-exposed)."""

    url: str
    status: int
    final_url: str | None = None
    title: str = ""
    has_login_form: bool = False   # a <form> with a password input on the answer
    error: str | None = None


@dataclass(frozen=True)
class ListItem:
    """One entry of a list (栏目 list page, homepage block): link, title, publication date.

    ``date`` is a ``datetime.date``, a year-less ``extract.dates.MonthDay`` resolved by the
    rules against the as-of date, or None when the entry shows no date.
    """

    url: str | None
    title: str
    date: Any = None


@dataclass
class ListStats:
    """What lists on a page (or a column's list pages) hold, kept compact."""

    items: int = 0                                          # entries counted
    dated: int = 0                                          # entries with a date
    dates: list[Any] = field(default_factory=list)          # distinct dates (capped)
    samples: list[ListItem] = field(default_factory=list)   # first entries (capped)
    sources: list[str] = field(default_factory=list)        # html, hanweb-datastore, script


@dataclass
class Column(ListStats):
    """A column (栏目) and its list page; classes are given by the rules' keyword options."""

    url: str = ""                  # the list page, as linked (subject of column findings)
    name: str = ""                 # Chinese name as the site shows it
    level: int = 1                 # 1 一级栏目, 2 二级栏目
    parent: str = ""               # parent column name, when known
    platform: str = ""             # trs, hanweb, ucap or generic
    depth: int = -1                # crawl depth of its list page (-1: not fetched)
    fetched: bool = False          # its list page was crawled
    pages: list[str] = field(default_factory=list)     # list pages seen (first and pagination)
    found_on: list[str] = field(default_factory=list)  # pages linking it as a column
    subcolumns: int = 0            # links to sub-columns on its page (a navigation column)
    content_chars: int = 0         # text outside lists, links and page chrome
    text_sample: str = ""          # start of that text when no items were found (placeholders)


@dataclass
class ScriptWrite:
    """What a same-site script writes into pages (document.write): its items and text."""

    url: str
    list: ListStats = field(default_factory=ListStats)
    text: str = ""                 # visible text of the written HTML (capped), e.g. footers


@dataclass
class HomeSource:
    """Something the homepage shows: its own markup, HTML its scripts write, or a same-site
    script, frame or include it loads. Identity, channel and service checks read these."""

    url: str                       # the page, script or frame it came from
    via: str                       # homepage, inline-script, script, frame, include
    text: str = ""                 # visible text plus image alt/title texts (capped)
    links: list[tuple[str, str, str]] = field(default_factory=list)   # (url, tag, text), capped
    meta: dict[str, str] = field(default_factory=dict)                 # homepage meta; jiucuo sitecode


@dataclass(frozen=True)
class PolicyPage:
    """An article page as policy-interpretation pairing needs it: no body kept."""

    url: str
    title: str
    doc_no: str = ""               # 文号 as written (title or 发文字号 field), "" when none
    date: Any = None               # publication date (datetime.date) or None
    column: str = ""               # column name from ColumnName meta or breadcrumb
    links: tuple[tuple[str, str], ...] = ()   # (url, text) of content links, for doc/解读 candidates


@dataclass(frozen=True)
class Message:
    """A message (留言/来信) of an interaction column, from a list row or its own page."""

    url: str                       # its own page, or the list page when it has none
    list_url: str                  # the list page showing it ("" for a detail page)
    title: str
    asked: Any                     # date the question was posted (datetime.date)
    replied: Any = None            # reply date, when shown
    status: str = ""               # status text as shown: 已回复, 未回复, 办理中 …
    source: str = ""               # table, list, detail
    column: str = ""               # column name / page title where it was found
    reply_field: bool = False      # the source has a reply-date field (empty means no reply)
    reply_text: bool = False       # a reply text is shown (detail pages)


@dataclass(frozen=True)
class ServiceGuide:
    """A page that looks like a 办事指南: its title and the element labels it shows."""

    url: str
    title: str
    labels: tuple[tuple[str, bool], ...] = ()   # (label as shown, a value follows it)


# SiteFacts fields the crawler itself fills (the rest come from page analysis: govscan.analyze).
CRAWL_FIELDS = ("homepage", "final_url", "pages", "http_homepage", "https_homepage", "admin_probes")


@dataclass
class SiteFacts:
    site: SiteInfo
    homepage: LinkResult | None = None          # outcome of fetching the homepage
    final_url: str | None = None                 # homepage URL after redirects
    pages: int = 0
    # no-https: the other-scheme twin of the homepage, fetched once by the crawler
    http_homepage: LinkResult | None = None      # plain-HTTP homepage (redirects recorded)
    https_homepage: LinkResult | None = None     # HTTPS homepage
    admin_probes: list[AdminProbe] = field(default_factory=list)
    # columns and freshness (extract/columns.py)
    homepage_list: ListStats | None = None                     # lists on the homepage (None: not seen)
    columns: dict[str, Column] = field(default_factory=dict)   # by column key, discovery order
    second_level: dict[str, list[Any]] = field(default_factory=dict)  # depth-1 page -> newest dates
    scripts: dict[str, ScriptWrite] = field(default_factory=dict)     # same-site JS by URL
    script_refs: dict[str, list[str]] = field(default_factory=dict)   # JS URL -> pages including it
    # identity, interpretation, interaction and services (extract/identity, policy, interaction)
    home_sources: dict[str, HomeSource] = field(default_factory=dict)  # by source key
    home_loads: dict[str, str] = field(default_factory=dict)  # same-site URL the homepage loads -> via
    policy_pages: dict[str, PolicyPage] = field(default_factory=dict)  # article pages by URL
    messages: dict[str, Message] = field(default_factory=dict)         # by message key
    service_guides: dict[str, ServiceGuide] = field(default_factory=dict)  # by URL
