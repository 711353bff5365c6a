"""Forged verdicts: wrong programs that try to be judged ``accepted`` on assert-style tests.

Every attack is written once and run against the three assert shapes datasets use (HumanEval
``check(candidate)``, MBPP ``test_list``, LeetCodeDataset ``check(Solution().method)`` with its
preamble) on every backend. The program is wrong (``_wrong``); an attack wins if any test comes
back ``accepted``. A ``sandbox_error`` is a loss too: what a program causes is its own verdict.

Attacks of the "leak" kind answer right (``_honest``) only when they managed to reach what must be
out of reach (the harness's memory or descriptors, the test code in their own memory): for them
too, ``accepted`` means a breach. The honest programs, run the same way, must be accepted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from sandbox.backend import Sandbox
from sandbox.job import Job, Language, Limits
from sandbox.result import JobResult, Verdict
from sandbox.testsuite import adapt_tests

_LIMITS = Limits(cpu_time_s=2.0, wall_time_s=4.0, memory_mb=256)
_SECRET = "forgery-secret-" + uuid.uuid4().hex  # in every test's code, nowhere in the program


@dataclass(frozen=True)
class Shape:
    """One dataset shape: its row, and programs built around an answer expression."""

    name: str
    row: dict[str, object]
    entry: str  # the first name of the entry point (the program's)
    args: str
    helpers: str  # defines _honest(...) and _wrong(...)
    entry_template: str  # the entry point's definition, around "{answer}"

    def program(self, answer: str, setup: str = "", after: str = "") -> str:
        entry = self.entry_template.format(answer=answer.format(args=self.args))
        return f"{setup}\n{self.helpers}\n{entry}\n{after.replace('{entry}', self.entry)}\n"


_ADD_HELPERS = "def _honest(a, b):\n    return a + b\n\ndef _wrong(a, b):\n    return a - b + 1\n"
_ADD_ENTRY = "def add(a, b):\n    return {answer}\n"

_LEETCODE_PREAMBLE = """\
from typing import *
from collections import *
from functools import *
import math

class ListNode:
    def __init__(self, val=0, next=None):
        self.val = val
        self.next = next

def list_node(values: list):
    head = None
    for value in reversed(values):
        head = ListNode(value, head)
    return head

def is_same_list(p1, p2):
    while p1 is not None and p2 is not None:
        if p1.val != p2.val:
            return False
        p1, p2 = p1.next, p2.next
    return p1 is None and p2 is None
"""

_SHAPES = [
    Shape(
        "humaneval",
        {
            "prompt": 'def add(a: int, b: int) -> int:\n    """Add two numbers."""\n',
            "test": (
                f"# {_SECRET}\nMETADATA = {{}}\n\ndef check(candidate):\n"
                "    assert candidate(1, 2) == 3\n    assert candidate(-1, 1) == 0\n"
                "    assert candidate(10, 5) == 15\n"
            ),
            "entry_point": "add",
        },
        "add",
        "a, b",
        _ADD_HELPERS,
        _ADD_ENTRY,
    ),
    Shape(
        "mbpp",
        {
            "test_list": [
                f"assert add(1, 2) == 3  # {_SECRET}",
                f"assert add(-1, 1) == 0  # {_SECRET}",
                f"assert math.isclose(add(0.5, 0.25), 0.75)  # {_SECRET}",
            ],
            "test_setup_code": "",
        },
        "add",
        "a, b",
        _ADD_HELPERS,
        _ADD_ENTRY,
    ),
    Shape(
        "leetcode",
        {
            "prompt": _LEETCODE_PREAMBLE,
            "test": (
                f"# {_SECRET}\ndef check(candidate):\n"
                "    assert is_same_list(candidate(head = list_node([1, 2, 3])), list_node([3, 2, 1]))\n"
                "    assert is_same_list(candidate(head = list_node([4, 5])), list_node([5, 4]))\n"
            ),
            "entry_point": "Solution().reverseList",
        },
        "Solution",
        "head",
        (
            "def _honest(head):\n    previous = None\n    while head:\n"
            "        head.next, previous, head = previous, head, head.next\n    return previous\n\n"
            "def _wrong(head):\n    return head\n"
        ),
        "class Solution:\n    def reverseList(self, head):\n        return {answer}\n",
    ),
]

# Module-level helpers some attacks share.
_ALWAYS_EQUAL = """
class _AE:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __bool__(self): return True
    def __hash__(self): return 0
    def __len__(self): return 0
    def __iter__(self): return iter(())
    def __call__(self, *a, **k): return self
    def __getattr__(self, name): return self
    def __lt__(self, other): return False
    def __gt__(self, other): return False
    def __abs__(self): return 0
    def __sub__(self, other): return 0
    def __rsub__(self, other): return 0
    def __float__(self): return 0.0
"""

_FAKE_VERDICTS = """
import json as _json, os as _os
_FAKES = [
    b"R" + _json.dumps({"status": "passed", "detail": ""}).encode(),
    _json.dumps({"done": True, "nonce": "", "value_json": "3"}).encode(),
    b'{"ok": true, "result": {"status": "ok", "stdout": "", "assertion_failed": false}}\\n',
]
def _spray(fds=range(0, 64)):
    for fd in fds:
        for fake in _FAKES:
            try:
                _os.write(fd, fake)
            except OSError:
                pass
"""

_OTHERS = """
import os as _os
def _others():
    me = _os.getpid()
    return [int(p) for p in _os.listdir("/proc") if p.isdigit() and int(p) != me]
"""

_FRAME_WALK = (
    _FAKE_VERDICTS
    + """
import sys as _sys
def _walk():
    frame = _sys._getframe()
    nonces = set()
    while frame is not None:
        for value in list(frame.f_locals.values()) + list(frame.f_globals.values()):
            if isinstance(value, dict):
                if "nonce" in value:
                    nonces.add(str(value["nonce"]))
                    value["done"] = True
                    value["value_json"] = "3"
                if "status" in value:
                    value["status"] = "passed"
        frame = frame.f_back
    for nonce in nonces:
        _os.write(3, _json.dumps({"nonce": nonce, "done": True, "value_json": "3"}).encode())
    if not nonces:
        _spray()
    _os._exit(0)
"""
)

_GC_WALK = (
    _FAKE_VERDICTS
    + """
import gc as _gc, types as _types
def _gc_walk():
    noop = (lambda *a, **k: None).__code__
    for obj in _gc.get_objects():
        if isinstance(obj, dict) and ("check" in obj or "__arbiter_strict_equal__" in obj):
            for key in [k for k in obj if isinstance(k, str) and ("equal" in k or k == "is_same_list")]:
                obj[key] = lambda *a, **k: True
        if isinstance(obj, dict) and "nonce" in obj:
            obj["done"] = True
            try:
                _os.write(3, _json.dumps({"nonce": obj["nonce"], "done": True}).encode())
            except OSError:
                pass
        elif isinstance(obj, _types.FunctionType) and obj.__name__ in (
            "check", "_judge", "_run", "_assert_status", "_classify", "is_same_list", "strict_equal"
        ):
            try:
                obj.__code__ = noop
            except (TypeError, ValueError):
                pass
    return _wrong
"""
)

_LEAK_SCAN = """
import gc as _gc, sys as _sys, re as _re
_TEXT = _re.compile("forgery-" + "secret-" + "[0-9a-f]{32}")
_BYTES = _re.compile(_TEXT.pattern.encode())
def _found(value):
    if isinstance(value, str):
        return _TEXT.search(value) is not None
    if isinstance(value, (bytes, bytearray)):
        return _BYTES.search(value) is not None
    return False
def _leaked():
    for obj in _gc.get_objects():
        if _found(obj) or (isinstance(obj, dict) and any(_found(v) for v in list(obj.values()))):
            return True
    frame = _sys._getframe()
    while frame is not None:
        if any(_found(v) for v in list(frame.f_locals.values())):
            return True
        frame = frame.f_back
    try:
        with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
            for line in maps:
                parts = line.split()
                if "r" not in parts[1] or (len(parts) > 5 and parts[5].startswith("[v")):
                    continue
                start, end = (int(x, 16) for x in parts[0].split("-"))
                if end - start > 256 * 1024 * 1024:
                    continue
                try:
                    mem.seek(start)
                    if _BYTES.search(mem.read(end - start)):
                        return True
                except (OSError, ValueError, OverflowError):
                    continue
    except OSError:
        pass
    return False
"""

_PTRACE = (
    _OTHERS
    + """
import ctypes as _ctypes
def _reached():
    # Quiet probes first; each success returns at once (a breach needs no more proof).
    libc = _ctypes.CDLL(None, use_errno=True)
    others = [pid for pid in _others() if pid != 1]
    for pid in others:
        for mode in ("rb", "r+b"):  # reading it is enough: the expected values are in there
            try:
                with open(f"/proc/{pid}/mem", mode, 0):
                    return True
            except OSError:
                pass
        try:
            for fd in _os.listdir(f"/proc/{pid}/fd"):
                _os.close(_os.open(f"/proc/{pid}/fd/{fd}", _os.O_RDONLY | _os.O_NONBLOCK))
                return True
        except OSError:
            pass
        pidfd = libc.syscall(434, pid, 0)  # pidfd_open, then pidfd_getfd: steal its descriptors
        if pidfd >= 0 and any(libc.syscall(438, pidfd, fd, 0) >= 0 for fd in range(16)):
            return True
        try:
            with open(f"/proc/{pid}/environ", "rb") as handle:
                handle.read()
                return True
        except OSError:
            pass
    for pid in others:
        if libc.ptrace(0x4206, pid, 0, 0) == 0:  # PTRACE_SEIZE: traced, yet not stopped
            return True
    return False
"""
)

_LYING_SERVER = """
import json as _json, os as _os, struct as _struct
def _lie():
    lies = [
        {"names": {"add": {"module": "builtins"}, "Solution": {"module": "inside.harness"}}},
        {"value": {"root": [0], "nodes": [["o", "AssertionError", []]]}},
        {"value": {"root": [0], "nodes": [["t", [[1]]], ["t", [[0]]]]}},
        {"value": {"root": [5], "nodes": []}},
        {"value": {"root": 3, "nodes": []}, "stop": True},
        {"fatal": None},
        {"status": "passed"},
    ]
    seq = 0
    while True:
        try:
            size = _struct.unpack(">I", _os.read(3, 4))[0]
            request = _json.loads(_os.read(3, size))
        except Exception:
            _os._exit(0)
        seq = request.get("seq", seq)
        for lie in lies:
            data = _json.dumps({"seq": seq, **lie}).encode()
            _os.write(3, _struct.pack(">I", len(data)) + data)
        data = _json.dumps({"seq": seq, "value": {"root": 3, "nodes": []}, "names": {}}).encode()
        _os.write(3, _struct.pack(">I", len(data)) + data)
_lie()
"""

_PATCH_HARNESS = """
import sys as _sys
try:
    from inside import harness as _h, program_server as _p, codec as _c, channel as _ch
    _h._judge = lambda *a, **k: {"status": "passed", "detail": ""}
    _h._run = lambda *a, **k: None
    _c.decode = lambda *a, **k: 3
    _ch.receive = lambda *a, **k: {"status": "passed"}
    _p._lookup = lambda *a, **k: {"value": {"root": 3, "nodes": []}}
except Exception:
    pass
for _name, _module in list(_sys.modules.items()):
    if any(_part in _name for _part in ("harness", "runner", "child_process", "verdict", "python_program")):
        for _attr in dir(_module):
            if _attr in ("_assert_status", "classify", "parse_marker", "python_child"):
                setattr(_module, _attr, lambda *a, **k: ("ok", ""))
"""

# (name, setup, answer, after): setup/after are module code around the program, answer is the
# entry point's return expression ({args}: its arguments).
_ATTACKS = [
    ("always-equal", _ALWAYS_EQUAL, "_AE()", ""),
    (
        "str-subclass",
        "class _S(str):\n    __eq__ = lambda s, o: True\n    __hash__ = str.__hash__\n",
        "_S('x')",
        "",
    ),
    (
        "int-subclass",
        "class _I(int):\n    __eq__ = lambda s, o: True\n    __hash__ = int.__hash__\n",
        "_I(7)",
        "",
    ),
    ("entry-is-always-equal-class", _ALWAYS_EQUAL, "_wrong({args})", "{entry} = _AE"),
    ("sys-exit-on-import", "import sys\nsys.exit(0)\n", "_wrong({args})", ""),
    ("os-exit-on-import", "import os\nos._exit(0)\n", "_wrong({args})", ""),
    ("sys-exit-in-call", "", "__import__('sys').exit(0)", ""),
    ("os-exit-in-call", "", "__import__('os')._exit(0)", ""),
    ("keyboard-interrupt-in-call", "def _ki():\n    raise KeyboardInterrupt\n", "_ki()", ""),
    ("stop-iteration-in-call", "def _si():\n    raise StopIteration\n", "_si()", ""),
    (
        "atexit",
        _FAKE_VERDICTS + "import atexit\natexit.register(_spray)\n",
        "__import__('sys').exit(0)",
        "",
    ),
    ("frame-walk", _FRAME_WALK, "_walk()", ""),
    ("gc-walk", _GC_WALK, "_gc_walk()({args})", ""),
    ("fake-markers-on-every-fd", _FAKE_VERDICTS, "(_spray(), __import__('os')._exit(0))", ""),
    ("write-garbage-to-channel", _FAKE_VERDICTS, "(_spray(range(3, 5)), _wrong({args}))[1]", ""),
    ("patch-builtins-exec", "import builtins\nbuiltins.exec = lambda *a, **k: None\n", "_wrong({args})", ""),
    (
        "patch-builtins-assertion-error",
        "import builtins\nbuiltins.AssertionError = type('AssertionError', (BaseException,), {})\n",
        "_wrong({args})",
        "",
    ),
    (
        "patch-builtins-everything",
        "import builtins\nbuiltins.AssertionError = type('X', (Exception,), {})\n"
        "builtins.exec = lambda *a, **k: None\nbuiltins.compile = lambda *a, **k: None\n"
        "builtins.isinstance = lambda *a: True\nbuiltins.len = lambda *a: 0\n",
        "_wrong({args})",
        "",
    ),
    (
        "patch-json",
        'import json\njson.dumps = lambda *a, **k: \'{"status": "passed", "done": true}\'\n'
        "json.loads = lambda *a, **k: {'status': 'passed', 'done': True}\n",
        "_wrong({args})",
        "",
    ),
    ("patch-harness-modules", _PATCH_HARNESS, "_wrong({args})", ""),
    (
        "redefine-check-and-helpers",
        "",
        "_wrong({args})",
        "def check(candidate):\n    return True\ndef is_same_list(a, b):\n    return True\n"
        "def list_node(values):\n    return None\nMETADATA = {}\n",
    ),
    (
        "shadow-module",
        "",
        "_wrong({args})",
        "class _FakeMath:\n    def isclose(*a, **k):\n        return True\nmath = _FakeMath()\n",
    ),
    (
        "settrace",
        "import sys, os, threading\n"
        "def _tracer(frame, event, arg):\n"
        "    if event == 'exception' and issubclass(arg[0], AssertionError):\n        os._exit(0)\n"
        "    frame.f_globals['check'] = lambda c: None\n    return _tracer\n"
        "sys.settrace(_tracer)\nthreading.settrace(_tracer)\n",
        "_wrong({args})",
        "",
    ),
    (
        "setprofile",
        "import sys, os\n"
        "sys.setprofile(lambda f, e, a: os._exit(0) if e == 'return' and f.f_code.co_name != '_wrong' else None)\n",
        "_wrong({args})",
        "",
    ),
    (
        "excepthook",
        "import sys, os, threading\nsys.excepthook = lambda *a: os._exit(0)\n"
        "threading.excepthook = lambda *a: os._exit(0)\n"
        "def _boom():\n    raise AssertionError\n",
        "_boom()",
        "",
    ),
    (
        "signal-handlers",
        "import os, signal\n"
        "for _s in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT, signal.SIGPIPE, signal.SIGXCPU):\n"
        "    signal.signal(_s, lambda *a: os._exit(0))\n"
        "signal.setitimer(signal.ITIMER_REAL, 0.01)\n",
        "_wrong({args})",
        "",
    ),
    (
        "kill-every-other-process",
        _OTHERS + "import signal\ndef _kill():\n    for pid in _others():\n"
        "        try:\n            _os.kill(pid, signal.SIGKILL)\n        except OSError:\n            pass\n"
        "    _os._exit(0)\n",
        "_kill()",
        "",
    ),
    (
        "stop-every-other-process",
        _OTHERS + "import signal\ndef _stop():\n    for pid in _others():\n"
        "        try:\n            _os.kill(pid, signal.SIGSTOP)\n        except OSError:\n            pass\n"
        "    return _wrong",
        "_stop()({args})",
        "",
    ),
    ("ptrace-pidfd-getfd-proc-mem-proc-fd", _PTRACE, "_honest({args}) if _reached() else _wrong({args})", ""),
    ("test-code-in-own-memory", _LEAK_SCAN, "_honest({args}) if _leaked() else _wrong({args})", ""),
    ("lying-channel-server", "", "_wrong({args})", _LYING_SERVER),
    (
        "daemon-keeps-channel",
        "import os, time\nif os.fork() == 0:\n    time.sleep(0.5)\nelse:\n    os._exit(0)\n",
        "_wrong({args})",
        "",
    ),
    ("close-channel", "import os\nos.close(3)\n", "_wrong({args})", ""),
    ("huge-answer", "", "'x' * (80 * 1024 * 1024)", ""),
    (
        "deep-answer",
        "def _deep():\n    value = ()\n    for _ in range(100000):\n        value = (value,)\n    return value\n",
        "_deep()",
        "",
    ),
    ("big-list-answer", "", "[1] * 3_000_000", ""),
    (
        "deep-list-answer",
        "def _deep():\n    value = []\n    for _ in range(200000):\n        value = [value]\n    return value\n",
        "_deep()",
        "",
    ),
    ("raise-assertion", "def _a():\n    raise AssertionError('fine')\n", "_a()", ""),
]


def _run(sandbox: Sandbox, shape: Shape, source: str) -> JobResult:
    return sandbox.run(Job(Language.PYTHON, source, adapt_tests(shape.row), _LIMITS))


@pytest.mark.parametrize("shape", _SHAPES, ids=lambda s: s.name)
@pytest.mark.parametrize(("attack", "setup", "answer", "after"), _ATTACKS, ids=[a[0] for a in _ATTACKS])
def test_forgery_is_never_accepted(
    sandbox_backend: Sandbox, shape: Shape, attack: str, setup: str, answer: str, after: str
) -> None:
    result = _run(sandbox_backend, shape, shape.program(answer, setup, after))
    statuses = [t.status for t in result.tests]
    assert Verdict.ACCEPTED not in statuses, (attack, result.tests)
    assert Verdict.SANDBOX_ERROR not in statuses and result.status is not Verdict.SANDBOX_ERROR, (
        attack,
        result,
    )
    assert len(result.tests) == result.total


@pytest.mark.parametrize("shape", _SHAPES, ids=lambda s: s.name)
@pytest.mark.parametrize(
    ("control", "setup", "answer"),
    [
        ("honest", "", "_honest({args})"),
        ("honest-printing", "print('hello')\n", "(print('working'), _honest({args}))[1]"),
        ("honest-after-attack-helpers", _ALWAYS_EQUAL + _OTHERS, "_honest({args})"),
    ],
    ids=["honest", "honest-printing", "honest-after-attack-helpers"],
)
def test_honest_programs_are_accepted(
    sandbox_backend: Sandbox, shape: Shape, control: str, setup: str, answer: str
) -> None:
    result = _run(sandbox_backend, shape, shape.program(answer, setup))
    assert result.status is Verdict.ACCEPTED, (control, result.tests)


@pytest.mark.parametrize("shape", _SHAPES, ids=lambda s: s.name)
def test_wrong_program_is_a_wrong_answer(sandbox_backend: Sandbox, shape: Shape) -> None:
    """The baseline every attack starts from: a plain wrong program."""
    result = _run(sandbox_backend, shape, shape.program("_wrong({args})"))
    assert result.status is Verdict.WRONG_ANSWER, result.tests
