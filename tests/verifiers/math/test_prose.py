"""Text answers: canonical token sequences, list items, the numbers a phrase states, labels,
and prose interleaved with math (which must never be read as a product)."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

from verifiers.math.prose import (
    interleaved_prose,
    labeled_list,
    math_meaning,
    same_text,
    stated_numbers,
    text_answer,
    without_label,
    word_as_math,
)
from verifiers.math.values import Collection, Interval, Scalar, Word

CANONICAL = [
    (r"\text{yes}", "yes"),
    (r"\text{Tuesday}", "tuesday"),
    ("The answer is Evelyn", "evelyn"),
    ("the answer is 72 clips", "72 clips"),
    (r"\text{five apples}", "5 apples"),  # number words are numbers
    ("2.50 dollars", "5/2 dollars"),  # numbers in exact canonical form
    ("5 cats and 3 dogs", "5 cats ; 3 dogs"),  # list items
    ("Mary, John", "mary ; john"),
    ("3 or 5", "3 or 5"),
    ("not possible", "not possible"),
    # not text answers: math remains, a bare number, glued letters and digits
    ("72", None),
    (r"\frac{1}{2} apples", None),
    ("$x$ and y", None),
    ("AZYUK2A", None),
]


@pytest.mark.parametrize(("raw", "text"), CANONICAL)
def test_text_answer(raw: str, text: str | None) -> None:
    word = text_answer(raw)
    assert (word.text if word is not None else None) == text


def _w(raw: str) -> Word:
    word = text_answer(raw)
    assert word is not None
    return word


SAME = [
    (r"\text{Yes}", "yes.", True),
    ("John and Mary", "Mary, John", True),  # list items in any order
    ("5 cats and 3 dogs", "3 dogs and 5 cats", True),
    ("5 cats and 3 dogs", "3 cats and 5 dogs", False),  # the words label the numbers
    ("3 or 5", "3 apples", False),
    ("not possible", "possible", False),  # the whole sequence, never a part
]


@pytest.mark.parametrize(("a", "b", "same"), SAME)
def test_same_text(a: str, b: str, same: bool) -> None:
    assert same_text(_w(a), _w(b)) is same
    assert same_text(_w(b), _w(a)) is same


def test_stated_numbers_refuse_qualified_numbers() -> None:
    assert stated_numbers(_w("72 clips")) == (Fraction(72),)
    assert stated_numbers(_w("at least 72")) is None
    assert stated_numbers(_w("Evelyn")) is None


def test_word_as_math() -> None:
    five = word_as_math(_w("x is 5"))  # "... is 5" states the number
    assert isinstance(five, Scalar) and five.number is not None
    assert five.number.value == 5
    pair = word_as_math(_w("5 cats and 3 dogs"))
    assert isinstance(pair, Collection) and pair.ordered
    assert [str(item) for item in pair.items] == ["5", "3"]  # in the order written
    assert word_as_math(_w("anything but 5")) is None  # words before a number qualify it


def test_math_meaning_of_set_phrases() -> None:
    reals = math_meaning(_w("all real numbers"))
    assert isinstance(reals, Interval)
    assert (reals.lo.expr, reals.hi.expr) == (-sympy.oo, sympy.oo)
    assert math_meaning(_w("infinitely many")) == Scalar("oo", expr=sympy.oo)
    empty = math_meaning(_w("no solution"))
    assert isinstance(empty, Collection) and empty.items == ()
    assert math_meaning(_w("Evelyn")) is None


@pytest.mark.parametrize(
    ("text", "stripped"),
    [
        (r"\text{The answer is } 5", "5"),
        (r"\text{Total: } 45", "45"),
        (r"\text{maybe: } 5", r"\text{maybe: } 5"),  # a hedge is no label
        ("5", "5"),
    ],
)
def test_without_label(text: str, stripped: str) -> None:
    assert without_label(text).strip() == stripped


@pytest.mark.parametrize(
    ("text", "interleaved"),
    [
        (r"5 \text{ cats and } 3", True),  # never the product 15
        (r"\text{not } 5", True),
        (r"5\text{ cm}", False),  # a trailing unit
        (r"3\text{ cm}, 5\text{ m}", False),
        (r"5 \text{ and } 3", False),  # a connective only
    ],
)
def test_interleaved_prose(text: str, interleaved: bool) -> None:
    assert interleaved_prose(text) is interleaved


@pytest.mark.parametrize(
    ("text", "is_list"),
    [("5 cats and 3 dogs", True), ("2 hours 30 minutes", True), ("5 cats", False), ("5 and 3", False)],
)
def test_labeled_list(text: str, is_list: bool) -> None:
    assert (labeled_list(text) is not None) is is_list
