"""Async jobs: a batch too large for one request is scored in the background, step by step.

Why: a trainer scoring 100k completions should not hold an HTTP request open for minutes. The
job's state (status, progress, results) lives in memory in embedded mode or in Redis when a URL
is set, so any API replica can answer ``GET /v1/jobs/{id}``.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from app.deadline import Deadline
from app.errors import BackpressureError, ServiceError
from app.payload import Spec
from app.scoring import ItemResult, Scorer
from verifiers.registry import Sample

__all__ = ["JobRunner", "JobState", "JobStatus", "JobStore", "MemoryJobStore", "RedisJobStore"]

_log = logging.getLogger(__name__)
_KEY_PREFIX = "arbiter:job:"
_PUT_ATTEMPTS = 3  # tries of one job-state write before the job fails
_PUT_RETRY_S = 0.5  # pause before the second try; the third waits twice as long


class JobStatus(StrEnum):
    """Where a job is; ``failed`` carries the error, ``done`` the results."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class JobState:
    """What ``GET /v1/jobs/{id}`` returns. ``results`` is filled when the job is done."""

    job_id: str
    status: JobStatus
    total: int
    done: int = 0
    results: list[dict[str, Any]] | None = None
    error: str | None = None
    created_s: float = field(default_factory=time.time)


class JobStore(Protocol):
    """Where job states live, so that any API replica can answer a poll."""

    async def put(self, state: JobState) -> None: ...

    async def get(self, job_id: str) -> JobState | None: ...


class MemoryJobStore:
    """Embedded mode: states in a dict, dropped ``ttl_s`` after creation."""

    def __init__(self, *, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        self._states: dict[str, JobState] = {}

    async def put(self, state: JobState) -> None:
        now = time.time()
        for job_id in [k for k, v in self._states.items() if v.created_s + self._ttl_s < now]:
            del self._states[job_id]
        self._states[state.job_id] = state

    async def get(self, job_id: str) -> JobState | None:
        return self._states.get(job_id)


class RedisJobStore:
    """Shared mode: one JSON value per job with a Redis TTL."""

    def __init__(self, client: Any, *, ttl_s: float) -> None:
        self._client = client
        self._ttl_ms = int(ttl_s * 1000)

    async def put(self, state: JobState) -> None:
        await self._client.set(_KEY_PREFIX + state.job_id, json.dumps(asdict(state)), px=self._ttl_ms)

    async def get(self, job_id: str) -> JobState | None:
        raw = await self._client.get(_KEY_PREFIX + job_id)
        if raw is None:
            return None
        body = json.loads(raw)
        body["status"] = JobStatus(body["status"])
        return JobState(**body)


ResultShaper = Callable[[ItemResult], dict[str, Any]]


class JobRunner:
    """Starts background scoring tasks and records their progress in a ``JobStore``."""

    def __init__(
        self,
        *,
        scorer: Scorer,
        store: JobStore,
        step_items: int,
        timeout_s: float,
        shape: ResultShaper,
        retry_after_s: float = 2.0,
    ) -> None:
        self._retry_after_s = retry_after_s
        self._scorer = scorer
        self._store = store
        self._step_items = step_items
        self._timeout_s = timeout_s
        self._shape = shape
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def store(self) -> JobStore:
        return self._store

    async def submit(self, samples: Sequence[Sample], specs: Sequence[Spec]) -> JobState:
        """Record the job as queued and start scoring it in the background."""
        state = JobState(job_id=uuid.uuid4().hex, status=JobStatus.QUEUED, total=len(samples))
        try:
            await self._store.put(state)
        except Exception as exc:
            raise self._unavailable(exc) from None
        task = asyncio.create_task(self._run(state, samples, specs))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return state

    async def get(self, job_id: str) -> JobState | None:
        """A job's state (None: unknown or expired); a store outage is a 503, not a 500."""
        try:
            return await self._store.get(job_id)
        except Exception as exc:
            raise self._unavailable(exc) from None

    def _unavailable(self, exc: Exception) -> BackpressureError:
        _log.warning("job store unavailable: %s: %s", type(exc).__name__, exc)
        return BackpressureError(
            f"job store unavailable: {type(exc).__name__}",
            retry_after_s=self._retry_after_s,
            unavailable=True,
        )

    async def close(self) -> None:
        """Cancel running jobs (shutdown); their states stay as last recorded."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, state: JobState, samples: Sequence[Sample], specs: Sequence[Spec]) -> None:
        results: list[dict[str, Any] | None] = [None] * len(samples)
        done = 0
        state = replace(state, status=JobStatus.RUNNING)
        try:
            await self._put(state)
            for idx in _steps(samples, self._step_items):
                step = [samples[i] for i in idx]
                scored = await self._retrying(functools.partial(self._score_step, step, specs))
                for i, r in zip(idx, scored, strict=True):
                    results[i] = self._shape(r)
                done += len(idx)
                state = replace(state, done=done)
                await self._put(state)
            await self._put(
                replace(state, status=JobStatus.DONE, results=[r for r in results if r is not None])
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            _log.exception("job %s failed", state.job_id)
            try:
                await self._put(replace(state, status=JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}"))
            except Exception:  # the store is gone too: the job expires with its last state
                _log.exception("job %s: could not record the failure", state.job_id)

    async def _score_step(self, step: Sequence[Sample], specs: Sequence[Spec]) -> list[ItemResult]:
        return await self._scorer.score(step, specs, Deadline.after(self._timeout_s))

    async def _put(self, state: JobState) -> None:
        """A store write that outlives a short blip (a Redis failover): minutes of scoring are not
        thrown away because one progress write failed."""
        for attempt in range(_PUT_ATTEMPTS):
            try:
                await self._store.put(state)
                return
            except Exception:
                if attempt == _PUT_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(_PUT_RETRY_S * (attempt + 1))

    @staticmethod
    async def _retrying(step: Callable[[], Awaitable[list[ItemResult]]]) -> list[ItemResult]:
        """A job waits out backpressure instead of failing: it has no client to send 429 to."""
        for _ in range(30):
            try:
                return await step()
            except ServiceError as exc:
                retry_after_s = getattr(exc, "retry_after_s", None)
                if retry_after_s is None:
                    raise
                await asyncio.sleep(retry_after_s)
        return await step()


def _steps(samples: Sequence[Sample], step_items: int) -> list[list[int]]:
    """Positions of the samples per step, never splitting a GRPO group (group-relative rewards
    such as ``kimi_length`` need the whole group). A group larger than a step is a step alone."""
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(samples):
        groups.setdefault(s.group_id if s.group_id is not None else f"\0{i}", []).append(i)
    steps: list[list[int]] = []
    current: list[int] = []
    for members in groups.values():
        if current and len(current) + len(members) > step_items:
            steps.append(current)
            current = []
        current.extend(members)
    if current:
        steps.append(current)
    return steps
