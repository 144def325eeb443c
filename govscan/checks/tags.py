"""Page tags: the meta tags 《网页设计规范》 asks of the homepage, column pages and articles."""

from __future__ import annotations

from typing import Iterator

from govscan.extract.columns import page_kind
from govscan.model import Context, Hit
from govscan.page import Page
from govscan.rules import rule

_KIND_NAME = {"home": "首页", "column": "栏目页", "article": "文章页"}
_KIND_OPTION = {"home": "homepage-tags", "column": "column-tags", "article": "article-tags"}


@rule(id="missing-page-tags", title="页面标签缺失", indicator="页面标签",
      basis="《政府网站发展指引》（国办发〔2017〕47号）附件《网页设计规范》网页标签：首页应有SiteName、SiteDomain、SiteIDCode，"
            "栏目页应有ColumnName，文章页应有ArticleTitle、PubDate、ContentSource；《政府网站与政务新媒体检查指标》页面标签",
      scope="page", level="warning",
      options={"homepage-tags": ["SiteName", "SiteDomain", "SiteIDCode"],
               "column-tags": ["ColumnName"],
               "article-tags": ["ArticleTitle", "PubDate", "ContentSource"]})
def missing_page_tags(page: Page, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: the homepage carries <meta name="SiteName|SiteDomain|SiteIDCode">, each
    column list page <meta name="ColumnName">, each article <meta name="ArticleTitle|PubDate|
    ContentSource">, with non-empty content (names compared case-insensitively). Whether a
    page is a column page or an article comes from its URL shape (index_N.html, /col/colN/,
    t20240301_…, /art/…), its meta tags and its dated lists. One finding per page names all
    missing tags.

    Why it matters: 网页设计规范 requires these tags so that pages can be indexed and monitored;
    the 2019 indicators deduct for missing page tags.
    Failing example: an article page without <meta name="PubDate">; a homepage with
    <meta name="SiteIDCode" content="">.
    Passing example: <meta name="ArticleTitle" content="…"><meta name="PubDate"
    content="2024-03-01 09:30"><meta name="ContentSource" content="市政府办公室">.
    Options: homepage-tags, column-tags, article-tags — the tags required on each kind of page.
    """
    if page.status >= 400 or "html" not in (page.content_type or "text/html").lower():
        return
    kind = page_kind(page)
    if kind not in _KIND_OPTION:
        return
    required = options[_KIND_OPTION[kind]]
    meta = page.meta
    missing = [tag for tag in required if tag.lower() not in meta]
    empty = [tag for tag in required if tag.lower() in meta and not meta[tag.lower()].strip()]
    if not missing and not empty:
        return
    names = "、".join(missing + empty)
    what = _KIND_NAME[kind]
    message = f"{what}缺少页面标签：{names}" if not empty else f"{what}缺少或未填写页面标签：{names}"
    evidence = {"page_kind": what, "missing": missing, "empty": empty, "required": list(required)}
    yield Hit(message, url=page.url, evidence={k: v for k, v in evidence.items() if v != []})
