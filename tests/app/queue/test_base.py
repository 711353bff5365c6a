"""The ``TaskQueue`` contract, run against the in-process queue and the Redis queue alike."""

from __future__ import annotations

import json
import time

import pytest

from app.deadline import Deadline
from app.queue.base import ABANDON_GRACE_S, DEADLINE_PASSED, QueueFullError, Task
from tests.app.queue.conftest import MAX_DELIVERIES, QueueMaker, task

pytestmark = pytest.mark.timeout(60)


async def test_results_map_to_their_task_ids(make_queue: QueueMaker) -> None:
    async with make_queue() as q:
        ids = [f"t{i}" for i in range(20)]
        await q.queue.submit([task(tid, value=i * i) for i, tid in enumerate(ids)])
        results = await q.queue.results(ids, timeout_s=20)
        assert sorted(results) == sorted(ids)
        for i, tid in enumerate(ids):
            assert results[tid].error is None
            assert json.loads(results[tid].payload) == {"echo": i * i}
        assert all(n == 1 for n in q.handler.calls.values())


async def test_concurrent_requests_get_only_their_own_results(make_queue: QueueMaker) -> None:
    async with make_queue() as q:
        await q.queue.submit([task("a1", value="a"), task("a2", value="a")])
        await q.queue.submit([task("b1", value="b")])
        got_b = await q.queue.results(["b1"], timeout_s=20)
        got_a = await q.queue.results(["a1", "a2"], timeout_s=20)
        assert set(got_b) == {"b1"} and json.loads(got_b["b1"].payload) == {"echo": "b"}
        assert set(got_a) == {"a1", "a2"}
        assert all(json.loads(r.payload) == {"echo": "a"} for r in got_a.values())


@pytest.mark.parametrize(
    ("fail_times", "expect_error", "expect_calls"),
    [
        (0, False, 1),
        (1, False, 2),
        (MAX_DELIVERIES - 1, False, MAX_DELIVERIES),
        (MAX_DELIVERIES, True, MAX_DELIVERIES),
        (100, True, MAX_DELIVERIES),
    ],
)
async def test_failing_handler_is_retried_then_dead_lettered(
    make_queue: QueueMaker, fail_times: int, expect_error: bool, expect_calls: int
) -> None:
    async with make_queue() as q:
        await q.queue.submit([task("x", value=7, fail_times=fail_times), task("ok", value=1)])
        results = await q.queue.results(["x", "ok"], timeout_s=20)
        assert results["ok"].error is None
        assert q.handler.calls["x"] == expect_calls
        if expect_error:
            assert results["x"].error is not None and "dead-lettered" in results["x"].error
            assert "scripted failure" in results["x"].error
        else:
            assert results["x"].error is None and json.loads(results["x"].payload) == {"echo": 7}


async def test_full_queue_refuses_with_retry_after(make_queue: QueueMaker) -> None:
    async with make_queue(max_depth=5, consumers=False) as q:
        await q.queue.submit([task(f"t{i}") for i in range(4)])
        assert await q.queue.depth() == 4
        with pytest.raises(QueueFullError) as info:
            await q.queue.submit([task("t4"), task("t5")])
        assert info.value.depth == 4 and info.value.max_depth == 5 and info.value.retry_after_s == 1.5
        await q.queue.submit([task("t4")])  # exactly at the limit is still accepted
        assert await q.queue.depth() == 5


async def test_results_return_what_arrived_by_the_deadline(make_queue: QueueMaker) -> None:
    async with make_queue() as q:
        await q.queue.submit([task("fast", value=1), task("slow", value=2, sleep_s=3.0)])
        started = time.monotonic()
        results = await q.queue.results(["fast", "slow"], timeout_s=1.0)
        waited_s = time.monotonic() - started
        assert set(results) == {"fast"}
        assert 0.9 <= waited_s < 4.0  # the deadline is kept, with room for a loaded machine


async def test_unknown_ids_are_missing_not_waited_for(make_queue: QueueMaker) -> None:
    async with make_queue() as q:
        started = time.monotonic()
        assert await q.queue.results(["never-submitted"], timeout_s=5.0) == {}
        assert time.monotonic() - started < 1.0


async def test_depth_drains_to_zero_and_ping(make_queue: QueueMaker) -> None:
    async with make_queue() as q:
        assert await q.queue.ping() is True
        await q.queue.submit([task(f"t{i}", value=i) for i in range(10)])
        await q.queue.results([f"t{i}" for i in range(10)], timeout_s=20)
        assert await q.queue.depth() == 0


async def test_a_task_past_its_deadline_is_answered_without_running(make_queue: QueueMaker) -> None:
    async with make_queue() as q:
        late = Task("late", json.dumps({"id": "late", "value": 1}).encode(), Deadline(time.time() - 1))
        fine = Task("fine", json.dumps({"id": "fine", "value": 2}).encode(), Deadline.after(10))
        await q.queue.submit([late, fine])
        results = await q.queue.results(["late", "fine"], 10)
    assert "late" not in q.handler.calls and q.handler.calls["fine"] == 1
    assert results["late"].error is not None and results["late"].error.startswith(DEADLINE_PASSED)
    assert json.loads(results["fine"].payload) == {"echo": 2}


async def test_a_handler_past_its_deadline_is_abandoned_not_retried(make_queue: QueueMaker) -> None:
    async with make_queue(concurrency=1) as q:
        stuck = Task("stuck", json.dumps({"id": "stuck", "sleep_s": 30}).encode(), Deadline.after(0.3))
        started = time.monotonic()
        await q.queue.submit([stuck])
        results = await q.queue.results(["stuck"], 10)
        took_s = time.monotonic() - started
        await q.queue.submit([task("next", value=3)])
        after = await q.queue.results(["next"], 10)
    assert results["stuck"].error is not None and results["stuck"].error.startswith(DEADLINE_PASSED)
    assert took_s < 0.3 + ABANDON_GRACE_S + 1.5 and q.handler.calls["stuck"] == 1
    assert json.loads(after["next"].payload) == {"echo": 3}  # the one slot is free again
