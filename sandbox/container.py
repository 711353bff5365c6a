"""The Docker backend: a warm pool of locked-down containers, each running one runner for its life.

Why a pool of long-lived containers: ``docker run`` costs seconds and ``docker exec`` tens of
milliseconds here, more than a test. Each container's main process (PID 1) is the shared runner
(``sandbox/runner.py``, bind-mounted read-only); the backend attaches to its stdin/stdout once, at
creation, and sends it one job at a time. Limits are enforced inside by the runner (it kills process
groups; killing a docker client would leave the program running), and the container's own cgroup
limits (memory, pids, CPU), read-only root, dropped capabilities, no network and an unprivileged uid
are the outer wall.

A container is recycled after ``PoolConfig.jobs_per_instance`` jobs or after any limit breach or
protocol failure, and replaced in the background when it dies (``docker kill``, OOM), so the pool
heals. A job hit by an infrastructure failure is retried on a fresh container
(``PoolConfig.job_retries``), then reported as ``sandbox_error``, never as the program's failure.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import queue
import shutil
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sandbox.attached_stream import AttachedStream
from sandbox.container_spec import UID_RANGE, DockerConfig, create_arguments
from sandbox.errors import RunnerProtocolError, SandboxError, SandboxUnavailableError
from sandbox.job import Job
from sandbox.pool import PoolConfig, PoolStats, WarmPool
from sandbox.result import JobResult
from sandbox.rootfs import write_neutral_proc_files
from sandbox.runner_client import RunnerClient

__all__ = ["DockerConfig", "DockerSandbox", "make_docker_sandbox"]

_log = logging.getLogger(__name__)

_POOL_LABEL = "org.arbiter.sandbox.pool"
_BACKEND = "docker"
_MAX_RESPAWN_DELAY_S = 30.0


class _Container:
    """One container, its attach stream and the runner client talking through it."""

    def __init__(self, container: Any, stream: AttachedStream, uid: int) -> None:
        self.container = container
        self.stream = stream
        self.uid = uid
        self.client = RunnerClient(stream.reader, stream.writer, backend=_BACKEND)
        self.jobs_done = 0
        self.retired = False


class DockerSandbox(WarmPool[_Container]):
    """``Sandbox`` on a warm pool of Docker containers. ``run`` is blocking and thread-safe."""

    name = _BACKEND

    def __init__(self, config: DockerConfig | None = None, pool: PoolConfig | None = None) -> None:
        self._config = config or DockerConfig()
        self._pool = pool or PoolConfig()
        super().__init__(self._pool)
        self._runtime_id = self._config.image
        self._pool_id = uuid.uuid4().hex[:12]
        self._idle: queue.Queue[_Container] = queue.Queue()
        self._live: set[_Container] = set()
        self._lock = threading.Lock()
        self._serial = itertools.count()
        self._uid_offset = int(self._pool_id[:8], 16) % UID_RANGE
        self._spawner: ThreadPoolExecutor | None = None
        self._docker: Any = None
        self._closed = False
        self._closing = threading.Event()  # wakes a replacement's back-off sleep on close()
        self._respawn_delay_s = 0.0
        self._pending = 0  # replacements submitted, not yet finished
        self._spawned = self._recycled = self._jobs = self._protocol_errors = self._spawn_failures = 0
        self._last_error = ""
        self._neutral_dir: Path | None = None
        self._neutral_proc: dict[str, Path] = {}

    @property
    def pool_id(self) -> str:
        """The label value (``org.arbiter.sandbox.pool``) on every container of this pool."""
        return self._pool_id

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        """Connect to the engine, check the image, and warm ``pool.size`` containers (bounded wait)."""
        try:
            import docker  # the SDK is a service dependency; importing this module stays cheap
        except ImportError as exc:
            raise SandboxUnavailableError("the docker SDK is not installed", backend=_BACKEND) from exc
        try:
            self._docker = (
                docker.DockerClient(base_url=self._config.docker_url)
                if self._config.docker_url
                else docker.from_env()
            )
            self._docker.ping()
        except Exception as exc:
            raise SandboxUnavailableError(f"no Docker engine answers: {exc}", backend=_BACKEND) from exc
        try:
            image = self._docker.images.get(self._config.image)
            self._runtime_id = str(getattr(image, "id", "") or self._config.image)
        except Exception as exc:
            raise SandboxUnavailableError(
                f"image {self._config.image} missing (run scripts/build-sandbox-image): {exc}",
                backend=_BACKEND,
            ) from exc
        self._neutral_dir = Path(tempfile.mkdtemp(prefix="arbiter-docker-proc-"))
        self._neutral_dir.chmod(0o755)
        self._neutral_proc = write_neutral_proc_files(self._neutral_dir)
        self._spawner = ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"docker-pool-{self._pool_id}")
        for _ in range(self._pool.size):
            self._schedule_replacement()
        # Wait until every container is up (or failed), bounded; one live container is enough to
        # serve, and the pool tops itself up while callers wait.
        deadline = time.monotonic() + self._pool.start_timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if self._pending == 0:
                    break
            self._closing.wait(0.05)
        with self._lock:
            live, error = len(self._live), self._last_error
        if live == 0:
            self.close()
            raise SandboxUnavailableError(f"no Docker container could start: {error}", backend=_BACKEND)

    def close(self) -> None:
        """Remove every container of this pool; idempotent. Busy containers go when returned."""
        with self._lock:
            self._closed = True
            live = list(self._live)
        self._closing.set()
        if self._spawner is not None:
            self._spawner.shutdown(wait=True, cancel_futures=True)
        for box in live:
            self._retire(box)  # closed: removes it at once
        if self._docker is not None:
            with contextlib.suppress(Exception):
                self._docker.close()
        if self._neutral_dir is not None:
            shutil.rmtree(self._neutral_dir, ignore_errors=True)
            self._neutral_dir = None

    def healthy(self) -> bool:
        """True when an idle container's runner answers a ping (or all are busy and alive)."""
        if self._closed:
            return False
        try:
            box = self._idle.get_nowait()
        except queue.Empty:
            with self._lock:
                return any(not b.stream.closed for b in self._live)
        if not box.stream.closed and box.client.ping(timeout_s=5.0):
            self._idle.put(box)
            return True
        self._retire(box, error="health check failed")
        return False

    def stats(self) -> PoolStats:
        """The same counters as the process pools (``sandbox.pool.PoolStats``)."""
        with self._lock:
            return PoolStats(
                size=self._pool.size,
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
    @property
    def _pool_config(self) -> PoolConfig:
        return self._pool

    def _failure_detail(self, instance: _Container, exc: RunnerProtocolError) -> str:
        tail = instance.stream.stderr_tail().strip()
        return f"{exc}" + (f"; runner stderr: {tail[-300:]}" if tail else "")

    def _unavailable(self, job: Job, exc: SandboxError) -> JobResult:
        """No container to be had (not started, closed, none free in time): a sandbox error."""
        return JobResult.infrastructure_failure(len(job.tests), str(exc))

    def _acquire(self) -> _Container:
        if self._spawner is None:
            raise SandboxUnavailableError("the Docker pool is not started (call start())", backend=_BACKEND)
        deadline = time.monotonic() + self._pool.acquire_timeout_s
        while True:
            if self._closed:
                raise SandboxUnavailableError("the Docker pool is closed", backend=_BACKEND)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SandboxUnavailableError(
                    f"no container free within {self._pool.acquire_timeout_s:.0f}s ({self._last_error})",
                    backend=_BACKEND,
                )
            try:
                box = self._idle.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                self._top_up()
                continue
            if box.retired:
                continue
            if box.stream.closed:  # died while idle (docker kill, OOM): heal, take another
                self._retire(box, error="container died while idle")
                continue
            return box

    # -- the pool ------------------------------------------------------------------------
    def _create(self) -> _Container:
        """Create, attach to and start one container, and wait for its runner's hello."""
        config = self._config
        serial = next(self._serial)
        uid = config.uid_base + (self._uid_offset + serial) % UID_RANGE
        container = self._docker.containers.create(
            **create_arguments(
                config,
                uid=uid,
                name=f"arbiter-sandbox-{self._pool_id}-{serial}",
                labels={_POOL_LABEL: self._pool_id},
                neutral_proc=self._neutral_proc,
            )
        )
        box: _Container | None = None
        try:
            sock = self._docker.api.attach_socket(
                container.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
            )
            holder: list[_Container] = []
            stream = AttachedStream(
                getattr(sock, "_sock", sock), name=container.name, on_close=lambda: self._on_death(holder)
            )
            box = _Container(container, stream, uid)
            holder.append(box)
            container.start()
            box.client.wait_ready(self._pool.start_timeout_s)
        except Exception as exc:
            detail = f"container did not start: {exc}"
            if box is not None:
                box.retired = True
                detail += f"; stderr: {box.stream.stderr_tail()[-300:]}"
                box.stream.close()
            with self._lock:
                self._spawn_failures += 1
                self._last_error = detail[:500]
            with contextlib.suppress(Exception):
                container.remove(force=True)
            raise SandboxUnavailableError(detail, backend=_BACKEND) from exc
        with self._lock:
            closed = self._closed
            if not closed:
                self._live.add(box)
                self._spawned += 1
                self._respawn_delay_s = 0.0
        if closed:
            box.retired = True
            self._discard(box)
            raise SandboxUnavailableError("the Docker pool is closed", backend=_BACKEND)
        return box

    def _on_death(self, holder: list[_Container]) -> None:
        """Called from the attach pump when a container's output ends: heal at once."""
        if holder and not holder[0].retired:
            self._retire(holder[0], error="container died")

    def _retire(self, box: _Container, *, error: str = "") -> None:
        """Take a container out of service once, remove it, and start its replacement."""
        with self._lock:
            if box.retired:
                return
            box.retired = True
            self._live.discard(box)
            self._recycled += 1
            if error:
                self._protocol_errors += 1
                self._last_error = error[:500]
            closed = self._closed
        if closed or self._spawner is None:
            self._discard(box)
            return
        try:
            self._spawner.submit(self._discard, box)
        except RuntimeError:  # the spawner is shutting down
            self._discard(box)
        self._schedule_replacement()

    def _schedule_replacement(self) -> None:
        with self._lock:
            if self._closed or self._spawner is None:
                return
            self._pending += 1
        try:
            self._spawner.submit(self._replace)
        except RuntimeError:  # the spawner is shutting down
            with self._lock:
                self._pending -= 1

    def _replace(self) -> None:
        try:
            box = self._create()
        except SandboxError as exc:
            if self._closed:
                return
            _log.warning("docker sandbox: replacement failed: %s", exc)
            with self._lock:
                self._respawn_delay_s = min(max(self._respawn_delay_s * 2, 0.5), _MAX_RESPAWN_DELAY_S)
                delay = self._respawn_delay_s
            self._closing.wait(delay)  # back off; _top_up asks again while callers wait
            return
        finally:
            with self._lock:
                self._pending -= 1
        self._idle.put(box)

    def _top_up(self) -> None:
        """Re-spawn when failed replacements left the pool short (called while a caller waits)."""
        with self._lock:
            missing = self._pool.size - len(self._live) - self._pending
        for _ in range(max(missing, 0)):
            self._schedule_replacement()

    @staticmethod
    def _discard(box: _Container) -> None:
        box.stream.close()
        with contextlib.suppress(Exception):
            box.container.remove(force=True)


def make_docker_sandbox(*, pool: PoolConfig | None = None, **options: Any) -> DockerSandbox:
    """The factory hook of ``make_sandbox("docker", ...)``: ``options`` are ``DockerConfig`` fields."""
    return DockerSandbox(DockerConfig(**options), pool=pool)
