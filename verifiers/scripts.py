"""Unicode scripts of words: the cheap, dependency-free half of language identification.

Why: ``language_consistency`` must run inline in microseconds, so it cannot load a language-ID
model. A word's writing system (Latin, Han, Cyrillic, ...) already separates most language pairs
a reasoning model mixes (Chinese/English above all); ``verifiers.language`` refines Latin-script
words further.

Segmentation: alphabetic scripts are split into words at anything that is not a letter of the
same script (spaces, punctuation, digits, a script change); Han, kana and Thai characters, which
are written without spaces, are one word each, so a Chinese passage weighs about as much as its
token count. Digits, symbols and punctuation belong to no word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum

__all__ = ["Script", "count_words", "letter_class", "script_words"]


class Script(StrEnum):
    """The writing systems recognised; anything else is not counted as a word."""

    LATIN = "latin"
    GREEK = "greek"
    CYRILLIC = "cyrillic"
    ARMENIAN = "armenian"
    HEBREW = "hebrew"
    ARABIC = "arabic"
    DEVANAGARI = "devanagari"
    THAI = "thai"
    HANGUL = "hangul"
    HIRAGANA = "hiragana"
    KATAKANA = "katakana"
    HAN = "han"


# Character classes per script; combining diacritics (U+0300–U+036F) continue a Latin, Greek or
# Cyrillic word. × and ÷ (U+00D7, U+00F7) sit inside Latin-1 but are math, not letters.
_MARKS = "\u0300-\u036f"
_RUNS: dict[Script, str] = {
    Script.LATIN: rf"A-Za-z\u00aa\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff{_MARKS}",
    Script.GREEK: rf"\u0370-\u03ff\u1f00-\u1fff{_MARKS}",
    Script.CYRILLIC: rf"\u0400-\u052f{_MARKS}",
    Script.ARMENIAN: r"\u0531-\u058f",
    Script.HEBREW: r"\u05d0-\u05ea\u05f0-\u05f4\u0591-\u05c7",
    Script.ARABIC: r"\u0620-\u064a\u064b-\u065f\u066e-\u06d3\u06d5-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff",
    Script.DEVANAGARI: r"\u0900-\u0963\u0971-\u097f",
    Script.HANGUL: r"\uac00-\ud7af\u1100-\u11ff\u3130-\u318f",
}
_SINGLES: dict[Script, str] = {
    Script.THAI: r"\u0e01-\u0e4e",
    Script.HIRAGANA: r"\u3041-\u309f",
    Script.KATAKANA: r"\u30a1-\u30ff\u31f0-\u31ff\uff66-\uff9f",
    Script.HAN: r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f",
}
_WORD = re.compile(
    "|".join(
        [f"(?P<{s.value}>[{cls}])" for s, cls in _SINGLES.items()]
        + [f"(?P<{s.value}>[{cls}]+)" for s, cls in _RUNS.items()]
    )
)


_BY_GROUP: dict[str | None, Script] = {s.value: s for s in Script}
# Per script: its words (a run, or one character for the unspaced scripts), and the same with at
# least two characters, so callers can count without a Python-level loop over words.
_ONE: dict[Script, re.Pattern[str]] = {
    **{s: re.compile(f"[{cls}]") for s, cls in _SINGLES.items()},
    **{s: re.compile(f"[{cls}]+") for s, cls in _RUNS.items()},
}
_TWO: dict[Script, re.Pattern[str]] = {s: re.compile(f"[{cls}]{{2,}}") for s, cls in _RUNS.items()}


def letter_class(script: Script) -> str:
    """The script's letters as the body of a regular-expression character class (``[...]``)."""
    return _RUNS.get(script) or _SINGLES[script]


def count_words(text: str, script: Script, min_chars: int = 1) -> int:
    """How many words of ``script`` are in ``text``; ``min_chars=2`` drops one-letter words of
    spaced scripts (variables such as x or π). Each character of an unspaced script is a word."""
    pattern = _TWO[script] if min_chars >= 2 and script in _TWO else _ONE[script]
    return len(pattern.findall(text))


def script_words(text: str) -> Iterator[tuple[str, Script, int]]:
    """Every word of ``text`` with its script and start offset (see the module docstring)."""
    for m in _WORD.finditer(text):
        yield m.group(), _BY_GROUP[m.lastgroup], m.start()
