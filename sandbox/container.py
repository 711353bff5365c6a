"""The Docker backend: a warm pool of locked-down containers, each running one runner for its life.

Why a pool of long-lived containers: ``docker run`` costs seconds and ``docker exec`` tens of
milliseconds here, more than a test. Each container's main process (PID 1) is the shared runner
(``sandbox/inside/runner.py``, bind-mounted read-only with the rest of ``inside/``); the backend attaches to its stdin/stdout once, at
creation, and sends it one job at a time. Limits are enforced inside by the runner (it kills process
groups; killing a docker client would leave the program running), and the container's own cgroup
limits (memory, pids, CPU), read-only root, dropped capabilities, no network and an unprivileged uid
are the outer wall.

The pool itself is the one every backend shares (``sandbox.pool.WarmPool``: recycling, healing,
retries, the running-jobs bound, the compile cache); this module is only its factory: how one
container is created, attached to, checked and removed. A container that dies (``docker kill``,
OOM) is noticed by its attach stream and replaced at once.
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sandbox.attached_stream import AttachedStream
from sandbox.compile_cache import CompileCache
from sandbox.container_spec import UID_RANGE, DockerConfig, create_arguments
from sandbox.errors import RunnerProtocolError, SandboxUnavailableError
from sandbox.job import Job
from sandbox.pool import PoolConfig, PoolStats, WarmPool
from sandbox.result import JobResult
from sandbox.rootfs import write_neutral_proc_files
from sandbox.runner_client import RunnerClient

__all__ = ["DockerConfig", "DockerSandbox", "make_docker_sandbox"]

_POOL_LABEL = "org.arbiter.sandbox.pool"
_BACKEND = "docker"


class _Container:
    """One container, its attach stream and the runner client talking through it."""

    def __init__(self, container: Any, stream: AttachedStream, uid: int) -> None:
        self.container = container
        self.stream = stream
        self.uid = uid
        self.client = RunnerClient(stream.reader, stream.writer, backend=_BACKEND)
        self.jobs_done = 0
        self.retired = False


class _DockerFactory:
    """Makes, checks and removes one locked-down container (``container_spec``) for the warm pool."""

    name = _BACKEND

    def __init__(self, config: DockerConfig, pool: PoolConfig, pool_id: str) -> None:
        self._config = config
        self._start_timeout_s = pool.start_timeout_s
        self.pool_id = pool_id
        self.runtime_id = config.image
        self._serial = itertools.count()
        self._uid_offset = int(pool_id[:8], 16) % UID_RANGE
        self._docker: Any = None
        self._neutral_dir: Path | None = None
        self._neutral_proc: dict[str, Path] = {}

    def open(self) -> None:
        """Connect to the engine and check the image (a clear error when either is missing)."""
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
            self.runtime_id = str(getattr(image, "id", "") or self._config.image)
        except Exception as exc:
            raise SandboxUnavailableError(
                f"image {self._config.image} missing (run scripts/build-sandbox-image): {exc}",
                backend=_BACKEND,
            ) from exc
        self._neutral_dir = Path(tempfile.mkdtemp(prefix="arbiter-docker-proc-"))
        self._neutral_dir.chmod(0o755)
        self._neutral_proc = write_neutral_proc_files(self._neutral_dir)

    def create(self, on_death: Callable[[_Container], None]) -> _Container:
        """Create, attach to and start one container, and wait for its runner's hello."""
        config = self._config
        serial = next(self._serial)
        uid = config.uid_base + (self._uid_offset + serial) % UID_RANGE
        container = self._docker.containers.create(
            **create_arguments(
                config,
                uid=uid,
                name=f"arbiter-sandbox-{self.pool_id}-{serial}",
                labels={_POOL_LABEL: self.pool_id},
                neutral_proc=self._neutral_proc,
            )
        )
        box: _Container | None = None
        try:
            sock = self._docker.api.attach_socket(
                container.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
            )
            holder: list[_Container] = []

            def died() -> None:  # called from the attach pump when the output ends: heal at once
                if holder:
                    on_death(holder[0])

            stream = AttachedStream(getattr(sock, "_sock", sock), name=container.name, on_close=died)
            box = _Container(container, stream, uid)
            holder.append(box)
            container.start()
            box.client.wait_ready(self._start_timeout_s)
        except Exception as exc:
            detail = f"container did not start: {exc}"
            if box is not None:
                box.retired = True
                detail += f"; stderr: {box.stream.stderr_tail()[-300:]}"
                box.stream.close()
            with contextlib.suppress(Exception):
                container.remove(force=True)
            raise SandboxUnavailableError(detail, backend=_BACKEND) from exc
        return box

    def alive(self, instance: _Container) -> bool:
        return not instance.stream.closed

    def destroy(self, instance: _Container) -> None:
        instance.stream.close()
        with contextlib.suppress(Exception):
            instance.container.remove(force=True)

    def failure_detail(self, instance: _Container, exc: RunnerProtocolError) -> str:
        tail = instance.stream.stderr_tail().strip()
        return f"{exc}" + (f"; runner stderr: {tail[-300:]}" if tail else "")

    def close(self) -> None:
        if self._docker is not None:
            with contextlib.suppress(Exception):
                self._docker.close()
        if self._neutral_dir is not None:
            shutil.rmtree(self._neutral_dir, ignore_errors=True)
            self._neutral_dir = None


class DockerSandbox:
    """``Sandbox`` on the warm pool (``sandbox.pool.WarmPool``) of Docker containers.
    ``run`` is blocking and thread-safe."""

    name = _BACKEND

    def __init__(self, config: DockerConfig | None = None, pool: PoolConfig | None = None) -> None:
        self._pool_id = uuid.uuid4().hex[:12]
        self._config = config or DockerConfig()
        self._factory = _DockerFactory(self._config, pool or PoolConfig(), self._pool_id)
        self._pool = WarmPool(self._factory, pool or PoolConfig())

    @property
    def pool_id(self) -> str:
        """The label value (``org.arbiter.sandbox.pool``) on every container of this pool."""
        return self._pool_id

    @property
    def compile_cache(self) -> CompileCache:
        """Compiled C++ binaries this pool keeps (host memory, never visible to a job)."""
        return self._pool.compile_cache

    def start(self) -> None:
        """Connect to the engine, check the image, and warm ``pool.size`` containers (bounded wait)."""
        self._pool.start()

    def run(self, job: Job) -> JobResult:
        """Judge one job (blocking; callable from many threads). A job whose limits do not fit
        in the containers' outer limits is refused before it runs (``DockerConfig.check``)."""
        why = self._config.check(job.limits)
        if why:
            return JobResult.infrastructure_failure(len(job.tests), why)
        return self._pool.run(job)

    def healthy(self) -> bool:
        """True when an idle container's runner answers a ping (or all are busy and alive)."""
        return self._pool.healthy()

    def stats(self) -> PoolStats:
        """The same counters as every pool (``sandbox.pool.PoolStats``)."""
        return self._pool.stats()

    def close(self) -> None:
        """Remove every container of this pool; idempotent."""
        self._pool.close()


def make_docker_sandbox(*, pool: PoolConfig | None = None, **options: Any) -> DockerSandbox:
    """The factory hook of ``make_sandbox("docker", ...)``: ``options`` are ``DockerConfig`` fields."""
    return DockerSandbox(DockerConfig(**options), pool=pool)
