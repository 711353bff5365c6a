"""The worker-side task handler: a queued chunk in, the chunk's MATH/CODE reward outputs out.

Why a class: a worker builds one executor at start-up around its long-lived resources (the math
pool, the sandbox) and the queue calls it once per task. A reward that raises is turned into
``None`` outputs with the ``reward_error`` code, so one broken reward never loses the others.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable

from app.payload import ChunkResult, Spec, decode_chunk, encode_chunk_result
from app.scoring import compute_guarded
from verifiers.registry import Registry, RewardContext, RewardOutput

__all__ = ["ChunkExecutor"]

_TIMEOUT_PARAM = "timeout_s"  # a reward's whole-batch deadline parameter (None: unbounded)
_MIN_TIMEOUT_S = 0.001  # a request already past its deadline still gets a valid (tiny) timeout

# Called after each reward of a chunk with (reward name, seconds, outputs): metrics hook.
ObserveFn = Callable[[str, float, list[RewardOutput]], None]


class ChunkExecutor:
    """``Handler`` for the task queue (``app.queue.base.Handler``)."""

    def __init__(self, registry: Registry, ctx: RewardContext, *, observe: ObserveFn | None = None) -> None:
        self._registry = registry
        self._ctx = ctx
        self._observe = observe

    async def __call__(self, payload: bytes) -> bytes:
        chunk = decode_chunk(payload)
        outputs: dict[str, tuple[RewardOutput, ...]] = {}
        for spec in chunk.specs:
            started = time.perf_counter()
            spec = self._bounded(spec, chunk.deadline_unix_s)
            outs = await asyncio.to_thread(compute_guarded, self._registry, spec, chunk.samples, self._ctx)
            if self._observe is not None:
                self._observe(spec.name, time.perf_counter() - started, outs)
            outputs[spec.name] = tuple(outs)
        return encode_chunk_result(ChunkResult(outputs=outputs))

    def _bounded(self, spec: Spec, deadline_unix_s: float | None) -> Spec:
        """A reward with a batch deadline (``timeout_s``) gets at most the time the request has
        left: work nobody waits for would hold the pool, and be computed twice after a
        redelivery. Unfinished items are then ``timeout`` (null, never cached)."""
        if deadline_unix_s is None or _TIMEOUT_PARAM not in spec.params:
            return spec
        given = spec.params[_TIMEOUT_PARAM]
        left_s = max(_MIN_TIMEOUT_S, deadline_unix_s - time.time())
        if given is not None and (not isinstance(given, int | float) or given <= left_s):
            return spec  # the caller's own, shorter deadline (or a value the reward will refuse)
        return dataclasses.replace(spec, params={**spec.params, _TIMEOUT_PARAM: left_s})
