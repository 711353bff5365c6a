"""Job state stores: memory (embedded) and Redis (shared) keep the same state."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from app.jobs import JobState, JobStatus, MemoryJobStore, RedisJobStore, _steps
from verifiers.registry import Sample

STATE = JobState(job_id="j1", status=JobStatus.DONE, total=2, done=2, results=[{"id": "0"}, {"id": "1"}])


async def test_memory_store_expires():
    store = MemoryJobStore(ttl_s=3600)
    await store.put(STATE)
    assert await store.get("j1") == STATE
    old = JobState(job_id="j0", status=JobStatus.RUNNING, total=1, created_s=0.0)
    await store.put(old)
    await store.put(STATE)  # each put drops expired states
    assert await store.get("j0") is None
    assert await store.get("missing") is None


async def test_redis_store_round_trip(redis_server):
    redis_server.flush()
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        store = RedisJobStore(client, ttl_s=60)
        await store.put(STATE)
        got = await store.get("j1")
        assert got == STATE and got.status is JobStatus.DONE
        assert await store.get("missing") is None
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    ("groups", "step_items", "expected"),
    [
        (["a", "a", "b", "b"], 2, [[0, 1], [2, 3]]),
        (["a", "b", "a", "b"], 2, [[0, 2], [1, 3]]),  # a group's members travel together
        (["a", "a", "a", "b"], 2, [[0, 1, 2], [3]]),  # a group larger than a step is a step alone
        ([None, None, None], 2, [[0, 1], [2]]),  # ungrouped items are packed freely
        (["a", "a", "b", "c"], 3, [[0, 1, 2], [3]]),
    ],
)
def test_steps_never_split_a_group(groups, step_items, expected):
    samples = [Sample(id=str(i), completion="", group_id=g) for i, g in enumerate(groups)]
    assert _steps(samples, step_items) == expected
