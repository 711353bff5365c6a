"""The regex + Fraction fast path."""

from __future__ import annotations

from fractions import Fraction

import pytest

from verifiers.math.numbers import parse_number

NUMBERS = [
    ("42", Fraction(42), None),
    ("-5", Fraction(-5), None),
    ("3.14", Fraction(314, 100), 2),
    (".4", Fraction(2, 5), 1),
    ("1,234,567", Fraction(1234567), None),
    ("1,000.99", Fraction(100099, 100), 2),
    ("10/9", Fraction(10, 9), None),
    ("-10/9", Fraction(-10, 9), None),
    (r"\frac{1}{3}", Fraction(1, 3), None),
    (r"-\frac{10}{9}", Fraction(-10, 9), None),
    (r"\frac{-1}{3}", Fraction(-1, 3), None),
    (r"2\frac{1}{3}", Fraction(7, 3), None),
    (r"-2\frac{1}{3}", Fraction(-7, 3), None),
    ("1.5e6", Fraction(1500000), None),
    ("2E-3", Fraction(1, 500), None),
    (r"1.5\times10^6", Fraction(1500000), None),
    (r"1.5 \cdot 10^{-2}", Fraction(3, 200), None),
    ("10^{3}", Fraction(1000), None),
]


@pytest.mark.parametrize(("text", "value", "decimals"), NUMBERS)
def test_numbers(text: str, value: Fraction, decimals: int | None) -> None:
    parsed = parse_number(text)
    assert parsed is not None
    assert (parsed.value, parsed.decimals) == (value, decimals)


@pytest.mark.parametrize(
    "text", ["1,23", "1, 234", "x", r"\frac{1}{0}", "1/0", r"\sqrt{2}", "2x", "1.5e99999", "", "12,34,567"]
)
def test_not_numbers(text: str) -> None:
    assert parse_number(text) is None
