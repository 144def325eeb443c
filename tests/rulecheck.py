"""Run one rule the way the engine does, for tests: "this snippet, this config, these hits"."""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from govscan import extract
from govscan.facts import SiteFacts
from govscan.model import Context, Hit, SiteInfo
from govscan.page import Page
from govscan.rules import registry


def options_of(rule_id: str, **overrides) -> dict:
    return {**dict(registry()[rule_id].options), **overrides}


def check_page(rule_id: str, html: str, url: str, ctx: Context, **options) -> list[Hit]:
    """Hits of a page rule on ``html`` served at ``url``, with the rule's defaults plus ``options``."""
    return list(registry()[rule_id].check(Page.from_html(url, html), options_of(rule_id, **options), ctx))


def check_site(rule_id: str, facts: SiteFacts, as_of: dt.date, **options) -> list[Hit]:
    """Hits of a site rule on collected facts."""
    ctx = Context(site=facts.site, as_of=as_of)
    return list(registry()[rule_id].check(facts, options_of(rule_id, **options), ctx))


def facts_of(pages: Iterable[Page], info: SiteInfo, final_url: str | None = None) -> SiteFacts:
    """SiteFacts as the crawler builds them: every page through the extractors, in order."""
    facts = SiteFacts(site=info)
    facts.final_url = final_url or info.url
    for page in pages:
        extract.collect(page, facts)
    return facts
