"""The factories the API process and the worker both build from: one place turns the settings
into a math pool, a sandbox behind the code backend, a task queue and a scorer.

Why a module of its own: the worker needs the same pools, sized and limited the same way, as the
API's embedded mode, but must not import the API's lifecycle (``app.service``) or anything of the
HTTP layer. A sandbox limit or a pool size is wired here, once, from ``Settings``.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from typing import Any, cast

from app.cache import ResultCache
from app.code_backend import SandboxCodeBackend
from app.metrics import Metrics
from app.queue.base import Handler, TaskQueue
from app.scoring import Scorer
from app.settings import Settings
from app.work_pool import WorkPool
from sandbox import Limits
from verifiers import MathBackend, Registry, RewardContext

__all__ = [
    "Closers",
    "QueueFactory",
    "cache_salt",
    "embedded_queue",
    "redis_queue",
    "sandbox_limits",
    "sandbox_options",
    "scorer",
    "service_registry",
    "start_code_backend",
    "start_math_pool",
]

# What a caller closes, last first, when it stops: each factory appends the close of what it started.
Closers = list[Callable[[], Any]]

# Builds the embedded queue around the worker-side handler.
QueueFactory = Callable[[Handler], TaskQueue]


def service_registry() -> Registry:
    """Every shipped reward (``code_accuracy`` included): what the API and the workers both use."""
    from verifiers import default_registry

    return default_registry()


def start_math_pool(s: Settings, closers: Closers) -> MathBackend:
    """A started math pool sized by the settings; its ``close`` is appended to ``closers``.
    Shared by the API process (embedded mode) and ``arbiter worker``."""
    from verifiers import MathPool

    pool = MathPool(workers=s.math_workers, item_timeout_s=s.math_timeout_s, memory_mb=s.math_memory_mb)
    pool.start()
    closers.append(pool.close)
    return cast(MathBackend, pool)


def start_code_backend(s: Settings, closers: Closers) -> SandboxCodeBackend:
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


def redis_queue(s: Settings) -> TaskQueue:
    """The API side of the Redis task stream (``s.redis_url`` must be set)."""
    from app.queue.redis_streams import RedisTaskQueue

    assert s.redis_url is not None
    return RedisTaskQueue(
        s.redis_url,
        prefix=s.queue_prefix,
        max_depth=s.queue_max_depth,
        retry_after_s=s.retry_after_s,
        result_ttl_s=s.request_timeout_s,
        worker_absent_grace_s=s.worker_absent_grace_s,
    )


def embedded_queue(s: Settings, handler: Handler) -> TaskQueue:
    """The in-process queue of embedded mode, its workers calling ``handler``."""
    from app.queue.memory import InProcessTaskQueue

    return InProcessTaskQueue(
        handler,
        concurrency=s.embedded_workers,
        max_depth=s.queue_max_depth,
        visibility_timeout_s=s.request_timeout_s,
        max_deliveries=s.max_deliveries,
        retry_after_s=s.retry_after_s,
    )


def scorer(
    s: Settings,
    registry: Registry,
    queue: TaskQueue,
    cache: ResultCache | None,
    metrics: Metrics,
    inline_pool: WorkPool,
) -> Scorer:
    """The scorer over ``queue``, using ``cache`` only when the settings keep results."""
    return Scorer(
        registry=registry,
        queue=queue,
        cache=cache if s.result_cache_ttl_s > 0 else None,
        metrics=metrics,
        inline_ctx=RewardContext(),
        chunk_items=s.chunk_items,
        retry_after_s=s.retry_after_s,
        cache_salt=cache_salt(s),
        inline_pool=inline_pool,
    )
