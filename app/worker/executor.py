"""The worker-side task handler: a queued chunk in, the chunk's MATH/CODE reward outputs out.

Why a class: a worker builds one executor at start-up around its long-lived resources (the math
pool, the sandbox, its own threads) and the queue calls it once per task. A reward that raises is
turned into ``None`` outputs with the ``reward_error`` code, so one broken reward never loses the
others. The task's deadline (from the queue envelope, never from reward parameters) reaches the
backends: the math pool's batch timeout and each sandbox job are cut to it, so work nobody waits
for stops and the worker's slot is free again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

from app.deadline import Deadline
from app.queue.payload import ChunkResult, decode_chunk, encode_chunk_result
from app.results import compute_guarded
from app.work_pool import WorkPool
from verifiers import MathBackend, Registry, RewardContext, RewardOutput

__all__ = ["ChunkExecutor", "DeadlineMath"]

_MIN_TIMEOUT_S = 0.001  # a chunk already past its deadline still passes a valid (tiny) timeout
_UNSET: Any = object()

# Called after each reward of a chunk with (reward name, seconds, outputs): metrics hook.
ObserveFn = Callable[[str, float, list[RewardOutput]], None]


class DeadlineMath:
    """A ``MathBackend`` whose batches end at a deadline (unfinished items: ``timeout``)."""

    def __init__(self, math: MathBackend, deadline: Deadline) -> None:
        self._math = math
        self._deadline = deadline

    def verify_many(
        self, pairs: Sequence[tuple[Any, str]], config: Any = _UNSET, timeout_s: float | None = None
    ) -> list[Any]:
        bounded_s = max(_MIN_TIMEOUT_S, self._deadline.bound(timeout_s))
        if config is _UNSET:
            return self._math.verify_many(pairs, timeout_s=bounded_s)
        return self._math.verify_many(pairs, config=config, timeout_s=bounded_s)


class ChunkExecutor:
    """``Handler`` for the task queue (``app.queue.base.Handler``).

    ``threads``: how many chunks compute at once (the queue's concurrency); the rewards' blocking
    calls run on these threads, never on asyncio's shared default executor.
    """

    def __init__(
        self,
        registry: Registry,
        ctx: RewardContext,
        *,
        observe: ObserveFn | None = None,
        threads: int = 4,
    ) -> None:
        self._registry = registry
        self._ctx = ctx
        self._observe = observe
        self._pool = WorkPool("queue-work", threads=threads, max_waiting=0, retry_after_s=1.0)

    def close(self) -> None:
        self._pool.close()

    async def __call__(self, payload: bytes, deadline: Deadline | None = None) -> bytes:
        chunk = decode_chunk(payload)
        ctx = self._context(deadline)
        outputs: dict[str, tuple[RewardOutput, ...]] = {}
        for spec in chunk.specs:
            started = time.perf_counter()
            outs = await asyncio.wrap_future(
                self._pool.submit_waiting(compute_guarded, self._registry, spec, chunk.samples, ctx)
            )
            if self._observe is not None:
                self._observe(spec.name, time.perf_counter() - started, outs)
            outputs[spec.name] = tuple(outs)
        return encode_chunk_result(ChunkResult(outputs=outputs))

    def _context(self, deadline: Deadline | None) -> RewardContext:
        """The backends as this chunk sees them: cut to its deadline."""
        if deadline is None:
            return self._ctx
        math = self._ctx.math
        code: Any = self._ctx.code
        bounded = getattr(code, "bounded", None)
        return RewardContext(
            math=DeadlineMath(math, deadline) if math is not None else None,
            code=bounded(deadline) if bounded is not None else code,
        )
