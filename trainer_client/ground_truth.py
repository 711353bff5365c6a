"""Telling a math gold from code tests in a dataset's ``ground_truth`` field.

Why: verl's code datasets keep their tests where math datasets keep the answer
(``reward_model.ground_truth``): a JSON string of ``{"inputs", "outputs"}`` (APPS, CodeContests,
TACO), of ``{"fn_name", "inputs", "outputs"}`` (function-call problems), a list of ``assert``
lines (MBPP-like), or ``[{"input", "output"}]`` cases. Sent as a math gold, a correct program
scores a silent 0. A bare list of asserts is sent as ``{"test_list": [...]}``. The service parses every other shape itself (``sandbox.testsuite``); the client only
has to recognise a test shape, conservatively: anything else (``"72"``, ``"[1, 2]"``, ``"\\frac12"``)
stays a math gold.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Reference", "split_reference"]

# keys that only test suites carry (the service's adapter accepts exactly these shapes)
_TEST_KEYS = frozenset({"inputs", "outputs", "fn_name", "test_cases", "test_list", "input_output"})
_CASE_KEYS = frozenset({"input", "output"})


@dataclass(frozen=True, slots=True)
class Reference:
    """What to send for one item: a math ``gold`` or code ``tests`` (at most one of them set)."""

    gold: str | int | float | None = None
    tests: Any = None


def _plain(value: Any) -> Any:
    """numpy arrays/scalars (verl keeps non-tensor columns as numpy) as Python values."""
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) and not isinstance(value, str | bytes) else value


def _is_assert_list(value: Any) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str | bytes)
        and bool(value)
        and all(isinstance(v, str) and v.lstrip().startswith("assert") for v in value)
    )


def _tests(value: Any) -> Any:
    """A bare list of asserts in the service's MBPP shape; any other test shape as it is."""
    return {"test_list": list(value)} if _is_assert_list(value) else value


def _is_test_shape(value: Any) -> bool:
    if isinstance(value, Mapping):
        keys = set(value)
        if "test" in keys and ("entry_point" in keys or isinstance(value.get("test"), str)):
            return True  # HumanEval's {"test", "entry_point"}, SandboxFusion's {"test": "<json cases>"}
        return bool(keys & _TEST_KEYS)
    if _is_assert_list(value):
        return True
    if isinstance(value, Sequence) and not isinstance(value, str | bytes) and value:
        return all(isinstance(v, Mapping) and set(v) >= _CASE_KEYS for v in value)
    return False


def _gold(value: Any) -> str | int | float | None:
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)


def split_reference(ground_truth: Any, tests: Any = None) -> Reference:
    """The item's reference: explicit ``tests`` win; else a recognised test shape; else a gold."""
    if tests is not None:
        return Reference(gold=None, tests=_tests(_plain(tests)))
    value = _plain(ground_truth)
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("{", "["):
            try:
                decoded = json.loads(text)
            except ValueError:
                return Reference(gold=value)
            if _is_test_shape(decoded):
                return Reference(tests=_tests(decoded))
        return Reference(gold=value)
    if _is_test_shape(value):
        return Reference(tests=_tests(value))
    return Reference(gold=_gold(value))
