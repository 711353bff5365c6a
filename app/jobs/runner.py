"""Async jobs: a batch too large for one request is scored in the background, step by step.

Why this shape: a trainer scoring 100k completions should not hold an HTTP request open for
minutes, and must not lose them when an API process stops. ``submit`` stores the job (state,
input split into steps) and returns; every API replica runs a ``JobRunner`` whose sweeper adopts
jobs that nobody drives (new ones, and those whose driver died: its lease expired, or it let go
on SIGTERM) and drives them: each step is scored through the normal scorer (queue, workers,
cache), its results stored, the progress recorded. A job never stays ``running`` without
progress past ``stall_timeout_s``: a step that cannot be scored that long (no worker, queue
full, store down) fails the job with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from app.deadline import Deadline
from app.errors import ServiceError, UnavailableError
from app.jobs.store import (
    JobInput,
    JobState,
    JobStatus,
    JobStore,
    MemoryJobStore,
    RedisJobStore,
    Step,
)
from app.queue.payload import Spec
from app.results import ItemResult
from app.scoring import Scorer
from verifiers import Sample

__all__ = ["JobRunner", "JobState", "JobStatus", "JobStore", "MemoryJobStore", "RedisJobStore"]

_log = logging.getLogger(__name__)
_STORE_RETRY_S = 0.5  # pause between tries of a job-store write while the stall bound allows
_MAX_DRIVER_FAILURES = 3  # a job whose driver fails this often in one process fails with the error

ResultShaper = Callable[[ItemResult], dict[str, Any]]


class JobRunner:
    """Accepts jobs and drives up to ``concurrency`` of them at once in this process."""

    def __init__(
        self,
        *,
        scorer: Scorer,
        store: JobStore,
        step_items: int,
        timeout_s: float,
        shape: ResultShaper,
        retry_after_s: float = 2.0,
        lease_s: float = 15.0,
        stall_timeout_s: float = 600.0,
        concurrency: int = 4,
    ) -> None:
        self._retry_after_s = retry_after_s
        self._scorer = scorer
        self._store = store
        self._step_items = step_items
        self._timeout_s = timeout_s
        self._shape = shape
        self._lease_s = lease_s
        self._stall_timeout_s = stall_timeout_s
        self._concurrency = concurrency
        self.owner = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._driving: dict[str, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._sweeper: asyncio.Task[None] | None = None
        self._store_down_logged = False
        self._driver_failures: dict[str, int] = {}

    @property
    def store(self) -> JobStore:
        return self._store

    def start(self) -> None:
        """Start the sweeper (needs a running loop): it adopts jobs nobody drives."""
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_loop(), name="arbiter-job-sweeper")

    async def submit(self, samples: Sequence[Sample], specs: Sequence[Spec]) -> JobState:
        """Store the job as queued (a 503 if the store is down); a driver picks it up."""
        state = JobState(
            job_id=uuid.uuid4().hex,
            status=JobStatus.QUEUED,
            total=len(samples),
            durability=self._store.durability,
        )
        steps = tuple(
            Step(tuple(idx), tuple(samples[i] for i in idx)) for idx in _steps(samples, self._step_items)
        )
        try:
            await self._store.create(state, JobInput(tuple(specs), steps))
        except Exception as exc:
            raise self._unavailable(exc) from None
        self._wake.set()
        return state

    async def get(self, job_id: str) -> JobState | None:
        """A job's state (None: unknown or expired); a store outage is a 503, not a 500."""
        try:
            return await self._store.get(job_id)
        except Exception as exc:
            raise self._unavailable(exc) from None

    def _unavailable(self, exc: Exception) -> UnavailableError:
        _log.warning("job store unavailable: %s: %s", type(exc).__name__, exc)
        return UnavailableError(
            f"job store unavailable: {type(exc).__name__}",
            retry_after_s=self._retry_after_s,
        )

    async def close(self) -> None:
        """Stop driving (shutdown). Leases are released, so in Redis mode another replica (or
        this one restarted) resumes the jobs at once; their finished steps are kept."""
        tasks = [t for t in (self._sweeper, *self._driving.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._sweeper = None

    # --- adopting

    async def _sweep_loop(self) -> None:
        while True:
            try:
                await self._sweep()
                self._store_down_logged = False
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the store is down: try again next round, log once
                if not self._store_down_logged:
                    _log.warning("job sweep failed: %s: %s", type(exc).__name__, exc)
                    self._store_down_logged = True
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._lease_s / 3)

    async def _sweep(self) -> None:
        for job_id in await self._store.active():
            if len(self._driving) >= self._concurrency:
                return
            if job_id in self._driving:
                continue
            if await self._store.acquire(job_id, self.owner, self._lease_s):
                task = asyncio.create_task(self._drive(job_id), name=f"arbiter-job-{job_id}")
                self._driving[job_id] = task
                task.add_done_callback(functools.partial(self._finished, job_id))

    def _finished(self, job_id: str, _: object) -> None:
        self._driving.pop(job_id, None)
        self._wake.set()  # a slot is free: look for more work now

    # --- driving

    async def _drive(self, job_id: str) -> None:
        lease = asyncio.create_task(self._keep_lease(job_id, asyncio.current_task()))
        try:
            await self._run(job_id)
            self._driver_failures.pop(job_id, None)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failures = self._driver_failures[job_id] = self._driver_failures.get(job_id, 0) + 1
            _log.exception("job %s: driver failed (%d of %d)", job_id, failures, _MAX_DRIVER_FAILURES)
            if failures >= _MAX_DRIVER_FAILURES:  # a bug, not an outage: say so instead of looping
                self._driver_failures.pop(job_id, None)
                with contextlib.suppress(Exception):
                    state = await self._store.get(job_id)
                    if state is not None and not state.status.terminal:
                        await self._fail(
                            state, f"driver failed {failures} times: {type(exc).__name__}: {exc}"
                        )
        finally:
            lease.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await lease
            with contextlib.suppress(Exception):
                await asyncio.shield(self._store.release(job_id, self.owner))

    async def _keep_lease(self, job_id: str, driver: asyncio.Task[Any] | None) -> None:
        """Renew the lease while driving; a lost lease (another replica took over after an outage)
        stops this driver, so a job is never driven twice at once for long."""
        while True:
            await asyncio.sleep(self._lease_s / 3)
            try:
                held = await self._store.renew(job_id, self.owner, self._lease_s)
            except Exception as exc:
                _log.warning("job %s: lease renewal failed: %s", job_id, exc)
                continue
            if not held and driver is not None:
                _log.warning("job %s: lease lost; another replica drives it now", job_id)
                driver.cancel()
                return

    async def _run(self, job_id: str) -> None:
        state = await self._store.get(job_id)
        job = await self._store.load(job_id)
        if state is None or state.status.terminal:
            await self._store.retire(job_id)
            return
        if job is None:
            await self._fail(state, "the job's input expired or was lost from the store")
            return
        finished = await self._store.finished_steps(job_id)
        if state.status is JobStatus.RUNNING:  # its previous driver stopped: take over
            _log.info("job %s: resuming at %d of %d steps", job_id, len(finished), len(job.steps))
            state = replace(state, resumed=state.resumed + 1)
        done = sum(len(job.steps[n].positions) for n in finished)
        state = replace(state, status=JobStatus.RUNNING, done=done, updated_s=time.time())
        await self._write(state, self._store.put, state)
        for n, step in enumerate(job.steps):
            if n in finished:
                continue
            scored = await self._score(state, step, job.specs)
            if scored is None:
                return  # failed, with the reason recorded
            await self._write(state, self._store.put_step, job_id, n, [self._shape(r) for r in scored])
            state = replace(state, done=state.done + len(step.positions), updated_s=time.time())
            await self._write(state, self._store.put, state)
        await self._write(
            state, self._store.put, replace(state, status=JobStatus.DONE, updated_s=time.time())
        )
        await self._store.retire(job_id)

    async def _score(self, state: JobState, step: Step, specs: Sequence[Spec]) -> list[ItemResult] | None:
        """One step, waiting out backpressure (a job has no client to send 429 to) until the
        stall bound; then the job fails with the last refusal as its reason."""
        stalled_since = time.monotonic()
        while True:
            try:
                return await self._scorer.score(step.samples, specs, Deadline.after(self._timeout_s))
            except ServiceError as exc:
                if getattr(exc, "retry_after_s", None) is None:  # the request itself is refused
                    await self._fail(state, f"{type(exc).__name__}: {exc.message}")
                    return None
                reason, pause_s = exc.message, float(getattr(exc, "retry_after_s", 1.0))
            except Exception as exc:  # an outage below the scorer (cache, Redis): wait it out too
                reason, pause_s = f"{type(exc).__name__}: {exc}", _STORE_RETRY_S
            stalled_s = time.monotonic() - stalled_since
            if stalled_s >= self._stall_timeout_s:
                await self._fail(state, f"no progress for {stalled_s:.0f} s: {reason}")
                return None
            await asyncio.sleep(min(pause_s, self._stall_timeout_s - stalled_s))

    async def _write(self, state: JobState, write: Callable[..., Any], *args: Any) -> None:
        """A store write that outlives an outage up to the stall bound (a Redis failover must not
        throw minutes of scoring away); past it the driver gives up and the lease lapses, so
        another replica resumes the job once the store is back."""
        started = time.monotonic()
        while True:
            try:
                await write(*args)
                return
            except Exception:
                if time.monotonic() - started >= self._stall_timeout_s:
                    raise
                await asyncio.sleep(_STORE_RETRY_S)

    async def _fail(self, state: JobState, reason: str) -> None:
        _log.warning("job %s failed: %s", state.job_id, reason)
        failed = replace(state, status=JobStatus.FAILED, error=reason, updated_s=time.time())
        await self._write(state, self._store.put, failed)
        await self._store.retire(state.job_id)


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
