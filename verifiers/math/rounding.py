"""The rounded-answer policy: a decimal answer may be the exact gold rounded to its own precision.

Why a policy and not a tolerance: ``42.86`` for ``300/7`` is what a careful student writes, but a
relative tolerance loose enough to accept it would also accept ``42.85`` or ``43``. The rule here
is exact: the answer is a decimal literal with at least ``rounded_answer_min_sig_digits``
significant digits, and rounding the exact gold to the answer's number of decimal places gives
the answer digit for digit (either neighbour at an exact tie). The gold must be exact (an integer,
fraction, radical, pi...): a decimal gold may be a rounding itself. Nothing looser: ``43`` is not a
rounding (no decimals written), ``42.9`` is one only because ``round(300/7, 1) == 42.9``, and
``0.3`` (one significant digit) never stands for ``1/3``.

Scientific notation counts the same way: ``4.29\\times 10^{-3}`` has three significant digits and
five decimal places.

The gold is evaluated with enough digits for the answer's precision (not a 53-bit float), so an
answer with 20 decimals is checked against 20+ correct digits of the gold.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

import sympy

from verifiers.math.values import Scalar

__all__ = ["is_rounding_of", "significant_digits"]

_GUARD_DIGITS = 15  # extra digits of the gold evaluated beyond the answer's precision
_MAX_DECIMALS = 200  # longer answers are not checked as roundings (they are not roundings)


def significant_digits(value: Fraction, decimals: int) -> int:
    """Significant digits of a decimal literal with ``decimals`` digits after the point.

    ``42.86`` -> 4, ``0.0500`` -> 3 (leading zeros do not count, trailing ones do), ``0.0`` -> 0.
    """
    scaled = abs(value) * Fraction(10) ** decimals
    if scaled.denominator != 1 or scaled == 0:
        return 0
    return len(str(scaled.numerator))


def _gold_fraction(gold: Scalar, digits: int) -> Fraction | None:
    """The gold as a Fraction exact to well beyond ``digits`` significant digits, if real.

    None for a decimal gold (``42.86``): it may itself be a rounding, so a coarser answer
    (``42.9``) is a rounding of a rounding, not of the exact value.
    """
    if gold.number is not None:
        return gold.number.value if gold.number.decimals is None else None
    expr = gold.expr
    if expr is None or expr.free_symbols:
        return None
    if isinstance(expr, sympy.Rational):
        return Fraction(int(expr.p), int(expr.q))
    try:
        value: Any = expr.evalf(digits + _GUARD_DIGITS)
        if not value.is_number or value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            return None
        re_part, im_part = value.as_real_imag()
        if im_part != 0 and abs(im_part) > abs(re_part) * sympy.Float(10) ** (-(digits + 5)):
            return None
        if not isinstance(re_part, sympy.Float | sympy.Rational | sympy.Integer):
            return None
        return Fraction(str(re_part))
    except (TypeError, ValueError, ArithmeticError, AttributeError):
        return None


_SCIENTIFIC = re.compile(
    r"[+-]?\s*\d+\.(\d+)\s*(?:[eE]\s*|\\(?:times|cdot)\s*10\s*\^\s*)\{?\s*([+-]?\d+)\s*\}?"
)


def _decimal_places(pred: Scalar) -> int | None:
    """Decimal places of a decimal literal; ``4.29\\times10^{-3}`` has 5 (2 written, 3 shifted)."""
    if pred.number is None:
        return None
    if pred.number.decimals is not None:
        return pred.number.decimals
    m = _SCIENTIFIC.fullmatch(pred.text.strip())
    if m is None or abs(int(m.group(2))) > _MAX_DECIMALS:
        return None
    return len(m.group(1)) - int(m.group(2))  # negative: rounded to tens, hundreds...


def is_rounding_of(gold: Scalar, pred: Scalar, min_sig_digits: int) -> bool:
    """Whether ``pred`` (a decimal literal) is ``gold`` rounded to ``pred``'s decimal places.

    Ties (the gold exactly halfway between two candidates) accept either neighbour, so both
    round-half-up and round-half-even answers pass; anything else must be the nearest value.
    """
    decimals = _decimal_places(pred)
    if pred.number is None or decimals is None or pred.percent or abs(decimals) > _MAX_DECIMALS:
        return False
    target = pred.number.value
    if significant_digits(target, decimals) < min_sig_digits:
        return False
    magnitude = len(str(abs(int(target)))) if abs(target) >= 1 else 1
    exact = _gold_fraction(gold, max(decimals + magnitude, 1))
    if exact is None or exact == target:
        return False  # equal values are not this policy's business (and are compared exactly)
    if decimals < 0 and exact.denominator == 1:
        return False  # an integer gold (a count) is not matched by 4.29e4: only non-integers round
    half_step = Fraction(10) ** (-decimals) / 2
    return abs(exact - target) <= half_step
