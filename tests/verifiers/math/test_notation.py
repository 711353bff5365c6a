"""Spelling policies: ellipsis items, ordinals, integer parameter declarations, decimal commas."""

from __future__ import annotations

import pytest

from verifiers.math import MathConfig, explain, verify
from verifiers.math.notation import decimal_comma, rewrite


def boxed(answer: str) -> str:
    return f"Working...\nSo the answer is $\\boxed{{{answer}}}$."


FORMS = [
    # decimal commas: one number with one comma, never a thousands group
    ("12.5", "12,5", True),
    ("0.5", "0,5", True),
    ("12.5", "12{,}5", True),
    ("12", "12{,}5", False),
    ("12500", "12{,}500", True),
    ("-3.25", "-3,25", True),
    ("3.14159", "3,14159", True),
    ("1250", "1,250", True),  # thousands separator
    ("1000", "1,000", True),
    ("12", "12,5", False),
    ("5", "12,5", False),
    ("1.25", "1,250", False),
    ("1.2", "1, 2", False),  # a list with a space is a list
    ("1, 2", "1,2", True),  # and against a list gold, 1,2 is the list
    ("12.5", "12,5,3", False),
    # a gold with a decimal comma: read as a decimal only against a decimal with the same digits
    ("1,22", "1.22", True),
    ("1,2", "1.2", True),
    ("1,22", "1, 22", True),  # the list reading stays
    ("1,22", "1.220", False),
    ("1,22", r"\frac{61}{50}", False),
    ("1,22", "1.23", False),
    ("1,000", "1.000", False),  # a thousands group
    # ellipsis items
    (r"1, 2, \cdots, 10", r"1,2,\ldots,10", True),
    (r"1, 2, \ldots, 10", "1, 2, ..., 10", True),
    (r"2, 4, 6, \ldots", r"2, 4, 6, \dots", True),
    (r"\{1, 2, \ldots, 9\}", r"\{1, 2, \cdots, 9\}", True),
    (r"1, 2, \cdots, 10", "1, 2, 10", False),
    (r"1, 2, \cdots, 10", r"10, \cdots, 2, 1", False),
    (r"2, 4, 6, \ldots", r"2, 4, 8, \ldots", False),
    (r"2, 4, 6, \ldots", "2, 4, 6", False),
    # decimals written with a trailing ellipsis or a repeating bar
    ("300/7", r"42.857\ldots", True),
    ("1/3", r"0.333\dots", True),
    ("2/3", r"0.666\ldots", False),  # a truncation, not a rounding: not accepted
    ("1/3", r"0.\overline{3}", True),
    ("68/55", r"1.2\overline{36}", True),
    ("-1/7", r"-0.\overline{142857}", True),
    ("1/3", r"0.\overline{33}", True),
    ("1/3", r"0.\overline{6}", False),
    ("1/3", r"0.3\overline{4}", False),
    # ordinals
    ("7", r"7^{\text{th}}", True),
    ("7", "7th", True),
    ("7", r"7^\text{th}", True),
    ("21", "21^{st}", True),
    ("2", r"2\text{nd}", True),
    (r"7^{\text{th}}", "7", True),
    ("7", r"8^{\text{th}}", False),
    ("7", "17th", False),
]


@pytest.mark.parametrize(("gold", "answer", "correct"), FORMS)
def test_forms(gold: str, answer: str, correct: bool) -> None:
    verdict = verify(gold, boxed(answer))
    assert verdict.correct is correct, explain(gold, boxed(answer)).steps


@pytest.mark.parametrize(
    ("config", "gold", "answer", "correct"),
    [
        (MathConfig(decimal_comma=False), "12.5", "12,5", False),
        (MathConfig(ordinals=False), "7", r"7^{\text{th}}", False),
        (MathConfig(ellipsis=False), r"1, 2, \cdots, 10", r"1,2,\ldots,10", False),
    ],
)
def test_form_knobs(config: MathConfig, gold: str, answer: str, correct: bool) -> None:
    assert verify(gold, boxed(answer), config).correct is correct


@pytest.mark.parametrize(
    ("text", "dotted"),
    [("12,5", "12.5"), ("$0,75$", "0.75"), ("1,000", None), ("1,2,3", None), ("a,5", None)],
)
def test_decimal_comma(text: str, dotted: str | None) -> None:
    assert decimal_comma(text) == dotted


@pytest.mark.parametrize(
    ("text", "rewritten"),
    [
        (r"x=k\pi, k\in\mathbb{Z}", r"x=k\pi"),
        (r"x=k\pi \quad (k \in \mathbb{Z})", r"x=k\pi"),
        (r"x=k\pi \text{ where } k \text{ is an integer}", r"x=k\pi"),
        (r"2\theta", r"2\theta"),
        ("5 th", "5"),
        (r"x \in \mathbb{Z}", r"x \in \mathbb{Z}"),  # nothing else left: the answer itself
        (r"x = 2k, k \in \mathbb{Z}", "x = 2k"),  # never glued to the k of 2k
        (r"x = \frac{\pi}{2}n, n\in\mathbb{Z}", r"x = \frac{\pi}{2}n"),
        (r"f(x)=2x, x \in \mathbb{R}", "f(x)=2x"),
        (r"f(x,y)=x+y, x,y \in \mathbb{R}", "f(x,y)=x+y"),
        (r"y=2, x\in\mathbb{R}", r"y=2, x\in\mathbb{R}"),  # x is not used: not a declaration
        (r"(1,2) \in \mathbb{R}", r"(1,2) \in \mathbb{R}"),
    ],
)
def test_rewrite(text: str, rewritten: str) -> None:
    assert rewrite(text, MathConfig()).strip() == rewritten
