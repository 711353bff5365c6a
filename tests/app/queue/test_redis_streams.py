"""Redis-only behaviour, with worker SUBPROCESSES and a real redis-server that the tests kill.

Each test uses its own key prefix; the tests that kill Redis start their own server.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.queue.base import QueueUnavailableError, Task
from app.queue.redis_streams import RedisTaskQueue
from tests.app.redis_server import RedisServer, free_port

pytestmark = pytest.mark.timeout(120)

_REPO = Path(__file__).resolve().parents[3]


class Workers:
    """Worker subprocesses (``tests.app.queue.worker_proc``) sharing one queue prefix."""

    def __init__(self, url: str, prefix: str, *, visibility_timeout_s: float, max_deliveries: int) -> None:
        self.url = url
        self.prefix = prefix
        self.args = [str(visibility_timeout_s), str(max_deliveries)]
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, n: int = 1) -> list[subprocess.Popen[bytes]]:
        new = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.app.queue.worker_proc", self.url, self.prefix, *self.args],
                cwd=_REPO,
            )
            for _ in range(n)
        ]
        self.procs.extend(new)
        return new

    def alive(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.procs if p.poll() is None]

    def stop_all(self) -> None:
        for p in self.alive():
            p.kill()
        for p in self.procs:
            p.wait(timeout=10)


@pytest.fixture
def prefix() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A server this test may kill and restart (on the same port)."""
    server = RedisServer(tmp_path, free_port())
    server.start()
    yield server
    server.kill()


def spec_task(task_id: str, **spec: object) -> Task:
    return Task(task_id, json.dumps({"id": task_id, **spec}).encode())


async def until(predicate: Callable[[], Any], timeout_s: float, what: str) -> None:
    """Wait (without blocking the loop) until ``predicate()`` (sync or async) is truthy."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def supervisor(workers: Workers) -> AsyncIterator[None]:
    """Restarts crashed workers, like an orchestrator's restart policy."""

    async def loop() -> None:
        while True:
            if not workers.alive():
                workers.start(1)
            await asyncio.sleep(0.1)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def started(started_dir: Path) -> list[tuple[str, int]]:
    """(task id, pid) of every task start so far."""
    out = []
    for f in started_dir.iterdir():
        task_id, _, pid = f.name.rpartition(".")
        out.append((task_id, int(pid)))
    return out


async def test_task_of_a_killed_worker_is_rerun_by_another(
    redis_server: RedisServer, prefix: str, tmp_path: Path
) -> None:
    workers = Workers(redis_server.url, prefix, visibility_timeout_s=1.5, max_deliveries=3)
    queue = RedisTaskQueue(redis_server.url, prefix=prefix)
    try:
        workers.start(2)
        ids = [f"t{i}" for i in range(4)]
        await queue.submit([spec_task(t, value=t, sleep_s=2.0, started_dir=str(tmp_path)) for t in ids])
        await until(lambda: started(tmp_path), 20, "a task to start")
        victim_task, victim_pid = started(tmp_path)[0]
        os.kill(victim_pid, signal.SIGKILL)
        workers.start(1)  # like an orchestrator replacing it
        results = await queue.results(ids, timeout_s=40)
        assert sorted(results) == ids
        for t in ids:
            assert results[t].error is None
            assert json.loads(results[t].payload)["echo"] == t
        assert json.loads(results[victim_task].payload)["pid"] != victim_pid
        assert sum(1 for t, _ in started(tmp_path) if t == victim_task) >= 2
        assert await queue.depth() == 0
    finally:
        workers.stop_all()
        await queue.close()


async def test_task_that_keeps_killing_workers_is_dead_lettered(
    redis_server: RedisServer, prefix: str, tmp_path: Path
) -> None:
    max_deliveries = 2
    workers = Workers(redis_server.url, prefix, visibility_timeout_s=1.0, max_deliveries=max_deliveries)
    queue = RedisTaskQueue(redis_server.url, prefix=prefix)
    try:
        await queue.submit(
            [spec_task("poison", exit=True, started_dir=str(tmp_path)), spec_task("fine", value=1)]
        )
        async with supervisor(workers):
            results = await queue.results(["poison", "fine"], timeout_s=60)
        assert results["fine"].error is None
        assert results["poison"].error is not None and "dead-lettered" in results["poison"].error
        assert sum(1 for t, _ in started(tmp_path) if t == "poison") == max_deliveries
        assert await queue.dead_letter_count() == 1
        assert await queue.depth() == 0
    finally:
        workers.stop_all()
        await queue.close()


async def test_sigterm_drains_the_running_task_then_exits(
    redis_server: RedisServer, prefix: str, tmp_path: Path
) -> None:
    workers = Workers(redis_server.url, prefix, visibility_timeout_s=30.0, max_deliveries=3)
    queue = RedisTaskQueue(redis_server.url, prefix=prefix)
    try:
        (proc,) = workers.start(1)
        await until(queue.live_workers, 20, "a heartbeat")
        beats = await queue.live_workers()
        assert [b.pid for b in beats] == [proc.pid]
        await queue.submit([spec_task("slow", value=5, sleep_s=1.5, started_dir=str(tmp_path))])
        await until(lambda: started(tmp_path), 20, "the task to start")
        proc.send_signal(signal.SIGTERM)
        results = await queue.results(["slow"], timeout_s=20)
        # answered by the terminating worker itself, not re-run after the visibility timeout
        assert json.loads(results["slow"].payload) == {"echo": 5, "pid": proc.pid}
        assert proc.wait(timeout=15) == 0
        assert await queue.live_workers() == []  # its heartbeat key is removed on the way out
    finally:
        workers.stop_all()
        await queue.close()


async def test_redis_down_fails_fast_and_recovers(own_redis: RedisServer, prefix: str) -> None:
    queue = RedisTaskQueue(own_redis.url, prefix=prefix, socket_timeout_s=2.0, connect_timeout_s=1.0)
    try:
        assert await queue.ping()
        own_redis.kill()
        started_at = time.monotonic()
        assert await queue.ping() is False
        with pytest.raises(QueueUnavailableError):
            await queue.submit([spec_task("t", value=1)])
        with pytest.raises(QueueUnavailableError):
            await queue.depth()
        assert time.monotonic() - started_at < 6.0
        own_redis.start()
        assert await queue.ping()
        await queue.submit([spec_task("t", value=1)])
        assert await queue.depth() == 1
    finally:
        await queue.close()


async def test_redis_restart_during_a_batch_still_completes_it(
    own_redis: RedisServer, prefix: str, tmp_path: Path
) -> None:
    """Persistence is off: the restart loses the stream, the group and the replies in flight.

    The producer notices the new server (run id), re-adds what it still waits for; the workers
    recreate the group and answer; duplicates are dropped.
    """
    workers = Workers(own_redis.url, prefix, visibility_timeout_s=5.0, max_deliveries=3)
    queue = RedisTaskQueue(own_redis.url, prefix=prefix, socket_timeout_s=2.0, connect_timeout_s=1.0)
    try:
        workers.start(2)
        ids = [f"t{i}" for i in range(12)]
        await queue.submit([spec_task(t, value=t, sleep_s=0.5, started_dir=str(tmp_path)) for t in ids])
        waiting = asyncio.create_task(queue.results(ids, timeout_s=60))
        await until(lambda: started(tmp_path), 20, "a task to start")
        own_redis.kill()
        await asyncio.sleep(1.0)
        own_redis.start()
        started_at = time.monotonic()
        results = await waiting
        assert sorted(results) == sorted(ids)
        assert all(r.error is None and json.loads(r.payload)["echo"] == t for t, r in results.items())
        assert time.monotonic() - started_at < 30
        assert all(p.poll() is None for p in workers.procs)  # the workers rode it out
    finally:
        workers.stop_all()
        await queue.close()


async def test_tasks_lost_in_a_restart_before_anyone_waited_are_re_added(
    own_redis: RedisServer, prefix: str, tmp_path: Path
) -> None:
    workers = Workers(own_redis.url, prefix, visibility_timeout_s=5.0, max_deliveries=3)
    queue = RedisTaskQueue(own_redis.url, prefix=prefix, socket_timeout_s=2.0, connect_timeout_s=1.0)
    try:
        ids = ["a", "b", "c"]
        await queue.submit([spec_task(t, value=t) for t in ids])
        own_redis.kill()
        own_redis.start()  # the stream is gone; no worker ever saw it
        for _ in range(2):  # the client reconnects: the waiter below sees no error at all
            with contextlib.suppress(QueueUnavailableError):
                await queue.depth()
        await asyncio.sleep(1.1)  # past the producer's cached run id
        workers.start(1)
        results = await queue.results(ids, timeout_s=30)
        assert {t: json.loads(r.payload)["echo"] for t, r in results.items()} == {t: t for t in ids}
    finally:
        workers.stop_all()
        await queue.close()
