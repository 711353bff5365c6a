"""The Redis Streams task queue, producer side (the API); the consumer is ``RedisTaskWorker``.

Why Redis Streams: a consumer group hands each entry to one worker and keeps it pending until
acked, so a worker that dies loses nothing (another one claims the entry after
``visibility_timeout_s``), and any number of API replicas and workers on any machines share one
Redis. Results come back on a per-submit reply list the API waits on with ``BLPOP`` (no poll
loop). Every Redis call has a socket timeout, so a Redis outage surfaces as
``QueueUnavailableError`` in seconds instead of a hang; when a restarted Redis lost the stream,
the producer re-adds the tasks it is still waiting for (at-least-once; duplicates are dropped).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import RedisError

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
    decode_result,
    encode_deadline,
)
from app.queue.base import QueueFullError, QueueUnavailableError, Task, TaskResult
from app.queue.redis_worker import RedisTaskWorker

__all__ = ["RedisTaskQueue", "RedisTaskWorker", "WorkerHeartbeat", "connect"]

_log = logging.getLogger(__name__)

_MIN_BLOCK_S = 0.01  # BLPOP 0 would block forever
_RUN_ID_CHECK_INTERVAL_S = 1.0
_WORKER_SEEN_VALID_S = 1.0  # a live worker seen this recently is not looked up again
_WORKER_POLL_S = 0.2
_PING_ERRORS: tuple[type[BaseException], ...] = (RedisError, *UNREACHABLE)


@dataclass(slots=True)
class _Batch:
    """One ``submit``: its reply list, the tasks not yet answered, the Redis it went to."""

    reply_key: str
    waiting: dict[str, Task]
    run_id: str
    arrived: dict[str, TaskResult] = field(default_factory=dict)


class RedisTaskQueue:
    """``TaskQueue`` over a Redis stream; safe to share between concurrent requests."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "arbiter",
        max_depth: int = 10_000,
        retry_after_s: float = 1.0,
        socket_timeout_s: float = 5.0,
        connect_timeout_s: float = 2.0,
        result_ttl_s: float = 600.0,
        stream_max_len: int = 1_000_000,
        wait_slice_s: float = 1.0,
        worker_absent_grace_s: float | None = None,
    ) -> None:
        if wait_slice_s >= socket_timeout_s:
            raise ValueError("wait_slice_s must be below socket_timeout_s (BLPOP would time out the socket)")
        self._keys = Keys(prefix)
        self._max_depth = max_depth
        self._retry_after_s = retry_after_s
        self._result_ttl_s = result_ttl_s
        self._stream_max_len = stream_max_len
        self._wait_slice_s = wait_slice_s
        self._worker_absent_grace_s = worker_absent_grace_s
        self._worker_seen_at = -float("inf")  # monotonic time a live worker was last seen
        self._redis = connect(url, socket_timeout_s=socket_timeout_s, connect_timeout_s=connect_timeout_s)
        self._run_id_value = ""
        self._run_id_expires_at = 0.0
        self._batches: dict[str, _Batch] = {}  # reply key -> batch
        self._batch_of: dict[str, _Batch] = {}  # task id -> batch

    async def start(self) -> None:
        """Check Redis answers; raises ``QueueUnavailableError`` if not."""
        if not await self.ping():
            raise QueueUnavailableError("Redis does not answer")

    async def submit(self, tasks: Sequence[Task]) -> None:
        if not tasks:
            return
        depth = await self.depth()
        if depth + len(tasks) > self._max_depth:
            raise QueueFullError(depth, self._max_depth, self._retry_after_s)
        if self._worker_absent_grace_s is not None:
            await self._require_worker(self._worker_absent_grace_s)
        try:
            run_id = await self._run_id()
            batch = _Batch(self._keys.reply(uuid.uuid4().hex), {t.task_id: t for t in tasks}, run_id)
            await self._add(batch.reply_key, tasks)
        except UNREACHABLE as exc:
            raise QueueUnavailableError(f"Redis unreachable: {exc}") from exc
        self._batches[batch.reply_key] = batch
        for t in tasks:
            self._batch_of[t.task_id] = batch

    async def results(self, task_ids: Sequence[str], timeout_s: float) -> dict[str, TaskResult]:
        deadline = time.monotonic() + max(0.0, timeout_s)
        wanted = [tid for tid in task_ids if tid in self._batch_of]
        out: dict[str, TaskResult] = {}
        outage = idle = False
        try:
            while True:
                for tid in wanted:
                    batch = self._batch_of[tid]
                    if tid not in out and tid in batch.arrived:
                        out[tid] = batch.arrived[tid]
                missing = [tid for tid in wanted if tid not in out]
                remaining_s = deadline - time.monotonic()
                if not missing or remaining_s <= 0:
                    return out
                keys = list(dict.fromkeys(self._batch_of[tid].reply_key for tid in missing))
                try:
                    if outage or idle:
                        # a restarted Redis lost our tasks; the client may have reconnected
                        # without an error reaching us, hence the check on idle slices too
                        await self._recover(keys)
                        outage = False
                    idle = not await self._receive(keys, min(remaining_s, self._wait_slice_s))
                except UNREACHABLE as exc:
                    if not outage:
                        _log.warning("Redis unreachable while waiting for results: %s", exc)
                    outage = True
                    await asyncio.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        finally:
            await self._forget(wanted)

    async def depth(self) -> int:
        """Entries in the stream: queued plus in flight (workers delete what they acked)."""
        try:
            return int(await self._redis.xlen(self._keys.stream))
        except UNREACHABLE as exc:
            raise QueueUnavailableError(f"Redis unreachable: {exc}") from exc

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except _PING_ERRORS:
            return False

    async def live_workers(self) -> list[WorkerHeartbeat]:
        """Workers whose heartbeat has not expired (``/readyz``, metrics)."""
        try:
            keys = [k async for k in self._redis.scan_iter(match=self._keys.heartbeat_pattern, count=100)]
            raws = await self._redis.mget(keys) if keys else []
        except UNREACHABLE as exc:
            raise QueueUnavailableError(f"Redis unreachable: {exc}") from exc
        return [WorkerHeartbeat.from_json(raw) for raw in raws if raw is not None]

    async def _require_worker(self, grace_s: float) -> None:
        """Refuse (503) work that no worker would take, after ``grace_s`` of looking (a worker
        reconnecting after a Redis restart beats again within a second or two); a live worker
        seen in the last second is trusted without asking Redis."""
        now = time.monotonic()
        if now - self._worker_seen_at < _WORKER_SEEN_VALID_S:
            return
        give_up_at = now + grace_s
        while True:
            try:
                key = self._keys.live_workers
                await self._redis.zremrangebyscore(key, "-inf", time.time())
                live = int(await self._redis.zcard(key))
            except UNREACHABLE as exc:
                raise QueueUnavailableError(f"Redis unreachable: {exc}") from exc
            if live:
                self._worker_seen_at = time.monotonic()
                return
            if time.monotonic() >= give_up_at:
                raise QueueUnavailableError(f"no live worker (none has sent a heartbeat for {grace_s:.0f} s)")
            await asyncio.sleep(_WORKER_POLL_S)

    async def dead_letter_count(self) -> int:
        try:
            return int(await self._redis.xlen(self._keys.dead_letters))
        except UNREACHABLE as exc:
            raise QueueUnavailableError(f"Redis unreachable: {exc}") from exc

    async def close(self) -> None:
        await self._redis.aclose()

    async def _add(self, reply_key: str, tasks: Sequence[Task]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for t in tasks:
                pipe.xadd(
                    self._keys.stream,
                    {
                        F_TASK_ID: t.task_id,
                        F_PAYLOAD: t.payload,
                        F_REPLY: reply_key,
                        F_ATTEMPTS: 0,
                        F_DEADLINE: encode_deadline(t.deadline),
                    },
                    maxlen=self._stream_max_len,
                    approximate=True,
                )
            await pipe.execute()

    async def _run_id(self) -> str:
        """The server's run id (new after every restart), asked at most once per interval."""
        now = time.monotonic()
        if now >= self._run_id_expires_at:
            info = await self._redis.info("server")
            self._run_id_value = str(info.get("run_id", ""))
            self._run_id_expires_at = now + _RUN_ID_CHECK_INTERVAL_S
        return self._run_id_value

    async def _receive(self, keys: list[str], block_s: float) -> bool:
        """Pop the results that arrived (blocking up to ``block_s``); False if none did."""
        popped: Any = await self._redis.blpop(keys, timeout=max(_MIN_BLOCK_S, block_s))
        if popped is None:
            return False
        key, frame = popped
        frames = [frame]
        more: Any = await self._redis.lpop(key, 1000)  # drain without blocking
        if more:
            frames.extend(more)
        batch = self._batches.get(key.decode() if isinstance(key, bytes) else key)
        if batch is None:
            return True
        for raw in frames:
            result = decode_result(raw)
            if result.task_id in batch.waiting and result.task_id not in batch.arrived:
                batch.arrived[result.task_id] = result  # a duplicate delivery's result is dropped
        return True

    async def _recover(self, keys: list[str]) -> None:
        """If Redis restarted since the submit (new run id), re-add what has no result yet."""
        run_id = await self._run_id()
        for key in keys:
            batch = self._batches.get(key)
            if batch is None or batch.run_id == run_id:
                continue
            lost = [t for tid, t in batch.waiting.items() if tid not in batch.arrived]
            _log.warning("Redis restarted: re-adding %d tasks of %s", len(lost), key)
            await self._add(batch.reply_key, lost)
            batch.run_id = run_id

    async def _forget(self, task_ids: Sequence[str]) -> None:
        """The request is over: drop its bookkeeping and, when a batch is done, its reply list."""
        done_keys: list[str] = []
        for tid in task_ids:
            batch = self._batch_of.pop(tid, None)
            if batch is None:
                continue
            batch.waiting.pop(tid, None)
            batch.arrived.pop(tid, None)
            if not batch.waiting and self._batches.pop(batch.reply_key, None) is not None:
                done_keys.append(batch.reply_key)
        if done_keys:
            with contextlib.suppress(*UNREACHABLE):  # else the list expires on its own
                await self._redis.delete(*done_keys)
