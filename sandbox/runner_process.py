"""One runner as a host process (bwrap, or the unsafe local backend), and the pool's factory for it.

Why apart from the pool: the pool (``sandbox.pool``) is backend-free lifecycle; this is how one
backend family starts, checks and kills an instance: a process in its own process group whose
stdin/stdout carry the runner protocol and whose stderr is kept for error messages.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence

from sandbox.errors import RunnerProtocolError, SandboxUnavailableError
from sandbox.runner_client import RunnerClient

__all__ = ["ProcessFactory", "RunnerProcess"]


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
        self.retired = False
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


class ProcessFactory:
    """Instances that are runner processes started from an argv (bwrap, the unsafe local backend)."""

    def __init__(
        self, name: str, argv: Callable[[], Sequence[str]], env: Mapping[str, str], start_timeout_s: float
    ) -> None:
        self.name = name
        self.runtime_id = ""
        self._argv = argv
        self._env = dict(env)
        self._start_timeout_s = start_timeout_s

    def open(self) -> None:
        """Nothing to check before the first instance: its start says whether it can run."""

    def create(self, on_death: Callable[[RunnerProcess], None]) -> RunnerProcess:
        return RunnerProcess(self._argv(), self._env, self._start_timeout_s, self.name)

    def alive(self, instance: RunnerProcess) -> bool:
        return instance.process.poll() is None

    def destroy(self, instance: RunnerProcess) -> None:
        instance.kill()

    def failure_detail(self, instance: RunnerProcess, exc: RunnerProtocolError) -> str:
        return f"{exc}; stderr: {instance.stderr_tail(300)}"

    def close(self) -> None:
        """Nothing to release."""
