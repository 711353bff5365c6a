"""Whether two scalars are equal: numbers, expressions, percents, rounded decimals, units.

Order of evidence, cheapest and most exact first: exact ``Fraction`` equality (fast path);
structural sympy equality; a numeric check with a RELATIVE tolerance (so ``1/2^{99}`` and
``1/2^{98}`` differ: absolute checks such as ``evalf(chop=True) == 0`` call them equal); and only
then a guarded ``simplify``. Why apart from comparison.py: every structure (relations, intervals,
sets, tuples) comes down to this one question about its scalars.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy

from verifiers.math.config import MathConfig, PercentPolicy
from verifiers.math.equations import integer_family_equal
from verifiers.math.numbers import NumberLit
from verifiers.math.rounding import is_rounding_of
from verifiers.math.units import align
from verifiers.math.values import Scalar

__all__ = ["SIMPLIFY_MAX_OPS", "exprs_equal", "numeric", "scalar_equal"]

_EXACT_REL_TOL = 1e-25  # for expressions without floats, evaluated at 40 digits
_EVAL_DIGITS = 40
SIMPLIFY_MAX_OPS = 150
_MAX_TERMINATING_DIGITS = 60
_HIGH_DIGITS = 150
_HIGH_REL_TOL = "1e-120"
_SAMPLE_POINTS = (Fraction(7, 5), Fraction(-3, 7), Fraction(29, 11), Fraction(-41, 13))
_MIN_AGREEING_POINTS = 3


def _close(a: Any, b: Any, rel_tol: float) -> bool:
    """|a-b| <= rel_tol * max(|a|, |b|) on complex numbers (exact zero only equals zero)."""
    diff = abs(complex(a) - complex(b))
    scale = max(abs(complex(a)), abs(complex(b)))
    return diff == 0 or diff <= rel_tol * scale


def _has_float(expr: Any) -> bool:
    return bool(expr.atoms(sympy.Float))


def numeric(expr: Any) -> Any | None:
    try:
        value = expr.evalf(_EVAL_DIGITS)
        if value.is_number and not value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            return complex(value)
    except (TypeError, ValueError, ArithmeticError, AttributeError):
        return None
    return None


def _round_half_even_fraction(value: Fraction, digits: int) -> Fraction:
    scaled = value * 10**digits
    return Fraction(round(scaled), 10**digits)


def _exact_value(s: Scalar) -> Fraction | None:
    if s.number is not None:
        return s.number.value
    expr = s.expr
    if isinstance(expr, sympy.Rational):
        return Fraction(int(expr.p), int(expr.q))
    return None


def _candidates(s: Scalar, policy: PercentPolicy) -> list[Scalar]:
    """A percent answer stands for value/100 and, by policy, for the bare number too."""
    if not s.percent:
        return [s]
    scaled = (
        Scalar(s.text, number=_percent_of(s.number))
        if s.number is not None
        else Scalar(s.text, expr=s.expr / 100)
    )
    return [scaled, Scalar(s.text, s.number, s.expr)] if policy is PercentPolicy.VALUE_OR_NUMBER else [scaled]


def _percent_of(number: NumberLit) -> NumberLit:
    """``42.86\\%`` is the decimal 0.4286: two more decimals, so rounding policies still apply."""
    decimals = number.decimals + 2 if number.decimals is not None else None
    return NumberLit(number.value / 100, decimals)


def _terminates(value: Fraction, max_digits: int) -> bool:
    scale: int = 10**max_digits
    return (value * scale).denominator == 1


def scalar_equal(gold: Scalar, pred: Scalar, cfg: MathConfig) -> str | None:
    """The method that proved equality, or None."""
    if cfg.check_units and (gold.unit is not None or pred.unit is not None):
        aligned = align(gold, pred, cfg)
        if aligned is None:
            return None
        gold, pred = aligned
        method = scalar_equal(gold, pred, cfg)
        return f"unit_{method}" if method is not None else None
    for g in _candidates(gold, cfg.percent):
        for p in _candidates(pred, cfg.percent):
            method = _plain_scalar_equal(g, p, cfg)
            if method is not None:
                return method if not (gold.percent or pred.percent) else f"percent_{method}"
    return None


def _rounding_equal(g: Scalar, p: Scalar, g_val: Any, p_val: Any, cfg: MathConfig) -> str | None:
    """Rounded-gold and rounded-answer policies (decimal literals only)."""
    g_dec = g.number.decimals if g.number is not None else None
    p_dec = p.number.decimals if p.number is not None else None
    if cfg.rounded_gold and g_dec is not None and g_val is not None and p_val is not None:
        p_exact = _exact_value(p)
        # A terminating decimal (0.51) is an exact claim, never "rounded": only 1/3, sqrt(2)... are.
        exact_decimal = p_exact is not None and _terminates(p_exact, _MAX_TERMINATING_DIGITS)
        if p_dec is None and not exact_decimal and _rounds_to(p_val, g.number.value, g_dec):  # type: ignore[union-attr]
            return "rounded_gold"
    min_digits = cfg.pred_rounding_min_digits
    if (
        min_digits is not None
        and p_dec is not None
        and p_dec >= min_digits
        and g_val is not None
        and _rounds_to(g_val, p.number.value, p_dec)  # type: ignore[union-attr]
    ):
        return "rounded_answer"
    sig_digits = cfg.rounded_answer_min_sig_digits
    if sig_digits is not None and is_rounding_of(g, p, sig_digits):
        return "rounded_answer_sig"
    return None


def _rounds_to(value: Any, target: Fraction, digits: int) -> bool:
    if isinstance(value, complex):
        if abs(value.imag) > 1e-12 * max(1.0, abs(value.real)):
            return False
        value = value.real
    exact = value if isinstance(value, Fraction) else Fraction(repr(float(value)))
    return _round_half_even_fraction(exact, digits) == target or abs(exact - target) <= Fraction(
        1, 2 * 10**digits
    )


def _plain_scalar_equal(g: Scalar, p: Scalar, cfg: MathConfig) -> str | None:
    g_exact, p_exact = _exact_value(g), _exact_value(p)
    if g_exact is not None and p_exact is not None:
        if g_exact == p_exact:
            return "exact_rational"
        has_decimal = bool((g.number and g.number.decimals) or (p.number and p.number.decimals))
        if has_decimal and _close(g_exact, p_exact, cfg.rel_tol):
            return "float_tolerance"
        return _rounding_equal(g, p, g_exact, p_exact, cfg)
    ge, pe = g.to_sympy(), p.to_sympy()
    if ge == pe:
        return "structural"
    symbols = ge.free_symbols | pe.free_symbols
    has_float = _has_float(ge) or _has_float(pe) or bool(g.number and g.number.decimals)
    tol = cfg.rel_tol if has_float else _EXACT_REL_TOL
    if not symbols:
        gv, pv = numeric(ge), numeric(pe)
        if gv is None or pv is None:
            return "simplify" if _simplifies_to_zero(ge - pe) else None
        if _close(gv, pv, tol):
            if has_float:
                return "numeric"
            return _confirm_exact(ge, pe)
        return _rounding_equal(g, p, gv, pv, cfg)
    method = _symbolic_equal(ge, pe, symbols, tol)
    if method is None and integer_family_equal(ge, pe, exprs_equal):
        return "integer_parameter"
    return method


def exprs_equal(ge: Any, pe: Any) -> bool:
    """Two sympy expressions equal by the scalar rules (exact, sampling, guarded simplify)."""
    symbols = ge.free_symbols | pe.free_symbols
    tol = _EXACT_REL_TOL if not (_has_float(ge) or _has_float(pe)) else 1e-9
    if ge == pe:
        return True
    if not symbols:
        gv, pv = numeric(ge), numeric(pe)
        return (
            gv is not None and pv is not None and _close(gv, pv, tol) and _confirm_exact(ge, pe) is not None
        )
    return _symbolic_equal(ge, pe, symbols, tol) is not None


def _confirm_exact(ge: Any, pe: Any) -> str | None:
    """Exact values that agree to 40 digits: prove it, or insist on agreement to 150 digits."""
    if _simplifies_to_zero(ge - pe):
        return "simplify"
    try:
        gv, pv = ge.evalf(_HIGH_DIGITS), pe.evalf(_HIGH_DIGITS)
        diff = abs((gv - pv).evalf(_HIGH_DIGITS))
        scale = max(abs(gv), abs(pv))
        if diff == 0 or diff <= sympy.Float(_HIGH_REL_TOL, _HIGH_DIGITS) * scale:
            return "numeric_exact"
    except (TypeError, ValueError, ArithmeticError):
        return None
    return None


def _symbolic_equal(ge: Any, pe: Any, symbols: set[Any], tol: float) -> str | None:
    """Equal at several fixed points (any disagreement refutes); simplify only when too few
    points could be evaluated. Deterministic: the same pair always gets the same verdict."""
    ordered = sorted(symbols, key=str)
    agreeing = 0
    for point in _SAMPLE_POINTS:
        subs = {sym: sympy.Rational(point.numerator + k, point.denominator) for k, sym in enumerate(ordered)}
        gv, pv = numeric(ge.subs(subs)), numeric(pe.subs(subs))
        if gv is None or pv is None:
            continue
        if not _close(gv, pv, tol):
            return None
        agreeing += 1
    if agreeing >= _MIN_AGREEING_POINTS:
        return "numeric_sampling"
    return "simplify" if _simplifies_to_zero(ge - pe) else None


def _simplifies_to_zero(expr: Any) -> bool:
    try:
        if sympy.count_ops(expr) > SIMPLIFY_MAX_OPS:
            return False
        return bool(sympy.simplify(expr) == 0)
    except Exception:  # sympy raises many types on odd input; "not proven equal" is the safe answer
        return False
