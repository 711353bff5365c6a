"""Redis worker specifics, in-process: leases, immediate retry, group recreation, heartbeats."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from app.queue.base import Task
from app.queue.redis_streams import RedisTaskQueue, RedisTaskWorker
from tests.app.redis_server import RedisServer

pytestmark = pytest.mark.timeout(60)


@contextlib.asynccontextmanager
async def running(*workers: RedisTaskWorker) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(w.run()) for w in workers]
    try:
        yield
    finally:
        for w in workers:
            w.stop()
        await asyncio.wait_for(asyncio.gather(*tasks), 15)


def worker(url: str, prefix: str, handler: object, **kw: object) -> RedisTaskWorker:
    opts: dict[str, object] = {"block_s": 0.1, "heartbeat_interval_s": 0.2, "visibility_timeout_s": 1.0}
    opts.update(kw)
    return RedisTaskWorker(url, handler, prefix=prefix, **opts)  # type: ignore[arg-type]


async def test_a_live_slow_worker_keeps_its_task(redis_server: RedisServer) -> None:
    """Leases are renewed by the heartbeat: a task running past the visibility timeout on a live
    worker is not handed to another worker."""
    prefix = uuid.uuid4().hex[:8]
    calls: list[str] = []

    async def slow(payload: bytes, deadline: object = None) -> bytes:
        calls.append(payload.decode())
        await asyncio.sleep(3.0)
        return b"ok"

    queue = RedisTaskQueue(redis_server.url, prefix=prefix)
    async with running(worker(redis_server.url, prefix, slow), worker(redis_server.url, prefix, slow)):
        await queue.submit([Task("t", b"t")])
        results = await queue.results(["t"], timeout_s=20)
    await queue.close()
    assert results["t"].payload == b"ok"
    assert calls == ["t"]


async def test_a_raising_handler_is_retried_at_once_not_after_the_visibility_timeout(
    redis_server: RedisServer,
) -> None:
    prefix = uuid.uuid4().hex[:8]
    calls = 0

    async def flaky(payload: bytes, deadline: object = None) -> bytes:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise ValueError("transient")
        return b"ok"

    queue = RedisTaskQueue(redis_server.url, prefix=prefix)
    async with running(worker(redis_server.url, prefix, flaky, visibility_timeout_s=30.0)):
        started = time.monotonic()
        await queue.submit([Task("t", b"")])
        results = await queue.results(["t"], timeout_s=20)
        elapsed_s = time.monotonic() - started
    await queue.close()
    assert results["t"].payload == b"ok" and calls == 3
    assert elapsed_s < 5.0


async def test_group_is_recreated_when_the_stream_vanishes(redis_server: RedisServer) -> None:
    prefix = uuid.uuid4().hex[:8]

    async def echo(payload: bytes, deadline: object = None) -> bytes:
        return payload

    queue = RedisTaskQueue(redis_server.url, prefix=prefix)
    raw = aioredis.Redis.from_url(redis_server.url)
    async with running(worker(redis_server.url, prefix, echo)):
        await queue.submit([Task("a", b"a")])
        assert (await queue.results(["a"], timeout_s=10))["a"].payload == b"a"
        await raw.delete(f"{prefix}:tasks")  # stream and its consumer group gone
        await queue.submit([Task("b", b"b")])
        assert (await queue.results(["b"], timeout_s=10))["b"].payload == b"b"
    await raw.aclose()
    await queue.close()


async def test_heartbeat_reports_progress_and_expires_with_the_worker(redis_server: RedisServer) -> None:
    prefix = uuid.uuid4().hex[:8]

    async def echo(payload: bytes, deadline: object = None) -> bytes:
        return payload

    queue = RedisTaskQueue(redis_server.url, prefix=prefix)
    w = worker(redis_server.url, prefix, echo)
    async with running(w):
        await queue.submit([Task(str(i), b"x") for i in range(5)])
        await queue.results([str(i) for i in range(5)], timeout_s=10)
        await asyncio.sleep(0.5)  # one more heartbeat
        (beat,) = await queue.live_workers()
        assert beat.consumer == w.consumer and beat.processed == 5 and beat.in_flight == 0
    assert await queue.live_workers() == []
    await queue.close()


@pytest.mark.parametrize(
    "bad",
    [{"heartbeat_interval_s": 2.0, "visibility_timeout_s": 1.0}, {"block_s": 6.0, "socket_timeout_s": 5.0}],
)
def test_inconsistent_timeouts_are_refused(bad: dict[str, float]) -> None:
    async def echo(payload: bytes, deadline: object = None) -> bytes:
        return payload

    with pytest.raises(ValueError):
        RedisTaskWorker("redis://127.0.0.1:1/0", echo, **bad)  # type: ignore[arg-type]
