"""What happened: a judge's verdict per test, with the evidence (time, memory, exit, output).

Why ``sandbox_error`` and ``queue_timeout`` are verdicts apart from the program's own: an
infrastructure failure must never be scored as the program's failure (a poisoned 0 reward).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sandbox.job import JobFile

__all__ = ["CompileResult", "JobResult", "TestResult", "Verdict"]


class Verdict(StrEnum):
    """Judge verdicts. The first seven are the program's; the last two are the infrastructure's."""

    ACCEPTED = "accepted"
    WRONG_ANSWER = "wrong_answer"
    TIME_LIMIT = "time_limit"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    RUNTIME_ERROR = "runtime_error"
    COMPILE_ERROR = "compile_error"
    SANDBOX_ERROR = "sandbox_error"
    QUEUE_TIMEOUT = "queue_timeout"

    @property
    def is_infrastructure(self) -> bool:
        """True when the program is not to blame (the reward is unknown, not 0)."""
        return self in (Verdict.SANDBOX_ERROR, Verdict.QUEUE_TIMEOUT)


@dataclass(frozen=True, slots=True)
class TestResult:
    """One test's verdict. ``stdout``/``stderr`` are cut to ``Limits.report_bytes``."""

    __test__ = False  # not a pytest class

    status: Verdict
    time_s: float = 0.0  # CPU time (user + system)
    wall_time_s: float = 0.0
    memory_mb: float = 0.0  # peak resident set size
    exit_code: int | None = None
    signal: int | None = None
    stdout: str = ""
    stderr: str = ""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    detail: str = ""  # why, in a few words (exception type, comparison mismatch, ...)


@dataclass(frozen=True, slots=True)
class CompileResult:
    """The compile step (C++); Python has a trivially successful one."""

    ok: bool = True
    time_s: float = 0.0
    stderr: str = ""
    exit_code: int | None = 0


@dataclass(frozen=True, slots=True)
class JobResult:
    """All of a job: the compile step, then one result per test run (fewer when stopped early)."""

    compile: CompileResult
    tests: tuple[TestResult, ...]
    total: int  # tests in the job, including those not run after a stop
    error: str = ""  # infrastructure failure, with status SANDBOX_ERROR
    files: tuple[JobFile, ...] = ()  # Job.fetch_files found after the last test (regular files only)

    @property
    def passed(self) -> int:
        """Accepted tests."""
        return sum(1 for t in self.tests if t.status is Verdict.ACCEPTED)

    @property
    def status(self) -> Verdict:
        """The job's summary: infrastructure errors first, then compile, then the first failure."""
        if self.error:
            first = self.tests[0].status if self.tests else Verdict.SANDBOX_ERROR
            return first if first.is_infrastructure else Verdict.SANDBOX_ERROR
        if not self.compile.ok:
            return Verdict.COMPILE_ERROR
        for test in self.tests:
            if test.status is not Verdict.ACCEPTED:
                return test.status
        if len(self.tests) < self.total:
            return Verdict.SANDBOX_ERROR
        return Verdict.ACCEPTED

    @property
    def accuracy(self) -> float:
        """Fraction of all tests passed (0.0 for a job without tests)."""
        return self.passed / self.total if self.total else 0.0

    @classmethod
    def infrastructure_failure(
        cls, total: int, error: str, status: Verdict = Verdict.SANDBOX_ERROR
    ) -> JobResult:
        """A job that could not be judged; ``status`` is SANDBOX_ERROR or QUEUE_TIMEOUT."""
        return cls(
            compile=CompileResult(ok=True),
            tests=(TestResult(status=status, detail=error),),
            total=total,
            error=error,
        )
