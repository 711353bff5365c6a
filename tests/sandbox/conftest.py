"""Fixtures shared by the sandbox tests: one started sandbox per available backend, per session.

``sandbox_backend`` is parametrized over every backend that can run here, so the security suite
and the verdict tables are written once and run on each (the Docker backend adds itself here).
A backend that cannot run on this machine is skipped with the reason, never silently passed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from sandbox.backend import Sandbox, SandboxError
from sandbox.bwrap import BwrapSandbox, bwrap_available
from sandbox.pool import PoolConfig

_BACKENDS = ["bwrap"]


def _start_bwrap() -> Sandbox:
    if not bwrap_available():
        pytest.skip("bwrap is not installed")
    sandbox = BwrapSandbox(pool=PoolConfig(size=2, acquire_timeout_s=60.0))
    try:
        sandbox.start()
    except SandboxError as exc:
        pytest.skip(f"bwrap cannot run here: {exc}")
    return sandbox


_STARTERS = {"bwrap": _start_bwrap}


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
