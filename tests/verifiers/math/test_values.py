"""The value tree's parsed forms: ``str()`` of each type is what a verdict reports."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

from verifiers.math.numbers import NumberLit
from verifiers.math.values import (
    Choice,
    Collection,
    Interval,
    Matrix,
    Relation,
    Scalar,
    TimeOfDay,
    Union,
    Value,
    Word,
)

ONE = Scalar("1", number=NumberLit(Fraction(1)))
HALF = Scalar("1/2", number=NumberLit(Fraction(1, 2)))
X = Scalar("x", expr=sympy.Symbol("x"))

FORMS: list[tuple[Value, str]] = [
    (ONE, "1"),
    (HALF, "1/2"),
    (X, "x"),
    (Scalar("50", number=NumberLit(Fraction(50)), percent=True), "50%"),
    (Relation("=", X, ONE), "x = 1"),
    (Interval(HALF, ONE, lo_closed=False, hi_closed=True), "(1/2, 1]"),
    (Interval(HALF, ONE, lo_closed=True, hi_closed=False), "[1/2, 1)"),
    (Union((Interval(HALF, ONE, True, True), ONE)), "[1/2, 1] U 1"),
    (Collection((ONE, HALF), ordered=True), "(1, 1/2)"),
    (Collection((ONE, HALF), ordered=False), "{1, 1/2}"),
    (Collection((), ordered=False, braced=True), "{}"),
    (Matrix(((ONE, HALF), (HALF, ONE))), "[1, 1/2; 1/2, 1]"),
    (Choice("B", raw="b"), "(B)"),
    (Word("5 cats ; 3 dogs"), "'5 cats ; 3 dogs'"),
    (TimeOfDay(3 * 3600, ambiguous=True), "03:00 (am/pm)"),
    (TimeOfDay(15 * 3600 + 30 * 60 + 5), "15:30:05"),
]


@pytest.mark.parametrize(("value", "text"), FORMS)
def test_parsed_form(value: Value, text: str) -> None:
    assert str(value) == text


def test_scalar_to_sympy() -> None:
    assert HALF.to_sympy() == sympy.Rational(1, 2)  # exact, never a float
    assert X.to_sympy() == sympy.Symbol("x")
