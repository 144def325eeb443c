"""Traditional to simplified Chinese, so keyword options written in simplified match both."""

from __future__ import annotations

import re
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Simplified form of ``text`` (ASCII and simplified text come back unchanged).

    Short strings (names, titles, keywords) repeat across pages and are cached; whole page
    texts are not, so the cache stays small. A long text that has none of the characters the
    conversion could start a change at is its own simplified form: one scan instead of
    OpenCC's dictionary lookups."""
    if not text or text.isascii():
        return text
    if len(text) <= 64:
        return _short(text)
    may_change = _may_change()
    if may_change is not None and may_change.search(text) is None:
        return text
    return _T2S.convert(text)


@lru_cache(maxsize=8192)
def _short(text: str) -> str:
    return _T2S.convert(text)


# OpenCC's t2s is a longest-match over dictionaries of traditional characters and phrases. A
# text can change only where one of its entries that changes starts, and each such entry holds
# either a character that changes on its own (found at run time, in the CJK blocks; the other
# blocks with entries are taken whole) or, for the few phrases whose characters all stay the
# same on their own (回覆 → 回复, 深沈 → 深沉, 瞭解 → 了解, 藉口 → 借口 …), one of the characters
# below. Read from the dictionaries of OpenCC T2S_CHECKED (tests/test_perf_analysis.py checks them):
# with another version every long text is converted.
T2S_CHECKED = "1.4.2"
PHRASE_CHARS = "哩坏沈瞭甦藉衹覆"
# Blocks without a run-time check: compatibility ideographs, the supplementary planes' CJK
# extensions; and lone surrogates, which OpenCC refuses (its error is kept).
_WHOLE_BLOCKS = "\uf900-\ufaff\U00020000-\U0003ffff\ud800-\udfff"


@lru_cache(maxsize=1)
def _may_change() -> re.Pattern | None:
    """A pattern that finds every character a t2s change could start at; None: no shortcut."""
    from govscan.text import t2s_changes

    if getattr(opencc, "__version__", None) != T2S_CHECKED:
        return None
    changes = t2s_changes()
    if not changes:
        return None
    chars = sorted(set(changes) | set(PHRASE_CHARS))
    return re.compile("[" + "".join(re.escape(c) for c in chars) + _WHOLE_BLOCKS + "]")
