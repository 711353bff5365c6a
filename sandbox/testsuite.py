"""Adapters from the test shapes datasets use, unchanged, to ``TestCase`` tuples.

Why accept the shapes as they are: users send rows straight from APPS, CodeContests, open-r1,
SandboxFusion, LiveCodeBench, HumanEval, MBPP and LeetCodeDataset; converting them by hand is where
tests get silently dropped. An unknown shape is a ``ValueError``, never an empty test list.

Shapes:
- stdin/stdout: ``{"inputs": [...], "outputs": [...]}`` (APPS, CodeContests), ``[{"input",
  "output"}]`` (open-r1 ``test_cases``) and its ``{"language", "test_cases"}`` wrapper,
  ``[{"input": {"stdin"}, "output": {"stdout"}}]`` (SandboxFusion code_contests); JSON strings of
  any of these are decoded first.
- function call: ``{"fn_name", "inputs", "outputs"}``: APPS gives each input as a list of
  arguments (and may wrap the return value in a one-element list: both are accepted, as APPS's
  own judge does), LiveCodeBench as newline-separated JSON strings. ``fn_name`` is a restricted
  dotted name (``f``, ``Solution().twoSum``; ``sandbox.inside.parse_entry_point``), never evaluated
  as an expression: anything else is a ``ValueError``.
- asserts: ``{"test", "entry_point"}`` (HumanEval: ``check(candidate)``; LeetCodeDataset adds its
  import preamble as ``prompt``), ``{"test_list", "test_setup_code"}`` (MBPP; one test per assert).
  The test code runs in a trusted harness apart from the program (``sandbox.inside.harness``); the
  prelude (``prompt``, ``test_setup_code``) runs on both sides, and the entry point's first name
  is always the program's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sandbox.inside import parse_entry_point
from sandbox.job import TestCase, TestKind

__all__ = ["adapt_tests"]


def _text(value: Any, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value) + ("\n" if value else "")
    raise ValueError(f"{what} must be a string, got {type(value).__name__}")


def _stdio_pairs(inputs: Sequence[Any], outputs: Sequence[Any]) -> tuple[TestCase, ...]:
    if len(inputs) != len(outputs):
        raise ValueError(f"{len(inputs)} inputs but {len(outputs)} outputs")
    return tuple(
        TestCase(kind=TestKind.STDIO, stdin=_text(i, "input"), expected_stdout=_text(o, "output"))
        for i, o in zip(inputs, outputs, strict=True)
    )


def _call_args(raw: Any) -> str:
    if isinstance(raw, str):  # LiveCodeBench: one JSON value per line
        return json.dumps([json.loads(line) for line in raw.split("\n") if line.strip()])
    if isinstance(raw, list):
        return json.dumps(raw)
    if isinstance(raw, dict):  # keyword arguments
        return json.dumps(raw)
    raise ValueError(f"function-call input must be a list or a JSON string, got {type(raw).__name__}")


def _call_expected(raw: Any) -> str:
    if isinstance(raw, str):
        try:
            return json.dumps(json.loads(raw))
        except ValueError:
            return json.dumps(raw)  # a plain string return value
    return json.dumps(raw)


def _entry_point(raw: Any) -> str:
    """A restricted dotted name (ValueError otherwise): a name is a name, not an expression."""
    text = str(raw).strip()
    parse_entry_point(text)
    return text


def _function_calls(shape: Mapping[str, Any]) -> tuple[TestCase, ...]:
    entry_point = _entry_point(shape["fn_name"])
    inputs, outputs = list(shape["inputs"]), list(shape["outputs"])
    if len(inputs) != len(outputs):
        raise ValueError(f"{len(inputs)} inputs but {len(outputs)} outputs")
    return tuple(
        TestCase(
            kind=TestKind.CALL,
            entry_point=entry_point,
            args_json=_call_args(i),
            expected_json=_call_expected(o),
            expected_json_alternatives=_apps_unwrapped(i, o),
        )
        for i, o in zip(inputs, outputs, strict=True)
    )


def _apps_unwrapped(raw_input: Any, raw_output: Any) -> tuple[str, ...]:
    """APPS stores a call's return value wrapped in a one-element list; its judge accepts both."""
    if isinstance(raw_input, list) and isinstance(raw_output, list) and len(raw_output) == 1:
        return (json.dumps(raw_output[0]),)
    return ()


def _check_function(shape: Mapping[str, Any]) -> tuple[TestCase, ...]:
    entry_point = _entry_point(shape["entry_point"])
    code = f"{shape['test']}\ncheck({entry_point})\n"
    prelude = str(shape.get("prompt") or "")
    return (TestCase(kind=TestKind.ASSERT, code=code, prelude=prelude, entry_point=entry_point),)


def _assert_list(shape: Mapping[str, Any]) -> tuple[TestCase, ...]:
    setup = shape.get("test_setup_code")
    labels = shape.get("labels")
    if setup is None and isinstance(labels, Mapping):
        setup = labels.get("test_setup_code")
    asserts = shape["test_list"]
    if not isinstance(asserts, list) or not all(isinstance(a, str) for a in asserts):
        raise ValueError("test_list must be a list of assert strings")
    return tuple(TestCase(kind=TestKind.ASSERT, code=a, prelude=str(setup or "")) for a in asserts)


def _from_list(items: Sequence[Any]) -> tuple[TestCase, ...]:
    tests = []
    for item in items:
        if not isinstance(item, Mapping) or "input" not in item or "output" not in item:
            raise ValueError("a test list must hold {'input', 'output'} objects")
        stdin, stdout = item["input"], item["output"]
        if isinstance(stdin, Mapping):  # SandboxFusion: {"stdin": ...} / {"stdout": ...}
            stdin = stdin.get("stdin", "")
        if isinstance(stdout, Mapping):
            stdout = stdout.get("stdout", "")
        tests.append(
            TestCase(
                kind=TestKind.STDIO, stdin=_text(stdin, "input"), expected_stdout=_text(stdout, "output")
            )
        )
    return tuple(tests)


def adapt_tests(tests: Any) -> tuple[TestCase, ...]:
    """The tests of one problem, in any supported shape, as test cases (ValueError otherwise)."""
    if isinstance(tests, (str, bytes)):
        try:
            tests = json.loads(tests)
        except ValueError as exc:
            raise ValueError(f"tests are a string but not JSON: {exc}") from exc
    if isinstance(tests, TestCase):
        return (tests,)
    if isinstance(tests, Mapping):
        if "test_cases" in tests:
            return adapt_tests(tests["test_cases"])
        if tests.get("fn_name"):
            return _function_calls(tests)
        if "inputs" in tests and "outputs" in tests:
            return _stdio_pairs(list(tests["inputs"]), list(tests["outputs"]))
        if "test_list" in tests:
            return _assert_list(tests)
        if "test" in tests and tests.get("entry_point"):
            return _check_function(tests)
        if "test" in tests:  # SandboxFusion code_contests rows: a JSON string of cases
            return adapt_tests(tests["test"])
        if "input_output" in tests:  # APPS rows keep their tests as a JSON string here
            return adapt_tests(tests["input_output"])
        raise ValueError(f"unknown test shape with keys {sorted(tests)[:10]}")
    if isinstance(tests, Sequence):
        if all(isinstance(t, TestCase) for t in tests):
            return tuple(tests)
        return _from_list(tests)
    raise ValueError(f"unknown test shape {type(tests).__name__}")
