"""Turns markup into facts: CMS-platform knowledge lives here and nowhere else.

The crawler calls, for every HTML page of a site (once, while the parsed page is alive):
  - ``extra_links(page)``: URLs the page reaches by means other than plain links (pagination
    written by scripts, lists or footers loaded by same-site scripts), to add to the frontier;
  - ``collect(page, facts)``: record what the page tells about the site into SiteFacts;
  - ``rendered_links(page)``: links the page shows through its platform's scripts (Hanweb
    datastore records, ``document.write``): the crawler treats them as the page's own links.
Each family adds its collector to ``COLLECTORS`` and its link finder to ``LINK_FINDERS``.
"""

from __future__ import annotations

import re
from typing import Callable

from govscan.facts import SiteFacts
from govscan.page import LINK_SOURCES, Page, PageLink

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


def rendered_links(page: Page) -> tuple[PageLink, ...]:
    """Links inside HTML that scripts render (same extraction as the page's own links)."""
    if _platforms.is_script(page):
        fragment = _scripts.written_html(page.text)
    else:
        records = _platforms.hanweb_records(page.text) or []
        fragment = "\n".join(records + [_scripts.inline_written_html(page)])
    if not _LINK_TAG.search(fragment):
        return ()  # the usual badge or text: no element that links could come from
    return Page.from_html(page.url, fragment, final_url=page.base_url).links


# A start tag of an element that Page.links reads (``<image>`` is parsed as ``<img>``): without
# one a fragment has no links, and parsing it is most of this function's cost.
_LINK_TAG = re.compile(
    r"<(?:%s|image)[\s/>]" % "|".join(sorted({tag for tag, _ in LINK_SOURCES}, key=len, reverse=True)), re.I)


# Families register here (imported last: they import this package's dependencies).
from govscan.extract import columns as _columns  # noqa: E402

COLLECTORS.append(_columns.collect)
LINK_FINDERS.append(_columns.extra_links)

# Identity, policy interpretation, interaction and services (issue 4).
from govscan.extract import identity as _identity, interaction as _interaction  # noqa: E402
from govscan.extract import platforms as _platforms  # noqa: E402
from govscan.extract import policy as _policy, scripts as _scripts  # noqa: E402

COLLECTORS.extend([_identity.collect, _policy.collect, _interaction.collect])
LINK_FINDERS.append(_scripts.script_links)
