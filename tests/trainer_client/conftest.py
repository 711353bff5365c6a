"""A real Arbiter service (``arbiter serve`` in a subprocess on a free port) for the trainer tests.

Why a subprocess and not the ASGI app in-process: the trainers' released code talks HTTP
(requests, httpx, aiohttp) from its own threads and loops, exactly as in a training run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.trainer_client.servers import free_port, start_server, stop_server

__all__ = ["arbiter_service"]


def serve(tmp: pytest.TempPathFactory, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    port = free_port()
    log = tmp.mktemp("service") / "serve.log"
    argv = ["-m", "app.cli", "serve", "--port", str(port), *args]
    proc = start_server(argv, port, "/readyz", log, timeout_s=180.0, env=env)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(proc)


@pytest.fixture(scope="session")
def arbiter_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a service with default settings (no API key)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARBITER_")}
    yield from serve(tmp_path_factory, env=env)
