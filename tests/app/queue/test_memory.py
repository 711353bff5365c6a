"""In-process queue specifics: handler time limit, lifecycle, concurrency bound."""

from __future__ import annotations

import asyncio

import pytest

from app.queue.base import QueueUnavailableError, Task
from app.queue.memory import InProcessTaskQueue

pytestmark = pytest.mark.timeout(30)


async def test_handler_past_visibility_timeout_is_a_failed_delivery() -> None:
    calls = 0

    async def slow_then_fast(payload: bytes, deadline: object = None) -> bytes:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(10)
        return b"done"

    q = InProcessTaskQueue(slow_then_fast, concurrency=1, visibility_timeout_s=0.2, max_deliveries=2)
    await q.start()
    try:
        await q.submit([Task("t", b"")])
        results = await q.results(["t"], timeout_s=5)
        assert results["t"].payload == b"done" and results["t"].error is None
        assert calls == 2
    finally:
        await q.close()


async def test_always_slow_handler_is_dead_lettered_with_the_reason() -> None:
    async def hangs(payload: bytes, deadline: object = None) -> bytes:
        await asyncio.sleep(10)
        return b""

    q = InProcessTaskQueue(hangs, concurrency=2, visibility_timeout_s=0.1, max_deliveries=2)
    await q.start()
    try:
        await q.submit([Task("t", b"")])
        results = await q.results(["t"], timeout_s=5)
        assert results["t"].error is not None
        assert "visibility_timeout_s" in results["t"].error
        assert q.dead_lettered == 1
    finally:
        await q.close()


async def test_at_most_concurrency_handlers_run_at_once() -> None:
    running = peak = 0

    async def track(payload: bytes, deadline: object = None) -> bytes:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.02)
        running -= 1
        return payload

    q = InProcessTaskQueue(track, concurrency=3)
    await q.start()
    try:
        await q.submit([Task(str(i), str(i).encode()) for i in range(30)])
        results = await q.results([str(i) for i in range(30)], timeout_s=10)
        assert {k: v.payload for k, v in results.items()} == {str(i): str(i).encode() for i in range(30)}
        assert peak == 3
    finally:
        await q.close()


async def test_submit_before_start_or_after_close_is_unavailable() -> None:
    async def echo(payload: bytes, deadline: object = None) -> bytes:
        return payload

    q = InProcessTaskQueue(echo)
    with pytest.raises(QueueUnavailableError):
        await q.submit([Task("t", b"")])
    await q.start()
    assert await q.ping()
    await q.close()
    assert not await q.ping()
    with pytest.raises(QueueUnavailableError):
        await q.submit([Task("t", b"")])


@pytest.mark.parametrize("bad", [{"concurrency": 0}, {"max_depth": 0}, {"max_deliveries": 0}])
def test_nonpositive_limits_are_refused(bad: dict[str, int]) -> None:
    async def echo(payload: bytes, deadline: object = None) -> bytes:
        return payload

    with pytest.raises(ValueError):
        InProcessTaskQueue(echo, **bad)


async def test_close_answers_every_waiting_request_at_once() -> None:
    async def hangs(payload: bytes, deadline: object = None) -> bytes:
        await asyncio.sleep(10)
        return b""

    q = InProcessTaskQueue(hangs, concurrency=1)
    await q.start()
    await q.submit([Task("running", b""), Task("queued", b"")])
    waiting = asyncio.create_task(q.results(["running", "queued"], timeout_s=20))
    await asyncio.sleep(0.1)
    await q.close()
    results = await asyncio.wait_for(waiting, 2)
    assert {k: v.error for k, v in results.items()} == {
        "running": "queue closed before the task ran",
        "queued": "queue closed before the task ran",
    }
