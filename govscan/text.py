"""Text normalisation and multi-pattern matching shared by every keyword rule.

Keyword rules match on a *normalised* form of both the lexicon and the page text:

- compatibility forms folded (NFKC): full-width ``ＡＢＣ１２３`` and ideographic spaces become
  ASCII, circled and compatibility ideographs their plain forms;
- traditional characters mapped to simplified ones, character by character, with a table built
  once from OpenCC's ``t2s`` dictionary (``娛樂城`` → ``娱乐城``); a per-character table is all
  matching needs since both sides go through it, and ``str.translate`` keeps it fast;
- whitespace and invisible format characters (zero-width space/joiners, BOM, word joiner, soft
  hyphen, bidi controls) removed, so ``申 博`` and ``申\u200b博`` read ``申博``;
- ASCII letters lower-cased.

:class:`Matcher` is an Aho-Corasick automaton over normalised terms (pyahocorasick): one pass
over a page finds every entry of a lexicon of thousands. :func:`compile_matcher` caches
automata by their entries, so a run compiles each lexicon once.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Hashable, Iterable, Iterator

import ahocorasick

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
def _table() -> dict[int, Any]:
    """The translate table: traditional → simplified, A-Z → a-z, invisible/space → deleted."""
    table: dict[int, Any] = {}
    chars = [chr(c) for lo, hi in _CJK_RANGES for c in range(lo, hi + 1)]
    simplified = _opencc_t2s("\n".join(chars)).split("\n")
    if len(simplified) == len(chars):   # one line per character; anything else: no t2s
        for trad, simp in zip(chars, simplified):
            if trad != simp and simp:
                table[ord(trad)] = simp
    for c in range(ord("A"), ord("Z") + 1):
        table[c] = chr(c + 32)
    for c in range(0x10000):
        if chr(c).isspace():
            table[c] = None
    for c in _INVISIBLE:
        table[c] = None
    return table


def _opencc_t2s(text: str) -> str:
    import opencc

    try:
        converter = opencc.OpenCC("t2s")
    except Exception:  # older bindings want the file name
        converter = opencc.OpenCC("t2s.json")
    return converter.convert(text)


def normalize(text: str) -> str:
    """The matching form of ``text`` (see the module doc)."""
    if not text:
        return ""
    return unicodedata.normalize("NFKC", text).translate(_table())


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """``normalize`` character by character, with the original index of each output character.

    Slower than :func:`normalize`; used only to cut readable snippets around matches.
    """
    table = _table()
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        norm = unicodedata.normalize("NFKC", ch).translate(table)
        out.append(norm)
        offsets.extend([i] * len(norm))
    return "".join(out), offsets


_WS = re.compile(r"\s+")


def snippet(text: str, start: int, end: int, width: int = 30) -> str:
    """Original text around ``text[start:end]``, whitespace folded, ``…`` where cut."""
    lo = max(0, start - width)
    hi = min(len(text), end + width)
    body = _WS.sub(" ", text[lo:hi]).strip()
    return ("…" if lo > 0 else "") + body + ("…" if hi < len(text) else "")


@dataclass(frozen=True)
class Match:
    """One occurrence of a term in normalised text: ``norm[start:end] == term``."""

    start: int
    end: int
    term: str
    payloads: tuple[Any, ...]


class Matcher:
    """Aho-Corasick automaton over normalised terms; each term carries one or more payloads."""

    def __init__(self, entries: Iterable[tuple[str, Hashable]]):
        by_term: dict[str, list[Any]] = {}
        for term, payload in entries:
            key = normalize(term)
            if key:
                by_term.setdefault(key, []).append(payload)
        self.size = len(by_term)
        self._automaton = ahocorasick.Automaton()
        for key, payloads in by_term.items():
            self._automaton.add_word(key, (key, tuple(payloads)))
        if self.size:
            self._automaton.make_automaton()

    def find(self, norm: str) -> Iterator[Match]:
        """Every occurrence (overlapping ones too) in already normalised text, by end offset."""
        if not self.size or not norm:
            return
        for end, (key, payloads) in self._automaton.iter(norm):
            yield Match(end + 1 - len(key), end + 1, key, payloads)

    def search(self, text: str) -> list[Match]:
        return list(self.find(normalize(text)))


@lru_cache(maxsize=64)
def compile_matcher(entries: tuple[tuple[str, Hashable], ...]) -> Matcher:
    """A matcher for ``entries`` ((term, payload) pairs), built once per distinct entry set."""
    return Matcher(entries)


def locate(text: str, match_terms: Iterable[str], width: int = 30) -> dict[str, str]:
    """Snippets of the original ``text`` around the first occurrence of each normalised term."""
    wanted = set(match_terms)
    if not wanted:
        return {}
    norm, offsets = normalize_with_offsets(text)
    out: dict[str, str] = {}
    for term in wanted:
        i = norm.find(term)
        if i >= 0:
            out[term] = snippet(text, offsets[i], offsets[i + len(term) - 1] + 1, width)
    return out


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
