import json

import pytest

from sandbox.inside import parse_entry_point
from sandbox.job import TestCase, TestKind
from sandbox.testsuite import adapt_tests
from tests.shared_data import SHARED_DATA

_DATA = SHARED_DATA


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        (
            {"inputs": ["1 2\n", "3 4\n"], "outputs": ["3\n", "7\n"]},
            [TestCase(stdin="1 2\n", expected_stdout="3\n"), TestCase(stdin="3 4\n", expected_stdout="7\n")],
        ),
        (
            [{"input": "1\n", "output": "2\n"}],
            [TestCase(stdin="1\n", expected_stdout="2\n")],
        ),
        (
            {"language": "python", "test_cases": [{"input": "1\n", "output": "2\n", "type": "stdin_stdout"}]},
            [TestCase(stdin="1\n", expected_stdout="2\n")],
        ),
        (
            json.dumps([{"input": {"stdin": "5\n"}, "output": {"stdout": "25\n"}}]),
            [TestCase(stdin="5\n", expected_stdout="25\n")],
        ),
        (
            {"inputs": [["a", "b"]], "outputs": [["c"]]},  # lines as lists of strings
            [TestCase(stdin="a\nb\n", expected_stdout="c\n")],
        ),
        (
            {"fn_name": "add", "inputs": [[1, 2], [3, 4]], "outputs": [3, 7]},
            [
                TestCase(kind=TestKind.CALL, entry_point="add", args_json="[1, 2]", expected_json="3"),
                TestCase(kind=TestKind.CALL, entry_point="add", args_json="[3, 4]", expected_json="7"),
            ],
        ),
        (
            {"fn_name": "add", "inputs": [[1, 2]], "outputs": [[3]]},  # APPS wraps return values
            [
                TestCase(
                    kind=TestKind.CALL,
                    entry_point="add",
                    args_json="[1, 2]",
                    expected_json="[3]",
                    expected_json_alternatives=("3",),
                )
            ],
        ),
        (
            {"fn_name": "Solution().twoSum", "inputs": ["[2, 7]\n9"], "outputs": ["[0, 1]"]},  # LiveCodeBench
            [
                TestCase(
                    kind=TestKind.CALL,
                    entry_point="Solution().twoSum",
                    args_json="[[2, 7], 9]",
                    expected_json="[0, 1]",
                )
            ],
        ),
        (
            {"test": "def check(candidate):\n    assert candidate(1) == 2\n", "entry_point": "inc"},
            [
                TestCase(
                    kind=TestKind.ASSERT,
                    code="def check(candidate):\n    assert candidate(1) == 2\n\ncheck(inc)\n",
                    entry_point="inc",
                )
            ],
        ),
        (
            {"prompt": "import math\n", "test": "def check(c): assert c()\n", "entry_point": "Solution().f"},
            [
                TestCase(
                    kind=TestKind.ASSERT,
                    code="def check(c): assert c()\n\ncheck(Solution().f)\n",
                    prelude="import math\n",
                    entry_point="Solution().f",
                )
            ],
        ),
        (
            {"test_list": ["assert f(1) == 1", "assert f(2) == 4"], "test_setup_code": "import re"},
            [
                TestCase(kind=TestKind.ASSERT, code="assert f(1) == 1", prelude="import re"),
                TestCase(kind=TestKind.ASSERT, code="assert f(2) == 4", prelude="import re"),
            ],
        ),
    ],
)
def test_adapt_tests(shape: object, expected: list[TestCase]) -> None:
    assert list(adapt_tests(shape)) == expected


@pytest.mark.parametrize(
    "shape",
    [
        "not json",
        {"inputs": ["1"], "outputs": []},
        {"unknown": 1},
        [{"input": "1"}],
        42,
        {"fn_name": "f", "inputs": [1], "outputs": [1, 2]},
    ],
)
def test_adapt_tests_rejects_unknown_shapes(shape: object) -> None:
    with pytest.raises(ValueError):
        adapt_tests(shape)


@pytest.mark.parametrize(
    "name",
    [
        "__import__('os').system('id')",
        "(lambda: 1)()",
        "f.__globals__",
        "Solution().__class__",
        "Solution(1).f",
        "f[0]",
        "f()()",
        "a..b",
        "",
        "import",
        "x" * 300,
        "f; g",
        "Solution().f(1)",
    ],
)
@pytest.mark.parametrize("field", ["fn_name", "entry_point"])
def test_entry_point_must_be_a_dotted_name(name: str, field: str) -> None:
    """A test's entry point is parsed as a name, never evaluated as an expression."""
    shape: dict[str, object] = {field: name, "inputs": [[1]], "outputs": [1]}
    if field == "entry_point":
        shape = {"test": "def check(c):\n    assert c(1) == 1\n", "entry_point": name}
    with pytest.raises(ValueError):
        adapt_tests(shape)


@pytest.mark.parametrize(
    ("name", "steps"),
    [
        ("add", (("add", False),)),
        ("Solution().twoSum", (("Solution", True), ("twoSum", False))),
        ("mod.f", (("mod", False), ("f", False))),
        (" Solution().maxProfit ", (("Solution", True), ("maxProfit", False))),
    ],
)
def test_entry_point_forms(name: str, steps: tuple[tuple[str, bool], ...]) -> None:
    assert parse_entry_point(name) == steps


@pytest.mark.parametrize(
    ("name", "rows", "kind"),
    [
        ("code_leetcode_dev.jsonl", 192, TestKind.ASSERT),
        ("code_mbpp_dev.jsonl", 20, TestKind.ASSERT),
        ("code_contests_dev.jsonl", 20, TestKind.STDIO),
    ],
)
def test_dev_sets_parse(name: str, rows: int, kind: TestKind) -> None:
    path = _DATA / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) == rows
    for row in lines:
        tests = adapt_tests(row)
        assert tests, row.get("id", row.get("task_id"))
        assert {t.kind for t in tests} == {kind}
        if kind is TestKind.STDIO:
            assert len(tests) == len(json.loads(row["test"]))
