"""The one warm, self-healing pool every backend runs on; a backend is a small instance factory.

Why a pool: a job must never wait for a sandbox to start. Instances are pre-spawned; one is
recycled after ``jobs_per_instance`` jobs, after any limit breach, after any protocol error and
when its runner could not wipe a job's leftovers, and a replacement is spawned in the background.
All spawning happens on one long-lived thread: ``bwrap --die-with-parent`` ties an instance's life
to the thread that started it. Why one pool for all backends: a job must be treated the same on
bwrap and on Docker (retries, recycling, healing, the running-jobs bound, the compile cache); a
backend only says how to make, check and destroy one instance (``InstanceFactory``).
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, Protocol, TypeVar

from sandbox.compile_cache import CompileCache
from sandbox.errors import RunnerProtocolError, SandboxError, SandboxUnavailableError
from sandbox.job import Job
from sandbox.pool_config import PoolConfig, PoolStats
from sandbox.result import JobResult, Verdict
from sandbox.runner_client import RunnerClient
from sandbox.runner_process import ProcessFactory, RunnerProcess

__all__ = [
    "JOB_DEADLINE_PASSED",
    "InstanceFactory",
    "PoolConfig",
    "PoolStats",
    "ProcessFactory",
    "RunnerPool",
    "RunnerProcess",
    "WarmPool",
    "needs_recycling",
]

# The error of a job abandoned at its deadline (its runner killed, nothing retried).
JOB_DEADLINE_PASSED = "job deadline passed"

# After these an instance may be dirty (killed mid-write, memory fragmented, a runner error): replace it.
_MAX_RESPAWN_DELAY_S = 30.0
_RECYCLE_AFTER = frozenset(
    {Verdict.TIME_LIMIT, Verdict.MEMORY_LIMIT, Verdict.OUTPUT_LIMIT, Verdict.SANDBOX_ERROR}
)


def needs_recycling(result: JobResult, jobs_done: int, jobs_per_instance: int, closing: bool) -> bool:
    """Whether an instance that just ran ``result`` goes back to the idle pool or is replaced:
    after a limit breach, after ``jobs_per_instance`` jobs, or when the pool is closing.
    One rule for every backend, so bwrap and Docker instances age the same way."""
    breached = any(t.status in _RECYCLE_AFTER for t in result.tests)
    return breached or closing or jobs_done >= jobs_per_instance


class _Instance(Protocol):
    client: RunnerClient
    jobs_done: int
    retired: bool


InstanceT = TypeVar("InstanceT", bound=_Instance)


class InstanceFactory(Protocol[InstanceT]):
    """What a backend supplies: how to make, check and destroy one instance."""

    name: str
    runtime_id: str  # names the runtime root in compile-cache keys

    def open(self) -> None:
        """Check the backend can run at all (raises SandboxUnavailableError with the reason)."""

    def create(self, on_death: Callable[[InstanceT], None]) -> InstanceT:
        """Start one instance and wait for its runner's hello (blocking; raises SandboxError or
        OSError). ``on_death`` may be called from any thread when the instance dies by itself."""
        ...

    def alive(self, instance: InstanceT) -> bool:
        """Cheap check that an idle instance is still there."""
        ...

    def destroy(self, instance: InstanceT) -> None:
        """Kill and remove one instance (idempotent)."""

    def failure_detail(self, instance: InstanceT, exc: RunnerProtocolError) -> str:
        """What a protocol failure looked like (the runner's stderr)."""
        ...

    def close(self) -> None:
        """Release what ``open`` took."""


class WarmPool(Generic[InstanceT]):
    """Thread-safe: ``run`` blocks until an instance is free, then runs the job on it.

    A job hit by an infrastructure failure is retried on a fresh instance (``job_retries``), then
    reported as ``sandbox_error``, never as the program's failure; so is a job for which no
    instance can be had (pool closed, not started, none free in time).
    """

    def __init__(self, factory: InstanceFactory[InstanceT], config: PoolConfig) -> None:
        self.name = factory.name
        self._factory = factory
        self._config = config
        self._running = threading.BoundedSemaphore(min(config.running_limit, config.size))
        self.compile_cache = CompileCache(config.compile_cache_mb * 1024 * 1024)
        self._idle: queue.Queue[InstanceT] = queue.Queue()
        self._live: set[InstanceT] = set()
        self._lock = threading.Lock()
        self._spawner: ThreadPoolExecutor | None = None
        self._reaper: ThreadPoolExecutor | None = None
        self._closed = False
        self._closing = threading.Event()  # wakes a replacement's back-off sleep on close()
        self._pending = 0  # spawns submitted, not yet finished
        self._respawn_delay_s = 0.0
        self._spawned = self._recycled = self._jobs = self._protocol_errors = self._spawn_failures = 0
        self._last_error = ""

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        """Open the backend and warm ``size`` instances (bounded wait); raises
        SandboxUnavailableError when none can start."""
        self._factory.open()
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{self.name}-spawner")
        self._reaper = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{self.name}-reaper")
        for _ in range(self._config.size):
            self._schedule_spawn()
        deadline = time.monotonic() + self._config.start_timeout_s + 5.0
        while time.monotonic() < deadline:
            with self._lock:
                if self._pending == 0:
                    break
            self._closing.wait(0.02)
        with self._lock:
            live, error = len(self._live), self._last_error
        if live == 0:
            self.close()
            raise SandboxUnavailableError(f"{self.name}: no runner could start: {error}", backend=self.name)

    def close(self) -> None:
        """Destroy every instance and stop spawning; idempotent. Busy instances are destroyed
        too: their jobs end as sandbox errors."""
        with self._lock:
            self._closed = True
            live = list(self._live)
        self._closing.set()
        if self._spawner is not None:
            self._spawner.shutdown(wait=True, cancel_futures=True)
        for instance in live:
            self._retire(instance)
        if self._reaper is not None:
            self._reaper.shutdown(wait=True)
        with contextlib.suppress(Exception):
            self._factory.close()

    def healthy(self) -> bool:
        """True when an idle instance answers a ping (or all are busy and some are live)."""
        if self._closed:
            return False
        try:
            instance = self._idle.get_nowait()
        except queue.Empty:
            with self._lock:
                return bool(self._live)
        if not instance.retired and self._factory.alive(instance) and instance.client.ping(timeout_s=5.0):
            self._idle.put(instance)
            return True
        self._retire(instance, error="health check failed")
        return False

    def stats(self) -> PoolStats:
        """A snapshot of the counters."""
        with self._lock:
            return PoolStats(
                size=self._config.size,
                idle=self._idle.qsize(),
                live=len(self._live),
                spawned=self._spawned,
                recycled=self._recycled,
                jobs=self._jobs,
                protocol_errors=self._protocol_errors,
                spawn_failures=self._spawn_failures,
                last_error=self._last_error,
            )

    # -- jobs ----------------------------------------------------------------------------
    def run(self, job: Job) -> JobResult:
        """Run one job on a warm instance; infrastructure failures are retried, then reported.
        At most ``PoolConfig.running_limit`` jobs run at once."""
        config = self._config
        wait_s = config.acquire_timeout_s
        if job.deadline_unix_s is not None:
            wait_s = min(wait_s, max(job.deadline_unix_s - time.time(), 0.0))
        if not self._running.acquire(timeout=wait_s):
            if _past(job):
                return self._unavailable(job, JOB_DEADLINE_PASSED)
            return self._unavailable(job, f"no run slot free within {config.acquire_timeout_s}s")
        try:
            return self._run(job)
        finally:
            self._running.release()

    def _unavailable(self, job: Job, why: str) -> JobResult:
        return JobResult.infrastructure_failure(len(job.tests), f"{self.name}: {why}")

    def _run(self, job: Job) -> JobResult:
        config = self._config
        last = ""
        for _ in range(config.job_retries + 1):
            if _past(job):  # never retried past its deadline: nobody waits for the answer
                return self._unavailable(job, JOB_DEADLINE_PASSED)
            try:
                instance = self._acquire()
            except SandboxError as exc:
                return self._unavailable(job, str(exc))
            if _past(job):
                self._idle.put(instance)  # waited too long for it: untouched, it stays warm
                return self._unavailable(job, JOB_DEADLINE_PASSED)
            try:
                result = instance.client.run_job(job, self.compile_cache, self._factory.runtime_id)
            except RunnerProtocolError as exc:
                last = self._factory.failure_detail(instance, exc)
                self._retire(instance, error=last)
                continue
            except BaseException:
                self._retire(instance)
                raise
            instance.jobs_done += 1
            with self._lock:
                self._jobs += 1
            dirty = instance.client.dirty  # leftovers it could not wipe: never reuse it
            if dirty or needs_recycling(result, instance.jobs_done, config.jobs_per_instance, self._closed):
                self._retire(instance)
            else:
                self._idle.put(instance)
            return result
        return JobResult.infrastructure_failure(len(job.tests), f"{self.name}: {last}")

    def _acquire(self) -> InstanceT:
        if self._spawner is None:
            raise SandboxUnavailableError("the pool is not started (call start())", backend=self.name)
        deadline = time.monotonic() + self._config.acquire_timeout_s
        while True:
            if self._closed:
                raise SandboxUnavailableError("the pool is closed", backend=self.name)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SandboxUnavailableError(
                    f"no instance free within {self._config.acquire_timeout_s:.0f}s ({self._last_error})",
                    backend=self.name,
                )
            try:
                instance = self._idle.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                self._top_up()
                continue
            if instance.retired:
                continue
            if not self._factory.alive(instance):  # died while idle (killed, OOM): heal, take another
                self._retire(instance, error="instance died while idle")
                continue
            return instance

    # -- instances -----------------------------------------------------------------------
    def _schedule_spawn(self) -> None:
        with self._lock:
            if self._closed or self._spawner is None:
                return
            self._pending += 1
        try:
            self._spawner.submit(self._spawn_one)
        except RuntimeError:  # the spawner is shutting down
            with self._lock:
                self._pending -= 1

    def _spawn_one(self) -> None:
        try:
            with self._lock:
                delay = self._respawn_delay_s
            if delay and self._closing.wait(delay):  # back off after failures; close() wakes it
                return
            try:
                instance = self._factory.create(self._on_death)
            except (OSError, SandboxError) as exc:
                with self._lock:
                    self._spawn_failures += 1
                    self._last_error = str(exc)[:500]
                    self._respawn_delay_s = min(max(self._respawn_delay_s * 2, 0.5), _MAX_RESPAWN_DELAY_S)
                return
            with self._lock:
                closed = self._closed
                if not closed:
                    self._live.add(instance)
                    self._spawned += 1
                    self._respawn_delay_s = 0.0
            if closed:
                instance.retired = True
                self._factory.destroy(instance)
                return
            self._idle.put(instance)
        finally:
            with self._lock:
                self._pending -= 1

    def _top_up(self) -> None:
        """Spawn again where failed spawns left the pool short (the pool heals itself)."""
        with self._lock:
            missing = self._config.size - len(self._live) - self._pending
        for _ in range(max(missing, 0)):
            self._schedule_spawn()

    def _on_death(self, instance: InstanceT) -> None:
        if not instance.retired:
            self._retire(instance, error="instance died")

    def _retire(self, instance: InstanceT, *, error: str = "") -> None:
        """Take an instance out of service once, destroy it, and start its replacement."""
        with self._lock:
            if instance.retired:
                return
            instance.retired = True
            self._live.discard(instance)
            self._recycled += 1
            if error:
                self._protocol_errors += 1
                self._last_error = error[:500]
            closed = self._closed
        reaper = self._reaper
        try:
            if reaper is None:
                raise RuntimeError
            reaper.submit(self._factory.destroy, instance)
        except RuntimeError:  # not started or shutting down
            self._factory.destroy(instance)
        if not closed:
            self._top_up()


class RunnerPool(WarmPool[RunnerProcess]):
    """The warm pool on runner processes started from ``argv()``."""

    def __init__(
        self,
        name: str,
        argv: Callable[[], Sequence[str]],
        env: Mapping[str, str],
        config: PoolConfig,
        runtime_id: str = "",
    ) -> None:
        factory = ProcessFactory(name, argv, env, config.start_timeout_s)
        factory.runtime_id = runtime_id
        super().__init__(factory, config)


def _past(job: Job) -> bool:
    """The job's deadline (``Job.deadline_unix_s``) has passed."""
    return job.deadline_unix_s is not None and time.time() >= job.deadline_unix_s
