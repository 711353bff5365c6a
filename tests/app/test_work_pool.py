"""Bounded work pools: a saturated pool refuses at once (429 + Retry-After) and never stalls the
others. End to end on the real bwrap sandbox: slow ``/v1/execute`` calls fill the sandbox pool
while inline and embedded-queue rewards are still answered at once."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from app.errors import BackpressureError
from app.http.errors import status_for
from app.work_pool import WorkPool
from sandbox.bwrap import bwrap_available
from tests.app.test_deadline import SLEEPER, TESTS, real_sandbox_app, timed


async def test_a_saturated_pool_refuses_at_once_and_admits_again_when_free():
    pool = WorkPool("t", threads=1, max_waiting=1, retry_after_s=3.0)
    release = threading.Event()
    try:
        running = [pool.submit(release.wait, 10), pool.submit(release.wait, 10)]  # 1 runs, 1 waits
        started = time.monotonic()
        with pytest.raises(BackpressureError) as err:
            pool.submit(release.wait, 10)
        assert time.monotonic() - started < 0.1
        assert status_for(err.value) == 429 and err.value.retry_after_s == 3.0
        # work already bounded upstream is queued, not refused
        extra = pool.submit_waiting(lambda: "queued")
        release.set()
        assert [f.result(5) for f in running] == [True, True]
        assert extra.result(5) == "queued"
        assert await pool.run(lambda: 42) == 42
        assert pool.admitted == 0
    finally:
        release.set()
        pool.close()


async def test_a_closed_pool_is_a_503():
    pool = WorkPool("t", threads=1, max_waiting=0, retry_after_s=1.0)
    pool.close()
    with pytest.raises(BackpressureError) as err:
        pool.submit(lambda: None)
    assert status_for(err.value) == 503 and pool.admitted == 0


@pytest.mark.timeout(120)
@pytest.mark.skipif(not bwrap_available(), reason="bwrap is not installed")
async def test_inline_and_queued_rewards_are_answered_while_the_sandbox_is_saturated():
    slow = {"code": SLEEPER, "tests": TESTS, "timeout_s": 8}
    inline = {
        "items": [{"completion": "<think>a</think> <answer>1</answer>", "ground_truth": "1"}],
        "rewards": [{"name": "format_strict"}],
    }
    queued = {
        "items": [{"completion": "<think>a</think> <answer>\\boxed{4}</answer>", "ground_truth": "4"}],
        "rewards": [{"name": "accuracy"}, {"name": "format_strict", "weight": 0.5}],
    }
    async with real_sandbox_app(request_timeout_s=10.0, sandbox_max_waiting_calls=1) as client:
        hogs = [asyncio.create_task(client.post("/v1/execute", json=slow)) for _ in range(2)]
        await asyncio.sleep(1.0)  # one runs on the single instance, one waits
        refused, took_s = await timed(client.post("/v1/execute", json=slow))
        assert refused.status_code == 429, refused.text
        assert float(refused.headers["Retry-After"]) > 0 and took_s < 1.0
        for _ in range(3):
            response, took_s = await timed(client.post("/v1/rewards", json=inline))
            assert response.status_code == 200 and took_s < 1.0, (response.text, took_s)
            assert response.json()["results"][0]["rewards"] == {"format_strict": 1.0}
            response, took_s = await timed(client.post("/v1/rewards", json=queued))
            assert response.status_code == 200 and took_s < 1.0, (response.text, took_s)
            assert response.json()["results"][0]["total"] == 1.5, response.json()
        assert all(not h.done() for h in hogs)  # the sandbox really was busy all along
        metrics = (await client.get("/metrics")).text
        assert 'arbiter_backpressure_total{reason="sandbox_saturated"} 1.0' in metrics
        for h in hogs:
            assert (await h).json()["status"] == "sandbox_error"
