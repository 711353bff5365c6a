"""The dev sets through the bwrap sandbox: reference solutions pass, broken variants fail right.

All 192 LeetCode and 20 MBPP problems run, one job per problem through the warm pool (a few
seconds); CodeContests has no solutions, so simple broken programs run against its tests.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from sandbox.backend import Sandbox
from sandbox.job import Job, Language, Limits
from sandbox.result import JobResult, Verdict
from sandbox.testsuite import adapt_tests
from tests.shared_data import SHARED_DATA

_DATA = SHARED_DATA
_LIMITS = Limits(cpu_time_s=5.0, wall_time_s=10.0)
_LOOP_LIMITS = Limits(cpu_time_s=0.5, wall_time_s=1.0)
_CPU_S_PER_ASSERT = 0.1  # one check() may hold a hundred asserts, each a call into the program


def _limits_for(test_code: str) -> Limits:
    """The dev-set limits, with CPU (and wall) time raised for a check() of many asserts."""
    extra_s = _CPU_S_PER_ASSERT * test_code.count("assert")
    assert _LIMITS.wall_time_s is not None
    return Limits(cpu_time_s=_LIMITS.cpu_time_s + extra_s, wall_time_s=_LIMITS.wall_time_s + 2 * extra_s)


def _rows(name: str) -> list[dict[str, Any]]:
    path = _DATA / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _run_all(sandbox: Sandbox, jobs: list[Job]) -> list[JobResult]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(sandbox.run, jobs))


def _leetcode_method(row: dict[str, Any]) -> str:
    return str(row["entry_point"]).rsplit(".", 1)[-1]


def _leetcode_broken(body: str) -> Callable[[dict[str, Any]], str]:
    return lambda row: (
        f"class Solution:\n    def {_leetcode_method(row)}(self, *args, **kwargs):\n        {body}\n"
    )


def _mbpp_broken(body: str) -> Callable[[dict[str, Any]], str]:
    def make(row: dict[str, Any]) -> str:
        names = [n.name for n in ast.parse(row["canonical_solution"]).body if isinstance(n, ast.FunctionDef)]
        overrides = "".join(f"\ndef {name}(*args, **kwargs):\n    {body}\n" for name in names)
        return row["canonical_solution"] + "\n" + overrides

    return make


def test_leetcode_reference_solutions_pass(sandbox_backend: Sandbox) -> None:
    rows = _rows("code_leetcode_dev.jsonl")
    jobs = [
        Job(Language.PYTHON, row["completion"], adapt_tests(row), _limits_for(row["test"])) for row in rows
    ]
    results = _run_all(sandbox_backend, jobs)
    failed = [
        (row["task_id"], r.status, r.tests[0].stderr[-300:])
        for row, r in zip(rows, results, strict=True)
        if r.status is not Verdict.ACCEPTED
    ]
    assert not failed
    assert len(results) == 192


@pytest.mark.parametrize(
    ("make_source", "verdict", "limits", "sample"),
    [
        (_leetcode_broken("return -123456789"), Verdict.WRONG_ANSWER, _LIMITS, 192),
        (_leetcode_broken("raise ValueError('broken')"), Verdict.RUNTIME_ERROR, _LIMITS, 192),
        (_leetcode_broken("while True:\n            pass"), Verdict.TIME_LIMIT, _LOOP_LIMITS, 4),
    ],
    ids=["wrong-constant", "raise", "infinite-loop"],
)
def test_leetcode_broken_variants_fail(
    sandbox_backend: Sandbox,
    make_source: Callable[[dict[str, Any]], str],
    verdict: Verdict,
    limits: Limits,
    sample: int,
) -> None:
    rows = _rows("code_leetcode_dev.jsonl")[:sample]
    jobs = [Job(Language.PYTHON, make_source(row), adapt_tests(row), limits) for row in rows]
    statuses = {
        row["task_id"]: r.status for row, r in zip(rows, _run_all(sandbox_backend, jobs), strict=True)
    }
    assert set(statuses.values()) == {verdict}, {k: v for k, v in statuses.items() if v is not verdict}


def test_mbpp_reference_solutions_pass(sandbox_backend: Sandbox) -> None:
    rows = _rows("code_mbpp_dev.jsonl")
    jobs = [Job(Language.PYTHON, row["canonical_solution"], adapt_tests(row), _LIMITS) for row in rows]
    results = _run_all(sandbox_backend, jobs)
    assert [r.status for r in results] == [Verdict.ACCEPTED] * 20, [
        (row["id"], r.tests) for row, r in zip(rows, results, strict=True) if r.status is not Verdict.ACCEPTED
    ]
    assert sum(r.passed for r in results) == sum(len(row["test_list"]) for row in rows)


@pytest.mark.parametrize(
    ("make_source", "verdict", "limits"),
    [
        (_mbpp_broken("return -123456789"), Verdict.WRONG_ANSWER, _LIMITS),
        (_mbpp_broken("raise ValueError('broken')"), Verdict.RUNTIME_ERROR, _LIMITS),
        (_mbpp_broken("while True:\n        pass"), Verdict.TIME_LIMIT, _LOOP_LIMITS),
    ],
    ids=["wrong-constant", "raise", "infinite-loop"],
)
def test_mbpp_broken_variants_fail(
    sandbox_backend: Sandbox, make_source: Callable[[dict[str, Any]], str], verdict: Verdict, limits: Limits
) -> None:
    rows = _rows("code_mbpp_dev.jsonl")
    if verdict is Verdict.TIME_LIMIT:
        rows = rows[:3]
    jobs = [
        Job(Language.PYTHON, make_source(row), adapt_tests(row), limits, stop_on_first_failure=True)
        for row in rows
    ]
    statuses = {row["id"]: r.status for row, r in zip(rows, _run_all(sandbox_backend, jobs), strict=True)}
    assert set(statuses.values()) == {verdict}, statuses


@pytest.mark.parametrize(
    ("source", "verdict"),
    [
        ("print('definitely not the answer')\n", Verdict.WRONG_ANSWER),
        ("import sys\nsys.stdin.read()\nraise SystemExit(1)\n", Verdict.RUNTIME_ERROR),
        ("print(undefined_name)\n", Verdict.RUNTIME_ERROR),
    ],
)
def test_code_contests_broken_programs_fail(sandbox_backend: Sandbox, source: str, verdict: Verdict) -> None:
    rows = _rows("code_contests_dev.jsonl")
    jobs = [
        Job(Language.PYTHON, source, adapt_tests(row), _LIMITS, stop_on_first_failure=True) for row in rows
    ]
    results = _run_all(sandbox_backend, jobs)
    assert {r.status for r in results} == {verdict}
    assert all(
        len(r.tests) == 1 and r.total == len(json.loads(row["test"]))
        for row, r in zip(rows, results, strict=True)
    )


def test_code_contests_every_test_is_judged(sandbox_backend: Sandbox) -> None:
    """A whole problem without stopping: every one of its tests gets its own verdict."""
    row = _rows("code_contests_dev.jsonl")[0]
    tests = adapt_tests(row)
    result = sandbox_backend.run(
        Job(
            Language.PYTHON,
            "import sys\nsys.stdout.write(" + repr(tests[0].expected_stdout) + ")\n",
            tests,
            _LIMITS,
        )
    )
    assert len(result.tests) == len(tests) == result.total
    expected = [
        Verdict.ACCEPTED
        if t.expected_stdout.split() == tests[0].expected_stdout.split()
        else Verdict.WRONG_ANSWER
        for t in tests
    ]
    assert [t.status for t in result.tests] == expected
