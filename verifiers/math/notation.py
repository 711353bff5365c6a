"""Spelling policies applied to the text before parsing: ellipses, ordinals, parameter
declarations, decimal commas.

Why rewrites of the text rather than new value kinds: each of these is a way of *writing* a value
that already has a kind (``7^{\\text{th}}`` is the number 7; ``x=k\\pi, k\\in\\mathbb{Z}`` is the
equation ``x=k\\pi`` with k an integer parameter, see equations.py), so mapping the spelling away
keeps the parser and the comparison unchanged. Every rewrite is anchored so that it cannot
change what a different answer means:

- **Ellipsis** (``ellipsis``): ``\\cdots``, ``\\ldots``, ``\\dots``, ``...``, ``…`` standing as an
  item of a list (between commas) become one ellipsis marker; a list holding one is ordered, so
  ``1, 2, \\cdots, 10`` equals ``1,2,\\ldots,10`` and not ``10, \\ldots, 2, 1``.
- **Ordinals** (``ordinals``): a suffix st/nd/rd/th written right after digits (``7th``,
  ``7^{\\text{th}}``, ``21^{st}``) is dropped.
- **Declarations** (always): a trailing ``k \\in \\mathbb{Z}`` or ``\\text{where } k \\text{ is
  an integer}``, or a domain ``x \\in \\mathbb{R}`` of letters the answer uses, is a statement
  about a variable, not a second answer, and is removed (never when nothing else is left). A
  letter declared an integer (``t \\in \\mathbb{Z}``) is renamed to a free parameter letter
  (k, m, n, j), so it is bound like k (equations.py).
- **Degrees inside trigonometric functions** (``degrees_radians``): ``\\cos 40^\\circ`` is
  ``\\cos\\frac{40\\pi}{180}`` (stripping the sign, as for a bare angle, would read 40 radians).
- **Decimals** (``ellipsis``; repeating always): ``42.857\\ldots`` is the decimal ``42.857`` (then
  judged by the rounded-answer policy); ``0.\\overline{3}`` is exactly ``1/3``.
- **Decimal comma** (``decimal_comma``): an answer written exactly ``12,5`` (digits, one comma,
  digits, not a thousands group of three) is ``12.5`` when the gold is one number; a list
  ``1,2`` is never equal to one number, so reading it as ``1.2`` cannot reward a hedge. A gold
  written ``1,22`` is also read as 1.22, but only against a decimal answer written with the same
  number of decimals (``1.22``; verifier.py), and its list reading stays.
"""

from __future__ import annotations

import re
from fractions import Fraction

from verifiers.math.config import MathConfig

__all__ = ["ELLIPSIS", "ELLIPSIS_TOKEN", "decimal_comma", "rewrite"]

ELLIPSIS = "ellipsis"  # the Word an ellipsis item parses into
ELLIPSIS_TOKEN = "\\ldots"  # every spelling of an ellipsis item is rewritten to this
_ELLIPSIS_ITEM = re.compile(
    r"(?:(?<=,)|(?<=\\\{)|(?<=\()|^)\s*(?:\\[cl]?dots[cbmo]?|\\cdots|\.\s*\.\s*\.|…)\s*(?=,|\\\}|\)|$)"
)
_ORDINAL = re.compile(
    r"(?<=\d)\s*(?:\^\s*\{?\s*(?:\\(?:text|mathrm|textrm|rm)\s*\{\s*)?(?:st|nd|rd|th)\s*\}?\s*\}?"
    r"|\\(?:text|mathrm|textrm)\s*\{\s*(?:st|nd|rd|th)\s*\}|(?:st|nd|rd|th)(?![A-Za-z]))"
)
_PARAM = r"[kmnj](?:\s*,\s*[kmnj])*"
_DECLARATION = re.compile(  # in words; "k \\in \\mathbb{Z}" is a domain (_DOMAIN)
    rf"[\s,;]*(?:\\text\{{[^{{}}]*\}}\s*)?(?<=[\s,;}}]){_PARAM}\s*\\text\{{[^{{}}]*\bintegers?\b[^{{}}]*\}}\s*$"
    rf"|[\s,;]*\\text\{{[^{{}}]*\bintegers?\s*\}}\s*{_PARAM}\s*$"
)
_DOMAIN = re.compile(  # after a separator: ", x \\in \\mathbb{R}", "\\quad (x, y \\in \\mathbb{R})"
    r"(?:\s*(?:,|;|\\quad|\\qquad|\\[,;: ]|\(|\\text\{[^{}]*\})\s*)+(?:\\forall\s*)?"
    r"([A-Za-z](?:\s*,\s*[A-Za-z])*)\s*(?:\\in|∈)\s*"
    r"(?:\\mathbb\s*\{?\s*([RNZQC])\s*\}?|\\mathbf\s*\{\s*([RNZQC])\s*\}|\\([RNZQC])(?![A-Za-z]))\s*\)?\s*$"
)
_PARAMETER_NAMES = "kmnj"  # the letters equations.py treats as integer parameters
_TRIG_DEGREES = re.compile(
    r"(\\(?:sin|cos|tan|cot|sec|csc)\s*(?:\^\s*\{?\s*\d\s*\}?\s*)?)(\(?\s*)(\d+(?:\.\d+)?)\s*"
    r"\^\s*\{?\s*\\circ\s*\}?"
)
_DECIMAL_COMMA = re.compile(r"([+-]?\d+)(?:,|\{,\})(\d+)")  # 12,5 or LaTeX 12{,}5
_TRAILING_DOTS = re.compile(r"(?<=\d\.\d)(\d*)\s*(?:\\[cl]?dots|\\cdots|…)\s*$")
_REPEATING = re.compile(r"(\d*)\.(\d*)\\overline\s*\{\s*(\d{1,50})\s*\}")


def rewrite(text: str, config: MathConfig) -> str:
    """``text`` with the spelling policies above applied (unchanged when none applies)."""
    s = text
    if "\\in" in s or "∈" in s or "integer" in s:
        declared = _DECLARATION.sub("", s)
        s = declared if declared.strip() else s  # "n \\in \\mathbb{Z}" alone is an answer
        s = _without_domain(s)
    if config.ordinals and ("st" in s or "nd" in s or "rd" in s or "th" in s):
        s = _ORDINAL.sub("", s)
    if config.ellipsis and ("dots" in s or "..." in s or "…" in s):
        s = _TRAILING_DOTS.sub(lambda m: m.group(1), s)  # "42.857\\ldots": a decimal, see rounding
        s = _ELLIPSIS_ITEM.sub(lambda _: f" {ELLIPSIS_TOKEN} ", s)
    if config.degrees_radians and "circ" in s:  # "\\cos 40^\\circ": the argument in radians
        s = _TRIG_DEGREES.sub(lambda m: f"{m.group(1)}{m.group(2)}\\frac{{{m.group(3)}\\pi}}{{180}}", s)
    if "overline" in s:
        s = _REPEATING.sub(_repeating_fraction, s)
    return s


def _without_domain(s: str) -> str:
    """``f(x)=2x, x \\in \\mathbb{R}`` -> ``f(x)=2x``: a trailing domain of letters that the
    answer uses is a declaration, not part of the answer (kept when nothing else is left)."""
    m = _DOMAIN.search(s)
    if m is None:
        return s
    rest = s[: m.start()]
    letters = [letter.strip() for letter in m.group(1).split(",")]
    used = all(re.search(rf"(?<![\\A-Za-z]){letter}(?![A-Za-z])", rest) for letter in letters)
    if not rest.strip() or not used:
        return s
    if (m.group(2) or m.group(3) or m.group(4)) == "Z":  # t \in Z: t is an integer parameter too
        free = [p for p in _PARAMETER_NAMES if not re.search(rf"(?<![\\A-Za-z]){p}(?![A-Za-z])", rest)]
        for letter in letters:
            if letter not in _PARAMETER_NAMES and free:
                rest = re.sub(rf"(?<![\\A-Za-z]){letter}(?![A-Za-z])", free.pop(0), rest)
    return rest


def _repeating_fraction(m: re.Match[str]) -> str:
    """``1.2\\overline{36}`` -> ``\\frac{1223}{990}``... exactly: the value of the repeating decimal."""
    whole, fixed, period = m.group(1) or "0", m.group(2), m.group(3)
    value = Fraction(int(whole)) + Fraction(
        int(fixed + period) - int(fixed or "0"), (10 ** len(period) - 1) * 10 ** len(fixed)
    )
    return f"\\frac{{{value.numerator}}}{{{value.denominator}}}"


def decimal_comma(text: str) -> str | None:
    """``12,5`` -> ``12.5``; None unless the whole text is one such number (``1,000`` is a
    thousands separator, read by the number parser)."""
    s = text.strip().strip("$").strip()
    m = _DECIMAL_COMMA.fullmatch(s)
    if m is None or len(m.group(2)) == 3:
        return None
    return f"{m.group(1)}.{m.group(2)}"
