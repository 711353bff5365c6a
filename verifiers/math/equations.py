"""Equations as relations: implicit vs solved forms, bound variables, integer parameters.

Why here and not in the generic comparison: each rule below widens what "the same relation"
means, and each must keep unequal relations unequal. The rules:

- **Implicit vs solved** (``xy=12`` vs ``y=12/x``): two equations are the same when the
  numerators of ``lhs - rhs`` (over a common denominator, common factors cancelled) are constant
  multiples of each other. Only for ``=``: multiplying an inequality by a denominator of unknown
  sign may flip it, so inequalities keep the plain rule (a positive constant factor).
  ``x^2=4`` is not ``x=2`` (the factor ``x+2`` is not constant).
- **Bound variables of a function** (``g(t)=2t`` vs ``g(x)=2x``): same function name (case-blind,
  as the parser reads letters) and arity;
  both argument lists are replaced by the same fresh symbols, so ``g(x)=2t`` stays unequal. A
  definition against ``y = ...`` (one letter, not an argument) compares the right sides as they
  are: ``f(x)=2x`` is ``y=2x``, never ``y=2t``.
- **Integer parameters** (``k\\pi`` vs ``n\\pi``, ``\\pi/2+k\\pi`` vs ``-\\pi/2+n\\pi``): in a
  family of values involving pi, the letters k, n, m, j are integer parameters. Two families are
  equal after renaming them, or, for one parameter entering linearly, when the steps agree up to
  sign and the offsets differ by a whole number of steps. ``k\\pi`` is not ``2k\\pi``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

import sympy

from verifiers.math.values import Collection, Interval, Relation, Scalar, Value

__all__ = [
    "RELATION",
    "canonical",
    "chain",
    "function_definition",
    "functions_equal",
    "integer_family_equal",
    "numerators_proportional",
    "oriented",
]

# Relations as written (parsing.py reads them with these).
RELATION = re.compile(r"\\leq|\\geq|\\neq|<=|>=|!=|=|<|>|\\le(?![a-z])|\\ge(?![a-z])|\\ne(?![a-z])")
_REL_CANON = {"\\leq": "<=", "\\le": "<=", "\\geq": ">=", "\\ge": ">=", "\\neq": "!=", "\\ne": "!="}

_MAX_OPS = 150  # sympy work (cancel/together) is only done on expressions at most this large
_PARAMETERS = frozenset("kmnj")
_MAX_PARAMETERS = 2
_FUNCTION = re.compile(r"([A-Za-z])\s*\(\s*([A-Za-z](?:\s*,\s*[A-Za-z])*)\s*\)")

ExprsEqual = Callable[[Any, Any], bool]


def function_definition(lhs_text: str) -> tuple[str, tuple[str, ...]] | None:
    """``f(x)`` -> ``("f", ("x",))``; None when the left side is not a function of letters."""
    m = _FUNCTION.fullmatch(lhs_text.strip())
    if m is None:
        return None
    args = tuple(a.strip() for a in m.group(2).split(","))
    if len(set(args)) != len(args) or m.group(1) in args:
        return None
    return m.group(1), args


def functions_equal(gold: Relation, pred: Relation, exprs_equal: ExprsEqual) -> bool:
    """``g(t)=2t`` vs ``g(x)=2x``: the right sides agree once the arguments are renamed alike."""
    if gold.op != "=" or pred.op != "=":
        return False
    g_def, p_def = function_definition(gold.lhs_text), function_definition(pred.lhs_text)
    if (g_def is None) != (p_def is None):  # f(x) = 2x against y = 2x: the same values of x
        definition, other = (
            (g_def, pred.lhs_text.strip()) if g_def is not None else (p_def, gold.lhs_text.strip())
        )
        assert definition is not None
        if not re.fullmatch(r"[A-Za-z]", other) or other in definition[1]:
            return False
        return bool(exprs_equal(gold.rhs.to_sympy(), pred.rhs.to_sympy()))
    if (
        g_def is None
        or p_def is None
        or g_def[0].lower() != p_def[0].lower()
        or len(g_def[1]) != len(p_def[1])
    ):
        return False
    fresh = [sympy.Symbol(f"zz_arg{i}") for i in range(len(g_def[1]))]  # sampled like any symbol
    g_expr, p_expr = gold.rhs.to_sympy(), pred.rhs.to_sympy()
    if any(str(s).startswith("zz_") for s in g_expr.free_symbols | p_expr.free_symbols):
        return False
    g_rhs = g_expr.subs(
        {sympy.Symbol(a.lower()): f for a, f in zip(g_def[1], fresh, strict=True)}, simultaneous=True
    )
    p_rhs = p_expr.subs(
        {sympy.Symbol(a.lower()): f for a, f in zip(p_def[1], fresh, strict=True)}, simultaneous=True
    )
    return bool(exprs_equal(g_rhs, p_rhs))


def _numerator(expr: Any) -> Any | None:
    if sympy.count_ops(expr) > _MAX_OPS:
        return None
    num, _ = sympy.fraction(sympy.cancel(sympy.together(expr)))
    return num


def numerators_proportional(g_diff: Any, p_diff: Any) -> bool:
    """Whether two equations ``g_diff = 0`` and ``p_diff = 0`` have proportional numerators."""
    try:
        g_num, p_num = _numerator(g_diff), _numerator(p_diff)
        if g_num is None or p_num is None or not g_num.free_symbols or not p_num.free_symbols:
            return False
        ratio = sympy.cancel(g_num / p_num)
    except Exception:  # sympy raises many types on odd input; "not proven" is the safe answer
        return False
    return not ratio.free_symbols and ratio != 0 and not ratio.has(sympy.zoo, sympy.nan, sympy.oo)


def _parameters(expr: Any) -> list[Any]:
    return sorted((s for s in expr.free_symbols if str(s) in _PARAMETERS), key=str)


def _near_integer(value: Any) -> bool:
    try:
        number = complex(sympy.N(value, 50))
    except (TypeError, ValueError):
        return False
    return abs(number.imag) < 1e-12 and abs(number.real - round(number.real)) < 1e-12


def _linear_shift_equal(ge: Any, pe: Any, g_param: Any, p_param: Any) -> bool:
    """``a1 + b1*k`` and ``a2 + b2*n`` are the same set of values for integer k, n."""
    try:
        g_poly, p_poly = sympy.Poly(ge, g_param), sympy.Poly(pe, p_param)
    except (sympy.PolynomialError, sympy.GeneratorsNeeded, ValueError, TypeError):
        return False
    if g_poly.degree() != 1 or p_poly.degree() != 1:
        return False
    (b1, a1), (b2, a2) = g_poly.all_coeffs(), p_poly.all_coeffs()
    if b1.free_symbols or b2.free_symbols or a1.free_symbols or a2.free_symbols:
        return False
    try:
        step_ratio = complex(sympy.N(b1 / b2, 50))
    except (TypeError, ValueError, ZeroDivisionError):
        return False
    if abs(step_ratio.imag) > 1e-12 or abs(abs(step_ratio.real) - 1) > 1e-12:
        return False  # k*pi and 2k*pi are different families
    return _near_integer((a1 - a2) / b1)


def integer_family_equal(ge: Any, pe: Any, exprs_equal: ExprsEqual) -> bool:
    """Whether two families of values in integer parameters (named k, m, n, j) are equal."""
    if not (ge.has(sympy.pi) and pe.has(sympy.pi)):
        return False
    g_params, p_params = _parameters(ge), _parameters(pe)
    if not g_params or len(g_params) != len(p_params) or len(g_params) > _MAX_PARAMETERS:
        return False
    if ge.free_symbols - set(g_params) != pe.free_symbols - set(p_params):
        return False
    if sympy.count_ops(ge) > _MAX_OPS or sympy.count_ops(pe) > _MAX_OPS:
        return False
    if any(str(s).startswith("zz_") for s in ge.free_symbols | pe.free_symbols):
        return False
    fresh = [sympy.Symbol(f"zz_param{i}") for i in range(len(g_params))]
    g_named = ge.subs(dict(zip(g_params, fresh, strict=True)))
    for order in itertools.permutations(p_params):
        if exprs_equal(g_named, pe.subs(dict(zip(order, fresh, strict=True)))):
            return True
    return len(g_params) == 1 and _linear_shift_equal(ge, pe, g_params[0], p_params[0])


def canonical(ops: list[str]) -> list[str]:
    """``\\le`` -> ``<=``: one spelling per relation sign."""
    return [_REL_CANON.get(op, op) for op in ops]


def oriented(op: str, lhs: Scalar, rhs: Scalar, lhs_text: str, rhs_text: str) -> Relation:
    """``a > b`` is kept as ``b < a``: one orientation, so comparison meets only < and <=."""
    if op in (">", ">="):
        return Relation(op.replace(">", "<"), rhs, lhs, lhs_text=rhs_text.strip())
    return Relation(op, lhs, rhs, lhs_text=lhs_text.strip())


def chain(parts: list[str], ops: list[str], scalar: Callable[[str], Scalar]) -> Value:
    """``-2 < t \\le 3``: the interval of the middle, ends as written. A chain of constants
    (``f(2) < f(1) < f(4)``) or with variable ends is the ordered pair of its two relations."""
    if ops[0][0] == ">":
        parts, ops = parts[::-1], [op.replace(">", "<") for op in ops[::-1]]
    lo, middle, hi = scalar(parts[0]), scalar(parts[1]), scalar(parts[2])
    if middle.to_sympy().free_symbols and not lo.to_sympy().free_symbols and not hi.to_sympy().free_symbols:
        return Interval(lo, hi, ops[0] == "<=", ops[1] == "<=")
    first = Relation(ops[0], lo, middle, lhs_text=parts[0].strip())
    second = Relation(ops[1], middle, hi, lhs_text=parts[1].strip())
    return Collection((first, second), ordered=True)
