"""Traditional to simplified Chinese, so keyword options written in simplified match both."""

from __future__ import annotations

from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Simplified form of ``text`` (ASCII and simplified text come back unchanged).

    Short strings (names, titles, keywords) repeat across pages and are cached; whole page
    texts are not, so the cache stays small."""
    if not text or text.isascii():
        return text
    if len(text) <= 64:
        return _short(text)
    return _T2S.convert(text)


@lru_cache(maxsize=8192)
def _short(text: str) -> str:
    return _T2S.convert(text)
