"""The sandbox's own failures: the infrastructure broke, not the program.

Why a hierarchy with fields: callers map every one of these to a ``sandbox_error`` verdict (the
reward is unknown), and logs need to say which instance and what it was doing.
"""

from __future__ import annotations

__all__ = ["RunnerProtocolError", "SandboxError", "SandboxUnavailableError"]


class SandboxError(Exception):
    """Base class: the sandbox could not judge a job."""

    def __init__(self, message: str, *, backend: str = "") -> None:
        super().__init__(message)
        self.backend = backend


class SandboxUnavailableError(SandboxError):
    """No containment is available (bwrap/Docker missing or broken), or the pool is closed."""


class RunnerProtocolError(SandboxError):
    """The runner died, timed out, or answered something that is not the protocol."""

    def __init__(self, message: str, *, backend: str = "", op: str = "") -> None:
        super().__init__(message, backend=backend)
        self.op = op
