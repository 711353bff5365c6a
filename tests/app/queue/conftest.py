"""Queue test fixtures: a scripted handler and each ``TaskQueue`` implementation with consumers.

Why one parametrized fixture: the in-process queue and the Redis queue promise the same
semantics (``app.queue.base``), so the contract tests run unchanged against both.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from app.deadline import Deadline
from app.queue.base import Task
from app.queue.memory import InProcessTaskQueue
from app.queue.redis_streams import RedisTaskQueue, RedisTaskWorker
from tests.app.redis_server import RedisServer

MAX_DELIVERIES = 3


def task(task_id: str, **spec: Any) -> Task:
    """A task for ``ScriptedHandler``: ``value`` echoed, ``fail_times`` raises first, ``sleep_s``."""
    return Task(task_id, json.dumps({"id": task_id, **spec}).encode())


@dataclass
class ScriptedHandler:
    """Does what each payload asks; counts calls per task id (retry tests)."""

    calls: dict[str, int] = field(default_factory=dict)

    async def __call__(self, payload: bytes, deadline: Deadline | None = None) -> bytes:
        spec = json.loads(payload)
        n = self.calls[spec["id"]] = self.calls.get(spec["id"], 0) + 1
        if spec.get("sleep_s"):
            await asyncio.sleep(spec["sleep_s"])
        if n <= spec.get("fail_times", 0):
            raise RuntimeError(f"scripted failure {n}")
        return json.dumps({"echo": spec.get("value")}).encode()


async def _never_done(payload: bytes, deadline: Deadline | None = None) -> bytes:
    """Without consumers: every task stays queued or in flight (backpressure tests)."""
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


@dataclass
class QueueUnderTest:
    queue: Any
    handler: ScriptedHandler
    kind: str


QueueMaker = Callable[..., contextlib.AbstractAsyncContextManager[QueueUnderTest]]


@pytest.fixture(params=["memory", "redis"])
def make_queue(request: pytest.FixtureRequest) -> QueueMaker:
    """``async with make_queue(max_depth=…) as q:`` a started queue with consumers running
    (``consumers=False``: nothing ever completes)."""
    kind = request.param

    @contextlib.asynccontextmanager
    async def factory(
        *, max_depth: int = 1000, concurrency: int = 4, consumers: bool = True
    ) -> AsyncIterator[QueueUnderTest]:
        handler = ScriptedHandler()
        if kind == "memory":
            mem = InProcessTaskQueue(
                handler if consumers else _never_done,
                concurrency=concurrency,
                max_depth=max_depth,
                visibility_timeout_s=5.0,
                max_deliveries=MAX_DELIVERIES,
                retry_after_s=1.5,
            )
            await mem.start()
            try:
                yield QueueUnderTest(mem, handler, kind)
            finally:
                await mem.close()
            return
        server: RedisServer = request.getfixturevalue("redis_server")
        prefix = f"test-{uuid.uuid4().hex[:8]}"
        queue = RedisTaskQueue(server.url, prefix=prefix, max_depth=max_depth, retry_after_s=1.5)
        await queue.start()
        worker = RedisTaskWorker(
            server.url,
            handler,
            prefix=prefix,
            concurrency=concurrency,
            visibility_timeout_s=5.0,
            max_deliveries=MAX_DELIVERIES,
            block_s=0.2,
            heartbeat_interval_s=0.5,
        )
        running = asyncio.create_task(worker.run()) if consumers else None
        try:
            yield QueueUnderTest(queue, handler, kind)
        finally:
            if running is not None:
                worker.stop()
                await asyncio.wait_for(running, 10)
            await queue.close()

    return factory
