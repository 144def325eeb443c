"""SiteFacts: what the crawl and the extractors learned about one site, for site rules.

Filled while the site is crawled (page bodies are dropped after extraction); read-only for
rules and scoring. Families add their own fields here with empty defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from govscan.model import LinkResult, SiteInfo


@dataclass
class SiteFacts:
    site: SiteInfo
    homepage: LinkResult | None = None          # outcome of fetching the homepage
    final_url: str | None = None                 # homepage URL after redirects
    pages: int = 0
    http_redirects_to_https: bool | None = None  # filled when the plain-HTTP homepage was probed
