"""The scorer: one batch of samples and reward specs in, one result per sample out.

Why here and not in the routes: every endpoint (``/v1/rewards``, ``/get_reward``, async jobs)
scores the same way. The scorer looks up the result cache, sends the expensive (MATH/CODE)
rewards through the task queue in chunks, computes the cheap (INLINE) rewards in the request,
and feeds the accuracy into the rewards that need correctness (``cosine_length``,
``kimi_length``) via ``sample.metadata["correct"]``.

A reward that does not apply to an item (the math reward on an item with tests and no ground
truth, the code reward on an item without tests) is ``None`` with error ``not_applicable`` and
is left out of that item's total, so one batch can mix math and code prompts. Any other ``None``
makes the total ``None``: the trainer must skip that item, not learn from a fake 0. So does an
item to which no requested reward applies (nothing was measured: a 0 would be a fake 0 too).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from app.cache import ResultCache, cache_key
from app.deadline import Deadline
from app.errors import BackpressureError, InvalidRequestError, UnavailableError, UnknownRewardNameError
from app.metrics import Metrics
from app.queue.base import DEADLINE_PASSED, QueueFullError, QueueUnavailableError, Task, TaskQueue
from app.queue.payload import Spec, decode_chunk_result, encode_chunk
from app.results import ItemResult, ScoreError, compute_guarded
from app.work_pool import WorkPool
from verifiers import (
    Registry,
    RegistryError,
    RewardContext,
    RewardKind,
    RewardOutput,
    Sample,
    UnknownParameterError,
    UnknownRewardError,
)

__all__ = ["Scorer"]


_log = logging.getLogger(__name__)

# How long past the deadline the scorer waits for the workers' own ``timeout`` verdicts.
_VERDICT_GRACE_S = 0.5

_QUEUED_KINDS = frozenset({RewardKind.MATH, RewardKind.CODE})


class Scorer:
    """Scores batches; shared by every request of one API process."""

    def __init__(
        self,
        *,
        registry: Registry,
        queue: TaskQueue,
        cache: ResultCache | None,
        metrics: Metrics,
        inline_ctx: RewardContext,
        chunk_items: int,
        retry_after_s: float,
        cache_salt: str = "",
        inline_pool: WorkPool | None = None,
    ) -> None:
        self._registry = registry
        self._inline_pool = inline_pool or WorkPool(
            "inline", threads=2, max_waiting=64, retry_after_s=retry_after_s
        )
        self._cache_salt = cache_salt
        self._queue = queue
        self._cache = cache
        self._metrics = metrics
        self._inline_ctx = inline_ctx
        self._chunk_items = chunk_items
        self._retry_after_s = retry_after_s

    @property
    def registry(self) -> Registry:
        return self._registry

    def resolve(self, raw: Sequence[tuple[str, float, Mapping[str, Any] | None]]) -> list[Spec]:
        """Validate (name, weight, params) triples against the registry: 400 on unknown names."""
        specs: list[Spec] = []
        seen: set[str] = set()
        for name, weight, params in raw:
            if name in seen:
                raise InvalidRequestError(f"reward {name!r} requested twice")
            seen.add(name)
            try:
                resolved = self._registry.resolve_params(name, params)
            except (UnknownRewardError, UnknownParameterError) as exc:
                raise UnknownRewardNameError(str(exc)) from None
            self._check_values(name, resolved)
            specs.append(Spec(name, float(weight), resolved))
        if not specs:
            raise InvalidRequestError("no rewards requested")
        return specs

    def _check_values(self, name: str, params: Mapping[str, Any]) -> None:
        """Every reward checks its parameters before it looks at the samples, so a run on no
        samples validates them: a bad value is the caller's 422 now, not a batch of null rewards
        computed later in a worker. A reward bug is left to surface per item as ``reward_error``."""
        try:
            self._registry.compute(name, [], RewardContext(), params)
        except RegistryError as exc:
            raise InvalidRequestError(str(exc)) from None
        except Exception:
            _log.warning("reward %s failed on an empty batch", name, exc_info=True)

    async def score(
        self, samples: Sequence[Sample], specs: Sequence[Spec], deadline: Deadline
    ) -> list[ItemResult]:
        """Every requested reward for every sample, by ``deadline``: what is not computed by then
        is ``None`` with a reason (``queue_timeout``, ``timeout``), never a late answer."""
        queued = [s for s in specs if self._registry.get(s.name).kind in _QUEUED_KINDS]
        inline = [s for s in specs if s not in queued]
        outputs: dict[str, list[RewardOutput | None]] = {s.name: [None] * len(samples) for s in specs}
        if queued:
            started = time.perf_counter()
            await self._score_queued(samples, queued, outputs, deadline)
            for spec in queued:  # end-to-end: cache, queue wait and compute
                self._metrics.reward_latency.labels(spec.name).observe(time.perf_counter() - started)
                self._metrics.count_verdicts(spec.name, outputs[spec.name])
        accuracy = [_first_accuracy(outputs, queued, i) for i in range(len(samples))]
        if inline:
            enriched = [_with_correct(s, a) for s, a in zip(samples, accuracy, strict=True)]
            outputs.update(await self._inline(enriched, inline, deadline))
        self._metrics.items.inc(len(samples))
        return [_item_result(samples[i], specs, outputs, accuracy[i], i) for i in range(len(samples))]

    async def _inline(
        self, samples: Sequence[Sample], specs: Sequence[Spec], deadline: Deadline
    ) -> dict[str, list[RewardOutput | None]]:
        """The inline rewards on their own bounded pool (429 when it is saturated), by the
        deadline; rewards not computed in time are ``timeout``."""
        late: dict[str, list[RewardOutput | None]] = {
            spec.name: [RewardOutput(None, error=ScoreError.TIMEOUT)] * len(samples) for spec in specs
        }
        if deadline.expired:
            return late
        future = self._inline_pool.submit(self._score_inline, samples, specs)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), deadline.remaining_s())
        except TimeoutError:
            return late

    def _score_inline(
        self, samples: Sequence[Sample], specs: Sequence[Spec]
    ) -> dict[str, list[RewardOutput | None]]:
        outputs: dict[str, list[RewardOutput | None]] = {}
        for spec in specs:
            started = time.perf_counter()
            outs = compute_guarded(self._registry, spec, samples, self._inline_ctx)
            self._metrics.observe_reward(spec.name, time.perf_counter() - started, outs)
            outputs[spec.name] = list(outs)
        return outputs

    async def _score_queued(
        self,
        samples: Sequence[Sample],
        specs: Sequence[Spec],
        outputs: dict[str, list[RewardOutput | None]],
        deadline: Deadline,
    ) -> None:
        # 1. applicability; identical work (same key) is done once per request: GRPO groups
        # often hold identical completions
        members: dict[str, dict[str, list[int]]] = {}  # spec name -> key -> positions
        for spec in specs:
            kind = self._registry.get(spec.name).kind
            by_key: dict[str, list[int]] = {}
            for i, sample in enumerate(samples):
                if _applies(kind, sample):
                    by_key.setdefault(cache_key(spec.name, spec.params, sample, self._cache_salt), []).append(
                        i
                    )
                else:
                    outputs[spec.name][i] = RewardOutput(None, error=ScoreError.NOT_APPLICABLE)
            members[spec.name] = by_key
        # 2. the cache
        if self._cache is not None:
            wanted = list({k for by_key in members.values() for k in by_key})
            hits = await self._cache_get(wanted) if wanted else {}
            for spec in specs:
                by_key = members[spec.name]
                for key in [k for k in by_key if k in hits]:
                    self._metrics.cache_hits.inc(len(by_key[key]))
                    for i in by_key.pop(key):
                        outputs[spec.name][i] = hits[key]
                self._metrics.cache_misses.inc(sum(len(v) for v in by_key.values()))
        todo = {spec.name: [positions[0] for positions in members[spec.name].values()] for spec in specs}
        key_of = {
            (name, positions[0]): key for name, by_key in members.items() for key, positions in by_key.items()
        }
        # 3. chunks of the misses (one position per key), one spec per chunk, each carrying the
        # request's deadline on its envelope (the worker may be another machine)
        by_task: dict[str, tuple[Spec, list[int]]] = {}
        tasks: list[Task] = []
        for spec in specs:
            pending = todo[spec.name]
            for start in range(0, len(pending), self._chunk_items):
                idx = pending[start : start + self._chunk_items]
                task_id = uuid.uuid4().hex
                by_task[task_id] = (spec, idx)
                tasks.append(Task(task_id, encode_chunk([samples[i] for i in idx], [spec]), deadline))
        if not tasks:
            return
        try:
            await self._queue.submit(tasks)
        except QueueFullError as exc:
            self._metrics.rejections.labels("queue_full").inc()
            raise BackpressureError(str(exc), retry_after_s=exc.retry_after_s) from None
        except QueueUnavailableError as exc:
            self._metrics.rejections.labels("queue_unavailable").inc()
            raise UnavailableError(f"queue unavailable: {exc}", retry_after_s=self._retry_after_s) from None
        # a little past the deadline: a worker cut by it answers ``timeout`` just after
        results = await self._queue.results(list(by_task), deadline.remaining_s() + _VERDICT_GRACE_S)
        # 4. unpack, defaulting to a clear error for what did not arrive; fan out to duplicates
        fresh: dict[str, RewardOutput] = {}
        for task_id, (spec, idx) in by_task.items():
            result = results.get(task_id)
            outs: Sequence[RewardOutput]
            if result is None:
                outs = [RewardOutput(None, error=ScoreError.QUEUE_TIMEOUT) for _ in idx]
            elif result.error is not None and result.error.startswith(DEADLINE_PASSED):
                outs = [RewardOutput(None, error=ScoreError.TIMEOUT) for _ in idx]
            elif result.error is not None:
                outs = [
                    RewardOutput(None, error=ScoreError.TASK_FAILED, details={"task_error": result.error})
                    for _ in idx
                ]
            else:
                outs = _decoded(result.payload, spec.name, len(idx))
            for i, out in zip(idx, outs, strict=True):
                key = key_of[(spec.name, i)]
                for j in members[spec.name][key]:
                    outputs[spec.name][j] = out
                if self._cache is not None and out.error is None:
                    fresh[key] = out
        if self._cache is not None and fresh:
            try:
                await self._cache.put_many(fresh)
            except Exception:  # the verdicts are computed: losing their cache entry costs nothing
                self._metrics.cache_errors.inc()
                _log.warning("result cache write failed", exc_info=True)

    async def _cache_get(self, keys: list[str]) -> dict[str, RewardOutput]:
        """Cache hits; a cache that fails (Redis down) is a miss for all, not a failed request."""
        assert self._cache is not None
        try:
            return await self._cache.get_many(keys)
        except Exception:
            self._metrics.cache_errors.inc()
            _log.warning("result cache read failed; scoring without it", exc_info=True)
            return {}


def _decoded(payload: bytes, name: str, n: int) -> Sequence[RewardOutput]:
    """A worker's answer for ``n`` items; one it garbled (an older worker version, a truncated
    payload) fails those items as ``task_failed`` instead of failing the whole request."""
    try:
        outs = decode_chunk_result(payload).outputs.get(name, ())
    except (ValueError, TypeError, KeyError, AttributeError):
        outs = ()
    if len(outs) != n:
        return [RewardOutput(None, error=ScoreError.TASK_FAILED) for _ in range(n)]
    return outs


def _applies(kind: RewardKind, sample: Sample) -> bool:
    if kind is RewardKind.MATH:
        return not (sample.ground_truth is None and sample.tests is not None)
    if kind is RewardKind.CODE:
        return sample.tests is not None
    return True


def _first_accuracy(
    outputs: Mapping[str, list[RewardOutput | None]], specs: Sequence[Spec], i: int
) -> float | None:
    for spec in specs:
        out = outputs[spec.name][i]
        if out is not None and out.accuracy is not None:
            return out.accuracy
    return None


def _with_correct(sample: Sample, accuracy: float | None) -> Sample:
    """Give correctness-dependent shaping rewards the accuracy, unless the caller set it."""
    if accuracy is None or "correct" in sample.metadata:
        return sample
    return dataclasses.replace(sample, metadata={**sample.metadata, "correct": accuracy >= 1.0})


def _item_result(
    sample: Sample,
    specs: Sequence[Spec],
    outputs: Mapping[str, list[RewardOutput | None]],
    accuracy: float | None,
    i: int,
) -> ItemResult:
    rewards: dict[str, float | None] = {}
    details: dict[str, Mapping[str, Any]] = {}
    errors: dict[str, str] = {}
    total: float | None = 0.0
    applied = False
    for spec in specs:
        out = outputs[spec.name][i] or RewardOutput(None, error=ScoreError.REWARD_ERROR)
        applied = applied or out.error != ScoreError.NOT_APPLICABLE
        rewards[spec.name] = out.value
        details[spec.name] = dict(out.details)
        if out.value is None:
            errors[spec.name] = str(out.error or ScoreError.REWARD_ERROR)
            if out.error != ScoreError.NOT_APPLICABLE:
                total = None
        elif total is not None:
            total += spec.weight * out.value
    if not applied:
        total = None
    return ItemResult(
        id=sample.id, total=total, rewards=rewards, accuracy=accuracy, details=details, errors=errors
    )
