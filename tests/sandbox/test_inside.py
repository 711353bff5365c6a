"""The in-sandbox package (``sandbox/inside``): stdlib only, the codec's tables, the harness's rules.

The harness is exercised here without a sandbox: it is forked from the test process and talks
to ``program_server`` running in a thread, exactly as the runner wires them (a socket pair for
the channel, the test code read raw from a pipe).
"""

from __future__ import annotations

import ast
import collections
import contextlib
import decimal
import fractions
import json
import math
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from sandbox.inside import codec, harness, program_server
from sandbox.inside.entry_point import EntryPointError, resolve_entry_point
from sandbox.job import Limits

_INSIDE = Path(__file__).resolve().parents[2] / "sandbox" / "inside"


def test_inside_imports_only_the_standard_library() -> None:
    files = sorted(_INSIDE.glob("*.py"))
    assert len(files) >= 5
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [str(node.module)]
            else:
                continue
            for name in names:  # ``inside``: the folder itself, as the runner imports it in the sandbox
                assert name.split(".")[0] in (*sys.stdlib_module_names, "inside"), (path.name, name)


def test_inside_covers_the_whole_in_sandbox_code() -> None:
    """One folder: the runner and containment are in it, and every file of it reaches the sandbox."""
    from sandbox.runner_client import RUNNER_FILES

    names = {path.name for path in _INSIDE.glob("*.py")}
    assert {"runner.py", "child_process.py", "harness.py", "workspace.py"} <= names
    assert {path.resolve() for path in RUNNER_FILES} == {path.resolve() for path in _INSIDE.glob("*.py")}
    assert not (_INSIDE.parent / "runner.py").exists() and not (_INSIDE.parent / "child_process.py").exists()


def test_inside_loads_only_the_standard_library_at_run_time() -> None:
    """Imported the way the runner imports itself in the sandbox (``-I``, a script whose folder's
    parent is on the path): every module of the folder, and nothing outside the stdlib."""
    modules = sorted(f"inside.{path.stem}" for path in _INSIDE.glob("*.py") if path.stem != "__init__")
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); before = set(sys.modules)\n"
        f"import {', '.join(modules)}\n"
        "print('\\n'.join(sorted(set(sys.modules) - before)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", script, str(_INSIDE.parent)], capture_output=True, text=True, check=True
    )
    loaded = done.stdout.split()
    assert "inside.harness" in loaded
    foreign = [
        m for m in loaded if m.split(".")[0] not in sys.stdlib_module_names and m.split(".")[0] != "inside"
    ]
    assert not foreign


class ListNode:
    def __init__(self, val: int = 0, next: ListNode | None = None) -> None:
        self.val = val
        self.next = next


class _Pair(NamedTuple):
    a: int
    b: int


def _round_trip(value: object) -> object:
    data = codec.encode(value, classes={"ListNode"})
    return codec.decode(json.loads(json.dumps(data)), classes={"ListNode": ListNode}, handle=lambda n: n)


def _same(left: object, right: object) -> bool:
    """Equal and of the same types all the way down (``1 == 1.0 == True`` is not enough)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, float) and math.isnan(left):
        return math.isnan(right)  # type: ignore[arg-type]
    if isinstance(left, (list, tuple, collections.deque)):
        assert isinstance(right, (list, tuple, collections.deque))  # the same type, checked above
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(_same(v, right[k]) for k, v in left.items())  # type: ignore[index, attr-defined]
    return bool(left == right)


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        -5,
        2**200,
        10**5000,
        -(2**53),
        1.5,
        -0.0,
        float("inf"),
        float("nan"),
        "text",
        "\udcff surrogate",
        b"\x00\xff",
        bytearray(b"ab"),
        3 + 4j,
        decimal.Decimal("1.10"),
        fractions.Fraction(1, 3),
        [1, [2, [3]]],
        (1, (2.0, "x")),
        (),
        {1: "a", (1, 2): [3], "k": None},
        {1, 2, (3, 4)},
        frozenset({1, "a"}),
        collections.deque([1, 2]),
        [True, 1, 1.0],
    ],
    ids=lambda v: type(v).__name__,
)
def test_codec_round_trips_plain_values(value: object) -> None:
    assert _same(_round_trip(value), value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (type("S", (str,), {"__eq__": lambda s, o: True, "__hash__": str.__hash__})("x"), "x"),
        (type("I", (int,), {"__eq__": lambda s, o: True, "__hash__": int.__hash__})(7), 7),
        (collections.Counter("aab"), {"a": 2, "b": 1}),
        (collections.OrderedDict(a=1), {"a": 1}),
        (_Pair(1, 2), (1, 2)),
    ],
    ids=["str-subclass", "int-subclass", "counter", "ordered-dict", "namedtuple"],
)
def test_codec_reads_subclasses_as_their_base_values(value: object, expected: object) -> None:
    assert _same(_round_trip(value), expected)


def test_codec_keeps_sharing_and_cycles() -> None:
    shared = [1]
    result = _round_trip([shared, shared])
    assert isinstance(result, list) and result[0] is result[1]
    cyclic: list[Any] = [1]
    cyclic.append(cyclic)
    back = _round_trip(cyclic)
    assert isinstance(back, list) and back[1] is back
    holder: list[Any] = []
    through_tuple = (holder,)
    holder.append(through_tuple)
    again = _round_trip(through_tuple)
    assert isinstance(again, tuple) and again[0][0] is again


def test_codec_moves_long_linked_lists_without_recursion() -> None:
    head = None
    for value in range(100_000):
        head = ListNode(value, head)
    back = _round_trip(head)
    count = 0
    while back is not None:
        assert type(back) is ListNode
        back, count = back.next, count + 1
    assert count == 100_000
    ring = ListNode(1)
    ring.next = ListNode(2, ring)
    ring_back = _round_trip(ring)
    assert ring_back.next.next is ring_back  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"nodes": []},
        {"root": [0], "nodes": []},
        {"root": [0], "nodes": [["t", [[1]]], ["t", []]]},  # an immutable may not point forward
        {"root": [0], "nodes": [["t", [[0]]]]},  # nor at itself
        {"root": [0], "nodes": [["x", []]]},
        {"root": [0], "nodes": [["o", "Evil", []]]},
        {"root": [0], "nodes": [["o", "ListNode", [["__class__", 1]]]]},
        {"root": [0], "nodes": [["o", "ListNode", [["val"]]]]},
        {"root": [0], "nodes": [["h", "0"]]},
        {"root": [0], "nodes": [["h", -1]]},
        {"root": [0], "nodes": [["S", [[1]]], ["l", []]]},  # a list in a set
        {"root": [0], "nodes": [["d", [[[1], 2]]], ["l", []]]},  # a list as a key
        {"root": [0], "nodes": [["b", "zz"]]},
        {"root": [0], "nodes": [[]]},
        {"root": [0], "nodes": ["l"]},
        {"root": [True], "nodes": [["l", []]]},
        {"root": {"a": 1}, "nodes": []},
        {"root": [0], "nodes": [["Q", "1", "0"]]},
        {"root": [0], "nodes": [["I", "12_3"]]},
        {"root": [0], "nodes": [["I", ""]]},
    ],
)
def test_codec_rejects_malformed_data(data: object) -> None:
    def handle(number: int) -> object:
        if number < 0:
            raise codec.CodecError("bad handle")
        return number

    with pytest.raises(codec.CodecError):
        codec.decode(data, classes={"ListNode": ListNode}, handle=handle)


def test_codec_without_handles_refuses_objects() -> None:
    with pytest.raises(codec.CodecError):
        codec.encode(lambda: 1, classes=set())
    with pytest.raises(codec.CodecError):
        codec.encode(_nested(1000), classes=set())


def _nested(depth: int) -> tuple[Any, ...]:
    value: tuple[Any, ...] = ()
    for _ in range(depth):
        value = (value,)
    return value


@pytest.mark.parametrize(
    ("entry", "expected"),
    [("f", 1), ("Solution().g", 2), ("Solution.h", 3)],
)
def test_entry_points_resolve_without_eval(entry: str, expected: int) -> None:
    class Solution:
        def g(self) -> int:
            return 2

        h = 3

    namespace = {"f": 1, "Solution": Solution}
    resolved = resolve_entry_point(entry, namespace)
    assert (resolved() if callable(resolved) else resolved) == expected


@pytest.mark.parametrize("entry", ["__import__('os')", "f.__globals__", "missing"])
def test_bad_entry_points_raise(entry: str) -> None:
    with pytest.raises((EntryPointError, NameError)):
        resolve_entry_point(entry, {"f": 1})


def _judge(
    program: str, code: str, *, prelude: str = "", entry_point: str = "", cpu_time_s: float = 10
) -> dict[str, Any]:
    """Run the harness (forked, as the runner does) against ``program`` served from a thread."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec(compile(prelude + "\n" + program, "solution.py", "exec"), namespace)
    ours, theirs = socket.socketpair()
    code_read, code_write = os.pipe()
    payload = json.dumps({"code": code, "prelude": prelude, "entry_point": entry_point}).encode()
    limits = Limits(cpu_time_s=cpu_time_s, harness_memory_mb=8192).payload()
    started = harness.start(ours.fileno(), code_read, len(payload), limits)
    ours.close()
    os.close(code_read)
    os.write(code_write, payload)
    os.close(code_write)
    assert started.wait_ready(30)

    def serve() -> None:
        with contextlib.suppress(BaseException):
            program_server.serve(namespace, theirs.fileno())
        theirs.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    thread.join(30)
    verdict = started.collect()
    assert verdict is not None
    return verdict


_LIST_PRELUDE = (
    "class ListNode:\n    def __init__(self, val=0, next=None):\n        self.val, self.next = val, next\n"
)


@pytest.mark.parametrize(
    ("program", "code", "prelude", "entry_point", "status"),
    [
        ("def f():\n    return (1, [2])\n", "assert f() == (1, [2])\nassert f() != [1, [2]]", "", "", "passed"),
        ("def f():\n    return [1]\n", "assert f() == (1,)", "", "", "failed"),
        ("def f():\n    return 1.0\n", "assert f() == 1 and type(f()) is float", "", "", "passed"),
        ("def f():\n    return True\n", "assert f() is True", "", "", "passed"),
        ("import collections\ndef f():\n    return collections.deque([1])\n", "assert f() == deque([1])",
         "from collections import deque", "", "passed"),
        ("def f(n):\n    yield from range(n)\n", "assert list(f(3)) == [0, 1, 2]", "", "", "passed"),
        ("def f(n):\n    yield from range(n)\n", "assert list(f(200000)) == list(range(200000))", "", "", "passed"),
        ("import itertools\ndef f():\n    return itertools.count()\n",
         "import itertools\nassert list(itertools.islice(f(), 5)) == [0, 1, 2, 3, 4]", "", "", "passed"),
        ("def f():\n    yield 1\n    yield 2\n    raise KeyError('late')\n",
         "it = f()\nassert next(it) == 1 and next(it) == 2\ntry:\n    next(it)\nexcept KeyError:\n    pass\n"
         "else:\n    assert False", "", "", "passed"),
        ("def f(n):\n    return lambda x: x + n\n", "assert f(1)(2) == 3", "", "", "passed"),
        ("def f():\n    return f\n", "assert f()", "", "", "error"),  # a handle has no truth value
        ("def f():\n    raise ValueError('no')\n",
         "try:\n    f()\n    assert False\nexcept ValueError:\n    pass", "", "", "passed"),
        ("def f():\n    raise StopIteration\n", "assert list(map(lambda x: f(), [1])) == []", "", "", "error"),
        ("class Solution:\n    def rev(self, head):\n        prev = None\n        while head:\n"
         "            head.next, prev, head = prev, head, head.next\n        return prev\n",
         "def check(candidate):\n    r = candidate(head=ListNode(1, ListNode(2)))\n"
         "    assert type(r) is ListNode and (r.val, r.next.val, r.next.next) == (2, 1, None)\n"
         "check(Solution().rev)", _LIST_PRELUDE, "Solution().rev", "passed"),
        ("def helper(x):\n    return True\ndef f(x):\n    return 0\n", "assert helper(f(1))",
         "def helper(x):\n    return x == 1\n", "", "failed"),  # the prelude's helper, not the program's
        ("def f():\n    return 0\n", "assert f() == 1", 'def f():\n    """stub"""\n', "f", "failed"),
        ("def f(a, d):\n    a.sort()\n    d['k'] = 1\n", "a, d = [3, 1, 2], {}\nf(a, d=d)\nassert a == [1, 2, 3] and d == {'k': 1}",
         "", "", "passed"),  # in-place changes to arguments come back
        ("class Solution:\n    def rev(self, head):\n        head.val, head.next.val = head.next.val, head.val\n",
         "h = ListNode(1, ListNode(2))\nSolution().rev(h)\nassert (h.val, h.next.val) == (2, 1)", _LIST_PRELUDE,
         "Solution().rev", "passed"),
        ("def f(a):\n    a.append(4)\n    return a\n", "a = [1]\nassert f(a) == [1, 4] and a == [1, 4]", "", "", "passed"),
        ("def f(g):\n    return 1\n", "try:\n    f(lambda: 1)\nexcept Exception:\n    pass", "", "", "error"),
        ("def f():\n    return 1\n", "assert f() == 1", 'def f():\n    """stub"""\n', "f", "passed"),
        ("class M:\n    def isclose(*a, **k):\n        return True\nmath = M()\ndef f():\n    return 5\n",
         "assert math.isclose(f(), 1.0)", "", "", "failed"),  # the stdlib's math, not the program's
    ],
)  # fmt: skip
def test_harness_semantics(program: str, code: str, prelude: str, entry_point: str, status: str) -> None:
    verdict = _judge(program, code, prelude=prelude, entry_point=entry_point)
    assert verdict["status"] == status, verdict


def test_harness_over_its_cpu_limit_says_time_limit() -> None:
    verdict = _judge("def f():\n    return 1\n", "assert f() == 1\nwhile True:\n    pass", cpu_time_s=1)
    assert verdict["status"] == "time_limit", verdict
