"""The rounded-answer policy: an exact gold rounded to the answer's own precision, nothing looser."""

from __future__ import annotations

from fractions import Fraction

import pytest

from verifiers.math import MathConfig, explain, verify
from verifiers.math.rounding import significant_digits


def boxed(answer: str) -> str:
    return f"Working...\nSo the answer is $\\boxed{{{answer}}}$."


ROUNDED = [
    # (gold, answer, correct)
    ("300/7", "42.86", True),
    ("300/7", "42.857", True),
    ("300/7", "42.9", True),  # 3 significant digits and round(300/7, 1) == 42.9
    ("300/7", "42.8571428571428571", True),  # checked against 20+ exact digits, not a float
    ("1/3", "0.333", True),
    ("-300/7", "-42.86", True),
    (r"\sqrt{2}", "1.414", True),
    (r"\sqrt{2}", "1.41", True),
    (r"\pi", "3.14", True),
    (r"\pi", "3.1416", True),
    (r"\frac{\sqrt{3}}{2}", "0.866", True),
    ("e^{2}", "7.389", True),
    ("1000000/3", "333333.3", True),
    ("1/7", "0.142857142857142857", True),
    ("1/7", "0.14285714", True),
    # percentages and scientific notation count their decimals the same way
    (r"\frac{3}{7}", r"42.86\%", True),
    (r"\frac{3}{7}", r"42.9\%", True),
    (r"42.86\%", r"\frac{3}{7}", True),  # a rounded percent gold
    (r"\frac{3}{700}", r"4.29\times 10^{-3}", True),
    (r"\frac{300000}{7}", r"4.286 \times 10^{4}", True),
    (r"\frac{300000}{7}", "4.29e4", True),
    (r"\frac{3}{7}", r"43\%", False),
    (r"\frac{3}{7}", r"42.85\%", False),
    (r"43\%", r"\frac{3}{7}", False),
    (r"\frac{3}{700}", r"4.3\times 10^{-3}", False),
    (r"\frac{3}{700}", r"4.28\times 10^{-3}", False),
    (r"\frac{300000}{7}", "4.3e4", False),
    ("42857", "4.29e4", False),  # an integer gold is never matched by a rounding to hundreds
    # traps: too few significant digits, wrong last digit, truncation, no decimals written
    ("300/7", "43", False),
    ("300/7", "42.85", False),  # truncated, not rounded
    ("300/7", "42.87", False),
    ("300/7", "42.8", False),
    ("300/7", "43.0", False),
    ("1/3", "0.33", False),  # 2 significant digits
    ("1/3", "0.3", False),
    ("1/3", "0.334", False),
    ("2/3", "0.666", False),  # truncation of 0.6667
    (r"\sqrt{2}", "1.415", False),
    (r"\pi", "3.15", False),
    ("1/7", "0.14285715", False),
    ("5", "5.001", False),
    ("43", "42.9", False),
    ("1000000/3", "333000.0", False),
    ("1/9", "0.1", False),
    ("1/900", "0.00111", True),  # leading zeros are not significant: 3 digits
    ("1/900", "0.0011", False),
    (r"\sqrt{2}", "1.41 + 0.004", False),  # an expression, not a rounded literal
    ("x/7", "42.86", False),
    ("42.86", "42.9", False),  # a decimal gold may be a rounding itself: no rounding of a rounding
    ("3.14159", "3.14", False),
]


@pytest.mark.parametrize(("gold", "answer", "correct"), ROUNDED)
def test_rounded_answers(gold: str, answer: str, correct: bool) -> None:
    verdict = verify(gold, boxed(answer))
    assert verdict.correct is correct, explain(gold, boxed(answer)).steps


@pytest.mark.parametrize(
    ("config", "gold", "answer", "correct"),
    [
        (MathConfig(rounded_answer_min_sig_digits=None), "300/7", "42.86", False),
        (MathConfig(rounded_answer_min_sig_digits=None), r"\sqrt{2}", "1.414", False),
        (MathConfig(rounded_answer_min_sig_digits=5), "300/7", "42.86", False),
        (MathConfig(rounded_answer_min_sig_digits=5), "300/7", "42.857", True),
        (MathConfig(rounded_answer_min_sig_digits=2), "1/3", "0.33", True),
    ],
)
def test_rounding_knob(config: MathConfig, gold: str, answer: str, correct: bool) -> None:
    assert verify(gold, boxed(answer), config).correct is correct


@pytest.mark.parametrize(
    ("value", "decimals", "digits"),
    [
        (Fraction("42.86"), 2, 4),
        (Fraction("0.0500"), 4, 3),
        (Fraction("0.0"), 1, 0),
        (Fraction("-1.5"), 1, 2),
    ],
)
def test_significant_digits(value: Fraction, decimals: int, digits: int) -> None:
    assert significant_digits(value, decimals) == digits


def test_method_names_the_policy() -> None:
    assert verify("300/7", boxed("42.86")).method == "rounded_answer_sig"
