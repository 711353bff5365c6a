"""The service's long-lived parts, built from the settings and started/stopped together.

Why a class apart from the routes: the lifespan starts the math pool, the sandbox, the queue (in
embedded mode with its in-process workers) and the caches in one place, in order, and closes them
in reverse; tests inject fakes for any part (``Components``) without touching the HTTP layer.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from app.cache import MemoryResultCache, RedisResultCache, ResultCache
from app.code_backend import SandboxCodeBackend
from app.executor import ChunkExecutor
from app.job_store import JobStore, MemoryJobStore, RedisJobStore
from app.jobs import JobRunner
from app.metrics import Metrics
from app.queue.base import Handler, TaskQueue
from app.scoring import ItemResult, Scorer
from app.settings import Settings
from app.work_pool import WorkPool
from sandbox import Limits
from verifiers import MathBackend, Registry, RewardContext

__all__ = [
    "Components",
    "Service",
    "cache_salt",
    "result_to_json",
    "sandbox_limits",
    "sandbox_options",
    "service_registry",
    "start_code_backend",
    "start_math_pool",
]

_log = logging.getLogger(__name__)

# Builds the embedded queue around the worker-side handler.
QueueFactory = Callable[[Handler], TaskQueue]


@dataclass(frozen=True, slots=True)
class Components:
    """Parts a caller (a test, a benchmark) provides instead of the ones built from settings."""

    registry: Registry | None = None
    math: MathBackend | None = None
    code: SandboxCodeBackend | None = None
    queue_factory: QueueFactory | None = None


class Service:
    """Everything a request needs; ``start()`` in the lifespan, ``close()`` after."""

    def __init__(self, settings: Settings, components: Components | None = None) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self._given = components or Components()
        self._closers: list[Callable[[], Any]] = []
        self._redis: Any = None
        self.registry: Registry = self._given.registry or service_registry()
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

            from app.queue.redis_streams import RedisTaskQueue

            self._redis = aioredis.Redis.from_url(s.redis_url, socket_timeout=5, socket_connect_timeout=2)
            self._closers.append(self._redis.aclose)
            self.queue = RedisTaskQueue(
                s.redis_url,
                prefix=s.queue_prefix,
                max_depth=s.queue_max_depth,
                retry_after_s=s.retry_after_s,
                result_ttl_s=s.request_timeout_s,
                worker_absent_grace_s=s.worker_absent_grace_s,
            )
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
        self._scorer = Scorer(
            registry=self.registry,
            queue=self.queue,
            cache=self.cache if s.result_cache_ttl_s > 0 else None,
            metrics=self.metrics,
            inline_ctx=RewardContext(),
            chunk_items=s.chunk_items,
            retry_after_s=s.retry_after_s,
            cache_salt=cache_salt(s),
            inline_pool=inline_pool,
        )
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
        from app.queue.memory import InProcessTaskQueue

        s = self.settings
        return InProcessTaskQueue(
            handler,
            concurrency=s.embedded_workers,
            max_depth=s.queue_max_depth,
            visibility_timeout_s=s.request_timeout_s,
            max_deliveries=s.max_deliveries,
            retry_after_s=s.retry_after_s,
        )

    def _start_math_pool(self) -> MathBackend:
        return start_math_pool(self.settings, self._closers)

    def _start_code_backend(self) -> SandboxCodeBackend:
        return start_code_backend(self.settings, self._closers)


def start_math_pool(s: Settings, closers: list[Callable[[], Any]]) -> MathBackend:
    """A started math pool sized by the settings; its ``close`` is appended to ``closers``.
    Shared by the API process (embedded mode) and ``arbiter worker``."""
    from verifiers import MathPool

    pool = MathPool(workers=s.math_workers, item_timeout_s=s.math_timeout_s, memory_mb=s.math_memory_mb)
    pool.start()
    closers.append(pool.close)
    return cast(MathBackend, pool)


def start_code_backend(s: Settings, closers: list[Callable[[], Any]]) -> SandboxCodeBackend:
    """A started sandbox (pool sized by the settings) behind the code reward's backend; both
    ``close`` methods are appended to ``closers``."""
    from sandbox import PoolConfig, adapt_tests, extract_code, make_sandbox

    sandbox = make_sandbox(
        s.sandbox_backend.value, pool=PoolConfig(size=s.sandbox_pool_size), **sandbox_options(s)
    )
    sandbox.start()
    closers.append(sandbox.close)
    backend = SandboxCodeBackend(
        sandbox,
        extract=extract_code,
        adapt_tests=adapt_tests,
        limits=sandbox_limits(s),
        pool_size=s.sandbox_pool_size,
        max_tests=s.max_tests_per_item,
        max_program_chars=s.max_program_chars,
        max_waiting=s.sandbox_max_waiting_calls,
        retry_after_s=s.retry_after_s,
    )
    closers.append(backend.close)
    return backend


def sandbox_options(s: Settings) -> dict[str, Any]:
    """Where the sandbox finds its runtime: the settings name it, the sandbox package reads no
    environment (bwrap: the built root directory; docker: the image built from the same root)."""
    if s.sandbox_backend.value == "docker":  # the containers' outer limits follow the job limits
        return {"image": s.sandbox_image, "job_limits": sandbox_limits(s)}
    return {"rootfs": s.sandbox_rootfs_dir} if s.sandbox_rootfs_dir is not None else {}


def sandbox_limits(s: Settings) -> Limits:
    """The per-test limits the settings name."""
    return Limits(
        cpu_time_s=s.sandbox_time_limit_s,  # wall time: derived (sandbox.job.Limits.wall_limit_s)
        memory_mb=s.sandbox_memory_mb,
        output_limit_bytes=s.sandbox_output_bytes,
    )


def cache_salt(s: Settings) -> str:
    """What cached verdicts depend on besides the request: the code version (a verifier fix must
    not be hidden behind old entries) and the limits a verdict was reached under."""
    try:
        version = importlib.metadata.version("arbiter")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    limits = sandbox_limits(s)
    return (
        f"{version}|math:{s.math_timeout_s}:{s.math_memory_mb}|sandbox:{s.sandbox_backend.value}:"
        f"{limits.cpu_time_s}:{limits.wall_limit_s}:{limits.memory_mb}:{limits.output_limit_bytes}"
    )


def result_to_json(r: ItemResult) -> dict[str, Any]:
    """An item's result as the API's JSON object."""
    return {
        "id": r.id,
        "total": r.total,
        "rewards": dict(r.rewards),
        "accuracy": r.accuracy,
        "details": {k: dict(v) for k, v in r.details.items()},
        "errors": dict(r.errors),
        "error": r.error,
    }


def service_registry() -> Registry:
    """Every shipped reward (``code_accuracy`` included): what the API and the workers both use."""
    from verifiers import default_registry

    return default_registry()


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
