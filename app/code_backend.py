"""The sandbox adapter behind ``code_accuracy``: a Sample's program and tests as a sandbox job.

Why in ``app``: the reward itself (``verifiers.code``) depends only on the ``CodeBackend``
protocol, since ``verifiers`` must not depend on ``sandbox``; the service owns a sandbox, so it
owns the adapter that extracts the program, adapts the item's tests, runs the job in one bounded
pool and turns the verdicts into ``RewardOutput`` values with the reward's reason codes.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from app.deadline import Deadline
from app.work_pool import WorkPool
from sandbox import Job, JobResult, Language, Limits, TestCase, Verdict
from verifiers import CodeRewardError, RewardOutput, Sample

__all__ = ["SandboxCodeBackend"]


class _Sandbox(Protocol):
    def run(self, job: Job) -> JobResult: ...


# How long past a deadline an awaited sandbox job may take (its runner is being killed).
_KILL_GRACE_S = 1.0

# (completion, language) -> program text or None
ExtractFn = Callable[[str, str], str | None]
# item tests in a dataset shape -> test cases (raises ValueError on shapes it does not know)
AdaptFn = Callable[[Any], Sequence[TestCase]]


class SandboxCodeBackend:
    """``CodeBackend``: extract, adapt, run (``pool_size`` jobs at a time), score.

    Every sandbox call of the process goes through one bounded pool of ``pool_size`` threads (one
    per sandbox instance): a direct call (``/v1/execute``, ``/run_code``) that would wait behind
    ``max_waiting`` others is refused with 429 at once; a queued chunk's jobs always wait (the
    queue bounds them) but never past their deadline. A job whose deadline passes is killed in
    the sandbox, so its instance is free again at once.
    """

    def __init__(
        self,
        sandbox: _Sandbox,
        *,
        extract: ExtractFn,
        adapt_tests: AdaptFn,
        limits: Limits,
        pool_size: int,
        max_tests: int,
        max_program_chars: int,
        max_detail_tests: int = 16,
        max_waiting: int = 8,
        retry_after_s: float = 2.0,
    ) -> None:
        self._sandbox = sandbox
        self._extract = extract
        self._adapt_tests = adapt_tests
        self._limits = limits
        self._max_tests = max_tests
        self._max_program_chars = max_program_chars
        self._max_detail_tests = max_detail_tests
        self._pool = WorkPool(
            "sandbox", threads=pool_size, max_waiting=max_waiting, retry_after_s=retry_after_s
        )

    @property
    def limits(self) -> Limits:
        return self._limits

    def adapt_tests(self, tests: Any) -> Sequence[TestCase]:
        """The item's tests as test cases (ValueError/TypeError/KeyError on unknown shapes)."""
        return self._adapt_tests(tests)

    def healthy(self) -> bool:
        check = getattr(self._sandbox, "healthy", None)
        return bool(check()) if check is not None else True

    def close(self) -> None:
        self._pool.close()

    @property
    def pool(self) -> WorkPool:
        return self._pool

    async def execute(self, job: Job, deadline: Deadline) -> JobResult:
        """One direct job (``/v1/execute``, ``/run_code``) under the request's deadline; raises
        ``BackpressureError`` (429) when the sandbox pool is saturated."""
        job = dataclasses.replace(job, deadline_unix_s=deadline.at_unix_s)
        future = self._pool.submit(self.run_job, job)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), deadline.remaining_s() + _KILL_GRACE_S)
        except TimeoutError:
            return JobResult.infrastructure_failure(len(job.tests), "request deadline passed")

    def bounded(self, deadline: Deadline | None) -> SandboxCodeBackend | _DeadlineCode:
        """This backend as a ``CodeBackend`` whose jobs stop at ``deadline`` (a queued chunk's)."""
        return self if deadline is None else _DeadlineCode(self, deadline)

    def run_job(self, job: Job) -> JobResult:
        """One job, with any sandbox exception turned into an infrastructure result."""
        try:
            return self._sandbox.run(job)
        except Exception as exc:
            return JobResult.infrastructure_failure(len(job.tests), f"{type(exc).__name__}: {exc}")

    def score_many(
        self, samples: Sequence[Sample], *, deadline: Deadline | None = None, **params: Any
    ) -> list[RewardOutput]:
        """``CodeBackend``: each sample's last code block against its tests, ``pool_size`` jobs at
        a time; jobs not judged by ``deadline`` are ``None`` with ``timeout``."""
        language = Language(params.get("language", Language.PYTHON))
        partial = bool(params.get("partial", False))
        stop_early = bool(params.get("stop_on_first_failure", False)) and not partial
        outputs: list[RewardOutput | None] = [None] * len(samples)
        jobs: dict[int, Job] = {}
        for i, sample in enumerate(samples):
            prepared = self._prepare(sample, language, stop_early)
            if isinstance(prepared, RewardOutput):
                outputs[i] = prepared
            elif deadline is not None:
                jobs[i] = dataclasses.replace(prepared, deadline_unix_s=deadline.at_unix_s)
            else:
                jobs[i] = prepared
        futures = {i: self._pool.submit_waiting(self.run_job, job) for i, job in jobs.items()}
        for i, fut in futures.items():
            result = fut.result()
            if deadline is not None and deadline.expired and result.status.is_infrastructure:
                outputs[i] = RewardOutput(
                    None, error=CodeRewardError.TIMEOUT, details={"message": result.error[:200]}
                )
            else:
                outputs[i] = self._score(result, partial)
        return [
            o if o is not None else RewardOutput(None, error=CodeRewardError.SANDBOX_ERROR) for o in outputs
        ]

    def _prepare(self, sample: Sample, language: Language, stop_early: bool) -> Job | RewardOutput:
        try:
            tests = tuple(self._adapt_tests(sample.tests))
        except (ValueError, TypeError, KeyError) as exc:
            return RewardOutput(
                None, error=CodeRewardError.INVALID_TESTS, details={"message": str(exc)[:200]}
            )
        if not tests:
            return RewardOutput(None, error=CodeRewardError.INVALID_TESTS, details={"message": "no tests"})
        if len(tests) > self._max_tests:
            return RewardOutput(None, error=CodeRewardError.TOO_MANY_TESTS, details={"tests": len(tests)})
        program = self._extract(sample.completion, language)
        if not program:
            return RewardOutput(
                0.0, accuracy=0.0, details={"reason": CodeRewardError.NO_CODE, "total": len(tests)}
            )
        if len(program) > self._max_program_chars:
            return RewardOutput(0.0, accuracy=0.0, details={"reason": CodeRewardError.PROGRAM_TOO_LARGE})
        return Job(
            language=language,
            source=program,
            tests=tests,
            limits=self._limits,
            stop_on_first_failure=stop_early,
        )

    def _score(self, result: JobResult, partial: bool) -> RewardOutput:
        status = result.status
        verdicts = [t.status.value for t in result.tests[: self._max_detail_tests]]
        details = {"status": status.value, "passed": result.passed, "total": result.total, "tests": verdicts}
        if status.is_infrastructure:
            return RewardOutput(None, error=status.value, details={**details, "message": result.error[:200]})
        all_passed = status is Verdict.ACCEPTED
        value = result.accuracy if partial else float(all_passed)
        return RewardOutput(value, accuracy=float(all_passed), details=details)


class _DeadlineCode:
    """A ``CodeBackend`` view of the sandbox backend for one chunk: its jobs stop at the deadline."""

    def __init__(self, backend: SandboxCodeBackend, deadline: Deadline) -> None:
        self._backend = backend
        self._deadline = deadline

    def score_many(self, samples: Sequence[Sample], **params: Any) -> list[RewardOutput]:
        return self._backend.score_many(samples, deadline=self._deadline, **params)
