"""The Redis Streams task queue, consumer side: one worker process's loop.

Why this shape: each worker reads from one consumer group under a unique consumer name, runs up
to ``concurrency`` handlers at once, stores the result on the task's reply list and only then
acks (and deletes) the entry, so a crash at any point leaves the entry pending for another
worker. A live worker renews its in-flight entries on every heartbeat, so only a dead worker's
tasks are taken over: those of a consumer whose heartbeat lapsed (three missed beats) at once,
and any entry idle past ``visibility_timeout_s`` with ``XAUTOCLAIM`` as a safety net. A task
whose deadline (on its envelope) passed is answered with an error without running, and a handler
still running a grace second past it is abandoned, so the slot serves live requests.
A dead worker's task is re-run alone (nothing else in flight), so a task that crashes workers
takes no innocent neighbours down a second time. An entry delivered more than
``max_deliveries`` times (it keeps killing workers, or its handler keeps raising) goes to the dead-letter stream and its request gets an error result.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from typing import Any

from redis.exceptions import ResponseError

from app.queue._redis_keys import (
    F_ATTEMPTS,
    F_DEADLINE,
    F_PAYLOAD,
    F_REPLY,
    F_TASK_ID,
    UNREACHABLE,
    Keys,
    WorkerHeartbeat,
    connect,
    decode_deadline,
    encode_result,
)
from app.queue.base import ABANDON_GRACE_S, DEADLINE_PASSED, Handler, TaskResult
from app.queue.redis_claims import DeadWorkerClaims, Entry

__all__ = ["RedisTaskWorker"]

_log = logging.getLogger(__name__)


class RedisTaskWorker:
    """Consumes the task stream until ``stop()``; then drains what it is running."""

    def __init__(
        self,
        url: str,
        handler: Handler,
        *,
        prefix: str = "arbiter",
        concurrency: int = 4,
        visibility_timeout_s: float = 30.0,
        max_deliveries: int = 3,
        block_s: float = 1.0,
        heartbeat_interval_s: float = 1.0,
        heartbeat_ttl_s: float | None = None,
        result_ttl_s: float = 600.0,
        socket_timeout_s: float = 5.0,
        connect_timeout_s: float = 2.0,
        reconnect_backoff_s: float = 0.5,
        store_timeout_s: float = 60.0,
        drain_timeout_s: float = 60.0,
        dead_letter_max_len: int = 10_000,
        consumer_name: str | None = None,
    ) -> None:
        if heartbeat_interval_s >= visibility_timeout_s:
            raise ValueError("heartbeat_interval_s must be below visibility_timeout_s (leases would lapse)")
        if block_s >= socket_timeout_s:
            raise ValueError("block_s must be below socket_timeout_s")
        self._keys = Keys(prefix)
        self._handler = handler
        self._concurrency = concurrency
        self._visibility_timeout_ms = int(visibility_timeout_s * 1000)
        self._max_deliveries = max_deliveries
        self._block_ms = max(1, int(block_s * 1000))
        self._heartbeat_interval_s = heartbeat_interval_s
        # three missed beats and a worker is dead: its tasks are claimed without waiting for the
        # visibility timeout (which may be longer than the requests' own timeouts)
        ttl_s = heartbeat_ttl_s if heartbeat_ttl_s is not None else 3 * heartbeat_interval_s
        self._heartbeat_ttl_ms = int(ttl_s * 1000)
        self._result_ttl_s = max(1, int(result_ttl_s))
        self._reconnect_backoff_s = reconnect_backoff_s
        self._store_timeout_s = store_timeout_s
        self._drain_timeout_s = drain_timeout_s
        self._dead_letter_max_len = dead_letter_max_len  # entries kept for inspection (approximate)
        self.consumer = consumer_name or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._redis = connect(url, socket_timeout_s=socket_timeout_s, connect_timeout_s=connect_timeout_s)
        self._claims = DeadWorkerClaims(
            self._redis,
            self._keys,
            self.consumer,
            visibility_timeout_ms=self._visibility_timeout_ms,
            heartbeat_ttl_ms=self._heartbeat_ttl_ms,
        )
        self._in_flight: dict[bytes, asyncio.Task[None]] = {}  # entry id -> handler task
        self._stopping = asyncio.Event()
        self._group_ready = False
        self._isolating: bytes | None = None  # a dead worker's task, re-run alone
        self._claim_interval_s = min(1.0, visibility_timeout_s / 4)
        self._next_claim_at = 0.0
        self._started_unix_s = time.time()
        self._processed = 0
        self._failed = 0
        self._dead_lettered = 0

    def stop(self) -> None:
        """Graceful stop (SIGTERM): read nothing new, finish what runs, then ``run`` returns."""
        self._stopping.set()

    async def run(self) -> None:
        heartbeat = asyncio.create_task(self._heartbeat_loop(), name="arbiter-worker-heartbeat")
        try:
            while not self._stopping.is_set():
                free = self._concurrency - len(self._in_flight)
                if free <= 0 or self._isolating is not None:
                    await asyncio.wait(
                        list(self._in_flight.values()),
                        timeout=self._block_ms / 1000,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    continue
                try:
                    await self._ensure_group()
                    suspects = []
                    now = time.monotonic()
                    if now >= self._next_claim_at:  # a sweep per interval, not per read
                        self._next_claim_at = now + self._claim_interval_s
                        suspects = await self._claim_stale(1)
                    if suspects:
                        self._next_claim_at = 0.0  # there may be more: look again at once
                        self._spawn_isolated(*suspects[0])
                        continue
                    entries = await self._read_new(free)
                except ResponseError as exc:
                    # NOGROUP / UNBLOCKED: the stream or group vanished (Redis restarted, key
                    # deleted); anything else is logged too: a worker never dies on a reply.
                    _log.warning("Redis refused a read (%s); recreating the consumer group", exc)
                    self._group_ready = False
                    if "NOGROUP" not in str(exc) and "UNBLOCKED" not in str(exc):
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._stopping.wait(), self._reconnect_backoff_s)
                    continue
                except UNREACHABLE as exc:
                    _log.warning("Redis unreachable (%s); retrying in %.1f s", exc, self._reconnect_backoff_s)
                    self._group_ready = False
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), self._reconnect_backoff_s)
                    continue
                for entry_id, fields, deliveries in entries:
                    self._spawn(entry_id, fields, deliveries)
        finally:
            await self._drain()
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            with contextlib.suppress(*UNREACHABLE):
                await self._redis.delete(self._keys.heartbeat(self.consumer))
                await self._redis.zrem(self._keys.live_workers, self.consumer)
            await self._redis.aclose()

    # --- reading

    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            # id 0: entries added before the group existed (a producer re-adding after a Redis
            # restart may be faster than us) are read too.
            await self._redis.xgroup_create(self._keys.stream, self._keys.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def _claim_stale(self, count: int) -> list[Entry]:
        return await self._claims.claim(count)

    async def _read_new(self, count: int) -> list[Entry]:
        reply: Any = await self._redis.xreadgroup(
            self._keys.group, self.consumer, {self._keys.stream: ">"}, count=count, block=self._block_ms
        )
        out = []
        for _stream, entries in reply or []:
            for entry_id, fields in entries:
                out.append((entry_id, fields, 1 + int(fields.get(F_ATTEMPTS.encode(), 0))))
        return out

    # --- running

    def _spawn_isolated(self, entry_id: bytes, fields: dict[bytes, bytes], deliveries: int) -> None:
        """Re-run a dead worker's task alone, once what runs here has finished.

        Why alone: when a task kills its worker, every task in flight there dies with it; run
        together again, an innocent task would be counted towards dead-lettering with the culprit.
        """

        async def alone() -> None:
            others = [t for eid, t in self._in_flight.items() if eid != entry_id]
            if others:
                await asyncio.wait(others)
            await self._process(entry_id, fields, deliveries)

        task = asyncio.create_task(alone())
        self._isolating = entry_id
        self._in_flight[entry_id] = task

        def done(t: asyncio.Task[None]) -> None:
            self._in_flight.pop(entry_id, None)
            self._isolating = None
            if not t.cancelled() and t.exception() is not None:
                _log.error("task entry %s not finished: %r", entry_id, t.exception())

        task.add_done_callback(done)

    def _spawn(self, entry_id: bytes, fields: dict[bytes, bytes], deliveries: int) -> None:
        task = asyncio.create_task(self._process(entry_id, fields, deliveries))
        self._in_flight[entry_id] = task

        def done(t: asyncio.Task[None]) -> None:
            self._in_flight.pop(entry_id, None)
            if not t.cancelled() and t.exception() is not None:
                # e.g. Redis refused the ack: the entry stays pending and is claimed again later
                _log.error("task entry %s not finished: %r", entry_id, t.exception())

        task.add_done_callback(done)

    async def _process(self, entry_id: bytes, fields: dict[bytes, bytes], deliveries: int) -> None:
        task_id = fields.get(F_TASK_ID.encode(), b"").decode()
        reply_key = fields.get(F_REPLY.encode(), b"").decode()
        payload = fields.get(F_PAYLOAD.encode(), b"")
        deadline = decode_deadline(fields.get(F_DEADLINE.encode()))
        if deadline is not None and deadline.expired:
            # nobody waits for it: answer (so a late reader is not left hanging) without running
            frame = encode_result(TaskResult(task_id, error=f"{DEADLINE_PASSED}: dropped before it ran"))
            await self._retry_store(lambda: self._finish(entry_id, reply_key, frame))
            return
        if deliveries > self._max_deliveries:
            reason = f"dead-lettered after {deliveries - 1} deliveries: its worker died each time"
            await self._dead_letter(entry_id, fields, task_id, reply_key, reason)
            return
        try:
            limit_s = None if deadline is None else deadline.remaining_s() + ABANDON_GRACE_S
            result_payload = await asyncio.wait_for(self._handler(payload, deadline), limit_s)
        except Exception as exc:  # a handler failure is a failed delivery, never a worker crash
            if isinstance(exc, TimeoutError) and deadline is not None and deadline.expired:
                # it overran its deadline: give the slot back now, the answer is an error
                _log.warning("task %s abandoned: its deadline passed", task_id)
                late = encode_result(TaskResult(task_id, error=f"{DEADLINE_PASSED}: abandoned while running"))
                await self._retry_store(lambda: self._finish(entry_id, reply_key, late))
                return
            self._failed += 1
            reason = f"{type(exc).__name__}: {exc}"
            _log.warning("task %s delivery %d failed: %s", task_id, deliveries, reason)
            if deliveries >= self._max_deliveries:
                await self._dead_letter(
                    entry_id,
                    fields,
                    task_id,
                    reply_key,
                    f"dead-lettered after {deliveries} deliveries: {reason}",
                )
            else:
                await self._retry_store(lambda: self._requeue(entry_id, fields, deliveries))
            return
        self._processed += 1
        frame = encode_result(TaskResult(task_id, payload=result_payload))
        await self._retry_store(lambda: self._finish(entry_id, reply_key, frame))

    async def _finish(self, entry_id: bytes, reply_key: str, frame: bytes) -> None:
        """Result first, then ack: a crash in between re-runs the task, never loses it."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.lpush(reply_key, frame)
            pipe.expire(reply_key, self._result_ttl_s)
            pipe.xack(self._keys.stream, self._keys.group, entry_id)
            pipe.xdel(self._keys.stream, entry_id)
            await pipe.execute()

    async def _requeue(self, entry_id: bytes, fields: dict[bytes, bytes], deliveries: int) -> None:
        """Retry now (not after the visibility timeout), carrying the count of failed deliveries."""
        copy: dict[Any, Any] = dict(fields)
        copy[F_ATTEMPTS.encode()] = deliveries
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self._keys.stream, copy)
            pipe.xack(self._keys.stream, self._keys.group, entry_id)
            pipe.xdel(self._keys.stream, entry_id)
            await pipe.execute()

    async def _dead_letter(
        self, entry_id: bytes, fields: dict[bytes, bytes], task_id: str, reply_key: str, reason: str
    ) -> None:
        self._dead_lettered += 1
        _log.error("task %s: %s", task_id, reason)
        record: dict[Any, Any] = dict(fields)
        record[b"reason"] = reason
        record[b"consumer"] = self.consumer
        frame = encode_result(TaskResult(task_id, error=reason))

        async def store() -> None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.xadd(self._keys.dead_letters, record, maxlen=self._dead_letter_max_len, approximate=True)
                pipe.lpush(reply_key, frame)
                pipe.expire(reply_key, self._result_ttl_s)
                pipe.xack(self._keys.stream, self._keys.group, entry_id)
                pipe.xdel(self._keys.stream, entry_id)
                await pipe.execute()

        await self._retry_store(store)

    async def _retry_store(self, write: Any) -> None:
        """Keep trying a write through a Redis outage, up to ``store_timeout_s``.

        Giving up leaves the entry pending, so another worker re-runs it later.
        """
        deadline = time.monotonic() + self._store_timeout_s
        while True:
            try:
                await write()
                return
            except UNREACHABLE as exc:
                if time.monotonic() >= deadline:
                    _log.error(
                        "could not store a result for %.0f s (%s); leaving it pending",
                        self._store_timeout_s,
                        exc,
                    )
                    return
                await asyncio.sleep(self._reconnect_backoff_s)

    async def _drain(self) -> None:
        if not self._in_flight:
            return
        _log.info("draining %d in-flight tasks (up to %.0f s)", len(self._in_flight), self._drain_timeout_s)
        _done, pending = await asyncio.wait(list(self._in_flight.values()), timeout=self._drain_timeout_s)
        for task in pending:
            task.cancel()  # left pending in Redis: another worker claims it
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- liveness

    async def _heartbeat_loop(self) -> None:
        while True:
            try:
                beat = WorkerHeartbeat(
                    consumer=self.consumer,
                    host=socket.gethostname(),
                    pid=os.getpid(),
                    in_flight=len(self._in_flight),
                    processed=self._processed,
                    failed=self._failed,
                    dead_lettered=self._dead_lettered,
                    started_unix_s=self._started_unix_s,
                )
                async with self._redis.pipeline(transaction=False) as pipe:
                    pipe.set(self._keys.heartbeat(self.consumer), beat.to_json(), px=self._heartbeat_ttl_ms)
                    pipe.zadd(
                        self._keys.live_workers, {self.consumer: time.time() + self._heartbeat_ttl_ms / 1000}
                    )
                    await pipe.execute()
                if self._in_flight and self._group_ready:
                    # renew the lease: resets the entries' idle time without counting a delivery
                    await self._redis.xclaim(
                        self._keys.stream,
                        self._keys.group,
                        self.consumer,
                        min_idle_time=0,
                        message_ids=list(self._in_flight),
                        justid=True,
                    )
            except UNREACHABLE as exc:
                _log.debug("heartbeat failed: %s", exc)
            except ResponseError as exc:
                _log.debug("lease renewal failed: %s", exc)
            await asyncio.sleep(self._heartbeat_interval_s)
