"""Units are checked, not stripped: ``5\\text{ m}`` is not ``5\\text{ cm}``, but it is ``500\\text{ cm}``.

Why: stripping every unit made ``5 m`` equal ``5 cm`` (a wrong answer rewarded). A trailing unit
that we know (length, area, volume, time, mass, angle and their quotients such as ``km/h``) is
split off the number and kept on the ``Scalar``; two quantities compare by value after
converting the answer into the gold's unit, and quantities of different dimensions never match.
Unknown unit words (``cats``, ``dollars``, ``square units``) are still stripped by normalisation,
as before: we cannot convert what we do not know.

Policies (``MathConfig``): ``check_units`` (off: the old stripping), ``bare_number_in_gold_unit``
(a bare ``5`` against ``5\\text{ m}`` is read in metres; off: a unit on one side only never
matches), ``degrees_radians`` (a bare value containing pi against a quantity in degrees is read
in radians: ``\\pi/6`` equals ``30^\\circ``; a bare ``30`` against ``\\pi/6`` never does).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import sympy

from verifiers.math.config import MathConfig
from verifiers.math.numbers import NumberLit
from verifiers.math.values import Collection, Scalar

__all__ = ["Unit", "align", "compound_quantity", "one_letter_unit", "parse_unit", "split_unit"]


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit as its dimension (base name -> power) and its factor to the base units (SI, rad)."""

    name: str
    dims: tuple[tuple[str, int], ...]
    factor: Any  # sympy number: metres, seconds, kilograms, radians per one of this unit

    def __str__(self) -> str:
        return self.name


_F = sympy.Rational
_BASE: dict[str, tuple[str, Any]] = {}


def _add(names: str, dim: str, factor: Any) -> None:
    for name in names.split():
        _BASE[name] = (dim, factor)


_add("mm millimeter millimeters millimetre millimetres", "L", _F(1, 1000))
_add("cm centimeter centimeters centimetre centimetres", "L", _F(1, 100))
_add("dm decimeter decimeters", "L", _F(1, 10))
_add("m meter meters metre metres", "L", _F(1))
_add("km kilometer kilometers kilometre kilometres", "L", _F(1000))
_add("in inch inches", "L", _F(254, 10000))
_add("ft foot feet", "L", _F(3048, 10000))
_add("yd yard yards", "L", _F(9144, 10000))
_add("mi mile miles", "L", _F(1609344, 1000))
_add("ms millisecond milliseconds", "T", _F(1, 1000))
_add("s sec secs second seconds", "T", _F(1))
_add("min mins minute minutes", "T", _F(60))
_add("h hr hrs hour hours", "T", _F(3600))
_add("day days", "T", _F(86400))
_add("week weeks", "T", _F(604800))
_add("mg milligram milligrams", "M", _F(1, 1_000_000))
_add("g gram grams", "M", _F(1, 1000))
_add("kg kilogram kilograms", "M", _F(1))
_add("deg degree degrees \\circ", "A", sympy.pi / 180)
_add("rad radian radians", "A", _F(1))
_add("ml mL milliliter milliliters millilitre millilitres", "L3", _F(1, 1_000_000))
_add("L liter liters litre litres", "L3", _F(1, 1000))

_WRAPPED = re.compile(
    r"\\(?:text|mbox|mathrm|textrm|textnormal|operatorname|rm|mathit)\s*\{\s*([^{}]*?)\s*\}"
    r"(\s*\^\s*(?:\{\s*[23]\s*\}|[23]))?\s*$"
)
_DEGREE = re.compile(r"(?:\^\s*\{?\s*\\circ\s*\}?|°|\\degree)\s*$")
_BARE = re.compile(
    r"(?<=[\d}).])\s*([A-Za-z]{2,}(?:\s*/\s*[A-Za-z]+)?)(\s*\^\s*(?:\{\s*[23]\s*\}|[23])|²|³)?\s*$"
)
_SPACING = re.compile(r"(?:\\[,;:! ]|~|\s)+$")
_POWER_WORD = {"square": 2, "sq": 2, "cubic": 3, "cu": 3}


def _one(word: str) -> tuple[str, int, Any] | None:
    """A simple unit word, possibly with a power (``cm^2``, ``square meters``)."""
    word = word.strip().rstrip(".")
    power = 1
    head, _, rest = word.partition(" ")
    if rest and head.lower().rstrip(".") in _POWER_WORD:
        power, word = _POWER_WORD[head.lower().rstrip(".")], rest.strip()
    m = re.fullmatch(r"(\\?[A-Za-z]+)\s*(?:\^\s*\{?\s*([23])\s*\}?|([²³]))?", word)
    if m is None:
        return None
    name = m.group(1)
    if m.group(2) or m.group(3):
        power *= int(m.group(2) or ("2" if m.group(3) == "²" else "3"))
    entry = _BASE.get(name) or (_BASE.get(name.lower()) if len(name) > 2 else None)
    if entry is None:
        return None
    dim, factor = entry
    return dim, power, factor


def parse_unit(text: str) -> Unit | None:
    """A known unit (``cm``, ``km/h``, ``m^2``, ``square feet``, ``degrees``), or None."""
    text = " ".join(text.split())
    text = text[:-4] if text.endswith(" and") else text  # "3\\text{ hours and } 20\\text{ minutes}"
    if not text:
        return None
    num_text, slash, den_text = text.partition("/")
    if not slash and " per " in text:
        num_text, _, den_text = text.partition(" per ")
        slash = "/"
    dims: dict[str, int] = {}
    factor: Any = sympy.Integer(1)
    for part, sign in ((num_text, 1), (den_text, -1)) if slash else ((num_text, 1),):
        one = _one(part)
        if one is None:
            return None
        dim, power, unit_factor = one
        factor = factor * unit_factor ** (sign * power)
        if dim == "L3":  # litres: the factor is already in cubic metres
            dim, power = "L", 3 * power
        dims[dim] = dims.get(dim, 0) + sign * power
    return Unit(text, tuple(sorted((d, p) for d, p in dims.items() if p)), factor)


def split_unit(text: str) -> tuple[str, Unit] | None:
    """``(body, unit)`` when ``text`` ends with a known unit after a non-empty body, else None.

    Bare unit words need two letters (``5 cm``); a one-letter unit must be wrapped (``5\\text{ m}``)
    so that ``5m`` (five times m) is not read as five metres (``one_letter_unit`` does, but only
    against a gold with a unit).
    """
    s = text.strip()
    if s.startswith("$") and s.endswith("$"):  # "$2\text{ hours}$": the math delimiters
        s = s.strip("$").strip()
    if not s or s[-1] in ")]":  # the common case: no unit can end it...
        return None
    if s[-1] in "0123456789" and not s.rstrip("0123456789").rstrip().endswith("^"):  # ...but cm^2
        return None
    for pattern in (_DEGREE, _WRAPPED, _BARE):
        m = pattern.search(s)
        if m is None:
            continue
        body = _SPACING.sub("", s[: m.start()]).strip()
        if not body or body.endswith(("^", "_", "\\")):
            continue
        if pattern is _DEGREE:
            return body, Unit("°", (("A", 1),), sympy.pi / 180)
        power = m.group(2) or ""
        unit = parse_unit(m.group(1) + power.strip())
        if unit is not None:
            return body, unit
    return None


_TRAILING_NUMBER = re.compile(r"(?<![\w.^{/\\])(\d+(?:\.\d+)?)$")
_JOINER = re.compile(r"(?:\s|\\[,;: ]|\\text\s*\{\s*(?:and)?\s*\}|\band\b)*$")  # no comma: a list
_MAX_COMPONENTS = 4


_ONE_LETTER = re.compile(r"\s*([+-]?\d+(?:\.\d+)?)\s*(?:\\[,;: ]|~|\s)*([mgshL])\s*")


def one_letter_unit(text: str) -> str | None:
    """``1000 m`` -> ``1000\\text{ m}``: a bare one-letter unit right after a number.

    Only tried against a gold that has a unit (verifier.py): on its own ``5 m`` may be 5 times m.
    """
    m = _ONE_LETTER.fullmatch(text.strip().strip("$"))
    return f"{m.group(1)}\\text{{ {m.group(2)}}}" if m is not None else None


def compound_quantity(text: str) -> Scalar | Collection | None:
    """``3\\text{ h } 20\\text{ min}`` (or ``5 ft 3 in``) as one quantity in its last unit.

    Only literal numbers, two to four components, all of one dimension, each unit smaller than
    the one before. Otherwise (``3 cm and 4 cm``, ``2 m 50 s``) the quantities are a list of
    answers, each with its unit. None when the text is not such a sequence.
    """
    components: list[tuple[NumberLit, Unit]] = []
    rest = text
    for _ in range(_MAX_COMPONENTS):
        split = split_unit(rest)
        if split is None:
            return None
        body, unit = split
        m = _TRAILING_NUMBER.search(body)
        if m is None:
            return None
        digits = m.group(1)
        decimals = len(digits.partition(".")[2]) if "." in digits else None
        components.append((NumberLit(Fraction(digits), decimals), unit))
        rest = _JOINER.sub("", body[: m.start()]).strip()
        if not rest:
            break
    if rest or len(components) < 2:
        return None
    written = list(reversed(components))
    factors = [u.factor for _, u in written]
    one_dimension = len({u.dims for _, u in components}) == 1
    if not one_dimension or any(not bool(big > small) for big, small in itertools.pairwise(factors)):
        items = tuple(Scalar(f"{v.value} {u}", number=v, unit=u) for v, u in written)
        return Collection(items, ordered=False)  # "3 cm and 4 cm": two answers, not 7 cm
    last = components[0][1]
    total = sympy.Integer(0)
    for number, unit in components:
        total += sympy.Rational(number.value.numerator, number.value.denominator) * unit.factor / last.factor
    if not isinstance(total, sympy.Rational):
        return None
    return Scalar(text, number=NumberLit(Fraction(int(total.p), int(total.q))), unit=last)


def _scaled(s: Scalar, factor: Any) -> Scalar:
    """``s`` times ``factor`` (exact), without its unit; decimals kept only when factor is 1."""
    factor = sympy.nsimplify(factor) if not isinstance(factor, sympy.Basic) else factor
    if s.number is not None and isinstance(factor, sympy.Rational):
        value = s.number.value * Fraction(int(factor.p), int(factor.q))
        decimals = s.number.decimals if factor == 1 else None
        return Scalar(s.text, number=NumberLit(value, decimals), percent=s.percent)
    return Scalar(s.text, expr=s.to_sympy() * factor, percent=s.percent)


def _has_pi(s: Scalar) -> bool:
    return s.expr is not None and bool(s.expr.has(sympy.pi))


def align(gold: Scalar, pred: Scalar, cfg: MathConfig) -> tuple[Scalar, Scalar] | None:
    """Both scalars in the gold's unit and without units, or None when they cannot be equal."""
    gu, pu = gold.unit, pred.unit
    if gu is not None and pu is not None:
        if gu.dims != pu.dims:
            return None
        return replace(gold, unit=None), _scaled(pred, pu.factor / gu.factor)
    angle = (("A", 1),)
    if cfg.degrees_radians:
        if gu is not None and gu.dims == angle and gu.factor != 1 and _has_pi(pred):
            return replace(gold, unit=None), _scaled(pred, 1 / gu.factor)
        if pu is not None and pu.dims == angle and pu.factor != 1 and _has_pi(gold):
            return _scaled(gold, 1 / pu.factor), replace(pred, unit=None)
    if not cfg.bare_number_in_gold_unit:
        return None
    return replace(gold, unit=None), replace(pred, unit=None)
