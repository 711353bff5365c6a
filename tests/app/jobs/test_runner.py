"""Jobs: both stores keep the same state, input and step results; a runner drives, resumes and
fails jobs with a reason. The process-level faults (API killed) are in ``test_job_faults.py``."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import redis.asyncio as aioredis

from app.errors import BackpressureError, UnavailableError
from app.http.errors import status_for
from app.jobs.runner import JobRunner, _steps
from app.jobs.store import JobInput, JobState, JobStatus, MemoryJobStore, RedisJobStore, Step
from app.queue.payload import Spec
from app.results import ItemResult
from verifiers import Sample

SAMPLES = tuple(Sample(str(i), f"c{i}", ground_truth=str(i)) for i in range(4))
JOB = JobInput(
    specs=(Spec("r", 1.0, {"k": 1}),),
    steps=(Step((0, 2), (SAMPLES[0], SAMPLES[2])), Step((1, 3), (SAMPLES[1], SAMPLES[3]))),
)


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        yield MemoryJobStore(ttl_s=3600)
        return
    server = request.getfixturevalue("redis_server")
    server.flush()
    client = aioredis.Redis.from_url(server.url)
    try:
        yield RedisJobStore(client, ttl_s=60)
    finally:
        await client.aclose()


async def test_store_keeps_state_input_and_step_results_in_position_order(store):
    state = JobState(job_id="j1", status=JobStatus.QUEUED, total=4, durability=store.durability)
    await store.create(state, JOB)
    assert await store.get("j1") == state
    assert await store.load("j1") == JOB
    assert await store.active() == ["j1"]
    await store.put_step("j1", 1, [{"id": "1"}, {"id": "3"}])
    assert await store.finished_steps("j1") == {1}
    await store.put_step("j1", 0, [{"id": "0"}, {"id": "2"}])
    await store.put(JobState(job_id="j1", status=JobStatus.DONE, total=4, done=4))
    got = await store.get("j1")
    assert got.status is JobStatus.DONE and [r["id"] for r in got.results] == ["0", "1", "2", "3"]
    await store.retire("j1")
    assert await store.active() == []
    assert await store.get("missing") is None and await store.load("missing") is None


async def test_a_lease_is_held_by_one_owner_until_released_or_lapsed(store):
    await store.create(JobState(job_id="j1", status=JobStatus.QUEUED, total=4), JOB)
    assert await store.acquire("j1", "a", 0.3)
    assert not await store.acquire("j1", "b", 10)
    assert await store.renew("j1", "a", 0.3) and not await store.renew("j1", "b", 10)
    await store.release("j1", "b")  # not b's to release
    assert not await store.acquire("j1", "b", 10)
    await asyncio.sleep(0.5)  # a lapsed lease: the owner died
    assert await store.acquire("j1", "b", 10)
    await store.release("j1", "b")
    assert await store.acquire("j1", "a", 10)


async def test_memory_store_expires():
    store = MemoryJobStore(ttl_s=3600)
    await store.create(JobState(job_id="old", status=JobStatus.RUNNING, total=1, created_s=0.0), JOB)
    await store.create(JobState(job_id="new", status=JobStatus.QUEUED, total=1), JOB)
    assert await store.get("old") is None and await store.active() == ["new"]


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


class _Scorer:
    """Scores each sample as 1.0; ``refuse`` backpressure answers first; records the steps."""

    def __init__(self, refuse: int = 0, *, sleep_s: float = 0.0) -> None:
        self.refuse = refuse
        self.sleep_s = sleep_s
        self.steps: list[list[str]] = []

    async def score(self, samples, specs, deadline):
        if self.refuse:
            self.refuse -= 1
            raise UnavailableError("no live worker", retry_after_s=0.05)
        await asyncio.sleep(self.sleep_s)
        self.steps.append([s.id for s in samples])
        return [ItemResult(s.id, 1.0, {"r": 1.0}, 1.0, {}, {}) for s in samples]


def _runner(store, scorer, **kw) -> JobRunner:
    options = {"step_items": 2, "timeout_s": 5, "lease_s": 0.6, "stall_timeout_s": 5.0, **kw}
    return JobRunner(scorer=scorer, store=store, shape=lambda r: {"id": r.id}, **options)  # type: ignore[arg-type]


async def _terminal(runner: JobRunner, job_id: str, timeout_s: float = 10) -> JobState:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = await runner.get(job_id)
        if got is not None and got.status.terminal:
            return got
        await asyncio.sleep(0.02)
    raise AssertionError(f"job {job_id} not terminal: {got}")


async def test_a_job_is_scored_step_by_step_and_done_with_every_result(store):
    runner = _runner(store, _Scorer(refuse=2))  # waits out backpressure
    runner.start()
    try:
        state = await runner.submit(list(SAMPLES), [Spec("r", 1.0, {})])
        got = await _terminal(runner, state.job_id)
    finally:
        await runner.close()
    assert got.status is JobStatus.DONE and got.done == 4
    assert [r["id"] for r in got.results] == ["0", "1", "2", "3"]
    assert got.durability == store.durability


async def test_a_job_that_cannot_progress_fails_with_the_reason(store):
    runner = _runner(store, _Scorer(refuse=10_000), stall_timeout_s=0.5)
    runner.start()
    try:
        state = await runner.submit(list(SAMPLES), [Spec("r", 1.0, {})])
        got = await _terminal(runner, state.job_id)
    finally:
        await runner.close()
    assert got.status is JobStatus.FAILED
    assert "no progress for" in got.error and "no live worker" in got.error


async def test_a_stopped_driver_is_resumed_by_another_at_the_first_unfinished_step(store):
    first_scorer = _Scorer(sleep_s=0.3)
    first = _runner(store, first_scorer)
    first.start()
    state = await first.submit(list(SAMPLES), [Spec("r", 1.0, {})])
    while (await store.get(state.job_id)).done < 2:
        await asyncio.sleep(0.01)
    await first.close()  # SIGTERM: lets go of the job mid-way
    mid = await store.get(state.job_id)
    assert mid.status is JobStatus.RUNNING and mid.done == 2
    second_scorer = _Scorer()
    second = _runner(store, second_scorer)
    second.start()
    try:
        got = await _terminal(second, state.job_id)
    finally:
        await second.close()
    assert got.status is JobStatus.DONE and [r["id"] for r in got.results] == ["0", "1", "2", "3"]
    assert second_scorer.steps == [["2", "3"]]  # the finished step is not scored again
    assert got.resumed == 1


class _DownStore(MemoryJobStore):
    durability = "down"

    async def create(self, state, job):
        raise ConnectionError("store down")

    async def get(self, job_id):
        raise ConnectionError("store down")


async def test_store_outage_is_a_503_with_retry_after():
    runner = _runner(_DownStore(ttl_s=1), _Scorer(), retry_after_s=3.0)
    for call in (runner.submit([Sample("0", "x")], []), runner.get("some-job")):
        with pytest.raises(BackpressureError) as err:
            await call
        assert status_for(err.value) == 503 and err.value.retry_after_s == 3.0


class _BrokenScorer(_Scorer):
    async def score(self, samples, specs, deadline):
        raise RuntimeError("cache exploded")


class _NoStepStore(MemoryJobStore):
    """Cannot store step results (a bug or a full Redis), but can record the failure."""

    async def put_step(self, job_id, step, results):
        raise RuntimeError("OOM command not allowed")


@pytest.mark.parametrize(
    ("store_cls", "scorer", "expected"),
    [
        (MemoryJobStore, _BrokenScorer(), "no progress for"),  # waited out, then failed
        (_NoStepStore, _Scorer(), "driver failed 3 times"),  # never an endless re-adoption loop
    ],
)
async def test_a_job_never_loops_on_an_error_it_fails_with_it(store_cls, scorer, expected):
    runner = _runner(store_cls(ttl_s=3600), scorer, stall_timeout_s=0.3, lease_s=0.3)
    runner.start()
    try:
        state = await runner.submit(list(SAMPLES), [Spec("r", 1.0, {})])
        got = await _terminal(runner, state.job_id)
    finally:
        await runner.close()
    assert got.status is JobStatus.FAILED and expected in got.error, got.error
