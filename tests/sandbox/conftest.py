"""Fixtures shared by the sandbox tests: one started sandbox per available backend, per session.

``sandbox_backend`` is parametrized over every backend that can run here, so the security suite
and the verdict tables are written once and run on each (the Docker backend adds itself here).
A backend that cannot run on this machine is skipped with the reason, never silently passed.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from sandbox.backend import Sandbox, SandboxError
from sandbox.bwrap import BwrapSandbox, bwrap_available
from sandbox.pool import PoolConfig

_BACKENDS = ["bwrap", "docker"]


def _start_bwrap() -> Sandbox:
    if not bwrap_available():
        pytest.skip("bwrap is not installed")
    sandbox = BwrapSandbox(pool=PoolConfig(size=2, acquire_timeout_s=60.0))
    try:
        sandbox.start()
    except SandboxError as exc:
        pytest.skip(f"bwrap cannot run here: {exc}")
    return sandbox


_REPO = Path(__file__).resolve().parents[2]
_DOCKERD_WAIT_S = 60


@functools.cache
def _docker_engine_problem() -> str:
    """Why no Docker engine is usable here ("" when one is), after trying to start one (once)."""
    if shutil.which("dockerd") is None and shutil.which("docker") is None:
        return "docker.io is not installed"
    try:
        started = subprocess.run(
            [str(_REPO / "scripts" / "start-dockerd")],
            capture_output=True,
            text=True,
            timeout=_DOCKERD_WAIT_S + 30,
            env={**os.environ, "ARBITER_DOCKERD_WAIT_S": str(_DOCKERD_WAIT_S)},
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"scripts/start-dockerd failed: {exc}"
    return "" if started.returncode == 0 else f"no Docker engine: {started.stderr.strip()[-600:]}"


def require_docker() -> None:
    """Skip without a Docker engine; in CI (CI=true) fail instead: there the backend must be tested."""
    problem = _docker_engine_problem()
    if problem:
        _docker_unavailable(problem)


def _docker_unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"the Docker backend must run in CI: {reason}")
    pytest.skip(f"Docker backend unavailable: {reason}")


def _start_docker() -> Sandbox:
    from sandbox.container import DockerSandbox

    require_docker()
    sandbox = DockerSandbox(pool=PoolConfig(size=2, acquire_timeout_s=60.0, start_timeout_s=120.0))
    try:
        sandbox.start()
    except SandboxError as exc:  # e.g. the image is missing: scripts/build-sandbox-image
        _docker_unavailable(str(exc))
    return sandbox


_STARTERS = {"bwrap": _start_bwrap, "docker": _start_docker}


# A secret in the environment of the process that starts the sandboxes: programs must not see it.
SECRET_ENV_NAME = "ARBITER_TEST_SECRET"
SECRET_ENV_VALUE = "s3cr3t-" + uuid.uuid4().hex


@pytest.fixture(scope="session")
def _started_sandboxes() -> Iterator[dict[str, Sandbox]]:
    started: dict[str, Sandbox] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SECRET_ENV_NAME, SECRET_ENV_VALUE)
        yield started
        for sandbox in started.values():
            sandbox.close()


@pytest.fixture(params=_BACKENDS)
def sandbox_backend(request: pytest.FixtureRequest, _started_sandboxes: dict[str, Sandbox]) -> Sandbox:
    """A started sandbox of each available backend (shared by the session)."""
    name = request.param
    if name not in _started_sandboxes:
        _started_sandboxes[name] = _STARTERS[name]()
    return _started_sandboxes[name]
