"""Telling a math gold from code tests in ``ground_truth``: test shapes become tests, anything
else (numbers, lists of numbers, LaTeX, malformed JSON) stays a math gold."""

from __future__ import annotations

import json
from typing import Any

import pytest

from trainer_client.ground_truth import Reference, split_reference

_IO = {"inputs": ["1\n"], "outputs": ["2\n"]}
_FN = {"fn_name": "f", "inputs": [[1]], "outputs": [2]}
_ASSERTS = ["assert f(1) == 2", "  assert f(2) == 3"]
_CASES = [{"input": "1", "output": "2"}]
_HUMANEVAL = {"test": "def check(f): assert f(1) == 2", "entry_point": "f"}

SPLITS = [
    # math golds, as given
    ("72", Reference(gold="72")),
    (72, Reference(gold=72)),
    (0.5, Reference(gold=0.5)),
    (None, Reference(gold=None)),
    (r"\frac12", Reference(gold=r"\frac12")),
    ("[1, 2]", Reference(gold="[1, 2]")),  # a JSON list of numbers is an answer, not tests
    ("{1, 2}", Reference(gold="{1, 2}")),  # a set in braces, and not JSON
    ('{"answer": 3}', Reference(gold='{"answer": 3}')),  # JSON, but no test keys
    ([1, 2], Reference(gold="[1, 2]")),  # a non-scalar gold travels as its text
    # test shapes, as JSON text or as objects
    (json.dumps(_IO), Reference(tests=_IO)),
    (_IO, Reference(tests=_IO)),
    (json.dumps(_FN), Reference(tests=_FN)),
    (_CASES, Reference(tests=_CASES)),
    (json.dumps(_CASES), Reference(tests=_CASES)),
    (_HUMANEVAL, Reference(tests=_HUMANEVAL)),
    ({"test": "[]"}, Reference(tests={"test": "[]"})),
    # a bare list of asserts goes in the service's MBPP shape
    (_ASSERTS, Reference(tests={"test_list": _ASSERTS})),
    (json.dumps(_ASSERTS), Reference(tests={"test_list": _ASSERTS})),
]


@pytest.mark.parametrize(("ground_truth", "reference"), SPLITS)
def test_split_reference(ground_truth: Any, reference: Reference) -> None:
    assert split_reference(ground_truth) == reference


def test_explicit_tests_win() -> None:
    assert split_reference("72", tests=_IO) == Reference(tests=_IO)
    assert split_reference(None, tests=_ASSERTS) == Reference(tests={"test_list": _ASSERTS})


class _Array:
    """What verl hands over for a non-tensor column: something with ``tolist``."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def tolist(self) -> Any:
        return self.value


def test_numpy_like_values_are_plain_python() -> None:
    assert split_reference(_Array(_CASES)) == Reference(tests=_CASES)
    assert split_reference(_Array(7)) == Reference(gold=7)
    assert split_reference(None, tests=_Array(_ASSERTS)) == Reference(tests={"test_list": _ASSERTS})


def test_an_empty_list_is_not_a_test_suite() -> None:
    assert split_reference([]) == Reference(gold="[]")
    assert split_reference("[]") == Reference(gold="[]")
