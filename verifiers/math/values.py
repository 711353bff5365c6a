"""The value tree an answer parses into: scalars, relations, intervals, sets, matrices, letters.

Why a tree of small frozen types rather than raw sympy objects: sympy cannot keep a tuple
ordered and a set unordered while comparing elements up to equivalence, nor remember that an
interval was written ``(a, b)`` (so it may also be a point), that a number was a decimal literal
(rounding policies) or that it carried a percent sign. ``str()`` of each type is what verdicts
report as the parsed form.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import sympy

from verifiers.math.numbers import NumberLit

if TYPE_CHECKING:
    from verifiers.math.units import Unit

__all__ = [
    "Choice",
    "Collection",
    "Interval",
    "Matrix",
    "Relation",
    "Scalar",
    "TimeOfDay",
    "Union",
    "Value",
    "Word",
]


@dataclass(frozen=True, slots=True)
class Scalar:
    """A number or expression. ``number`` is set on the fast path, ``expr`` otherwise."""

    text: str
    number: NumberLit | None = None
    expr: Any = None
    percent: bool = False
    unit: Unit | None = None  # a known unit written after it (``5\\text{ m}``), see units.py

    def to_sympy(self) -> Any:
        if self.expr is not None:
            return self.expr
        assert self.number is not None
        v = self.number.value
        return sympy.Rational(v.numerator, v.denominator)

    def __str__(self) -> str:
        core = str(self.number.value) if self.number is not None else str(self.expr)
        return core + ("%" if self.percent else "") + (f" {self.unit}" if self.unit is not None else "")


@dataclass(frozen=True, slots=True)
class Relation:
    """``lhs op rhs`` with op one of = != < <= (> and >= are flipped on construction)."""

    op: str
    lhs: Scalar
    rhs: Scalar
    lhs_text: str = ""

    def __str__(self) -> str:
        return f"{self.lhs} {self.op} {self.rhs}"


@dataclass(frozen=True, slots=True)
class Interval:
    """A real interval; ``maybe_tuple``: written ``(a, b)``, so it may also be a point."""

    lo: Scalar
    hi: Scalar
    lo_closed: bool
    hi_closed: bool
    maybe_tuple: bool = False

    def __str__(self) -> str:
        return f"{'[' if self.lo_closed else '('}{self.lo}, {self.hi}{']' if self.hi_closed else ')'}"


@dataclass(frozen=True, slots=True)
class Union:
    parts: tuple[Value, ...]

    def __str__(self) -> str:
        return " U ".join(map(str, self.parts))


@dataclass(frozen=True, slots=True)
class Collection:
    """Several answers: ordered (a tuple/point) or not (a set, or a list of solutions).

    ``braced``: written as a set ``\\{...\\}``, which never equals a tuple.
    ``disjunction``: joined by "or" only (``x < -1 or x > 4``); "and" or commas between
    inequalities may mean an intersection, so only a disjunction is ever read as a union.
    """

    items: tuple[Value, ...]
    ordered: bool
    braced: bool = False
    disjunction: bool = False  # joined by "or" only: inequalities in it may form a union

    def __str__(self) -> str:
        inner = ", ".join(map(str, self.items))
        return f"({inner})" if self.ordered else f"{{{inner}}}"


@dataclass(frozen=True, slots=True)
class Matrix:
    rows: tuple[tuple[Scalar, ...], ...]

    def __str__(self) -> str:
        return "[" + "; ".join(", ".join(map(str, r)) for r in self.rows) + "]"


@dataclass(frozen=True, slots=True)
class Choice:
    """A multiple-choice letter, upper case (``raw``: as written, since ``i`` may be a number)."""

    letter: str
    raw: str = ""

    def __str__(self) -> str:
        return f"({self.letter})"


@dataclass(frozen=True, slots=True)
class Word:
    """A text answer (``odd``, ``evelyn``, ``5 cats and 3 dogs``): canonical tokens, lower case,
    numbers in exact canonical form (see ``verifiers.math.prose``)."""

    text: str

    def __str__(self) -> str:
        return repr(self.text)


@dataclass(frozen=True, slots=True)
class TimeOfDay:
    """A time of day in seconds after midnight (see ``verifiers.math.clock`` for the policy).

    ``ambiguous``: written as a bare 12-hour time (``3:00``), morning or afternoon."""

    seconds: int
    ambiguous: bool = False
    ratio: Fraction | None = None  # bare ``H:MM`` may also be the ratio H/MM (``11:21``)

    def __str__(self) -> str:
        hours, rest = divmod(self.seconds, 3600)
        text = f"{hours:02d}:{rest // 60:02d}" + (f":{rest % 60:02d}" if rest % 60 else "")
        return text + (" (am/pm)" if self.ambiguous else "")


Value = Scalar | Relation | Interval | Union | Collection | Matrix | Choice | Word | TimeOfDay
