"""Traditional to simplified Chinese, so keyword options written in simplified match both."""

from __future__ import annotations

from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")


@lru_cache(maxsize=8192)
def to_simplified(text: str) -> str:
    """Simplified form of ``text`` (ASCII and simplified text come back unchanged)."""
    if not text or text.isascii():
        return text
    return _T2S.convert(text)
