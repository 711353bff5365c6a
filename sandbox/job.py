"""What to run: one program, its language, its tests and the limits that contain it.

Why one ``Job`` per program: a C++ program is compiled once and then run against every test,
and a sandbox instance is wiped between jobs, so a job is the unit of isolation and of work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from sandbox.comparison import Comparison
from sandbox.inside.channel import MESSAGE_LIMIT_BYTES

__all__ = [
    "HARNESS_MIN_MEMORY_MB",
    "WALL_TIME_FACTOR",
    "WALL_TIME_MARGIN_S",
    "Comparison",
    "Job",
    "JobFile",
    "Language",
    "Limits",
    "TestCase",
    "TestKind",
]

WALL_TIME_FACTOR = 3.0
"""Default wall-time limit = ``WALL_TIME_FACTOR * cpu_time_s + WALL_TIME_MARGIN_S``."""
WALL_TIME_MARGIN_S = 5.0
HARNESS_MIN_MEMORY_MB = 256
"""The assert-style harness's default memory floor (its prelude must not starve under a tight
limit meant for the program)."""


class Language(StrEnum):
    """Languages the runner knows how to run."""

    PYTHON = "python"
    CPP = "cpp"
    C = "c"  # gcc, C11; stdio tests only, like C++
    BASH = "bash"  # stdio tests only


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

    Time is judged on CPU time (``cpu_time_s``, user + system): that is what a program costs and
    what a loaded host does not change. Wall time only catches programs that sleep or block; it is
    ``wall_time_s`` when given, else ``WALL_TIME_FACTOR * cpu_time_s + WALL_TIME_MARGIN_S``
    (3x + 5 s: 20 s for a 5 s limit), a margin that a correct program on a busy host does not
    cross. A given ``wall_time_s`` below ``cpu_time_s`` is refused (the CPU limit would be moot).

    256 MB instead of judge0's 128 MB: ``import numpy`` alone maps more than 128 MB of address
    space. The stack (``stack_mb``) is limited apart from memory, so that runaway recursion is a
    ``runtime_error`` at a small size rather than a ``memory_limit`` at the full budget; it must
    fit in ``memory_mb``. Output over ``output_limit_bytes`` (stdout or stderr) is an
    ``output_limit`` verdict, and so are more than ``max_files`` files left on the sandbox's tmpfs
    mounts (each costs kernel memory that no tmpfs size counts).

    An assert-style test's code runs in a harness process of its own (``sandbox.inside.harness``)
    with its own limits: ``harness_cpu_time_s`` (None: ``cpu_time_s``) and ``harness_memory_mb``
    (None: ``memory_mb``, at least ``HARNESS_MIN_MEMORY_MB``); one message between it and the
    program is at most ``message_limit_bytes``. These defaults are the only ones: ``payload()``
    sends every limit, resolved, and the runner refuses a request that lacks one.
    """

    cpu_time_s: float = 5.0
    wall_time_s: float | None = None  # None: WALL_TIME_FACTOR * cpu_time_s + WALL_TIME_MARGIN_S
    memory_mb: int = 256
    stack_mb: int = 64
    max_processes: int = 64
    output_limit_bytes: int = 1_000_000
    file_size_mb: int = 16
    max_open_files: int = 64
    max_files: int = 65536  # files and directories a test may leave on the sandbox's tmpfs mounts
    compile_time_s: float = 30.0
    compile_memory_mb: int = 1024
    report_bytes: int = 4096  # how much of stdout/stderr a result carries back
    harness_cpu_time_s: float | None = None  # None: cpu_time_s
    harness_memory_mb: int | None = None  # None: max(memory_mb, HARNESS_MIN_MEMORY_MB)
    message_limit_bytes: int = MESSAGE_LIMIT_BYTES  # one harness <-> program message

    def __post_init__(self) -> None:
        for name in ("cpu_time_s", "compile_time_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Limits.{name} must be > 0")
        if self.harness_cpu_time_s is not None and not self.harness_cpu_time_s > 0:
            raise ValueError("Limits.harness_cpu_time_s must be > 0")
        for name in ("harness_memory_mb", "message_limit_bytes"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"Limits.{name} must be > 0")
        if self.wall_time_s is not None and not self.wall_time_s >= self.cpu_time_s:
            raise ValueError("Limits.wall_time_s must be >= cpu_time_s (time is judged on CPU time)")
        for name in (
            "memory_mb",
            "stack_mb",
            "max_processes",
            "output_limit_bytes",
            "file_size_mb",
            "max_open_files",
            "max_files",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"Limits.{name} must be >= 1")
        if self.stack_mb > self.memory_mb:
            raise ValueError("Limits.stack_mb must be <= memory_mb")
        if self.max_open_files < 8:
            raise ValueError("Limits.max_open_files must be >= 8 (stdio and the interpreter need some)")
        if self.report_bytes < 0:
            raise ValueError("Limits.report_bytes must be >= 0")

    @property
    def wall_limit_s(self) -> float:
        """The wall-time limit in force (see the class docstring)."""
        if self.wall_time_s is not None:
            return self.wall_time_s
        return WALL_TIME_FACTOR * self.cpu_time_s + WALL_TIME_MARGIN_S

    def payload(self) -> dict[str, int | float]:
        """Every limit, defaults resolved: what the runner gets (it has no defaults of its own)."""
        payload: dict[str, int | float] = {
            name: getattr(self, name) for name in self.__dataclass_fields__ if getattr(self, name) is not None
        }
        payload["wall_time_s"] = self.wall_limit_s
        payload["harness_cpu_time_s"] = (
            self.harness_cpu_time_s if self.harness_cpu_time_s is not None else self.cpu_time_s
        )
        payload["harness_memory_mb"] = (
            self.harness_memory_mb
            if self.harness_memory_mb is not None
            else max(self.memory_mb, HARNESS_MIN_MEMORY_MB)
        )
        return payload


@dataclass(frozen=True, slots=True)
class JobFile:
    """A file in the program's working directory: written before the run (``Job.files``) or read
    back after it (``JobResult.files``). ``path`` is relative to the working directory."""

    path: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Job:
    """One program and the tests it must pass. There is never network access."""

    language: Language
    source: str
    tests: tuple[TestCase, ...]
    limits: Limits = field(default_factory=Limits)
    stop_on_first_failure: bool = False
    # When the caller stops waiting (Unix seconds; None: never). Past it the job is abandoned:
    # its runner is killed mid-test and the result is a sandbox error saying so.
    deadline_unix_s: float | None = None
    # Why: SandboxFusion-style runs ship input files and read result files back. Input files are
    # restored before every test; ``fetch_files`` are read after the last test run.
    files: tuple[JobFile, ...] = ()
    fetch_files: tuple[str, ...] = ()
    comparison: Comparison = field(default_factory=Comparison)  # how outputs and return values are judged
