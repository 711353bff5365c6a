"""A warm, self-healing pool of runner processes, for any backend that starts runners as processes.

Why a pool: a job must never wait for a sandbox to start. Instances are pre-spawned; one is
recycled after ``jobs_per_instance`` jobs, after any limit breach and after any protocol error,
and a replacement is spawned in the background. All spawning happens on one long-lived thread:
``bwrap --die-with-parent`` ties an instance's life to the thread that started it.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from sandbox.compile_cache import CompileCache
from sandbox.errors import RunnerProtocolError, SandboxError, SandboxUnavailableError
from sandbox.job import Job
from sandbox.result import JobResult, Verdict
from sandbox.runner_client import RunnerClient

__all__ = ["PoolConfig", "PoolStats", "RunnerPool", "RunnerProcess", "WarmPool", "needs_recycling"]

# After these an instance may be dirty (killed mid-write, memory fragmented, a runner error): replace it.
_RECYCLE_AFTER = frozenset(
    {Verdict.TIME_LIMIT, Verdict.MEMORY_LIMIT, Verdict.OUTPUT_LIMIT, Verdict.SANDBOX_ERROR}
)


def needs_recycling(result: JobResult, jobs_done: int, jobs_per_instance: int, closing: bool) -> bool:
    """Whether an instance that just ran ``result`` goes back to the idle pool or is replaced:
    after a limit breach, after ``jobs_per_instance`` jobs, or when the pool is closing.
    One rule for every backend, so bwrap and Docker instances age the same way."""
    breached = any(t.status in _RECYCLE_AFTER for t in result.tests)
    return breached or closing or jobs_done >= jobs_per_instance


@dataclass(frozen=True, slots=True)
class PoolConfig:
    """How many warm instances, how long each lives, how long to wait for one.

    ``max_running``: at most this many jobs run at once however many instances are warm (None: the
    host's CPU count). Time is judged on CPU time, but a program that waits for a core still
    runs into its wall limit; more programs than cores would also slow every one of them down.
    ``compile_cache_mb``: host memory for compiled C++ binaries (0: no cache).
    """

    size: int = 2
    jobs_per_instance: int = 200
    acquire_timeout_s: float = 120.0
    start_timeout_s: float = 30.0
    job_retries: int = 1  # a job hit by an infrastructure failure is retried on a fresh instance
    max_running: int | None = None
    compile_cache_mb: int = 256

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError("PoolConfig.size must be >= 1")
        if self.max_running is not None and self.max_running < 1:
            raise ValueError("PoolConfig.max_running must be >= 1")
        if self.compile_cache_mb < 0:
            raise ValueError("PoolConfig.compile_cache_mb must be >= 0")

    @property
    def running_limit(self) -> int:
        """Jobs that may run at once."""
        return self.max_running if self.max_running is not None else max(os.cpu_count() or 1, 1)


@dataclass(frozen=True, slots=True)
class PoolStats:
    """Counters for metrics and health checks."""

    size: int
    idle: int
    live: int
    spawned: int
    recycled: int
    jobs: int
    protocol_errors: int
    spawn_failures: int
    last_error: str


class _Instance(Protocol):
    client: RunnerClient
    jobs_done: int


InstanceT = TypeVar("InstanceT", bound=_Instance)


class WarmPool(Generic[InstanceT]):
    """The job loop every backend's pool shares, so a job is treated the same on bwrap and Docker:
    take a warm instance, run the job on its runner, retire the instance on a protocol error and
    try again (``job_retries``), then count the job and recycle or reuse the instance.

    A backend supplies how instances are acquired and retired, what a protocol failure looked like
    (``_failure_detail``) and what a job gets when no instance can be had (``_unavailable``).
    """

    name: str
    _idle: queue.Queue[InstanceT]
    _lock: threading.Lock
    _jobs: int
    _closed: bool

    @property
    def _pool_config(self) -> PoolConfig:
        raise NotImplementedError

    def _acquire(self) -> InstanceT:
        raise NotImplementedError

    def _retire(self, instance: InstanceT, *, error: str = "") -> None:
        raise NotImplementedError

    def _failure_detail(self, instance: InstanceT, exc: RunnerProtocolError) -> str:
        return str(exc)

    def _unavailable(self, job: Job, exc: SandboxError) -> JobResult:
        raise exc

    _runtime_id = ""  # names the runtime root in compile-cache keys

    def __init__(self, config: PoolConfig) -> None:
        self._running = threading.BoundedSemaphore(min(config.running_limit, config.size))
        self.compile_cache = CompileCache(config.compile_cache_mb * 1024 * 1024)

    def run(self, job: Job) -> JobResult:
        """Run one job on a warm instance; infrastructure failures are retried, then reported.
        At most ``PoolConfig.running_limit`` jobs run at once."""
        config = self._pool_config
        if not self._running.acquire(timeout=config.acquire_timeout_s):
            return self._unavailable(
                job,
                SandboxUnavailableError(
                    f"{self.name}: no run slot free within {config.acquire_timeout_s}s", backend=self.name
                ),
            )
        try:
            return self._run(job)
        finally:
            self._running.release()

    def _run(self, job: Job) -> JobResult:
        config = self._pool_config
        last = ""
        for _ in range(config.job_retries + 1):
            try:
                instance = self._acquire()
            except SandboxError as exc:
                return self._unavailable(job, exc)
            try:
                result = instance.client.run_job(job, self.compile_cache, self._runtime_id)
            except RunnerProtocolError as exc:
                last = self._failure_detail(instance, exc)
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


class RunnerProcess:
    """One runner in its own process (and process group); the pool's unit of reuse."""

    def __init__(
        self, argv: Sequence[str], env: Mapping[str, str], start_timeout_s: float, backend: str
    ) -> None:
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        self.process = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=dict(env),
            start_new_session=True,
            close_fds=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.client = RunnerClient(self.process.stdout, self.process.stdin, backend=backend)
        self.jobs_done = 0
        try:
            self.client.wait_ready(start_timeout_s)
        except RunnerProtocolError as exc:
            detail = self.stderr_tail()
            self.kill()
            raise SandboxUnavailableError(
                f"runner did not start: {exc}; stderr: {detail}", backend=backend
            ) from exc

    def stderr_tail(self, limit_bytes: int = 2000) -> str:
        """What the runner (or bwrap) said on stderr, for error messages."""
        with contextlib.suppress(OSError, ValueError):
            self._stderr.seek(0)
            return self._stderr.read()[-limit_bytes:].decode("utf-8", "replace")
        return ""

    def kill(self) -> None:
        """Kill the whole process group and reap it."""
        with contextlib.suppress(OSError):
            os.killpg(self.process.pid, signal.SIGKILL)
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        self._stderr.close()


class RunnerPool(WarmPool[RunnerProcess]):
    """Thread-safe: ``run`` blocks until an instance is free, then runs the job on it."""

    def __init__(
        self, name: str, argv: Callable[[], Sequence[str]], env: Mapping[str, str], config: PoolConfig
    ) -> None:
        super().__init__(config)
        self.name = name
        self._argv = argv
        self._env = dict(env)
        self._config = config
        self._idle: queue.Queue[RunnerProcess] = queue.Queue()
        self._lock = threading.Lock()
        self._live = 0
        self._spawner: ThreadPoolExecutor | None = None
        self._closed = False
        self._spawned = self._recycled = self._jobs = self._protocol_errors = self._spawn_failures = 0
        self._last_error = ""

    def start(self) -> None:
        """Pre-spawn every instance; raises SandboxUnavailableError when none can start."""
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{self.name}-spawner")
        futures = [self._request_spawn() for _ in range(self._config.size)]
        errors = [f.exception() for f in futures]
        if all(e is not None for e in errors):
            self.close()
            raise SandboxUnavailableError(
                f"{self.name}: no runner could start: {errors[0]}", backend=self.name
            )

    def _request_spawn(self) -> Future[None]:
        assert self._spawner is not None
        with self._lock:
            self._live += 1
        return self._spawner.submit(self._spawn_one)

    def _spawn_one(self) -> None:
        try:
            instance = RunnerProcess(self._argv(), self._env, self._config.start_timeout_s, self.name)
        except (OSError, SandboxError) as exc:
            with self._lock:
                self._live -= 1
                self._spawn_failures += 1
                self._last_error = str(exc)[:500]
            raise
        if self._closed:
            instance.kill()
            return
        with self._lock:
            self._spawned += 1
        self._idle.put(instance)

    def _retire(self, instance: RunnerProcess, *, error: str = "") -> None:
        instance.kill()
        with self._lock:
            self._live -= 1
            self._recycled += 1
            if error:
                self._protocol_errors += 1
                self._last_error = error[:500]
        if not self._closed and self._spawner is not None:
            with contextlib.suppress(RuntimeError):  # the spawner shut down meanwhile
                self._request_spawn()

    def _acquire(self) -> RunnerProcess:
        deadline = time.monotonic() + self._config.acquire_timeout_s
        while True:
            if self._closed:
                raise SandboxUnavailableError(f"{self.name}: pool is closed", backend=self.name)
            with self._lock:
                if self._live < self._config.size and self._spawner is not None:
                    # a failed spawn left a hole: try again (the pool heals itself)
                    self._live += 1
                    self._spawner.submit(self._spawn_one)
            try:
                return self._idle.get(timeout=min(1.0, max(deadline - time.monotonic(), 0.01)))
            except queue.Empty:
                if time.monotonic() >= deadline:
                    raise SandboxUnavailableError(
                        f"{self.name}: no runner free within {self._config.acquire_timeout_s}s ({self._last_error})",
                        backend=self.name,
                    ) from None

    @property
    def _pool_config(self) -> PoolConfig:
        return self._config

    def _failure_detail(self, instance: RunnerProcess, exc: RunnerProtocolError) -> str:
        return f"{exc}; stderr: {instance.stderr_tail(300)}"

    def healthy(self) -> bool:
        """True when an idle instance answers a ping (or all are busy and none failed to spawn)."""
        if self._closed:
            return False
        try:
            instance = self._idle.get_nowait()
        except queue.Empty:
            with self._lock:
                return self._live > 0
        ok = instance.client.ping(timeout_s=5.0)
        if ok:
            self._idle.put(instance)
        else:
            self._retire(instance)
        return ok

    def stats(self) -> PoolStats:
        """A snapshot of the counters."""
        with self._lock:
            return PoolStats(
                size=self._config.size,
                idle=self._idle.qsize(),
                live=self._live,
                spawned=self._spawned,
                recycled=self._recycled,
                jobs=self._jobs,
                protocol_errors=self._protocol_errors,
                spawn_failures=self._spawn_failures,
                last_error=self._last_error,
            )

    def close(self) -> None:
        """Kill every idle instance and stop spawning; busy ones are killed when returned."""
        self._closed = True
        if self._spawner is not None:
            self._spawner.shutdown(wait=True, cancel_futures=True)
        while True:
            try:
                self._idle.get_nowait().kill()
            except queue.Empty:
                return
