"""The ``Sandbox`` contract every backend keeps, and the factory that picks one.

Why a Protocol: the service, the bench and the security suite drive bwrap, Docker and the unsafe
local backend through the same four calls, and both real backends share one runner and one result
model, so a program gets the same verdict on either.

There is deliberately no silent fallback to running code unsandboxed: without bwrap (or Docker)
``start()`` raises ``SandboxUnavailableError``. ``local`` exists for development only and says so.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any, Protocol, runtime_checkable

from sandbox.errors import RunnerProtocolError, SandboxError, SandboxUnavailableError
from sandbox.job import Job
from sandbox.pool import PoolConfig, PoolStats, RunnerPool
from sandbox.result import JobResult
from sandbox.runner_client import RUNNER_FILES

__all__ = [
    "RunnerProtocolError",
    "Sandbox",
    "SandboxError",
    "SandboxUnavailableError",
    "UnsafeLocalSandbox",
    "make_sandbox",
]

_LOCAL_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/tmp",
    "LANG": "C.UTF-8",
    "OPENBLAS_NUM_THREADS": "1",
}


@runtime_checkable
class Sandbox(Protocol):
    """Runs jobs contained. ``run`` is blocking and thread-safe; bad programs never raise."""

    name: str

    def start(self) -> None: ...

    def run(self, job: Job) -> JobResult: ...

    def healthy(self) -> bool: ...

    def stats(self) -> Any: ...

    def close(self) -> None: ...


class UnsafeLocalSandbox:
    """DEVELOPMENT ONLY, NOT A SANDBOX: runners run on the host as the service's user.

    Limits (CPU, memory, output, processes) still apply per test, but a program can read the
    host's files, reach the network, and leave daemons behind. Never use it for model output.
    """

    name = "unsafe-local"

    def __init__(self, pool: PoolConfig | None = None, python: str = sys.executable) -> None:
        warnings.warn(
            "UnsafeLocalSandbox runs untrusted code WITHOUT containment", RuntimeWarning, stacklevel=2
        )
        self._python = python
        self._pool = RunnerPool(self.name, self._command, _LOCAL_ENV, pool or PoolConfig())

    def _command(self) -> list[str]:
        return [self._python, "-I", str(RUNNER_FILES[0])]

    def start(self) -> None:
        self._pool.start()

    def run(self, job: Job) -> JobResult:
        return self._pool.run(job)

    def healthy(self) -> bool:
        return self._pool.healthy()

    def stats(self) -> PoolStats:
        return self._pool.stats()

    def close(self) -> None:
        self._pool.close()


def make_sandbox(backend: str = "bwrap", *, pool: PoolConfig | None = None, **options: Any) -> Sandbox:
    """A not-yet-started sandbox: ``bwrap`` (default), ``docker``, or ``unsafe-local``/``local``.

    ``options`` go to the backend's config (e.g. ``rootfs=`` for bwrap). Unknown names raise
    ``SandboxUnavailableError``; call ``start()`` to find out whether it can actually run here.
    """
    if backend == "bwrap":
        from sandbox.bwrap import BwrapConfig, BwrapSandbox

        return BwrapSandbox(BwrapConfig(**options), pool=pool)
    if backend == "docker":
        from sandbox import container

        return container.make_docker_sandbox(pool=pool, **options)
    if backend in ("unsafe-local", "local"):
        return UnsafeLocalSandbox(pool=pool, **options)
    raise SandboxUnavailableError(f"unknown sandbox backend {backend!r}", backend=backend)
