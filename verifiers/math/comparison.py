"""Deciding whether a predicted value tree is equivalent to the gold one.

Scalars are decided by scalars.py (exact first, then numeric with a relative tolerance, then a
guarded ``simplify``); this module walks the structures around them. Equations are compared as relations (one side minus the other is
proportional), sets without order, tuples and intervals with order and bracket kinds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import sympy

from verifiers.math.clock import same_time, time_as_ratio
from verifiers.math.config import MathConfig
from verifiers.math.equations import functions_equal, numerators_proportional
from verifiers.math.multipart import collapse_repeats
from verifiers.math.prose import same_text, word_as_math
from verifiers.math.scalars import SIMPLIFY_MAX_OPS, exprs_equal, numeric, scalar_equal
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

__all__ = ["compare"]

_NAME_PATTERN = r"[A-Za-z](?:_\{?[\w,]+\}?)?'*(?:\([\w,\s]*\))?|\\[A-Za-z]+(?:_\{?\w+\}?)?|[A-Za-z]{1,3}"


def _is_assignment(rel: Relation) -> bool:
    """``x = 3`` or ``\\frac{NO}{BO} = \\frac{1}{\\sqrt6}``: the equation states a value."""
    if rel.op != "=":
        return False
    if re.fullmatch(_NAME_PATTERN, rel.lhs_text.replace(" ", "")):
        return True
    lhs, rhs = rel.lhs.to_sympy(), rel.rhs.to_sympy()
    lhs_names = re.sub(r"_\{[^{}]*\}|_\w", "", rel.lhs_text)  # V_{1}: subscripts are names
    return not re.search(r"\d", lhs_names) and bool(lhs.free_symbols) and not rhs.free_symbols


def _assignments_as_tuple(v: Collection) -> Collection | None:
    """``p=5, q=2`` read as the point ``(5, 2)`` (names distinct, in the order written)."""
    if v.ordered or not all(isinstance(i, Relation) and _is_assignment(i) for i in v.items):
        return None
    names = [i.lhs_text.replace(" ", "") for i in v.items if isinstance(i, Relation)]
    if len(set(names)) != len(names) or len(names) < 2:
        return None
    return Collection(tuple(i.rhs for i in v.items if isinstance(i, Relation)), ordered=True)


def _relation_equal(g: Relation, p: Relation, cfg: MathConfig) -> str | None:
    """Same relation: ``lhs - rhs`` of one is a constant multiple of the other's (positive for
    inequalities, whose direction a negative factor would flip)."""
    if g.op != p.op:
        return None
    if _is_assignment(g) and _is_assignment(p) and g.lhs_text.replace(" ", "") == p.lhs_text.replace(" ", ""):
        method = scalar_equal(g.rhs, p.rhs, cfg)
        if method is not None:
            return f"assignment_{method}"
    if functions_equal(g, p, exprs_equal):
        return "function_renamed"
    g_diff = g.lhs.to_sympy() - g.rhs.to_sympy()
    p_diff = p.lhs.to_sympy() - p.rhs.to_sympy()
    if g_diff == 0 or p_diff == 0:
        return None
    try:
        ratio = sympy.cancel(sympy.together(g_diff / p_diff))
        if ratio.free_symbols and sympy.count_ops(ratio) <= SIMPLIFY_MAX_OPS:
            ratio = sympy.simplify(ratio)
    except Exception:  # sympy raises many types on odd input; "not proven" is the safe answer
        return None
    if ratio.free_symbols or ratio == 0 or ratio.has(sympy.zoo, sympy.nan):
        if g.op == "=" and numerators_proportional(g_diff, p_diff):
            return "relation_equivalent"  # xy=12 and y=12/x: same numerator over x
        return None
    if g.op in ("<", "<="):
        value = numeric(ratio)
        if value is None or abs(value.imag) > 0 or value.real <= 0:
            return None
    return "relation_proportional"


def _relation_as_interval(rel: Relation) -> Interval | Union | None:
    """``x < 5`` as ``(-oo, 5)``: a one-variable inequality with a constant side."""
    lhs, rhs = rel.lhs.to_sympy(), rel.rhs.to_sympy()
    if rel.op == "!=":  # x != 5: everything but one point
        point = rel.rhs if isinstance(lhs, sympy.Symbol) and not rhs.free_symbols else None
        if point is None:
            return None
        lo, hi = Scalar("-oo", expr=-sympy.oo), Scalar("oo", expr=sympy.oo)
        return Union((Interval(lo, point, False, False), Interval(point, hi, False, False)))
    if rel.op not in ("<", "<="):
        return None
    closed = rel.op == "<="
    inf = Scalar("oo", expr=sympy.oo)
    if isinstance(lhs, sympy.Symbol) and not rhs.free_symbols:
        return Interval(Scalar("-oo", expr=-sympy.oo), rel.rhs, False, closed)
    if isinstance(rhs, sympy.Symbol) and not lhs.free_symbols:
        return Interval(rel.lhs, inf, closed, False)
    return None


def _relations_as_union(v: Collection) -> Union | None:
    """``x \\le -2 \\text{ or } x \\ge 2`` as ``(-oo, -2] U [2, oo)``: inequalities joined by "or"
    only, in one variable, each a ray ("x > 1, x < 3" may mean (1, 3) and is never a union)."""
    if (
        not v.disjunction
        or v.ordered
        or len(v.items) < 2
        or not all(isinstance(i, Relation) for i in v.items)
    ):
        return None
    parts = [_relation_as_interval(i) for i in v.items if isinstance(i, Relation)]
    names = {
        frozenset(map(str, (i.lhs.to_sympy().free_symbols | i.rhs.to_sympy().free_symbols)))
        for i in v.items
        if isinstance(i, Relation)
    }
    if len(names) != 1 or not all(isinstance(p, Interval) for p in parts):
        return None
    return Union(tuple(p for p in parts if p is not None))


def _interval_equal(g: Interval, p: Interval, cfg: MathConfig) -> str | None:
    if g.maybe_tuple and p.maybe_tuple:
        pass  # (a, b) vs (a, b): point or open interval, same test either way
    elif g.lo_closed != p.lo_closed or g.hi_closed != p.hi_closed:
        return None
    if scalar_equal(g.lo, p.lo, cfg) and scalar_equal(g.hi, p.hi, cfg):
        return "interval"
    return None


def _unordered_equal(gold: tuple[Value, ...], pred: tuple[Value, ...], cfg: MathConfig) -> bool:
    """Every gold item has an equivalent answer item and vice versa (set semantics)."""
    matched_pred: set[int] = set()
    for g in gold:
        hit = next((j for j, p in enumerate(pred) if compare(g, p, cfg) is not None), None)
        if hit is None:
            return False
        matched_pred.add(hit)
    return all(
        j in matched_pred or any(compare(g, p, cfg) is not None for g in gold) for j, p in enumerate(pred)
    )


def _collection_equal(g: Collection, p: Collection, cfg: MathConfig) -> str | None:
    if g.ordered and p.ordered:
        if len(g.items) == len(p.items) and all(
            compare(a, b, cfg) is not None for a, b in zip(g.items, p.items, strict=True)
        ):
            return "tuple"
        return None
    if g.ordered or p.ordered:  # a tuple against a list: same order; against a set: never
        if g.braced or p.braced or len(g.items) != len(p.items):
            return None
        ok = all(compare(a, b, cfg) is not None for a, b in zip(g.items, p.items, strict=True))
        return "tuple" if ok else None
    if _unordered_equal(g.items, p.items, cfg):
        return "set"
    return None


def _matrix_as_vector(m: Matrix) -> Collection | None:
    """A one-row or one-column matrix read as the point it writes (``(1, 2)``)."""
    if len(m.rows) == 1 and len(m.rows[0]) > 1:
        return Collection(m.rows[0], ordered=True)
    if len(m.rows) > 1 and all(len(r) == 1 for r in m.rows):
        return Collection(tuple(r[0] for r in m.rows), ordered=True)
    return None


def _interval_as_tuple(v: Interval) -> Collection:
    return Collection((v.lo, v.hi), ordered=True)


def _same_kind(gold: Value, pred: Value, cfg: MathConfig) -> str | None:
    table: dict[type, Callable[[Any, Any, MathConfig], str | None]] = {
        Scalar: scalar_equal,
        Relation: _relation_equal,
        Interval: _interval_equal,
        Collection: _collection_equal,
    }
    if type(gold) in table:
        return table[type(gold)](gold, pred, cfg)
    if isinstance(gold, Union) and isinstance(pred, Union):
        return (
            "union"
            if _unordered_equal(gold.parts, pred.parts, cfg) and len(gold.parts) == len(pred.parts)
            else None
        )
    if isinstance(gold, Matrix) and isinstance(pred, Matrix):
        if len(gold.rows) != len(pred.rows) or any(
            len(a) != len(b) for a, b in zip(gold.rows, pred.rows, strict=True)
        ):
            return None
        ok = all(
            scalar_equal(a, b, cfg) is not None
            for ra, rb in zip(gold.rows, pred.rows, strict=True)
            for a, b in zip(ra, rb, strict=True)
        )
        return "matrix" if ok else None
    if isinstance(gold, Choice) and isinstance(pred, Choice):
        return "choice" if gold.letter == pred.letter else None
    if isinstance(gold, Word) and isinstance(pred, Word):
        return "text" if same_text(gold, pred) else None
    if isinstance(gold, TimeOfDay) and isinstance(pred, TimeOfDay):
        return "time_of_day" if same_time(gold, pred) else None
    return None


def _letter_as_scalar(choice: Choice, cfg: MathConfig) -> Scalar | None:
    """A lone letter compared with a number: ``i`` and ``e`` are constants, others symbols."""
    raw = choice.raw or choice.letter
    if raw == "i" and cfg.imaginary_unit:
        return Scalar(raw, expr=sympy.I)
    if raw == "e":
        return Scalar(raw, expr=sympy.E)
    return Scalar(raw, expr=sympy.Symbol(raw.lower()))


def compare(gold: Value, pred: Value, cfg: MathConfig) -> str | None:
    """The comparison that proved ``pred`` equivalent to ``gold``, or None when it is not."""
    if type(gold) is type(pred):
        return _same_kind(gold, pred, cfg)
    if isinstance(gold, Choice) and isinstance(pred, Scalar) and pred.number is None:
        letter = _letter_as_scalar(gold, cfg)
        return compare(letter, pred, cfg) if letter is not None else None
    if isinstance(pred, Choice) and isinstance(gold, Scalar) and gold.number is None:
        letter = _letter_as_scalar(pred, cfg)
        return compare(gold, letter, cfg) if letter is not None else None
    if cfg.equation_rhs:
        if isinstance(gold, Relation) and isinstance(pred, Scalar) and _is_assignment(gold):
            method = scalar_equal(gold.rhs, pred, cfg)
            return f"equation_rhs_{method}" if method else None
        if isinstance(pred, Relation) and isinstance(gold, Scalar) and _is_assignment(pred):
            method = scalar_equal(gold, pred.rhs, cfg)
            return f"equation_rhs_{method}" if method else None
    if isinstance(gold, TimeOfDay) or isinstance(pred, TimeOfDay):  # 11:21 against 11/21: a ratio
        gold_num = time_as_ratio(gold) if isinstance(gold, TimeOfDay) else gold
        pred_num = time_as_ratio(pred) if isinstance(pred, TimeOfDay) else pred
        if (
            gold_num is None
            or pred_num is None
            or isinstance(gold_num, TimeOfDay)
            or isinstance(pred_num, TimeOfDay)
        ):
            return None
        method = compare(gold_num, pred_num, cfg)
        return f"ratio_{method}" if method else None
    if isinstance(gold, Word) or isinstance(pred, Word):  # text against math: the numbers it states
        gold_math = word_as_math(gold) if isinstance(gold, Word) else gold
        pred_math = word_as_math(pred) if isinstance(pred, Word) else pred
        if gold_math is None or pred_math is None:
            return None
        method = compare(gold_math, pred_math, cfg)
        return f"text_numbers_{method}" if method else None
    if isinstance(gold, Relation) and isinstance(pred, Interval | Union):
        as_interval = _relation_as_interval(gold)
        return compare(as_interval, pred, cfg) if as_interval is not None else None
    if isinstance(pred, Relation) and isinstance(gold, Interval | Union):
        as_interval = _relation_as_interval(pred)
        return compare(gold, as_interval, cfg) if as_interval is not None else None
    if isinstance(gold, Collection) and (as_tuple := _assignments_as_tuple(gold)) is not None:
        if isinstance(pred, Interval) and pred.maybe_tuple:
            return compare(as_tuple, _interval_as_tuple(pred), cfg)
        if isinstance(pred, Collection) and pred.ordered:
            return compare(as_tuple, pred, cfg)
    if isinstance(gold, Interval) and gold.maybe_tuple and isinstance(pred, Collection) and not pred.braced:
        return compare(_interval_as_tuple(gold), pred, cfg)
    if isinstance(pred, Interval) and pred.maybe_tuple and isinstance(gold, Collection) and gold.ordered:
        return compare(gold, _interval_as_tuple(pred), cfg)
    if isinstance(gold, Matrix) and (vector := _matrix_as_vector(gold)) is not None:
        return compare(vector, pred, cfg) if isinstance(pred, Collection | Interval) else None
    if isinstance(pred, Matrix) and (vector := _matrix_as_vector(pred)) is not None:
        return compare(gold, vector, cfg) if isinstance(gold, Collection | Interval) else None
    if isinstance(gold, Union) and isinstance(pred, Collection) and (as_union := _relations_as_union(pred)):
        return compare(gold, as_union, cfg)
    if isinstance(pred, Union) and isinstance(gold, Collection) and (as_union := _relations_as_union(gold)):
        return compare(as_union, pred, cfg)
    if isinstance(gold, Union) and isinstance(pred, Interval) and len(gold.parts) == 1:
        return compare(gold.parts[0], pred, cfg)
    if isinstance(gold, Collection) and not gold.ordered and not isinstance(pred, Collection):
        return compare(gold, Collection((pred,), ordered=False), cfg) if len(gold.items) == 1 else None
    if isinstance(pred, Collection) and not pred.ordered and len(pred.items) == 1:
        return compare(gold, pred.items[0], cfg)
    if isinstance(gold, Collection) and isinstance(pred, Interval) and pred.maybe_tuple:
        return compare(gold, Collection((pred,), ordered=False), cfg)
    if cfg.multipart and not isinstance(gold, Collection) and (single := collapse_repeats(pred)) is not None:
        method = compare(gold, single, cfg)  # "\boxed{9}. \boxed{9}" is one answer
        return f"repeated_{method}" if method is not None else None
    return None
