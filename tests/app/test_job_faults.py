"""Async jobs under API faults, end to end: a real redis-server, real worker subprocesses and real
API server subprocesses. The API driving the jobs is killed (-9) or stopped (SIGTERM) with jobs
in flight; another API process started on the same Redis must bring every job to a terminal
state with complete results (or a reason), resuming at the first unfinished step.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.app.redis_server import RedisServer, free_port
from tests.app.test_faults import api, workers_for  # noqa: F401 - fixture

pytestmark = pytest.mark.timeout(180)

_REPO = Path(__file__).resolve().parents[2]
ITEMS = 16
JOBS = 3


class ApiProcess:
    def __init__(self, redis_url: str, **settings: Any) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "ARBITER_REDIS_URL": redis_url,
            "ARBITER_RESULT_CACHE_TTL_S": "0",
            "ARBITER_CHUNK_ITEMS": "2",
            "ARBITER_JOB_CHUNK_ITEMS": "4",
            "ARBITER_JOB_LEASE_S": "2",
            "ARBITER_LOG_JSON": "false",
            **{f"ARBITER_{k.upper()}": str(v) for k, v in settings.items()},
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.app.fault_api", str(self.port)], cwd=_REPO, env=env
        )
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError("the API process did not start")
            time.sleep(0.1)

    def stop(self, sig: int) -> None:
        self.proc.send_signal(sig)
        self.proc.wait(timeout=30)
        self.client.close()


@pytest.fixture
def apis() -> Iterator[list[ApiProcess]]:
    made: list[ApiProcess] = []
    yield made
    for process in made:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait(timeout=10)


def job_body(n: int, job: int) -> dict[str, Any]:
    return {
        "items": [{"id": f"j{job}-{i}", "completion": f"answer {i}", "ground_truth": "1"} for i in range(n)],
        "rewards": [{"name": "sleepy", "weight": 1.0, "params": {"sleep_s": 0.25}}],
    }


def wait_terminal(client: httpx.Client, job_ids: list[str], timeout_s: float) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    states: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline:
        states = {j: client.get(f"/v1/jobs/{j}").json() for j in job_ids}
        if all(s["status"] in ("done", "failed") for s in states.values()):
            return states
        time.sleep(0.2)
    raise AssertionError(
        f"jobs not terminal after {timeout_s} s: {[(s['status'], s['done']) for s in states.values()]}"
    )


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_jobs_in_flight_survive_the_api_process(
    redis_server: RedisServer,
    workers_for: Any,  # noqa: F811 - the imported fixture
    apis: list[ApiProcess],
    sig: int,
) -> None:
    redis_server.flush()
    workers = workers_for(redis_server.url)
    workers.start(2)
    first = ApiProcess(redis_server.url)
    apis.append(first)
    job_ids = []
    for j in range(JOBS):
        r = first.client.post("/v1/jobs", json=job_body(ITEMS, j))
        assert r.status_code == 202, r.text
        job_ids.append(r.json()["job_id"])
    # in flight: some progress, not finished
    deadline = time.monotonic() + 60
    while True:
        states = [first.client.get(f"/v1/jobs/{j}").json() for j in job_ids]
        if any(s["done"] > 0 for s in states):
            break
        assert time.monotonic() < deadline, states
        time.sleep(0.05)
    assert not all(s["status"] == "done" for s in states), "the jobs finished before the fault"
    assert all(s["durability"].startswith("durable") for s in states)
    first.stop(sig)
    second = ApiProcess(redis_server.url)
    apis.append(second)
    final = wait_terminal(second.client, job_ids, timeout_s=90)
    for state in final.values():
        assert state["status"] == "done", state
        results = state["results"]
        assert len(results) == ITEMS and state["done"] == ITEMS
        job = int(results[0]["id"].split("-")[0][1:])
        assert [r["id"] for r in results] == [f"j{job}-{i}" for i in range(ITEMS)]
        assert all(r["rewards"]["sleepy"] == 1.0 and r["errors"] == {} for r in results), results
    assert sum(s["resumed"] for s in final.values()) >= 1


async def test_a_job_with_no_worker_to_score_it_fails_with_the_reason_instead_of_running_forever(
    redis_server: RedisServer,
) -> None:
    redis_server.flush()
    async with api(redis_server.url, worker_absent_grace_s=0.2, job_stall_timeout_s=2.0) as client:
        r = await client.post("/v1/jobs", json=job_body(4, 0))
        assert r.status_code == 202, r.text
        job_id = r.json()["job_id"]
        deadline = time.monotonic() + 30
        while (state := (await client.get(f"/v1/jobs/{job_id}")).json())["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline, state
            await asyncio.sleep(0.1)
    assert state["status"] == "failed", state
    assert "no progress for" in state["error"] and "no live worker" in state["error"], state
