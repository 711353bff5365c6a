"""Parsing a normalised answer into a small value tree: scalars, relations, intervals, sets...

Why our own structure layer on top of sympy: the meaning of brackets and commas is a policy
(``(1,2)`` is a point *or* an open interval, ``2, -3`` is an unordered list of answers,
``1,234,567`` is one number), and sympy alone cannot keep a tuple ordered and a set unordered
while comparing elements up to equivalence. Scalars use the fast path when they can.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import sympy

from verifiers.math.brackets import split_top, wraps
from verifiers.math.clock import parse_time_of_day
from verifiers.math.config import MathConfig
from verifiers.math.equations import RELATION, canonical, chain, oriented
from verifiers.math.expressions import KNOWN_NAMES, ExpressionError, ExpressionTooLarge, parse_expression
from verifiers.math.multipart import split_labelled
from verifiers.math.normalization import normalize, unicode_to_latex
from verifiers.math.notation import ELLIPSIS, ELLIPSIS_TOKEN, rewrite
from verifiers.math.numbers import parse_number
from verifiers.math.prose import (
    LABEL_WORD,
    TEXT_CONNECTIVES,
    interleaved_prose,
    labeled_list,
    math_meaning,
    text_answer,
    without_label,
)
from verifiers.math.units import compound_quantity, split_unit
from verifiers.math.values import Choice, Collection, Interval, Matrix, Relation, Scalar, Union, Value, Word

__all__ = ["ParseError", "parse_answer"]


class ParseError(ValueError):
    """The answer text has no meaning we can compare (a verdict reason, never surfaced raw)."""

    def __init__(self, text: str, why: str, too_large: bool = False) -> None:
        self.text = text
        self.why = why
        self.too_large = too_large  # a size limit, not a syntax problem (reason TOO_LARGE)
        super().__init__(f"{why}: {text[:80]!r}")


_CHOICE_WITH_VALUE = re.compile(r"(?:\\text\{\s*\(([A-E])\)\s*\}|\(([A-E])\))(?=\s*[^\s,;])")
_CHOICE = re.compile(r"\(?\s*(?:\\text\{\s*\(?\s*([A-Za-z])\s*\)?\s*\}|([A-Za-z]))\s*\)?")
_WORD = re.compile(r"(?:\\text\{\s*([A-Za-z][A-Za-z '\-]*?)\s*\}|([A-Za-z][A-Za-z'\-]+))")
_NOT_WORDS = frozenset({"pi", "infty", "inf", "oo", "infinity", "sqrt", "e", "i"})
_SEPARATOR = re.compile(
    r",|;|\s+and\s+|\s+or\s+|(?<=[)\]}])\s*(?:and|or)\s*(?=[(\[{\\])|\\text\{\s*(?:and|or)\s*\}|\\\\(?=\s*$)"
)
_GROUP_SEPARATOR = re.compile(r";")
_NAME_TUPLE = re.compile(r"\(\s*[A-Za-z](?:_\{?\w+\}?)?(?:\s*,\s*[A-Za-z](?:_\{?\w+\}?)?)+\s*\)")
_NAME = re.compile(r"[A-Za-z](?:_\{?[\w,]+\}?)?'*(?:\([\w,\s]*\))?|\\[A-Za-z]+(?:_\{?\w+\}?)?")
_MATRIX = re.compile(
    r"\\begin\{([pbvBV]?matrix|array)\}(?:\{[^{}]*\})?((?:(?!\\begin|\\end).)*)\\end\{\1\}", re.DOTALL
)
_TEXT_SEGMENT = re.compile(r"\\text\{[^{}]*\}")
_OR = re.compile(r"\bor\b")
# \text{A and C}, \text{Mary, John}: a list of choices or names, read as a list (items compared as sets)
_CHOICE_LIST = re.compile(
    r"\\text\{\s*([A-Za-z][A-Za-z' ]*?(?:\s*(?:,|\band\b|\bor\b|&)\s*(?:and\s+)?[A-Za-z][A-Za-z' ]*?)+)\s*\}"
)
_SET_BUILDER = re.compile(
    r"\\\{\s*([A-Za-z](?:_\{?\w+\}?)?)\s*(?:\\in\s*(?:\\mathbb\s*\{?\s*R\s*\}?|\\R(?![A-Za-z]))\s*)?(?:\\mid|\\vert|\||:)(.+)\\\}",
    re.DOTALL,
)
_LETTERS = re.compile(r"(?<![\\A-Za-z])[A-Za-z](?![A-Za-z])(?:_\{?\w+\}?)?|(?<![\\A-Za-z])[A-Za-z]{2,}")
_UNDEFINED = (sympy.zoo, sympy.nan)
_REALS = frozenset({"\\mathbb{R}", "\\mathbbR", "\\R", "\\mathbb{R}^1"})
_OUTER_DOLLARS = re.compile(r"^\s*\$\$?([^$]*)\$\$?\s*$")  # "$x = k\\pi, k \\in \\mathbb{Z}$": one math span
_MEMBERSHIP = re.compile(r"\\in(?![A-Za-z])")
_COMMAND = re.compile(r"\\begin\{\w+\}(?:\{[^{}]*\})?|\\end\{\w+\}|\\[A-Za-z]+")
_LETTER_RUN = re.compile(r"[A-Za-z]{3,}")


def _check_words(text: str) -> None:
    """Reject prose: a run of 3+ letters that is not a known function is not math."""
    bare = _COMMAND.sub(" ", _TEXT_SEGMENT.sub(" ", text))
    for run in _LETTER_RUN.findall(bare):
        if run.lower() not in KNOWN_NAMES:
            raise ParseError(text, f"prose word {run!r}")


def _group_repeated_assignments(values: tuple[Value, ...]) -> tuple[Value, ...]:
    """``p=5, q=2 and p=7, q=2`` is two solutions: start a new group when a name repeats."""
    names = [v.lhs_text.replace(" ", "") if isinstance(v, Relation) and v.op == "=" else None for v in values]
    if any(n is None or not _NAME.fullmatch(n) for n in names) or len(set(names)) == len(names):
        return values
    groups: list[list[Value]] = [[]]
    seen: set[str | None] = set()
    for name, value in zip(names, values, strict=True):
        if name in seen:
            groups.append([])
            seen = set()
        groups[-1].append(value)
        seen.add(name)
    return tuple(Collection(tuple(g), ordered=False) if len(g) > 1 else g[0] for g in groups)


def _defined(expr: Any, text: str) -> Any:
    """``expr``, unless it is undefined: ``3:00`` read as ``3/0`` is complex infinity, and two
    undefined values must never compare equal."""
    if expr.has(*_UNDEFINED):
        raise ParseError(text, "undefined value")
    return expr


class _Parser:
    def __init__(self, config: MathConfig) -> None:
        self.config = config

    def scalar(self, text: str, percent: bool = False) -> Scalar:
        text = text.strip()
        if text.endswith("\\%"):
            text, percent = text[:-2].strip(), True
        number = parse_number(text)
        if number is not None:
            return Scalar(text, number=number, percent=percent)
        _check_words(text)
        try:
            expr = parse_expression(text, self.config.max_result_digits, self.config.max_factorial_n)
        except ExpressionError as exc:
            raise ParseError(text, exc.why, isinstance(exc, ExpressionTooLarge)) from None
        if not isinstance(expr, sympy.Expr):
            raise ParseError(text, f"not a scalar: {type(expr).__name__}")
        return Scalar(text, expr=self._imaginary(_defined(expr, text)), percent=percent)

    def _imaginary(self, expr: Any) -> Any:
        if self.config.imaginary_unit:
            i = sympy.Symbol("i")
            if i in expr.free_symbols:
                return expr.subs(i, sympy.I)
        return expr

    def value(self, text: str, depth: int = 0) -> Value:
        if depth > 12:
            raise ParseError(text, "nested too deep")
        if ":" in text or "m" in text.lower():
            time = parse_time_of_day(unicode_to_latex(text).replace("$", ""))
            if time is not None:
                return time
        if depth == 0:
            text = without_label(text)
        with_unit = self._with_unit(text, depth)
        if with_unit is not None:
            return with_unit
        if "\\" in text and interleaved_prose(normalize(text, strip_units=False)[0]):
            word = text_answer(normalize(text, strip_units=False)[0])
            if word is None:
                raise ParseError(text, "prose inside the answer")
            return math_meaning(word) or word
        if depth == 0 and LABEL_WORD.search(text):
            labeled = labeled_list(normalize(text, strip_units=False)[0])
            if labeled is not None:
                return labeled
        s, percent = normalize(text, self.config.strip_units)
        if not s:
            raise ParseError(text, "empty")
        if s == ELLIPSIS_TOKEN and self.config.ellipsis:
            return Word(ELLIPSIS)
        if percent and RELATION.search(s):  # "x = 50\\%": the sign belongs to the right side
            s, percent = s + "\\%", False
        if "\\approx" in s:
            left, _, right = s.partition("\\approx")
            s = right if not left.strip() or _NAME.fullmatch(left.strip()) else left
            s = s.strip()
        m = _CHOICE.fullmatch(s) or _CHOICE_WITH_VALUE.match(s)
        if m:
            raw = m.group(1) or m.group(2)
            return Choice(raw.upper(), raw)
        letters = _CHOICE_LIST.fullmatch(s)
        if letters:  # \\text{A and C}: several choices (or names), not the text "a and c"
            return self.value(letters.group(1), depth + 1)
        m = _WORD.fullmatch(s)
        if m and (m.group(1) or m.group(2)).lower() not in _NOT_WORDS:
            word = text_answer(s) or Word(" ".join((m.group(1) or m.group(2)).lower().split()))
            return math_meaning(word) or word
        if s.replace(" ", "") in _REALS:
            return Interval(Scalar("-oo", expr=-sympy.oo), Scalar("oo", expr=sympy.oo), False, False)
        if "\\cap" in s:
            raise ParseError(s, "intersection")
        builder = _SET_BUILDER.fullmatch(s)
        if builder:
            return self._set_builder(builder.group(1), builder.group(2), depth)
        if self.config.strip_units and _TEXT_SEGMENT.search(s):
            stripped = _TEXT_SEGMENT.sub(" ", s).strip()
            if stripped:
                s = stripped
        number = parse_number(s)
        if number is not None:
            return Scalar(s, number=number, percent=percent)
        groups, _ = split_top(s, _GROUP_SEPARATOR)  # "p=5,q=2; p=7,q=2": groups first
        groups = [g for g in groups if g.strip()]
        if len(groups) > 1:
            return self._collection(groups, ordered=False, depth=depth)
        parts, seps = split_top(s, _SEPARATOR)
        parts = [p for p in parts if p.strip()]
        if len(parts) > 1:
            listed = self._collection(parts, ordered=False, depth=depth)
            if isinstance(listed, Collection) and seps and all(_OR.search(sep) for sep in seps):
                return replace(listed, disjunction=True)  # "x < -1 or x > 4": a union of rays
            return listed
        s = parts[0].strip() if parts else s
        membership = _MEMBERSHIP.search(s)
        if membership and _NAME.fullmatch(s[: membership.start()].strip()):
            s = s[membership.end() :].strip()
        union_parts, _ = split_top(s, re.compile(r"\\cup"))
        if len(union_parts) > 1:
            return Union(tuple(self.value(p, depth + 1) for p in union_parts))
        if s.startswith("\\{") and s.endswith("\\}"):
            inner = s[2:-2]
            items, _ = split_top(inner, re.compile(r"[,;]"))
            items = [i for i in items if i.strip()]
            braced = self._collection(items, ordered=False, depth=depth, keep_single=True)
            return (
                Collection(braced.items, ordered=False, braced=True)
                if isinstance(braced, Collection)
                else braced
            )
        if len(s) >= 2 and s[0] in "([" and s[-1] in ")]" and wraps(s, 1, 1):
            bracketed = self._bracketed(s, depth)
            if bracketed is not None:
                return bracketed
        if s.startswith("{") and s.endswith("}") and wraps(s, 1, 1):
            return self.value(s[1:-1], depth + 1)
        matrix = _MATRIX.fullmatch(s)
        if matrix:
            return self._matrix(matrix.group(2))
        rel_parts, ops = split_top(s, RELATION)
        if ops:
            return self._relation(rel_parts, ops)
        if "\\pm" in s:
            plus, minus = s.replace("\\pm", "+", 1), s.replace("\\pm", "-", 1)
            return Collection((self.value(plus, depth + 1), self.value(minus, depth + 1)), ordered=False)
        return self._from_sympy_text(s, percent)

    def _with_unit(self, text: str, depth: int) -> Value | None:
        """A scalar (or ``x = ...``) followed by a known unit, the unit kept (units.py)."""
        if not (self.config.check_units and self.config.strip_units):
            return None
        split = split_unit(text)
        if split is None:
            return None
        compound = compound_quantity(text)  # "3 hours 20 minutes"
        if compound is not None:
            return compound
        body, unit = split
        try:
            inner = self.value(body, depth + 1)
        except ParseError:
            return None
        if isinstance(inner, Scalar) and inner.unit is None:
            return replace(inner, unit=unit)
        if isinstance(inner, Collection) and not inner.ordered:  # "5\\text{ m}, 5\\text{ cm}": each its own
            parts = [p for p in split_top(text, _SEPARATOR)[0] if p.strip()]
            if len(parts) > 1:
                return self._collection(parts, ordered=False, depth=depth)
        if isinstance(inner, Relation) and inner.op == "=" and inner.rhs.unit is None:
            return replace(inner, rhs=replace(inner.rhs, unit=unit))
        return None

    def _from_sympy_text(self, s: str, percent: bool) -> Value:
        number = parse_number(s)
        if number is not None:
            return Scalar(s, number=number, percent=percent)
        _check_words(s)
        try:
            expr = parse_expression(s, self.config.max_result_digits, self.config.max_factorial_n)
        except ExpressionError as exc:
            raise ParseError(s, exc.why, isinstance(exc, ExpressionTooLarge)) from None
        if isinstance(expr, sympy.MatrixBase | sympy.MatrixExpr):
            try:
                expr = sympy.Matrix(expr.doit())
            except Exception:
                raise ParseError(s, "matrix expression") from None
            rows = tuple(
                tuple(Scalar(str(expr[r, c]), expr=expr[r, c]) for c in range(expr.cols))
                for r in range(expr.rows)
            )
            return Matrix(rows)
        if isinstance(expr, sympy.Expr):
            return Scalar(s, expr=self._imaginary(_defined(expr, s)), percent=percent)
        raise ParseError(s, f"unsupported form {type(expr).__name__}")

    def _collection(self, items: list[str], ordered: bool, depth: int, keep_single: bool = False) -> Value:
        if len(items) > self.config.max_items:
            raise ParseError(",".join(items)[:80], "too many items")
        values: tuple[Value, ...] = ()
        for item in items:
            value = self.value(item, depth + 1)
            if not ordered and "\\pm" in item and isinstance(value, Collection):
                values += value.items  # {1 \\pm \\sqrt5, -2}: the +- pair joins the enclosing set
            else:
                values += (value,)
        if len(values) == 1 and not keep_single:
            return values[0]
        ordered = ordered or Word(ELLIPSIS) in values  # "1, 2, \ldots, 10" is a sequence (notation.py)
        if not ordered:
            values = _group_repeated_assignments(values)
        return Collection(values, ordered=ordered)

    def _bracketed(self, s: str, depth: int) -> Value | None:
        inner = s[1:-1]
        items, _ = split_top(inner, re.compile(r"[,;]"))
        items = [i for i in items if i.strip()]
        if not items:
            raise ParseError(s, "empty brackets")
        if len(items) == 1:
            if s[0] == "(" and s[-1] == ")":
                return self.value(inner, depth + 1)
            return None
        if len(items) == 2:
            lo, hi = (self.value(i, depth + 1) for i in items)
            if isinstance(lo, Scalar) and isinstance(hi, Scalar):
                return Interval(lo, hi, s[0] == "[", s[-1] == "]", maybe_tuple=s[0] == "(" and s[-1] == ")")
            if s[0] == "(" and s[-1] == ")":
                return Collection((lo, hi), ordered=True)
            return None
        return self._collection(items, ordered=True, depth=depth)

    def _set_builder(self, var: str, condition: str, depth: int) -> Value:
        """``\\{y \\mid 0<y<2\\}`` is the interval its condition describes, when the condition is
        about that one variable only; anything else (``\\{x \\mid x \\in \\mathbb{Z}\\}``) is refused."""
        bare = _COMMAND.sub(" ", _TEXT_SEGMENT.sub(" ", condition))
        names = {n.replace("{", "").replace("}", "") for n in _LETTERS.findall(bare)} - TEXT_CONNECTIVES
        if names != {var.replace("{", "").replace("}", "")}:
            raise ParseError(condition, "set-builder condition not about its variable alone")
        value = self.value(condition, depth + 1)
        if isinstance(value, Interval):
            return value
        if isinstance(value, Collection) and value.disjunction:
            return value  # \\{x \\mid x < -1 \\text{ or } x > 4\\}: compared as a union
        if isinstance(value, Relation) and value.op in ("<", "<=", "!="):
            return value
        raise ParseError(condition, "set-builder condition is not an interval")

    def _matrix(self, body: str) -> Matrix:
        rows = [r for r in re.split(r"\\\\", body) if r.strip()]
        if not rows or len(rows) * max(r.count("&") + 1 for r in rows) > self.config.max_items:
            raise ParseError(body[:80], "bad or too large matrix")
        cells = tuple(tuple(self.scalar(c) for c in r.split("&")) for r in rows)
        if len({len(r) for r in cells}) != 1:
            raise ParseError(body[:80], "ragged matrix")
        return Matrix(cells)

    def _relation(self, parts: list[str], ops: list[str]) -> Value:
        canon = canonical(ops)
        if any(not p.strip() for p in parts):
            raise ParseError("".join(parts), "empty side of a relation")
        if all(op == "=" for op in canon):
            lhs = parts[0].strip()
            if _NAME_TUPLE.fullmatch(lhs):  # (p, q) = (3, 2): the answer is the right side
                return self.value(parts[-1], 1)
            try:
                relation = self._make_relation("=", parts[0], parts[-1])
            except ParseError:
                if _NAME.fullmatch(lhs):  # S = \{1, 2\}: a named structured answer
                    return self.value(parts[-1], 1)
                raise
            if not relation.lhs.to_sympy().free_symbols and not relation.rhs.to_sympy().free_symbols:
                return relation.rhs  # "2+2 = 4": a computation; its answer is the last value
            return relation
        same_sense = all(op in ("<", "<=") for op in canon) or all(op in (">", ">=") for op in canon)
        if len(parts) == 3 and same_sense:
            return chain(parts, canon, self.scalar)
        if len(parts) == 2:
            return self._make_relation(canon[0], parts[0], parts[1])
        raise ParseError("".join(parts), "unsupported chain of relations")

    def _make_relation(self, op: str, lhs_text: str, rhs_text: str) -> Relation:
        return oriented(op, self.scalar(lhs_text), self.scalar(rhs_text), lhs_text, rhs_text)


def parse_answer(text: str, config: MathConfig) -> Value:
    """The value tree of an extracted answer; ParseError when it has no comparable meaning."""
    try:
        parser = _Parser(config)
        text = rewrite(_OUTER_DOLLARS.sub(r"\1", text), config)
        parts = split_labelled(text) if config.multipart else None
        if parts is not None:  # "a) 3, b) 5": the parts, in order (multipart.py)
            return Collection(tuple(parser.value(part, 1) for part in parts), ordered=True)
        return parser.value(text)
    except RecursionError:
        raise ParseError(text, "too deeply nested") from None
    except ParseError as exc:
        if exc.too_large:
            raise
        word = text_answer(unicode_to_latex(text))  # prose: "infinitely many", "no solution"
        if word is None:
            raise
        return math_meaning(word) or word
