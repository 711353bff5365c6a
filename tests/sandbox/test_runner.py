"""The runner's verdicts, through each backend: one table of programs and what a judge must say."""

import pytest

from sandbox.backend import Sandbox
from sandbox.job import Job, Language, Limits, TestCase, TestKind
from sandbox.result import Verdict

_FAST = Limits(cpu_time_s=1.0, wall_time_s=2.0, memory_mb=128)
_ECHO_SUM = TestCase(stdin="2 3\n", expected_stdout="5\n")


@pytest.mark.parametrize(
    ("source", "verdict"),
    [
        ("a, b = map(int, input().split())\nprint(a + b)\n", Verdict.ACCEPTED),
        (
            "import sys\na, b = map(int, sys.stdin.read().split())\nprint(a + b)\nsys.exit(0)\n",
            Verdict.ACCEPTED,
        ),
        ("print(6)\n", Verdict.WRONG_ANSWER),
        ("print(5)\nprint(5)\n", Verdict.WRONG_ANSWER),
        ("", Verdict.WRONG_ANSWER),
        ("while True:\n    pass\n", Verdict.TIME_LIMIT),
        ("import time\ntime.sleep(60)\n", Verdict.TIME_LIMIT),
        ("x = bytearray(1024 * 1024 * 1024)\n", Verdict.MEMORY_LIMIT),
        ("x = []\nwhile True:\n    x.append(bytearray(1 << 20))\n", Verdict.MEMORY_LIMIT),
        ("import sys\nsys.stdout.write('x' * 5_000_000)\n", Verdict.OUTPUT_LIMIT),
        ("1 / 0\n", Verdict.RUNTIME_ERROR),
        ("import sys\nsys.exit(3)\n", Verdict.RUNTIME_ERROR),
        ("import os\nos.kill(os.getpid(), 11)\n", Verdict.RUNTIME_ERROR),
        ("def f(:\n", Verdict.COMPILE_ERROR),
    ],
)
def test_python_verdicts(sandbox_backend: Sandbox, source: str, verdict: Verdict) -> None:
    result = sandbox_backend.run(Job(Language.PYTHON, source, (_ECHO_SUM,), _FAST))
    assert result.status is verdict, result.tests[0]
    assert result.total == 1


def test_runtime_error_carries_evidence(sandbox_backend: Sandbox) -> None:
    result = sandbox_backend.run(
        Job(Language.PYTHON, "import os\nos.kill(os.getpid(), 11)\n", (_ECHO_SUM,), _FAST)
    )
    test = result.tests[0]
    assert test.signal == 11 and test.exit_code is None
    result = sandbox_backend.run(Job(Language.PYTHON, "print('partial')\n1/0\n", (_ECHO_SUM,), _FAST))
    test = result.tests[0]
    assert test.exit_code == 1 and "ZeroDivisionError" in test.stderr and test.stdout == "partial\n"
    assert test.memory_mb > 1 and test.time_s >= 0 and test.wall_time_s > 0


@pytest.mark.parametrize(
    ("source", "verdict"),
    [
        (
            '#include <cstdio>\nint main(){int a,b;scanf("%d %d",&a,&b);printf("%d\\n",a+b);}\n',
            Verdict.ACCEPTED,
        ),
        ('#include <cstdio>\nint main(){puts("6");}\n', Verdict.WRONG_ANSWER),
        ("int main(){ return }\n", Verdict.COMPILE_ERROR),
        ("int main(){ volatile int x=0; while(true){x++;} }\n", Verdict.TIME_LIMIT),
        ("int main(){ return 2; }\n", Verdict.RUNTIME_ERROR),
        ("int main(){ int* p=nullptr; return *p; }\n", Verdict.RUNTIME_ERROR),
        (
            "#include <vector>\nint main(){ std::vector<char> v; for(;;) v.resize(v.size()+(1<<24), 1); }\n",
            Verdict.MEMORY_LIMIT,
        ),
        ("#include <cstdio>\nint main(){ for(;;) putchar('x'); }\n", Verdict.OUTPUT_LIMIT),
    ],
)
def test_cpp_verdicts(sandbox_backend: Sandbox, source: str, verdict: Verdict) -> None:
    result = sandbox_backend.run(Job(Language.CPP, source, (_ECHO_SUM, _ECHO_SUM), _FAST))
    assert result.status is verdict, (result.compile, result.tests[0])
    assert len(result.tests) == 2  # compiled once, every test run


_ADD = "def add(a, b):\n    return a + b\n"
_ALWAYS_EQUAL = "class Always:\n    def __eq__(self, other):\n        return True\n\n"


@pytest.mark.parametrize(
    ("source", "test", "verdict"),
    [
        (
            _ADD,
            TestCase(kind=TestKind.CALL, entry_point="add", args_json="[1, 2]", expected_json="3"),
            Verdict.ACCEPTED,
        ),
        (
            _ADD,
            TestCase(kind=TestKind.CALL, entry_point="add", args_json="[1, 2]", expected_json="4"),
            Verdict.WRONG_ANSWER,
        ),
        (
            "class Solution:\n    def f(self, xs):\n        return sorted(xs)\n",
            TestCase(
                kind=TestKind.CALL,
                entry_point="Solution().f",
                args_json="[[3, 1, 2]]",
                expected_json="[1, 2, 3]",
            ),
            Verdict.ACCEPTED,
        ),
        (
            _ADD + "import sys\nsys.exit(0)\n",  # leaving before the call is not a pass
            TestCase(kind=TestKind.CALL, entry_point="add", args_json="[1, 2]", expected_json="3"),
            Verdict.RUNTIME_ERROR,
        ),
        (
            "class Always:\n    def __eq__(self, other):\n        return True\n\ndef add(a, b):\n    return Always()\n",
            TestCase(kind=TestKind.CALL, entry_point="add", args_json="[1, 2]", expected_json="3"),
            Verdict.RUNTIME_ERROR,  # return values must be JSON: an always-equal object cannot fake a pass
        ),
        (_ADD, TestCase(kind=TestKind.ASSERT, code="assert add(1, 2) == 3"), Verdict.ACCEPTED),
        (
            _ALWAYS_EQUAL + "def add(a, b):\n    return Always()\n",
            TestCase(
                kind=TestKind.ASSERT,
                code="def check(c):\n    assert c(1, 2) == 3\n    assert 3 == c(1, 2)\ncheck(add)",
            ),
            Verdict.WRONG_ANSWER,  # an always-equal object is not 3
        ),
        (
            "class S(str):\n    def __eq__(self, other):\n        return True\n    __hash__ = str.__hash__\n"
            "def f():\n    return S('wrong')\n",
            TestCase(kind=TestKind.ASSERT, code="assert f() == 'right'"),
            Verdict.WRONG_ANSWER,  # a str subclass is judged by its real value
        ),
        (
            _ALWAYS_EQUAL + "def f():\n    return [Always()]\n",
            TestCase(kind=TestKind.ASSERT, code="assert f() == [1]"),
            Verdict.WRONG_ANSWER,
        ),
        (
            "class P:\n    def __init__(self, x):\n        self.x = x\n    def __eq__(self, other):\n"
            "        return self.x == other.x\ndef f(x):\n    return P(x)\n",
            TestCase(kind=TestKind.ASSERT, code="assert f(1) == P(1)\nassert not (f(1) == P(2))"),
            # Objects of the program's own classes stay in the program: only the program could say
            # whether they are equal (its __eq__), so the harness does not ask and they differ.
            Verdict.WRONG_ANSWER,
        ),
        (
            "def f():\n    return (1, [2.0, {'a': True}])\n",
            TestCase(
                kind=TestKind.ASSERT,
                code="assert f() == (1, [2, {'a': 1}])\nassert f() != [1, [2, {'a': 1}]]",
            ),
            Verdict.ACCEPTED,  # plain values keep Python's == semantics
        ),
        (_ADD, TestCase(kind=TestKind.ASSERT, code="assert add(1, 2) == 4"), Verdict.WRONG_ANSWER),
        (
            "def add(a, b):\n    raise ValueError\n",
            TestCase(kind=TestKind.ASSERT, code="assert add(1, 2) == 3"),
            Verdict.RUNTIME_ERROR,
        ),
        (
            _ADD + "import os\nos._exit(0)\n",
            TestCase(kind=TestKind.ASSERT, code="assert add(1, 2) == 3"),
            Verdict.RUNTIME_ERROR,
        ),
        (
            "def f():\n    return List\n",
            TestCase(kind=TestKind.ASSERT, code="assert f() is not None", prelude="from typing import List"),
            Verdict.ACCEPTED,
        ),
    ],
)
def test_function_tests(sandbox_backend: Sandbox, source: str, test: TestCase, verdict: Verdict) -> None:
    result = sandbox_backend.run(Job(Language.PYTHON, source, (test,), _FAST))
    assert result.status is verdict, result.tests[0]


def test_a_compile_over_its_cpu_limit_says_it_timed_out(sandbox_backend: Sandbox) -> None:
    """g++ killed at RLIMIT_CPU is a compile timeout, even when the CPU time read back falls a
    few ticks short of the limit (the SandboxFusion API maps it to ``TimeLimitExceeded``)."""
    slow = (
        "constexpr long f(){long s=0; for(long i=0;i<60000;i++) for(long j=0;j<60000;j++) s+=(i^j)%7;"
        " return s;}\nstatic_assert(f() > 0);\nint main(){}\n"
    )
    result = sandbox_backend.run(Job(Language.CPP, slow, (_ECHO_SUM,), Limits(compile_time_s=1.0)))
    assert not result.compile.ok
    assert result.compile.stderr.startswith("compilation timed out"), result.compile.stderr[-300:]


def test_fractional_cpu_limits_are_enforced(sandbox_backend: Sandbox) -> None:
    busy = (
        "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end:\n    pass\nprint(5)\n"
    )
    tight = sandbox_backend.run(
        Job(Language.PYTHON, busy, (_ECHO_SUM,), Limits(cpu_time_s=0.3, wall_time_s=5.0))
    )
    assert tight.status is Verdict.TIME_LIMIT, tight.tests[0]
    loose = sandbox_backend.run(
        Job(Language.PYTHON, busy, (_ECHO_SUM,), Limits(cpu_time_s=2.0, wall_time_s=5.0))
    )
    assert loose.status is Verdict.ACCEPTED, loose.tests[0]


def test_deep_recursion_has_stack(sandbox_backend: Sandbox) -> None:
    source = (
        "#include <cstdio>\nint f(int n){ volatile char pad[64]; pad[0]=n; return n ? f(n-1)+pad[0]-n+1 : 0; }\n"
        'int main(){ printf("%d\\n", f(200000) > 0 ? 5 : 0); }\n'
    )
    result = sandbox_backend.run(Job(Language.CPP, source, (_ECHO_SUM,), Limits()))
    assert result.status is Verdict.ACCEPTED, (result.compile, result.tests[0])


def test_stop_on_first_failure(sandbox_backend: Sandbox) -> None:
    tests = (_ECHO_SUM, TestCase(stdin="1 1\n", expected_stdout="3\n"), _ECHO_SUM)
    source = "a, b = map(int, input().split())\nprint(a + b)\n"
    full = sandbox_backend.run(Job(Language.PYTHON, source, tests, _FAST))
    assert [t.status for t in full.tests] == [Verdict.ACCEPTED, Verdict.WRONG_ANSWER, Verdict.ACCEPTED]
    assert full.passed == 2 and full.total == 3
    stopped = sandbox_backend.run(Job(Language.PYTHON, source, tests, _FAST, stop_on_first_failure=True))
    assert [t.status for t in stopped.tests] == [Verdict.ACCEPTED, Verdict.WRONG_ANSWER]
    assert stopped.status is Verdict.WRONG_ANSWER and stopped.total == 3


def test_output_is_truncated_in_the_report(sandbox_backend: Sandbox) -> None:
    limits = Limits(cpu_time_s=1.0, wall_time_s=2.0, report_bytes=100)
    result = sandbox_backend.run(Job(Language.PYTHON, "print('y' * 5000)\n", (_ECHO_SUM,), limits))
    test = result.tests[0]
    assert test.status is Verdict.WRONG_ANSWER
    assert len(test.stdout) == 100 and test.stdout_truncated


def test_big_inputs_do_not_count_against_the_memory_limit(sandbox_backend: Sandbox) -> None:
    big = "1 " * 20_000_000  # 40 MB of stdin against a 100 MB address-space limit
    tests = (TestCase(stdin=big, expected_stdout=f"{len(big)}\n"),)
    source = "import sys\nprint(len(sys.stdin.buffer.read()))\n"
    result = sandbox_backend.run(Job(Language.PYTHON, source, tests, Limits(memory_mb=100)))
    assert result.status is Verdict.ACCEPTED, result.tests[0]


def test_time_is_judged_on_cpu_time(sandbox_backend: Sandbox) -> None:
    """Issue 9: a program that waits (a loaded host, I/O) is not killed at 2x its CPU limit; wall
    time is 3x + 5 s of it; a sleeper is still caught, and CPU over the limit is a time limit."""
    limits = Limits(cpu_time_s=1.0, memory_mb=128)  # wall: 8 s
    waits = "import time\ntime.sleep(2.5)\nprint(5)\n"
    result = sandbox_backend.run(Job(Language.PYTHON, waits, (_ECHO_SUM,), limits))
    assert result.status is Verdict.ACCEPTED, result.tests[0]
    assert result.tests[0].wall_time_s > 2.5 and result.tests[0].time_s < 1.0
    sleeper = sandbox_backend.run(Job(Language.PYTHON, "import time\ntime.sleep(60)\n", (_ECHO_SUM,), limits))
    assert sleeper.status is Verdict.TIME_LIMIT and "wall" in sleeper.tests[0].detail
    assert 7.5 < sleeper.tests[0].wall_time_s < 12
    spinner = sandbox_backend.run(Job(Language.PYTHON, "while True:\n    pass\n", (_ECHO_SUM,), limits))
    assert spinner.status is Verdict.TIME_LIMIT and "cpu" in spinner.tests[0].detail
