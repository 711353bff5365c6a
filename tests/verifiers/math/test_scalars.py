"""Scalar equality on its own: exact first, relative tolerance, percent and rounding policies."""

from __future__ import annotations

from dataclasses import replace

import pytest

from verifiers.math import MathConfig, PercentPolicy
from verifiers.math.parsing import parse_answer
from verifiers.math.scalars import exprs_equal, scalar_equal
from verifiers.math.values import Scalar

CFG = MathConfig()


def scalar(text: str) -> Scalar:
    value = parse_answer(text, CFG)
    assert isinstance(value, Scalar), value
    return value


@pytest.mark.parametrize(
    ("gold", "pred", "equal"),
    [
        ("1/2", "0.5", True),
        (r"\frac{1}{2^{99}}", r"\frac{1}{2^{98}}", False),  # relative, not absolute, tolerance
        (r"\sqrt{8}", r"2\sqrt{2}", True),
        (r"\frac{300}{7}", "42.86", True),  # rounded answer, 4 significant digits
        (r"\frac{300}{7}", "43", False),
        (r"\frac{300}{7}", "42.85", False),
        (r"50\%", "0.5", True),
        (r"50\%", "50", True),  # percent policy value_or_number
        ("x^2 - 1", "(x-1)(x+1)", True),
        ("x^2 + 1", "(x+1)^2", False),
        (r"5\text{ m}", r"500\text{ cm}", True),
        (r"5\text{ m}", r"5\text{ cm}", False),
    ],
)
def test_scalar_equal(gold: str, pred: str, equal: bool) -> None:
    assert (scalar_equal(scalar(gold), scalar(pred), CFG) is not None) is equal


def test_percent_value_policy_refuses_the_bare_number() -> None:
    cfg = replace(CFG, percent=PercentPolicy.VALUE)
    assert scalar_equal(scalar(r"50\%"), scalar("50"), cfg) is None
    assert scalar_equal(scalar(r"50\%"), scalar("0.5"), cfg) is not None


def test_exprs_equal() -> None:
    assert exprs_equal(scalar("2x+2").to_sympy(), scalar("2(x+1)").to_sympy())
    assert not exprs_equal(scalar("2x+2").to_sympy(), scalar("2(x+2)").to_sympy())
