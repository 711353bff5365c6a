"""Text answers: names, words and short phrases ("Evelyn", "infinitely many", "5 cats and 3 dogs").

Why a kind of its own: many RL golds are words, and reading them as math either fails (recall)
or, worse, reads ``5 \\text{ cats and } 3 \\text{ dogs}`` as the product 15. A text answer is
compared as a canonical token sequence: lower case, ``\\text{}`` and other font wrappers removed,
articles and punctuation dropped, lead-ins such as "the answer is" stripped, and every number
token in exact canonical form (``2.50`` and ``5/2`` are one token; "three" is ``3``), so numbers
inside text are still compared as numbers. Equality is the whole sequence, never a part of it:
"3 or 5" is not "3", "not possible" is not "possible".
"""

from __future__ import annotations

import re
from fractions import Fraction

import sympy

from verifiers.math.expressions import KNOWN_NAMES
from verifiers.math.numbers import NumberLit, parse_number
from verifiers.math.units import parse_unit
from verifiers.math.values import Collection, Interval, Scalar, Value, Word

__all__ = [
    "HEDGES",
    "LABEL_WORD",
    "MAX_TEXT_WORDS",
    "QUALIFIERS",
    "TEXT_CONNECTIVES",
    "interleaved_prose",
    "labeled_list",
    "math_meaning",
    "same_text",
    "stated_numbers",
    "text_answer",
    "without_label",
    "word_as_math",
]

MAX_TEXT_WORDS = 12  # longer prose is a sentence, not an answer: refused, not compared
_WRAPPER = re.compile(
    r"\\(?:text|textbf|textit|textrm|textnormal|textsf|texttt|mbox|mathrm|mathbf|mathit|mathsf|"
    r"operatorname|hbox|emph)\s*\{([^{}]*)\}"
)
_SPACING = re.compile(r"\\[,;:! ]|\\quad|\\qquad|~|\$")
_LEAD_IN = re.compile(
    r"^(?:(?:so|thus|therefore|hence)\s*,?\s+)?(?:the\s+)?(?:final\s+)?(?:answer|result)\s*(?:is|:|=)\s*",
    re.IGNORECASE,
)
_TOKEN = re.compile(
    r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?)?|\.\d+|[^\W\d_]+(?:['’-][^\W\d_]+)*"
)
_GLUED = re.compile(r"[A-Za-z]\d|\d[A-Za-z]")
_DROPPED = re.compile(r"[\s.,;:!?\"'“”‘’()\[\]]")
_ITEM = ";"  # boundary between the items of a listed text answer
_ARTICLES = frozenset({"a", "an", "the"})  # and "and": "5 cats, 3 dogs" = "5 cats and 3 dogs"
_NUMBER_WORDS = {
    word: n
    for n, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
_NUMBER_WORDS.update(
    {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
)
_NUMBER_WORDS.update({"hundred": 100, "thousand": 1000, "million": 1_000_000})
# Words that withdraw or weaken a stated value; trailing text holding one is a hedge, not a unit
# ("5 \\text{ maybe}", "5 \\text{ (not 6)}"), while "5 \\text{ per hour}" stays a unit.
HEDGES = frozenset(
    [
        "not",
        "no",
        "or",
        "nor",
        "either",
        "maybe",
        "perhaps",
        "possibly",
        "probably",
        "approximately",
        "about",
        "roughly",
        "nearly",
        "almost",
        "around",
        "except",
        "than",
        "least",
        "most",
        "wrong",
        "incorrect",
        "false",
        "unless",
        "if",
    ]
)
_COPULAS = frozenset({"is", "are", "was", "were", "equals", "be"})
QUALIFIERS = frozenset(
    [
        "not",
        "no",
        "never",
        "than",
        "least",
        "most",
        "between",
        "except",
        "from",
        "to",
        "until",
        "up",
        "over",
        "under",
        "above",
        "below",
        "less",
        "more",
        "fewer",
        "greater",
        "smaller",
        "larger",
        "per",
        "times",
        "plus",
        "minus",
        "divided",
        "multiplied",
        "about",
        "around",
        "nearly",
        "almost",
        "roughly",
        "approximately",
        "if",
        "when",
        "where",
        "unless",
        "each",
        "every",
        "either",
        "or",
        "neither",
        "nor",
        "all",
        "any",
        "only",
        "exactly",
        "ratio",
        "out",
        "within",
        "but",
        "instead",
        "unlike",
        "without",
        "cannot",
        "isn't",
        "one",
        "some",
        "example",
        "possible",
        "another",
        "also",
        "maybe",
        "perhaps",
        "possibly",
        "probably",
        "wrong",
        "incorrect",
        "false",
    ]
)


def _canonical_number(token: str) -> str | None:
    number = parse_number(token)
    if number is None:
        return None
    value = number.value
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _is_article(text: str, end: int) -> bool:
    """ "a"/"an"/"the" followed by a word, not a lone letter: "A and C" names choices A and C."""
    nxt = _TOKEN.search(text, end)
    return nxt is not None and len(nxt.group(0)) > 1 and nxt.group(0) not in ("and", "or")


def _unwrap(text: str) -> str:
    previous = None
    while previous != text:
        previous, text = text, _WRAPPER.sub(r" \1 ", text)
    return _SPACING.sub(" ", text)


def text_answer(raw: str) -> Word | None:
    """The canonical text answer of ``raw``, or None when it is not a short text answer.

    None when LaTeX math remains after unwrapping (``\\frac``, braces), when no word is left
    (a bare number is math), or when it is longer than ``MAX_TEXT_WORDS`` tokens.
    """
    if "$" in raw or "\\(" in raw or "\\[" in raw or _GLUED.search(raw):
        return None  # prose around math segments, or "AZYUK2A": not a text answer
    s = _unwrap(raw).strip()
    if "\\" in s or "{" in s or "}" in s:
        return None
    s = _LEAD_IN.sub("", s.lower()).strip()
    pos = 0
    spelled = False  # a number written as a word ("five"): text, though no letter is left
    tokens: list[str] = []
    for m in _TOKEN.finditer(s):
        gap = s[pos : m.start()]
        if _DROPPED.sub("", gap):
            return None  # a character we do not know how to compare
        pos = m.end()
        tok = m.group(0)
        if tok == "and" or "," in gap or ";" in gap:  # items of a list: "5 cats, 3 dogs"
            if tokens and tokens[-1] != _ITEM:
                tokens.append(_ITEM)
            if tok == "and":
                continue
        if tok in _ARTICLES and _is_article(s, m.end()):
            continue
        if tok in _NUMBER_WORDS:
            tok, spelled = str(_NUMBER_WORDS[tok]), True
        elif tok[0].isdigit() or tok[0] == ".":
            canonical = _canonical_number(tok)
            if canonical is None:
                return None
            tok = canonical
        tokens.append(tok)
    while tokens and tokens[-1] == _ITEM:
        tokens.pop()
    if _DROPPED.sub("", s[pos:]) or not tokens or len(tokens) - tokens.count(_ITEM) > MAX_TEXT_WORDS:
        return None
    if not spelled and not any(t[0].isalpha() for t in tokens):
        return None
    return Word(" ".join(tokens))


def same_text(a: Word, b: Word) -> bool:
    """Equal text answers: the same tokens, or the same list items in another order
    ("John and Mary" is "Mary, John"; "5 cats and 3 dogs" is not "3 cats and 5 dogs")."""
    if a.text == b.text or a.text.replace(f" {_ITEM} ", " ") == b.text.replace(f" {_ITEM} ", " "):
        return True
    if _ITEM not in a.text.split() or _ITEM not in b.text.split():
        return False
    return sorted(a.text.split(f" {_ITEM} ")) == sorted(b.text.split(f" {_ITEM} "))


def stated_numbers(word: Word) -> tuple[Fraction, ...] | None:
    """The numbers a text answer states ("72 clips"; "5 cats and 3 dogs"), when no word qualifies
    them: "at least 72", "72 or 73", "not 5" state no number we may compare."""
    numbers = []
    for tok in word.text.split():
        if tok in QUALIFIERS:
            return None
        if tok[0].isdigit():
            numbers.append(Fraction(tok))
    return tuple(numbers) or None


def word_as_math(word: Word) -> Value | None:
    """A text answer as the math it states, for comparing with a math answer: one number is a
    scalar, several a tuple in the order written (the words label them: "5 cats and 3 dogs" is
    not "3, 5"), none or qualified ones nothing."""
    numbers = stated_numbers(word)
    if numbers is None:
        return None
    tokens = word.text.split()
    first = next(k for k, tok in enumerate(tokens) if tok[0].isdigit())
    if first > 0 and tokens[first - 1] not in _COPULAS:
        return None  # "anything but 5": words before a number state it only as "... is 5"
    items = tuple(Scalar(str(n), number=NumberLit(n)) for n in numbers)
    return items[0] if len(items) == 1 else Collection(items, ordered=True)


_ALL_REALS = frozenset(
    {"all real numbers", "all reals", "real numbers", "every real number", "any real number"}
)
_INFINITE = frozenset({"infinitely many", "infinite", "infinitely many solutions", "infinity"})
_NO_SOLUTION = frozenset(
    {"no solution", "no solutions", "no real solution", "no real solutions", "none", "empty set"}
)


def math_meaning(word: Word) -> Value | None:
    """The few phrases that name a set: "all real numbers" is (-oo, oo), "no solution" the
    empty set, "infinitely many" infinity, so they compare with ``(-\\infty, \\infty)`` and ``\\emptyset``."""
    if word.text in _ALL_REALS:
        return Interval(Scalar("-oo", expr=-sympy.oo), Scalar("oo", expr=sympy.oo), False, False)
    if word.text in _INFINITE:
        return Scalar("oo", expr=sympy.oo)
    if word.text in _NO_SOLUTION:
        return Collection((), ordered=False, braced=True)
    return None


# Prose met inside math, before the parser reads it as math (parsing.py asks).
_TEXT_SEGMENT = re.compile(r"\\text\{[^{}]*\}")
_ONE_LETTER_TEXT = re.compile(r"\\text\{\s*([A-Za-z])\s*\}")
_PROSE_TEXT = re.compile(r"\\text\{([^{}]*[A-Za-z]{2,}[^{}]*)\}")
TEXT_CONNECTIVES = frozenset({"and", "or"})
# A label before the value: "\\text{The answer is } 5", "\\text{Option } B", "\\text{Total: } 45".
# Any text ending in a colon is a label; otherwise only the answer/option words are.
_LEAD_IN_TEXT = re.compile(
    r"^\s*\\(?:text|textbf|mathrm)\s*\{\s*(?:(?:the\s+)?(?:final\s+)?(?:answer|option|choice)\s*(?:is)?\s*:?"
    r"|[A-Za-z][A-Za-z ]{0,30}:)\s*\}\s*:?",
    re.IGNORECASE,
)
LABEL_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}")
_TRAILING_POWER = re.compile(r"\s*\^\s*\{?-?\d\}?\s*")


def without_label(text: str) -> str:
    """``\\text{The answer is } 5`` -> ``5``: a label before the value, unless it hedges."""
    label = _LEAD_IN_TEXT.match(text)
    if label and not set(re.findall(r"[a-z]+", label.group(0).lower())) & HEDGES:
        return text[label.end() :]
    return text


def interleaved_prose(s: str) -> bool:
    """A ``\\text{}`` with words before some math: ``5 \\text{ cats and } 3``, ``\\text{not } 5``.

    Only trailing text is a unit. Stripping words elsewhere (as units are stripped) reads a
    fragment: ``5 3``, the product 15; ``5`` for "not 5"; ``n`` for "no such n exists"."""
    for m in _ONE_LETTER_TEXT.finditer(s):  # "5\\text{ m } 3" is not 5 metres times 3
        after = _TRAILING_POWER.sub("", _TEXT_SEGMENT.sub("", s[m.end() :])).strip()
        if parse_unit(m.group(1)) is not None and after[:1] not in ("", ",", ";", "/"):
            return True
    for m in _PROSE_TEXT.finditer(s):
        words = set(re.findall(r"[A-Za-z]+", m.group(1).lower()))
        if words <= TEXT_CONNECTIVES:
            continue
        after = _TRAILING_POWER.sub("", _TEXT_SEGMENT.sub("", s[m.end() :])).strip()
        if parse_unit(m.group(1).strip()) is not None and after[:1] in ("", ",", ";"):
            continue  # a known unit ending a list item ("3\\text{ cm}, 5\\text{ m}"): units.py reads it
        if after or words & HEDGES or re.search(r"\d", m.group(1)):
            return True  # trailing "maybe", "(not 6)": a hedge, not a unit
    return False


def labeled_list(s: str) -> Word | None:
    """Numbers with words attached ("5 cats and 3 dogs", "2 hours 30 minutes") are a text answer:
    read as a list of numbers, "3 cats and 5 dogs" would equal it."""
    word = text_answer(s)
    if word is None:
        return None
    tokens = word.text.split()
    labels = [
        t for t in tokens if len(t) > 1 and t.isalpha() and t not in TEXT_CONNECTIVES and t not in KNOWN_NAMES
    ]
    numbers = [t for t in tokens if t[0].isdigit()]
    return word if len(labels) >= 2 and len(numbers) >= 2 else None
