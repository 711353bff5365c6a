"""The one output-comparison policy for judged programs.

Why written down once: a loose comparison is a reward hack waiting to happen (an order-free token
set accepts any permutation, ignoring missing lines accepts a partial answer), and a strict one
rejects right answers over a trailing space. The policy:

- stdout: lines are compared in order, line by line. Trailing whitespace of each line and
  trailing blank lines are ignored (``\\r\\n`` counts as ``\\n``). Within a line, tokens split on
  whitespace must match one to one; a missing or extra line or token is a mismatch.
- two tokens match when they are equal, or when both are numbers and at least one is written
  with a fraction or an exponent and they agree within ``abs_tol`` or ``rel_tol``. Integer
  tokens compare exactly (as Python ints, so big numbers are not rounded). ``nan``/``inf``
  spelled out are compared as text.
- return values (function-call tests): JSON values compared structurally: same types (a bool is
  not an int), lists in order, dict keys equal, floats within the same tolerances.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Tolerance", "outputs_match", "values_match"]

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_MAX_INT_DIGITS = 4000


@dataclass(frozen=True, slots=True)
class Tolerance:
    """Float tolerance: a match when within either bound (judges' usual 1e-6)."""

    abs_tol: float = 1e-6
    rel_tol: float = 1e-6


_DEFAULT = Tolerance()


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _tokens_match(expected: str, actual: str, tol: Tolerance) -> bool:
    if expected == actual:
        return True
    if _INTEGER.fullmatch(expected) and _INTEGER.fullmatch(actual):
        if len(expected) > _MAX_INT_DIGITS or len(actual) > _MAX_INT_DIGITS:
            return False
        return int(expected) == int(actual)
    if not (_DECIMAL.fullmatch(expected) and _DECIMAL.fullmatch(actual)):
        return False
    try:
        want, got = float(expected), float(actual)
    except (ValueError, OverflowError):
        return False
    if not (math.isfinite(want) and math.isfinite(got)):
        return False
    return math.isclose(want, got, rel_tol=tol.rel_tol, abs_tol=tol.abs_tol)


def outputs_match(expected: str, actual: str, tol: Tolerance = _DEFAULT) -> bool:
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


def _values_equal(expected: Any, actual: Any, tol: Tolerance) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        if isinstance(expected, int) and isinstance(actual, int):
            return expected == actual
        if not (math.isfinite(expected) and math.isfinite(actual)):
            return expected == actual
        return math.isclose(expected, actual, rel_tol=tol.rel_tol, abs_tol=tol.abs_tol)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(
            _values_equal(e, a, tol) for e, a in zip(expected, actual, strict=True)
        )
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(
            _values_equal(expected[k], actual[k], tol) for k in expected
        )
    return type(expected) is type(actual) and expected == actual


def values_match(expected_json: str, actual_json: str | None, tol: Tolerance = _DEFAULT) -> bool:
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
