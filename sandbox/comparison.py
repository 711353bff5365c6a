"""The one output-comparison policy for judged programs.

Why written down once: a loose comparison is a reward hack waiting to happen (an order-free token
set accepts any permutation, ignoring missing lines accepts a partial answer, a float tolerance
applied to integers accepts ``1000000000.0`` for ``1000000006``), and a strict one rejects right
answers over a trailing space. The policy:

- stdout: lines are compared in order, line by line. Trailing whitespace of each line and
  trailing blank lines are ignored (``\\r\\n`` counts as ``\\n``). Within a line, tokens split on
  whitespace must match one to one; a missing or extra line or token is a mismatch.
- tokens: the *expected* token decides how a token is compared.

  * an integer (``[+-]?digits``): only that integer matches, i.e. an integer token of the same
    value (compared as Python ints, so big numbers are never rounded). ``10.0``, ``1e1`` or
    ``10.0000001`` are not the integer ``10``.
  * a float (a fraction or an exponent: ``0.5``, ``1e9``, ``3.``): any number token (integer or
    float) within ``Comparison.abs_tol`` or ``rel_tol`` of it matches.
  * anything else (words, ``nan``, ``inf``): the same text, case-sensitive.

- return values (function-call tests): JSON values compared structurally: same types (a bool is
  not an int), lists in order, dict keys equal. An expected int matches only an int of the same
  value, or a float that is exactly that integer (Python's ``3.0 == 3``; no tolerance, so
  ``1000000000.0`` is not ``1000000006``). An expected float matches a number within the
  tolerance.

``Comparison`` is per job (``Job.comparison``): a request may widen or narrow the float tolerance
(``abs_tol=rel_tol=0`` means floats must be exactly equal in value). Integers are never toleranced.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Comparison", "Tolerance", "outputs_match", "values_match"]

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_MAX_INT_DIGITS = 4000
_MAX_EXACT_FLOAT_INT = 2**53


@dataclass(frozen=True, slots=True)
class Comparison:
    """Float tolerance (judges' usual 1e-6): a float matches when within either bound.

    Applies only where the expected value is a float; integers compare exactly.
    """

    abs_tol: float = 1e-6
    rel_tol: float = 1e-6

    def __post_init__(self) -> None:
        for name in ("abs_tol", "rel_tol"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and 0 <= value <= 1):
                raise ValueError(f"Comparison.{name} must be a number in [0, 1]")


Tolerance = Comparison  # the former name
_DEFAULT = Comparison()


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _floats_close(want: float, got: float, tol: Comparison) -> bool:
    if not (math.isfinite(want) and math.isfinite(got)):
        return want == got  # inf matches inf; nan matches nothing
    return want == got or math.isclose(want, got, rel_tol=tol.rel_tol, abs_tol=tol.abs_tol)


def _tokens_match(expected: str, actual: str, tol: Comparison) -> bool:
    if expected == actual:
        return True
    if _INTEGER.fullmatch(expected):
        if not _INTEGER.fullmatch(actual):
            return False
        if len(expected) > _MAX_INT_DIGITS or len(actual) > _MAX_INT_DIGITS:
            return False
        return int(expected) == int(actual)
    if not (_DECIMAL.fullmatch(expected) and _DECIMAL.fullmatch(actual)):
        return False
    try:
        want, got = float(expected), float(actual)
    except (ValueError, OverflowError):
        return False
    return _floats_close(want, got, tol)


def outputs_match(expected: str, actual: str, tol: Comparison = _DEFAULT) -> bool:
    """True when ``actual`` stdout is a right answer for ``expected`` under the policy above."""
    want_lines, got_lines = _lines(expected), _lines(actual)
    if len(want_lines) != len(got_lines):
        return False
    for want_line, got_line in zip(want_lines, got_lines, strict=True):
        want_tokens, got_tokens = want_line.split(), got_line.split()
        if len(want_tokens) != len(got_tokens):
            return False
        if not all(_tokens_match(w, g, tol) for w, g in zip(want_tokens, got_tokens, strict=True)):
            return False
    return True


def _values_equal(expected: Any, actual: Any, tol: Comparison) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, int):
        if isinstance(actual, int):
            return expected == actual
        if isinstance(actual, float):  # exactly that integer, never within a tolerance
            return (
                math.isfinite(actual)
                and abs(expected) <= _MAX_EXACT_FLOAT_INT
                and actual.is_integer()
                and int(actual) == expected
            )
        return False
    if isinstance(expected, float) and isinstance(actual, (int, float)):
        try:
            return _floats_close(expected, float(actual), tol)
        except OverflowError:
            return False
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(
            _values_equal(e, a, tol) for e, a in zip(expected, actual, strict=True)
        )
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(
            _values_equal(expected[k], actual[k], tol) for k in expected
        )
    return type(expected) is type(actual) and expected == actual


def values_match(expected_json: str, actual_json: str | None, tol: Comparison = _DEFAULT) -> bool:
    """True when the returned JSON value equals the expected JSON value under the policy above.

    A missing or unparseable return value never matches.
    """
    if actual_json is None:
        return False
    try:
        expected, actual = json.loads(expected_json), json.loads(actual_json)
    except ValueError:
        return False
    return _values_equal(expected, actual, tol)
