"""The fast path: plain numbers recognised by regex and held as exact ``Fraction``s.

Why: most RL answers are integers, decimals, fractions, mixed numbers or scientific notation.
Recognising them without sympy makes the common case cheap (no parser, no simplification) and
exact: ``123457`` vs ``123456`` or ``1/2^{99}``-style traps never meet a float tolerance here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["NumberLit", "parse_number"]

_INT = r"(?:\d{1,3}(?:,\d{3})+|\d+)"
_DEC = rf"(?:{_INT}(?:\.\d*)?|\.\d+)"
_DECIMAL = re.compile(rf"([+-]?)\s*({_DEC})")
_SCI_E = re.compile(rf"([+-]?)\s*({_DEC})\s*[eE]\s*([+-]?\d+)")
# Exponent of ten as LaTeX ``^{-7}``, plain text ``^(-7)`` / ``**-7``, or one bare digit.
_EXP10 = r"(?:\^|\*\*)\s*(?:\{\s*([+-]?\d+)\s*\}|\(\s*([+-]?\d+)\s*\)|([+-]?\d+))"
_SCI_TIMES = re.compile(rf"([+-]?)\s*({_DEC})\s*(?:\\times|\\cdot|\*|x)\s*10\s*{_EXP10}")
_POW10 = re.compile(rf"([+-]?)\s*10\s*{_EXP10}")
_SLASH = re.compile(rf"([+-]?)\s*\(?\s*({_DEC})\s*\)?\s*/\s*\(?\s*({_DEC})\s*\)?")
_FRAC_ARG = r"(?:\{\s*([+-]?\s*\d+(?:\.\d+)?)\s*\}|(\d))"
_FRAC = re.compile(rf"([+-]?)\s*(\d+)?\s*\\frac\s*{_FRAC_ARG}\s*{_FRAC_ARG}")
_REPEATING = re.compile(r"([+-]?)\s*(\d*)\.(\d*)\s*\\overline\s*\{\s*(\d+)\s*\}")


@dataclass(frozen=True, slots=True)
class NumberLit:
    """An exact number and, for decimal literals, how many digits followed the point."""

    value: Fraction
    decimals: int | None = None  # None: not written as a decimal (integer, fraction, ...)


def _dec(text: str) -> tuple[Fraction, int | None]:
    text = text.replace(",", "")
    if "." in text:
        whole, frac = text.split(".", 1)
        return Fraction(text if whole else "0" + text), len(frac) if frac else None
    return Fraction(int(text)), None


def _signed(sign: str, value: Fraction) -> Fraction:
    return -value if sign == "-" else value


def parse_number(text: str, max_exponent: int = 10_000) -> NumberLit | None:
    """The exact value of a plain numeric answer, or None when it is not one."""
    s = text.strip()
    if not s or len(s) > 200:
        return None
    m = _DECIMAL.fullmatch(s)
    if m:
        value, decimals = _dec(m.group(2))
        return NumberLit(_signed(m.group(1), value), decimals)
    m = _REPEATING.fullmatch(s)
    if m:  # 0.1\overline{6} = 1/6: exact, never "rounded"
        whole, fixed, period = m.group(2) or "0", m.group(3), m.group(4)
        value = Fraction(int(whole)) + Fraction(int(fixed or "0"), 10 ** len(fixed))
        value += Fraction(int(period), (10 ** len(period) - 1) * 10 ** len(fixed))
        return NumberLit(_signed(m.group(1), value))
    m = _FRAC.fullmatch(s)
    if m:
        num = m.group(3) if m.group(3) is not None else m.group(4)
        den = m.group(5) if m.group(5) is not None else m.group(6)
        den_value = Fraction(den.replace(" ", ""))
        if den_value == 0:
            return None
        value = Fraction(num.replace(" ", "")) / den_value
        if m.group(2) is not None:
            if value < 0:
                return None
            value += int(m.group(2))
        return NumberLit(_signed(m.group(1), value))
    m = _SLASH.fullmatch(s)
    if m:
        num, _ = _dec(m.group(2))
        den, _ = _dec(m.group(3))
        if den == 0:
            return None
        return NumberLit(_signed(m.group(1), num / den))
    for pattern in (_SCI_E, _SCI_TIMES):
        m = pattern.fullmatch(s)
        if m:
            mantissa, _ = _dec(m.group(2))
            exponent = int(next(g for g in m.groups()[2:] if g is not None))
            if abs(exponent) > max_exponent:
                return None
            return NumberLit(_signed(m.group(1), mantissa * Fraction(10) ** exponent))
    m = _POW10.fullmatch(s)
    if m:
        exponent = int(next(g for g in m.groups()[1:] if g is not None))
        if abs(exponent) > max_exponent:
            return None
        return NumberLit(_signed(m.group(1), Fraction(10) ** exponent))
    return None
