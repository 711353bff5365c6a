"""Job state stores: memory (embedded) and Redis (shared) keep the same state."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from app import jobs as jobs_module
from app.errors import BackpressureError
from app.jobs import JobRunner, JobState, JobStatus, MemoryJobStore, RedisJobStore, _steps
from app.scoring import ItemResult
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


class _FlakyStore(MemoryJobStore):
    """Fails the first ``failures`` writes, as a store in a short outage would."""

    def __init__(self, failures: int) -> None:
        super().__init__(ttl_s=3600)
        self.failures = failures

    async def put(self, state: JobState) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("store blip")
        await super().put(state)


class _OneResultScorer:
    async def score(self, samples, specs, timeout_s):
        return [ItemResult(s.id, 1.0, {"r": 1.0}, 1.0, {}, {}) for s in samples]


@pytest.mark.parametrize(
    ("failures", "status"), [(0, JobStatus.DONE), (2, JobStatus.DONE), (4, JobStatus.FAILED)]
)
async def test_job_survives_a_short_store_outage(monkeypatch, failures, status):
    monkeypatch.setattr(jobs_module, "_PUT_RETRY_S", 0.0)
    store = _FlakyStore(0)
    runner = JobRunner(
        scorer=_OneResultScorer(), store=store, step_items=2, timeout_s=5, shape=lambda r: {"id": r.id}
    )  # type: ignore[arg-type]
    state = await runner.submit([Sample("0", "x"), Sample("1", "y")], [])
    store.failures = failures  # the writes after submit: running, progress, done
    for _ in range(100):
        got = await store.get(state.job_id)
        if got is not None and got.status in (JobStatus.DONE, JobStatus.FAILED):
            break
        await asyncio.sleep(0.01)
    await runner.close()
    assert got is not None and got.status is status
    if status is JobStatus.DONE:
        assert got.results == [{"id": "0"}, {"id": "1"}]


class _DownStore:
    async def put(self, state):
        raise ConnectionError("store down")

    async def get(self, job_id):
        raise ConnectionError("store down")


async def test_store_outage_is_a_503_with_retry_after():
    runner = JobRunner(
        scorer=_OneResultScorer(),  # type: ignore[arg-type]
        store=_DownStore(),
        step_items=2,
        timeout_s=5,
        shape=lambda r: {},
        retry_after_s=3.0,
    )
    for call in (runner.submit([Sample("0", "x")], []), runner.get("some-job")):
        with pytest.raises(BackpressureError) as err:
            await call
        assert err.value.status_code == 503 and err.value.retry_after_s == 3.0
