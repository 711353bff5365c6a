"""The factories the API and the worker share: what they build follows the settings, nothing else.

Pools and the sandbox are started for real in ``test_settings.py`` and the worker tests; here the
wiring that has no process behind it: limits, the cache salt, the queue and the scorer."""

from __future__ import annotations

from typing import Any

from app.cache import MemoryResultCache
from app.composition import cache_salt, embedded_queue, sandbox_limits, scorer, service_registry
from app.metrics import Metrics
from app.queue.memory import InProcessTaskQueue
from app.settings import Settings
from app.work_pool import WorkPool


async def _handler(payload: bytes, deadline: Any = None) -> bytes:
    return payload


def test_sandbox_limits_are_the_settings() -> None:
    limits = sandbox_limits(
        Settings(sandbox_time_limit_s=3.0, sandbox_memory_mb=300, sandbox_output_bytes=4096)
    )
    assert (limits.cpu_time_s, limits.memory_mb, limits.output_limit_bytes) == (3.0, 300, 4096)


def test_the_cache_salt_changes_with_every_limit_a_verdict_depends_on() -> None:
    base = Settings()
    salts = {
        cache_salt(base),
        cache_salt(Settings(sandbox_memory_mb=base.sandbox_memory_mb + 1)),
        cache_salt(Settings(sandbox_time_limit_s=base.sandbox_time_limit_s + 1)),
        cache_salt(Settings(math_timeout_s=base.math_timeout_s + 1)),
    }
    assert len(salts) == 4
    assert cache_salt(Settings()) == cache_salt(base)


def test_the_embedded_queue_takes_its_sizes_from_the_settings() -> None:
    s = Settings(embedded_workers=3, queue_max_depth=17, max_deliveries=2)
    queue = embedded_queue(s, _handler)
    assert isinstance(queue, InProcessTaskQueue)
    assert (queue._concurrency, queue._max_depth, queue._max_deliveries) == (3, 17, 2)


def test_the_scorer_uses_the_cache_only_when_results_are_kept() -> None:
    pool = WorkPool("inline", threads=1, max_waiting=1, retry_after_s=1.0)
    try:
        for ttl_s, kept in ((60.0, True), (0.0, False)):
            s = Settings(result_cache_ttl_s=ttl_s, chunk_items=9)
            cache = MemoryResultCache(max_entries=10, ttl_s=60.0)
            queue = embedded_queue(s, _handler)
            built = scorer(s, service_registry(), queue, cache, Metrics(), pool)
            assert (built._cache is cache) is kept
            assert built._chunk_items == 9
    finally:
        pool.close()
