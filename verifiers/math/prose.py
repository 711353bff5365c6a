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

from verifiers.math.numbers import NumberLit, parse_number
from verifiers.math.values import Collection, Interval, Scalar, Value, Word

__all__ = [
    "HEDGES",
    "MAX_TEXT_WORDS",
    "QUALIFIERS",
    "math_meaning",
    "same_text",
    "stated_numbers",
    "text_answer",
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
