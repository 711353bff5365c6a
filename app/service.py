"""The service's long-lived parts, built from the settings and started/stopped together.

Why a class apart from the routes: the lifespan starts the math pool, the sandbox, the queue (in
embedded mode with its in-process workers) and the caches in one place, in order, and closes them
in reverse; tests inject fakes for any part (``Components``) without touching the HTTP layer.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app import composition
from app.cache import MemoryResultCache, RedisResultCache, ResultCache
from app.code_backend import SandboxCodeBackend
from app.jobs.runner import JobRunner
from app.jobs.store import JobStore, MemoryJobStore, RedisJobStore
from app.metrics import Metrics
from app.queue.base import Handler, TaskQueue
from app.results import result_to_json
from app.scoring import Scorer
from app.settings import Settings
from app.work_pool import WorkPool
from app.worker.executor import ChunkExecutor
from verifiers import MathBackend, Registry, RewardContext

__all__ = ["Components", "Service"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Components:
    """Parts a caller (a test, a benchmark) provides instead of the ones built from settings."""

    registry: Registry | None = None
    math: MathBackend | None = None
    code: SandboxCodeBackend | None = None
    queue_factory: composition.QueueFactory | None = None


class Service:
    """Everything a request needs; ``start()`` in the lifespan, ``close()`` after."""

    def __init__(self, settings: Settings, components: Components | None = None) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self._given = components or Components()
        self._closers: list[Callable[[], Any]] = []
        self._redis: Any = None
        self.registry: Registry = self._given.registry or composition.service_registry()
        self.math: MathBackend | None = None
        self.code: SandboxCodeBackend | None = None
        self.queue: TaskQueue | None = None
        self.cache: ResultCache | None = None
        self.jobs: JobRunner | None = None
        self._scorer: Scorer | None = None
        self.inline_pool: WorkPool | None = None

    @property
    def scorer(self) -> Scorer:
        if self._scorer is None:
            raise RuntimeError("service not started")
        return self._scorer

    async def start(self) -> None:
        """Build and start every part in dependency order; ``close`` undoes it in reverse."""
        s = self.settings
        # In Redis mode the workers own the math pool: the API process only needs its sandbox
        # (for /v1/execute and /run_code).
        self.math = self._given.math or (None if s.redis_url else self._start_math_pool())
        self.code = self._given.code or self._start_code_backend()
        ctx = RewardContext(math=self.math, code=self.code)
        executor = ChunkExecutor(self.registry, ctx, threads=s.embedded_workers)
        self._closers.append(executor.close)
        if s.redis_url:
            import redis.asyncio as aioredis

            self._redis = aioredis.Redis.from_url(s.redis_url, socket_timeout=5, socket_connect_timeout=2)
            self._closers.append(self._redis.aclose)
            self.queue = composition.redis_queue(s)
            self.cache = RedisResultCache(
                self._redis,
                ttl_s=s.result_cache_ttl_s,
                max_entries=s.result_cache_max_entries,
                prefix=s.queue_prefix,
            )
            store: JobStore = RedisJobStore(self._redis, ttl_s=s.job_ttl_s)
        else:
            factory = self._given.queue_factory or self._embedded_queue
            self.queue = factory(executor)
            self.cache = MemoryResultCache(max_entries=s.result_cache_max_entries, ttl_s=s.result_cache_ttl_s)
            store = MemoryJobStore(ttl_s=s.job_ttl_s)
        await _maybe_await(getattr(self.queue, "start", None))
        self._closers.append(self.queue.close)
        inline_pool = WorkPool(
            "inline",
            threads=s.inline_threads,
            max_waiting=s.inline_max_waiting_batches,
            retry_after_s=s.retry_after_s,
        )
        self._closers.append(inline_pool.close)
        self.inline_pool = inline_pool
        inline_pool.on_reject = self.metrics.rejections.labels("inline_saturated").inc
        sandbox_pool = getattr(self.code, "pool", None)
        if isinstance(sandbox_pool, WorkPool):
            sandbox_pool.on_reject = self.metrics.rejections.labels("sandbox_saturated").inc
        self._scorer = composition.scorer(s, self.registry, self.queue, self.cache, self.metrics, inline_pool)
        # Fail at startup, not on every /get_reward: the drop-in endpoint's rewards must resolve.
        self._scorer.resolve(
            [(n, w, None) for n, w in zip(s.openrlhf_rewards, s.openrlhf_weights, strict=True)]
        )
        for profile in s.openrlhf_profiles.values():  # and so must every /get_reward/{profile}'s
            self._scorer.resolve([(n, w, None) for n, w in profile.items()])
        self.jobs = JobRunner(
            scorer=self._scorer,
            store=store,
            step_items=s.job_chunk_items,
            timeout_s=s.request_timeout_s,
            shape=result_to_json,
            retry_after_s=s.retry_after_s,
            lease_s=s.job_lease_s,
            stall_timeout_s=s.job_stall_timeout_s,
            concurrency=s.job_concurrency,
        )
        self.jobs.start()
        self._closers.append(self.jobs.close)

    async def close(self) -> None:
        """Close what ``start`` opened, last first, ignoring errors so that every part gets closed."""
        while self._closers:
            closer = self._closers.pop()
            with contextlib.suppress(Exception):
                await _maybe_await(closer)

    async def ready(self) -> dict[str, bool]:
        """Each dependency's health, for ``/readyz`` and the worker-health gauge."""
        checks: dict[str, bool] = {}
        try:
            checks["queue"] = bool(self.queue is not None and await self.queue.ping())
        except Exception:
            checks["queue"] = False
        if self.math is not None or not self.settings.redis_url:
            checks["math"] = _healthy(self.math)
        checks["sandbox"] = _healthy(self.code)
        live_workers = getattr(self.queue, "live_workers", None)
        if live_workers is not None:  # Redis mode: someone must consume the stream
            try:
                n = len(await live_workers())
            except Exception:
                n = 0
            self.metrics.workers_live.set(n)
            checks["workers"] = n > 0
        for component, ok in checks.items():
            self.metrics.worker_up.labels(component).set(1.0 if ok else 0.0)
        if self.queue is not None:
            with contextlib.suppress(Exception):
                self.metrics.queue_depth.set(await self.queue.depth())
        return checks

    def _embedded_queue(self, handler: Handler) -> TaskQueue:
        return composition.embedded_queue(self.settings, handler)

    def _start_math_pool(self) -> MathBackend:
        return composition.start_math_pool(self.settings, self._closers)

    def _start_code_backend(self) -> SandboxCodeBackend:
        return composition.start_code_backend(self.settings, self._closers)


def _healthy(part: Any) -> bool:
    if part is None:
        return False
    check = getattr(part, "healthy", None)
    if check is None:
        return True
    try:
        return bool(check())
    except Exception:
        return False


async def _maybe_await(fn: Callable[[], Any] | None) -> None:
    if fn is None:
        return
    out = fn()
    if hasattr(out, "__await__"):
        await out
