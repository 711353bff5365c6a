"""The in-process task queue: the embedded default, with the Redis queue's semantics.

Why the same semantics: a deployment moves from one process to many workers by setting a Redis
URL, and must not change behaviour on the way (backpressure, retries, dead-lettering). Handlers
run as asyncio tasks in this event loop; a handler that raises or overruns
``visibility_timeout_s`` counts as a failed delivery, and after ``max_deliveries`` the task's
result is an error ``TaskResult`` so the waiting request still completes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from app.queue.base import (
    ABANDON_GRACE_S,
    DEADLINE_PASSED,
    Handler,
    QueueFullError,
    QueueUnavailableError,
    Task,
    TaskResult,
)

__all__ = ["InProcessTaskQueue"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Delivery:
    task: Task
    attempt: int  # 1 for the first delivery


class InProcessTaskQueue:
    """``TaskQueue`` whose consumers are ``concurrency`` asyncio tasks calling ``handler``."""

    def __init__(
        self,
        handler: Handler,
        *,
        concurrency: int = 4,
        max_depth: int = 10_000,
        visibility_timeout_s: float = 300.0,
        max_deliveries: int = 3,
        retry_after_s: float = 1.0,
    ) -> None:
        if concurrency <= 0 or max_depth <= 0 or max_deliveries <= 0 or visibility_timeout_s <= 0:
            raise ValueError("concurrency, max_depth, max_deliveries and visibility_timeout_s must be > 0")
        self._handler = handler
        self._concurrency = concurrency
        self._max_depth = max_depth
        self._visibility_timeout_s = visibility_timeout_s
        self._max_deliveries = max_deliveries
        self._retry_after_s = retry_after_s
        self._pending: asyncio.Queue[_Delivery] | None = None
        self._futures: dict[str, asyncio.Future[TaskResult]] = {}
        self._consumers: list[asyncio.Task[None]] = []
        self._in_flight = 0
        self._dead_lettered = 0
        self._closed = False

    @property
    def dead_lettered(self) -> int:
        """Tasks given up on since start (metrics)."""
        return self._dead_lettered

    async def start(self) -> None:
        """Start the consumer tasks; idempotent. Needs a running event loop."""
        if self._consumers:
            return
        self._closed = False
        self._pending = asyncio.Queue()
        self._consumers = [
            asyncio.create_task(self._consume(), name=f"arbiter-queue-consumer-{i}")
            for i in range(self._concurrency)
        ]

    async def submit(self, tasks: Sequence[Task]) -> None:
        if self._closed or self._pending is None:
            raise QueueUnavailableError("in-process queue is not started")
        depth = await self.depth()
        if depth + len(tasks) > self._max_depth:
            raise QueueFullError(depth, self._max_depth, self._retry_after_s)
        loop = asyncio.get_running_loop()
        for task in tasks:
            self._futures[task.task_id] = loop.create_future()
        for task in tasks:
            self._pending.put_nowait(_Delivery(task, 1))

    async def results(self, task_ids: Sequence[str], timeout_s: float) -> dict[str, TaskResult]:
        futures = {tid: self._futures[tid] for tid in task_ids if tid in self._futures}
        if futures:
            await asyncio.wait(futures.values(), timeout=max(0.0, timeout_s))
        out: dict[str, TaskResult] = {}
        for tid, fut in futures.items():
            if fut.done() and not fut.cancelled():
                out[tid] = fut.result()
            # the request is over either way: a late result has nobody to go to
            self._futures.pop(tid, None)
        return out

    async def depth(self) -> int:
        queued = self._pending.qsize() if self._pending is not None else 0
        return queued + self._in_flight

    async def ping(self) -> bool:
        return not self._closed and self._pending is not None

    async def close(self) -> None:
        """Stop the consumers; tasks not done get an error result, so no request waits on."""
        self._closed = True
        for consumer in self._consumers:
            consumer.cancel()
        for consumer in self._consumers:
            with contextlib.suppress(asyncio.CancelledError):
                await consumer
        self._consumers = []
        for task_id in list(self._futures):
            self._resolve(TaskResult(task_id, error="queue closed before the task ran"))

    async def _consume(self) -> None:
        assert self._pending is not None
        while True:
            delivery = await self._pending.get()
            self._in_flight += 1
            try:
                await self._deliver(delivery)
            finally:
                self._in_flight -= 1
                self._pending.task_done()

    async def _deliver(self, delivery: _Delivery) -> None:
        task = delivery.task
        if task.task_id not in self._futures:
            return  # its request has already given up waiting
        if task.deadline is not None and task.deadline.expired:
            self._resolve(TaskResult(task.task_id, error=f"{DEADLINE_PASSED}: dropped before it ran"))
            return
        limit_s = self._visibility_timeout_s
        if task.deadline is not None:  # the task's own deadline governs; the handler honours it
            limit_s = task.deadline.remaining_s() + ABANDON_GRACE_S
        try:
            payload = await asyncio.wait_for(self._handler(task.payload, task.deadline), limit_s)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a handler failure is a failed delivery, never a crash
            if isinstance(exc, TimeoutError) and task.deadline is not None and task.deadline.expired:
                _log.warning("task %s abandoned: its deadline passed", task.task_id)
                self._resolve(TaskResult(task.task_id, error=f"{DEADLINE_PASSED}: abandoned while running"))
                return
            reason = (
                f"handler exceeded visibility_timeout_s={self._visibility_timeout_s}"
                if isinstance(exc, TimeoutError)
                else f"{type(exc).__name__}: {exc}"
            )
            _log.warning("task %s delivery %d failed: %s", task.task_id, delivery.attempt, reason)
            if delivery.attempt >= self._max_deliveries:
                self._dead_lettered += 1
                self._resolve(
                    TaskResult(
                        task.task_id,
                        error=f"dead-lettered after {delivery.attempt} deliveries: {reason}",
                    )
                )
            else:
                assert self._pending is not None
                self._pending.put_nowait(_Delivery(task, delivery.attempt + 1))
            return
        self._resolve(TaskResult(task.task_id, payload=payload))

    def _resolve(self, result: TaskResult) -> None:
        fut = self._futures.get(result.task_id)
        if fut is not None and not fut.done():
            fut.set_result(result)
