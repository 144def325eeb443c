"""Text normalisation and multi-pattern matching shared by every keyword rule.

Keyword rules match on a *normalised* form of both the lexicon and the page text:

- whitespace (ASCII, ideographic, no-break) and invisible format characters (zero-width
  space/joiners, BOM, word joiner, soft hyphen, bidi controls) removed, so ``申 博`` and
  ``申\u200b博`` read ``申博``;
- letters lower-cased; full-width letters and digits (``ＢＥＴ３６５``) folded to ASCII and CJK
  compatibility ideographs to unified ones (the NFKC folds that matter for keywords; punctuation
  is left alone so that typical Chinese text needs no per-character work);
- traditional characters mapped to simplified ones, character by character, with a table built
  once from OpenCC's ``t2s`` dictionary (``娛樂城`` → ``娱乐城``); a per-character table is all
  matching needs since both sides go through it.

:class:`Matcher` is an Aho-Corasick automaton over normalised terms (ahocorasick-rs, the Rust
aho-corasick crate): one pass over a page finds every entry of a lexicon of thousands.
:func:`compile_matcher` caches automata by their entries, so a run compiles each lexicon once.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any, Hashable, Iterable, Iterator, NamedTuple

import ahocorasick_rs

LEXICON_DIR = Path(__file__).parent / "rules" / "lexicons"

# Invisible characters attackers use to split keywords (and that editors leave behind).
_INVISIBLE = (
    [0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x3164, 0xFEFF, 0xFFA0]
    + list(range(0x200B, 0x2010))      # zero-width space, ZWNJ, ZWJ, LRM, RLM
    + list(range(0x202A, 0x202F))      # bidi embeddings and overrides
    + list(range(0x2060, 0x2065))      # word joiner, invisible operators
    + list(range(0x2066, 0x206A))      # bidi isolates
)
_CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF))


@lru_cache(maxsize=1)
def _fold() -> tuple[dict[int, str], re.Pattern]:
    """Character folds after lower-casing: traditional → simplified (OpenCC t2s, character by
    character), full-width letters and digits → ASCII, compatibility ideographs → unified ones;
    with a pattern that finds any character the table changes."""
    table: dict[int, str] = {}
    for trad, simp in t2s_changes().items():
        if len(simp) == 1:
            table[ord(trad)] = simp
    for c in list(range(0xFF10, 0xFF1A)) + list(range(0xFF21, 0xFF3B)) + list(range(0xFF41, 0xFF5B)):
        table[c] = chr(c - 0xFEE0).lower()
    for c in range(0xF900, 0xFB00):
        norm = unicodedata.normalize("NFKC", chr(c))
        if len(norm) == 1 and norm != chr(c):
            table[c] = table.get(ord(norm), norm)
    pattern = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(table)) + "]")
    return table, pattern


@lru_cache(maxsize=1)
def t2s_changes() -> dict[str, str]:
    """The CJK characters (U+3400–U+9FFF) that OpenCC's t2s changes, each converted on its
    own, with what they become; empty when the conversion cannot be read character by
    character."""
    chars = [chr(c) for lo, hi in _CJK_RANGES for c in range(lo, hi + 1)]
    simplified = _opencc_t2s("\n".join(chars)).split("\n")
    if len(simplified) != len(chars):   # one line per character; anything else: no t2s
        return {}
    return {trad: simp for trad, simp in zip(chars, simplified) if trad != simp}


def _opencc_t2s(text: str) -> str:
    import opencc

    try:
        converter = opencc.OpenCC("t2s")
    except Exception:  # older bindings want the file name
        converter = opencc.OpenCC("t2s.json")
    return converter.convert(text)


_INVISIBLE_RE = re.compile("[" + "".join(re.escape(chr(c)) for c in _INVISIBLE) + "]+")
# The same class without "+": re scans for a bare class three times faster.
_INVISIBLE_CHAR = re.compile(_INVISIBLE_RE.pattern[:-1])


def normalize(text: str) -> str:
    """The matching form of ``text`` (see the module doc).

    Built from C-speed string operations, each skipped when it has nothing to do: about a tenth
    of a millisecond for the text of a 30 KB simplified-Chinese page.
    """
    if not text:
        return ""
    if _special().search(text) is None:
        # the common case, found in one scan: nothing to fold or drop but plain spaces
        return text.replace(" ", "").lower()
    text = "".join(text.split())
    if _INVISIBLE_CHAR.search(text):
        text = _INVISIBLE_RE.sub("", text)
    text = text.lower()
    table, pattern = _fold()
    found = pattern.findall(text)
    if found:
        text = text.translate(table) if len(found) > 64 else pattern.sub(lambda m: table[ord(m.group())], text)
    return text


@lru_cache(maxsize=1)
def _special() -> re.Pattern:
    """A pattern that finds any character normalize drops but the plain space (whitespace,
    invisible ones) or folds (the table's; lower-casing makes none: only full-width capitals
    lower-case into the table, and they are in it themselves). Whitespace is all in the BMP."""
    table, _ = _fold()
    spaces = [c for c in range(0x10000) if chr(c).isspace() and c != 0x20]
    chars = sorted(set(table) | set(_INVISIBLE) | set(spaces))
    return re.compile("[" + "".join(re.escape(chr(c)) for c in chars) + "]")


@lru_cache(maxsize=8)
def normalize_cached(text: str) -> str:
    """:func:`normalize` for page-sized texts that several rules read (the body text): a pure
    cache keyed by the string, so a page's text is normalised once."""
    return normalize(text)


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """``normalize`` character by character, with the original index of each output character.

    Slower than :func:`normalize`; used only to cut readable snippets around matches.
    """
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        norm = normalize(ch)
        out.append(norm)
        offsets.extend([i] * len(norm))
    return "".join(out), offsets


_WS = re.compile(r"\s+")


def snippet(text: str, start: int, end: int, width: int = 30) -> str:
    """Original text around ``text[start:end]``, whitespace folded, ``…`` where cut."""
    lo = max(0, start - width)
    hi = min(len(text), end + width)
    body = _WS.sub(" ", _INVISIBLE_RE.sub("", text[lo:hi])).strip()
    return ("…" if lo > 0 else "") + body + ("…" if hi < len(text) else "")


class Match(NamedTuple):
    """One occurrence of a term in normalised text: ``norm[start:end] == term``."""

    start: int
    end: int
    term: str
    payloads: tuple[Any, ...]


_DFA_MAX = 1000  # terms: larger lexicons keep the NFA (a DFA's memory grows with them)


class Matcher:
    """Aho-Corasick automaton over normalised terms; each term carries one or more payloads."""

    def __init__(self, entries: Iterable[tuple[str, Hashable]]):
        by_term: dict[str, list[Any]] = {}
        for term, payload in entries:
            key = normalize(term)
            if key:
                by_term.setdefault(key, []).append(payload)
        self.size = len(by_term)
        self._terms = list(by_term)
        self._payloads = [tuple(p) for p in by_term.values()]
        self._lengths = [len(t) for t in self._terms]
        # A DFA (a third faster than the default NFA on page texts, for about 4 KB a term) over
        # UTF-8 bytes: searching a str costs the automaton about twice as much (measured); find
        # maps the few matches back to character offsets itself.
        kind = ahocorasick_rs.Implementation.DFA if self.size <= _DFA_MAX else None
        try:
            self._longest = ahocorasick_rs.BytesAhoCorasick(
                [t.encode("utf-8") for t in self._terms], matchkind=ahocorasick_rs.MatchKind.LeftmostLongest,
                implementation=kind) if self.size else None
            self._bytes = True
        except UnicodeEncodeError:  # a term with a lone surrogate: search str as given
            self._longest = ahocorasick_rs.AhoCorasick(
                self._terms, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest, implementation=kind)
            self._bytes = False
        self._overlapping = None  # built on first use: the rules use leftmost-longest

    def find(self, norm: str, longest: bool = False) -> Iterator[Match]:
        """Occurrences in already normalised text, by position: every one (overlapping ones
        too), or with ``longest`` the leftmost-longest non-overlapping ones, so that a longer
        entry (an allowed phrase such as 体育彩票) hides the shorter ones inside it (彩票)."""
        if not self.size or not norm:
            return
        if longest and self._bytes:
            data = norm.encode("utf-8")  # lone surrogates: the same UnicodeEncodeError as the str search
            found = self._longest.find_matches_as_indexes(data)
            if not found:
                return
            if len(data) == len(norm):  # ASCII: byte offsets are character offsets
                for index, start, end in found:
                    yield Match(start, end, self._terms[index], self._payloads[index])
                return
            # the matches come in order and never overlap: count the characters in between
            byte_at = char_at = 0
            for index, start, _ in found:
                char_at += len(data[byte_at:start].decode("utf-8"))
                byte_at = start
                yield Match(char_at, char_at + self._lengths[index], self._terms[index], self._payloads[index])
            return
        if longest:
            found = self._longest.find_matches_as_indexes(norm)
        else:
            if self._overlapping is None:
                self._overlapping = ahocorasick_rs.AhoCorasick(self._terms)
            found = self._overlapping.find_matches_as_indexes(norm, overlapping=True)
        for index, start, end in found:
            yield Match(start, end, self._terms[index], self._payloads[index])

    def search(self, text: str, longest: bool = False) -> list[Match]:
        return list(self.find(normalize(text), longest))


@lru_cache(maxsize=64)
def compile_matcher(entries: tuple[tuple[str, Hashable], ...]) -> Matcher:
    """A matcher for ``entries`` ((term, payload) pairs), built once per distinct entry set."""
    return Matcher(entries)


_DROPPED = re.compile("[\\s" + "".join(re.escape(chr(c)) for c in _INVISIBLE) + "]")


def locate(text: str, match_terms: Iterable[str], width: int = 30) -> dict[str, str]:
    """Snippets of the original ``text`` around the first occurrence of each normalised term.

    Normalisation only drops characters (spaces, invisible ones) and maps the others one to one,
    so an index in the normalised text maps back by counting the dropped characters before it.
    """
    wanted = set(match_terms)
    if not wanted or not text:
        return {}
    norm = normalize_cached(text)
    dropped = [m.start() for m in _DROPPED.finditer(text)]
    out: dict[str, str] = {}
    for term in wanted:
        i = norm.find(term)
        if i >= 0:
            start = _original_index(i, dropped)
            end = _original_index(i + len(term) - 1, dropped) + 1
            out[term] = snippet(text, start, min(end, len(text)), width)
    return out


def _original_index(n: int, dropped: list[int]) -> int:
    """The index in the original text of the n-th kept character."""
    o = n
    while True:
        k = bisect.bisect_right(dropped, o)
        if n + k == o and (k == 0 or dropped[k - 1] != o):
            return o
        o = n + k


# ------------------------------------------------------------------ lexicon files

def lexicon_path(name: str) -> Path:
    """A bundled lexicon by name (``spam-gambling``) or a path to a file of the same format."""
    if "/" in name or "\\" in name or name.endswith((".txt", ".tsv")):
        return Path(name)
    return LEXICON_DIR / f"{name}.tsv"


@lru_cache(maxsize=64)
def load_lexicon(name: str) -> tuple[tuple[str, ...], ...]:
    """Rows of a lexicon file: UTF-8, tab-separated columns, ``#`` comments and blank lines skipped."""
    path = lexicon_path(name)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ValueError(f"lexicon '{name}' cannot be read: {exc}") from exc
    rows = []
    for line in raw.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        rows.append(tuple(col.strip() for col in line.split("\t")))
    return tuple(rows)
