"""Turns markup into facts: CMS-platform knowledge lives here and nowhere else.

The crawler calls, for every HTML page of a site (once, while the parsed page is alive):
  - ``extra_links(page)``: URLs the page reaches by means other than plain links (pagination
    written by scripts, lists or footers loaded by same-site scripts), to add to the frontier;
  - ``collect(page, facts)``: record what the page tells about the site into SiteFacts.
Each family adds its collector to ``COLLECTORS`` and its link finder to ``LINK_FINDERS``.
"""

from __future__ import annotations

from typing import Callable

from govscan.facts import SiteFacts
from govscan.page import Page

COLLECTORS: list[Callable[[Page, SiteFacts], None]] = []
LINK_FINDERS: list[Callable[[Page], list[str]]] = []


def collect(page: Page, facts: SiteFacts) -> None:
    for collector in COLLECTORS:
        collector(page, facts)


def extra_links(page: Page) -> list[str]:
    found: list[str] = []
    for finder in LINK_FINDERS:
        found.extend(finder(page))
    return found


# Families register here (imported last: they import this package's dependencies).
from govscan.extract import columns as _columns  # noqa: E402

COLLECTORS.append(_columns.collect)
LINK_FINDERS.append(_columns.extra_links)
