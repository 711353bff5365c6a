"""What to run: one program, its language, its tests and the limits that contain it.

Why one ``Job`` per program: a C++ program is compiled once and then run against every test,
and a sandbox instance is wiped between jobs, so a job is the unit of isolation and of work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Job", "Language", "Limits", "TestCase", "TestKind"]


class Language(StrEnum):
    """Languages the runner knows how to run."""

    PYTHON = "python"
    CPP = "cpp"


class TestKind(StrEnum):
    """How a test talks to the program.

    ``stdio``: feed ``stdin``, compare stdout with ``expected_stdout``.
    ``call``: resolve ``entry_point`` (a dotted name, never evaluated) after the program ran, call it with the JSON ``args``,
    compare the returned value with ``expected`` (Python only).
    ``assert``: run ``code`` (asserts, ``check(candidate)``) against the program; the test passes
    when it finishes without an exception (Python only). The code runs in a trusted harness
    process that calls the program over a data-only channel (``sandbox.inside.harness``).
    """

    __test__ = False  # not a pytest class

    STDIO = "stdio"
    CALL = "call"
    ASSERT = "assert"


@dataclass(frozen=True, slots=True)
class TestCase:
    """One test. Only the fields of its ``kind`` matter; expected values never enter the sandbox."""

    __test__ = False  # not a pytest class

    kind: TestKind = TestKind.STDIO
    stdin: str = ""
    expected_stdout: str = ""
    entry_point: str = ""  # call/assert: "f" or "Solution().method" (a restricted dotted name)
    args_json: str = "[]"  # call: JSON list of positional arguments
    expected_json: str = "null"  # call: JSON of the expected return value
    # call: other accepted return values (APPS wraps a return value in a one-element list)
    expected_json_alternatives: tuple[str, ...] = ()
    code: str = ""  # assert: test code run after the program, in its namespace
    prelude: str = ""  # Python: run before the program in its namespace (dataset imports, setup)


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-test limits (judge0-like defaults) and the compile step's own limits.

    256 MB instead of judge0's 128 MB: ``import numpy`` alone maps more than 128 MB of address
    space. Output over ``output_limit_bytes`` (stdout or stderr) is an ``output_limit`` verdict.
    """

    cpu_time_s: float = 5.0
    wall_time_s: float = 10.0
    memory_mb: int = 256
    max_processes: int = 64
    output_limit_bytes: int = 1_000_000
    file_size_mb: int = 16
    max_open_files: int = 64
    compile_time_s: float = 30.0
    compile_memory_mb: int = 1024
    report_bytes: int = 4096  # how much of stdout/stderr a result carries back

    def __post_init__(self) -> None:
        for name in ("cpu_time_s", "wall_time_s", "compile_time_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Limits.{name} must be > 0")
        for name in ("memory_mb", "max_processes", "output_limit_bytes", "file_size_mb", "max_open_files"):
            if getattr(self, name) < 1:
                raise ValueError(f"Limits.{name} must be >= 1")
        if self.max_open_files < 8:
            raise ValueError("Limits.max_open_files must be >= 8 (stdio and the interpreter need some)")
        if self.report_bytes < 0:
            raise ValueError("Limits.report_bytes must be >= 0")


@dataclass(frozen=True, slots=True)
class Job:
    """One program and the tests it must pass. There is never network access."""

    language: Language
    source: str
    tests: tuple[TestCase, ...]
    limits: Limits = field(default_factory=Limits)
    stop_on_first_failure: bool = False
