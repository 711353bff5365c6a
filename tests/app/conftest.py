"""Fixtures for the service tests: a small deterministic reward registry, a fake sandbox, and
an app + client factory running the real FastAPI app, scorer, queue, cache and executor.

The test registry keeps the service tests independent of the verifier and sandbox internals
(those have their own tests); ``test_integration.py`` runs the real catalogue end to end.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from app.code_backend import SandboxCodeBackend
from app.http.application import create_app
from app.service import Components
from app.settings import Settings
from app.worker.executor import ChunkExecutor
from sandbox.job import Job, Limits, TestCase, TestKind
from sandbox.result import CompileResult, JobResult, TestResult, Verdict
from tests.app.redis_server import redis_server
from verifiers import Registry, RewardContext, RewardDef, RewardKind, RewardOutput, Sample, default_registry

__all__ = ["redis_server"]  # the session fixture, re-exported so pytest finds it

_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")
_FENCE = re.compile(r"```(?:python|py)?\n(.*?)```", re.DOTALL)


class CallLog:
    """Counts how many samples each test reward has been asked to score (cache tests)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {}

    def add(self, name: str, n: int) -> None:
        with self._lock:
            self.counts[name] = self.counts.get(name, 0) + n


def make_test_registry(log: CallLog) -> Registry:
    """``accuracy`` (MATH, last ``\\boxed{}`` equals the gold), ``format_strict`` (INLINE),
    ``correct_bonus`` (INLINE, reads ``metadata["correct"]``), ``sleepy`` (MATH, sleeps), ``broken``
    (MATH, raises), plus the real ``code_accuracy``."""

    def accuracy(samples: Sequence[Sample], ctx: RewardContext, **params: Any) -> list[RewardOutput]:
        log.add("accuracy", len(samples))
        out = []
        for s in samples:
            if s.ground_truth is None:
                out.append(RewardOutput(None, error="invalid_input"))
                continue
            found = _BOXED.findall(s.completion)
            if not found:
                out.append(RewardOutput(0.0, accuracy=0.0, details={"reason": "no_answer"}))
                continue
            ok = found[-1].strip() == str(s.ground_truth).strip()
            out.append(
                RewardOutput(
                    1.0 if ok else 0.0,
                    accuracy=1.0 if ok else 0.0,
                    details={"extracted": found[-1], "reason": "equal" if ok else "not_equal"},
                )
            )
        return out

    def format_strict(samples: Sequence[Sample], ctx: RewardContext, **params: Any) -> list[RewardOutput]:
        pattern = re.compile(r"^<think>.*</think>\s*<answer>.*</answer>$", re.DOTALL)
        return [RewardOutput(1.0 if pattern.match(s.completion) else 0.0) for s in samples]

    def correct_bonus(samples: Sequence[Sample], ctx: RewardContext, **params: Any) -> list[RewardOutput]:
        out = []
        for s in samples:
            correct = s.metadata.get("correct")
            out.append(
                RewardOutput(None, error="unknown_correctness")
                if correct is None
                else RewardOutput(params["bonus"] if correct else 0.0)
            )
        return out

    def sleepy(samples: Sequence[Sample], ctx: RewardContext, **params: Any) -> list[RewardOutput]:
        log.add("sleepy", len(samples))
        if samples:  # an empty batch is the scorer's parameter check: it must return at once
            time.sleep(params["sleep_s"])
        return [RewardOutput(1.0, accuracy=1.0) for _ in samples]

    def broken(samples: Sequence[Sample], ctx: RewardContext, **params: Any) -> list[RewardOutput]:
        raise ZeroDivisionError("reward bug")

    return Registry(
        [
            RewardDef("accuracy", RewardKind.MATH, accuracy, {"mode": "strict"}, "test accuracy"),
            RewardDef(
                "format_strict", RewardKind.INLINE, format_strict, {"think_prefilled": False}, "test format"
            ),
            RewardDef("correct_bonus", RewardKind.INLINE, correct_bonus, {"bonus": 2.0}, "needs correctness"),
            RewardDef("sleepy", RewardKind.MATH, sleepy, {"sleep_s": 0.0}, "slow reward"),
            RewardDef("broken", RewardKind.MATH, broken, {}, "a reward with a bug"),
            default_registry().get("code_accuracy"),
        ]
    )


class FakeSandbox:
    """Runs ``assert`` tests with ``exec`` in this process (trusted test programs only).

    A program containing ``SANDBOX_BOOM`` makes ``run`` raise, like a broken backend; one
    containing ``while True`` is judged ``time_limit`` without running it.
    """

    def __init__(self) -> None:
        self.jobs: list[Job] = []

    def run(self, job: Job) -> JobResult:
        self.jobs.append(job)
        if "SANDBOX_BOOM" in job.source:
            raise RuntimeError("backend exploded")
        results = []
        for test in job.tests:
            if "while True" in job.source:
                results.append(TestResult(Verdict.TIME_LIMIT))
            else:
                ns: dict[str, Any] = {"__name__": "__main__"}
                try:
                    exec(compile(job.source + "\n" + test.code, "solution.py", "exec"), ns)
                    results.append(TestResult(Verdict.ACCEPTED))
                except AssertionError:
                    results.append(TestResult(Verdict.WRONG_ANSWER))
                except Exception as exc:
                    results.append(TestResult(Verdict.RUNTIME_ERROR, detail=type(exc).__name__))
            if job.stop_on_first_failure and results[-1].status is not Verdict.ACCEPTED:
                break
        return JobResult(compile=CompileResult(), tests=tuple(results), total=len(job.tests))

    def healthy(self) -> bool:
        return True


def fake_extract(completion: str, language: str) -> str | None:
    found = _FENCE.findall(completion)
    return found[-1] if found else None


def fake_adapt(tests: Any) -> list[TestCase]:
    if not isinstance(tests, list) or not all(isinstance(t, str) for t in tests):
        raise ValueError("tests must be a list of assert strings")
    return [TestCase(kind=TestKind.ASSERT, code=t) for t in tests]


def make_code_backend(sandbox: FakeSandbox | None = None, *, max_tests: int = 16) -> SandboxCodeBackend:
    return SandboxCodeBackend(
        sandbox or FakeSandbox(),
        extract=fake_extract,
        adapt_tests=fake_adapt,
        limits=Limits(),
        pool_size=2,
        max_tests=max_tests,
        max_program_chars=10_000,
    )


class UnusedMath:
    """A math backend the test registry never calls (it keeps the real pool from starting)."""

    def verify_many(self, pairs: Sequence[tuple[Any, str]], **options: Any) -> list[Any]:
        raise AssertionError("the test registry does not use the math pool")


AppClient = Callable[..., Any]


@pytest.fixture
def call_log() -> CallLog:
    return CallLog()


@pytest.fixture(params=["memory", "redis"])
def queue_kind(request: pytest.FixtureRequest) -> str:
    """Every API test runs on the embedded queue and on Redis Streams with a worker task."""
    return str(request.param)


@pytest.fixture
def app_client(call_log: CallLog, queue_kind: str, request: pytest.FixtureRequest) -> AppClient:
    """``async with app_client(**settings) as (client, app):`` a started app and an httpx client.

    With ``queue_kind == "redis"`` the app is API-only on a private redis-server (flushed per
    test) and a ``RedisTaskWorker`` running the same executor consumes its tasks.
    """
    redis_url = None
    if queue_kind == "redis":
        server = request.getfixturevalue("redis_server")
        server.flush()
        redis_url = server.url

    @asynccontextmanager
    async def factory(**overrides: Any) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
        code = overrides.pop("code_backend", None) or make_code_backend()
        start_worker = overrides.pop("start_worker", True)
        settings = Settings(
            **{"math_workers": 1, "sandbox_pool_size": 1, "redis_url": redis_url, **overrides}
        )
        registry = make_test_registry(call_log)
        math = UnusedMath()
        app = create_app(settings, Components(registry=registry, math=math, code=code))
        async with app.router.lifespan_context(app):
            worker: Any = None
            worker_task = None
            if redis_url is not None and start_worker:
                from app.queue.redis_worker import RedisTaskWorker

                executor = ChunkExecutor(registry, RewardContext(math=math, code=code))
                worker = RedisTaskWorker(
                    redis_url, executor, concurrency=4, block_s=0.2, heartbeat_interval_s=1.0
                )
                worker_task = asyncio.create_task(worker.run())
            try:
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://arbiter") as client:
                    yield client, app
            finally:
                if worker_task is not None:
                    worker.stop()
                    await asyncio.wait_for(worker_task, 30)

    return factory
