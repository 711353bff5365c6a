"""A real ``arbiter serve`` process on a free port, for tests that need the real server stack
(uvicorn, its protocol, the request gate) and the process's own memory and logs."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.app.redis_server import free_port

__all__ = ["ServerProcess", "server_process"]

_ARBITER = Path(sys.executable).parent / "arbiter"


class ServerProcess:
    """The running server: its URL, pid and the file its stderr (JSON log lines) goes to."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
        self.proc = proc
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()


@contextmanager
def server_process(
    tmp_dir: Path, env: Mapping[str, str] | None = None, *, max_open_files: int | None = None
) -> Iterator[ServerProcess]:
    """Start ``arbiter serve`` with small pools and ``env`` on top of a clean ``ARBITER_*``-free
    environment; wait for ``/healthz``; stop it (SIGTERM, then SIGKILL) afterwards."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ARBITER_")}
    full_env.update({"ARBITER_MATH_WORKERS": "1", "ARBITER_SANDBOX_POOL_SIZE": "1", **(env or {})})
    log_path = tmp_dir / f"serve-{port}.log"

    def limit_files() -> None:
        if max_open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max_open_files, max_open_files))

    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(_ARBITER), "serve", "--port", str(port)],
            env=full_env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
            preexec_fn=limit_files,
        )
    server = ServerProcess(proc, port, log_path)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, "arbiter serve exited:\n" + "\n".join(server.log_lines()[-20:])
            try:
                if httpx.get(server.url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "arbiter serve did not answer /healthz within 90 s"
            time.sleep(0.2)
        yield server
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
