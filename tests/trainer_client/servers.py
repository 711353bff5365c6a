"""Starting HTTP services in subprocesses for the end-to-end tests: a free port, wait until ready."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

__all__ = ["free_port", "start_server", "stop_server"]

_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    args: Sequence[str],
    port: int,
    ready_path: str,
    log: Path,
    timeout_s: float = 90.0,
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Run ``python args...`` from the repository root; return once ``ready_path`` answers 200."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
        )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=2.0).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError(f"server not ready after {timeout_s}s: {log.read_text()[-2000:]}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
