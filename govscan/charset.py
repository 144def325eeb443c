"""Decode page bytes whatever their declared (or wrong, or missing) charset.

Order of trust: a BOM; valid UTF-8 (GBK text is almost never valid UTF-8, while a wrong
"gbk" label on UTF-8 bytes would silently produce mojibake); the header's and then the
meta tag's declaration, when the bytes decode strictly; GB18030 (superset of GBK/GB2312);
charset-normalizer's guess; finally the declared charset with replacement characters.
"""

from __future__ import annotations

import codecs
import re


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
            "cp936": "gb18030", "hz-gb-2312": "gb18030", "unicode": "utf-16", "utf8": "utf-8"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def canonical(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = re.search(r"charset\s*=\s*([^;\s]+)", content_type, re.I)
    return canonical(match.group(1)) if match else None


def meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:4096])
    return canonical(match.group(1).decode("ascii", "ignore")) if match else None


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _utf16_without_bom(body: bytes) -> str | None:
    sample = body[:2048]
    if len(sample) < 4 or sample.count(0) < len(sample) // 4:
        return None
    even_zeros = sample[0::2].count(0)
    odd_zeros = sample[1::2].count(0)
    encoding = "utf-16-be" if even_zeros > odd_zeros else "utf-16-le"
    return _strict(body[: len(body) - len(body) % 2], encoding)


def decode(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Return (text, encoding used)."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            text = _strict(body, encoding)
            if text is not None:
                return text.lstrip("\ufeff"), encoding.replace("-sig", "")
    declared = header_charset(content_type)
    if declared and declared.startswith("utf-16"):
        text = _strict(body, declared)
        if text is not None:
            return text, declared
    text = _utf16_without_bom(body)
    if text is not None:
        return text, "utf-16"
    text = _strict(body, "utf-8")
    if text is not None:
        return text, "utf-8"
    meta = meta_charset(body)
    for encoding in (declared, meta, "gb18030"):
        if encoding and encoding not in ("utf-8", "ascii"):
            text = _strict(body, encoding)
            if text is not None:
                return text, encoding
    # imported here: most pages declare their charset, and the crawler's own process decodes
    # next to nothing (its import is ~25 ms of every start)
    from charset_normalizer import from_bytes

    best = from_bytes(body[:200_000]).best()
    if best is not None and best.encoding:
        return body.decode(best.encoding, errors="replace"), canonical(best.encoding) or best.encoding
    fallback = declared or meta or "utf-8"
    return body.decode(fallback, errors="replace"), fallback
