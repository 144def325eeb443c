"""SiteFacts: what the crawl and the extractors learned about one site, for site rules.

Filled while the site is crawled (page bodies are dropped after extraction); read-only for
rules and scoring. Families add their own fields here with empty defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
