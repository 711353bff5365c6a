"""Faults end to end: the real app (``create_app`` on a Redis URL) with worker SUBPROCESSES.

A trainer's request must complete with every item whatever happens below it: a worker killed
mid-job, Redis restarted mid-batch, items that crash the worker that scores them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.http.application import create_app
from app.service import Components
from app.settings import Settings
from tests.app.conftest import CallLog, UnusedMath, make_code_backend, make_test_registry
from tests.app.redis_server import RedisServer, free_port

pytestmark = pytest.mark.timeout(180)

_REPO = Path(__file__).resolve().parents[2]


class Workers:
    def __init__(
        self, url: str, started_dir: Path, *, visibility_timeout_s: float, max_deliveries: int
    ) -> None:
        self.args = [url, str(visibility_timeout_s), str(max_deliveries), str(started_dir)]
        self.started_dir = started_dir
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, n: int = 1) -> None:
        for _ in range(n):
            self.procs.append(
                subprocess.Popen([sys.executable, "-m", "tests.app.fault_worker", *self.args], cwd=_REPO)
            )

    def alive(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.procs if p.poll() is None]

    def starts(self) -> list[int]:
        """The pid of each chunk start so far."""
        return [int(f.name.rpartition(".")[2]) for f in self.started_dir.iterdir()]

    def stop_all(self) -> None:
        for p in self.alive():
            p.kill()
        for p in self.procs:
            p.wait(timeout=10)


@pytest.fixture
def workers_for(tmp_path: Path) -> Iterator[Any]:
    made: list[Workers] = []

    def make(url: str, *, visibility_timeout_s: float = 1.5, max_deliveries: int = 2) -> Workers:
        w = Workers(url, tmp_path, visibility_timeout_s=visibility_timeout_s, max_deliveries=max_deliveries)
        made.append(w)
        return w

    yield make
    for w in made:
        w.stop_all()


@pytest.fixture
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("own-redis"), free_port())
    server.start()
    yield server
    server.kill()


@contextlib.asynccontextmanager
async def api(redis_url: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The API only (no worker inside): every queued chunk goes to the worker subprocesses."""
    settings = Settings(
        **{
            "redis_url": redis_url,
            "result_cache_ttl_s": 0,
            "chunk_items": 2,
            # worker subprocesses take seconds to import on a loaded machine: wait for them
            "worker_absent_grace_s": 30.0,
            **overrides,
        }
    )
    app = create_app(
        settings,
        Components(registry=make_test_registry(CallLog()), math=UnusedMath(), code=make_code_backend()),
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://arbiter", timeout=120) as client:
            yield client


def sleepy_request(n: int, *, sleep_s: float, poison: frozenset[int] = frozenset()) -> dict[str, Any]:
    return {
        "items": [
            {
                "id": f"s{i}",
                "completion": f"answer POISON_KILL {i}" if i in poison else f"answer {i}",
                "ground_truth": "1",
            }
            for i in range(n)
        ],
        "rewards": [{"name": "sleepy", "weight": 1.0, "params": {"sleep_s": sleep_s}}],
        "timeout_s": 90,
    }


async def until(predicate: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_worker_killed_mid_job_the_request_still_completes_every_item(
    redis_server: RedisServer, workers_for: Any
) -> None:
    redis_server.flush()
    workers = workers_for(redis_server.url)
    workers.start(2)
    async with api(redis_server.url) as client:
        call = asyncio.create_task(client.post("/v1/rewards", json=sleepy_request(8, sleep_s=1.0)))
        await until(workers.starts, 30, "a chunk to start")
        victim = workers.starts()[0]
        os.kill(victim, signal.SIGKILL)
        workers.start(1)
        response = await call
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["id"] for r in results] == [f"s{i}" for i in range(8)]
    assert all(r["rewards"]["sleepy"] == 1.0 and r["errors"] == {} for r in results), results
    assert len(workers.starts()) > 4  # 4 chunks, at least one of them ran twice


async def test_redis_restart_during_a_batch_the_request_completes(
    own_redis: RedisServer, workers_for: Any
) -> None:
    workers = workers_for(own_redis.url, visibility_timeout_s=5.0)
    workers.start(2)
    async with api(own_redis.url) as client:
        call = asyncio.create_task(client.post("/v1/rewards", json=sleepy_request(12, sleep_s=0.5)))
        await until(workers.starts, 30, "a chunk to start")
        own_redis.kill()
        await asyncio.sleep(1.0)
        own_redis.start()
        started_at = time.monotonic()
        response = await call
        assert time.monotonic() - started_at < 60
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == 12
    assert all(r["rewards"]["sleepy"] == 1.0 for r in results), results
    assert all(p.poll() is None for p in workers.procs)


async def test_poison_items_fail_alone_and_the_rest_is_scored(
    redis_server: RedisServer, workers_for: Any
) -> None:
    redis_server.flush()
    workers = workers_for(redis_server.url, visibility_timeout_s=1.0, max_deliveries=2)
    workers.start(2)
    poison = frozenset({1, 4})

    async def supervise() -> None:  # an orchestrator's restart policy
        while True:
            if len(workers.alive()) < 2:
                workers.start(1)
            await asyncio.sleep(0.1)

    supervisor = asyncio.create_task(supervise())
    try:
        async with api(redis_server.url, chunk_items=1) as client:
            response = await client.post("/v1/rewards", json=sleepy_request(6, sleep_s=0.1, poison=poison))
    finally:
        supervisor.cancel()
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    for i, r in enumerate(results):
        if i in poison:
            assert r["rewards"]["sleepy"] is None and r["total"] is None
            assert r["errors"]["sleepy"] == "task_failed"
            assert "dead-lettered" in r["details"]["sleepy"]["task_error"]
        else:
            assert r["rewards"]["sleepy"] == 1.0 and r["errors"] == {}, r


async def test_redis_down_is_a_quick_503_with_retry_after_then_recovers(
    own_redis: RedisServer, workers_for: Any
) -> None:
    workers = workers_for(own_redis.url)
    workers.start(1)
    async with api(own_redis.url) as client:
        own_redis.kill()
        started_at = time.monotonic()
        response = await client.post("/v1/rewards", json=sleepy_request(2, sleep_s=0.0))
        assert time.monotonic() - started_at < 15
        assert response.status_code == 503, response.text
        assert float(response.headers["Retry-After"]) > 0
        own_redis.start()
        response = await client.post("/v1/rewards", json=sleepy_request(2, sleep_s=0.0))
    assert response.status_code == 200, response.text
    assert [r["rewards"]["sleepy"] for r in response.json()["results"]] == [1.0, 1.0]


async def test_no_live_worker_is_a_fast_503_not_a_wait_for_the_whole_timeout(
    redis_server: RedisServer, workers_for: Any
) -> None:
    redis_server.flush()
    async with api(redis_server.url, worker_absent_grace_s=1.0) as client:
        started_at = time.monotonic()
        response = await client.post("/v1/rewards", json=sleepy_request(2, sleep_s=0.0))  # timeout_s 90
        took_s = time.monotonic() - started_at
        assert response.status_code == 503, response.text
        assert "no live worker" in response.json()["detail"] and float(response.headers["Retry-After"]) > 0
        assert took_s < 3.0, took_s
        workers = workers_for(redis_server.url)
        workers.start(1)
        deadline = time.monotonic() + 60
        while not (await client.get("/readyz")).json()["checks"]["workers"]:  # it starts and beats
            assert time.monotonic() < deadline, "the worker never sent a heartbeat"
            await asyncio.sleep(0.1)
        response = await client.post("/v1/rewards", json=sleepy_request(2, sleep_s=0.0))
    assert response.status_code == 200, response.text
    assert [r["rewards"]["sleepy"] for r in response.json()["results"]] == [1.0, 1.0]


async def test_a_dead_workers_chunks_are_reclaimed_by_heartbeat_well_before_the_visibility_timeout(
    redis_server: RedisServer, workers_for: Any
) -> None:
    """The request's timeout (10 s) is far below the visibility timeout (60 s): only heartbeat
    liveness can bring the dead worker's chunks back in time."""
    redis_server.flush()
    workers = workers_for(redis_server.url, visibility_timeout_s=60.0)
    workers.start(2)
    body = {**sleepy_request(8, sleep_s=1.0), "timeout_s": 10}
    async with api(redis_server.url) as client:
        await until(lambda: len(workers.procs) == 2, 1, "workers")
        call = asyncio.create_task(client.post("/v1/rewards", json=body))
        await until(workers.starts, 30, "a chunk to start")
        killed_at = time.monotonic()
        os.kill(workers.starts()[0], signal.SIGKILL)
        response = await call
        took_s = time.monotonic() - killed_at
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert all(r["rewards"]["sleepy"] == 1.0 and r["errors"] == {} for r in results), results
    assert took_s < 10.0
