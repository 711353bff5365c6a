"""One deadline end to end, on the real bwrap sandbox: a program that sleeps through many tests
is cut at the request's deadline on every endpoint that runs code, and the sandbox instance it
held is free again at once (the next request is served promptly, on a pool of ONE instance).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from app.deadline import Deadline
from app.http.application import create_app
from app.queue.redis_worker import RedisTaskWorker
from app.service import Components
from app.settings import Settings
from app.worker.executor import ChunkExecutor
from sandbox.bwrap import bwrap_available
from tests.app.conftest import CallLog, UnusedMath, make_test_registry
from verifiers import RewardContext

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(not bwrap_available(), reason="bwrap is not installed"),
]

REQUEST_TIMEOUT_S = 3.0
SLEEPER = "import time\ntime.sleep(100)\n"
TESTS = {"inputs": [f"{i}\n" for i in range(16)], "outputs": [f"{i}\n" for i in range(16)]}
ECHO = "print(input())\n"


@asynccontextmanager
async def real_sandbox_app(
    redis_url: str | None = None, **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its own bwrap sandbox of one instance; per-test wall limit (20 s) far above
    the request timeout, so only the deadline can end a sleeping program early. With a Redis
    URL, a worker (one chunk at a time) runs the same executor around that sandbox."""
    settings = Settings(
        **{
            "request_timeout_s": REQUEST_TIMEOUT_S,
            "default_timeout_s": REQUEST_TIMEOUT_S,
            "sandbox_pool_size": 1,
            "sandbox_time_limit_s": 10.0,
            "result_cache_ttl_s": 0,
            "log_json": False,
            "redis_url": redis_url,
            **overrides,
        }
    )
    registry = make_test_registry(CallLog())
    app = create_app(settings, Components(registry=registry, math=UnusedMath()))
    async with app.router.lifespan_context(app):
        worker = worker_task = None
        if redis_url is not None:
            ctx = RewardContext(math=UnusedMath(), code=app.state.service.code)
            executor = ChunkExecutor(registry, ctx, threads=1)
            worker = RedisTaskWorker(
                redis_url, executor, concurrency=1, block_s=0.2, heartbeat_interval_s=0.5
            )
            worker_task = asyncio.create_task(worker.run())
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://arbiter", timeout=60
            ) as client:
                yield client
        finally:
            if worker is not None and worker_task is not None:
                worker.stop()
                await asyncio.wait_for(worker_task, 30)


async def timed(call: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await call
    return response, time.monotonic() - started


async def assert_sandbox_free(client: httpx.AsyncClient) -> None:
    """The one instance the sleeper held serves the next program promptly."""
    response, took_s = await timed(
        client.post("/v1/execute", json={"code": ECHO, "tests": {"inputs": ["7\n"], "outputs": ["7\n"]}})
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted", response.json()
    assert took_s < 1.5, f"the next program waited {took_s:.2f} s for the sandbox"


async def test_execute_is_answered_by_its_deadline_and_the_sandbox_is_freed():
    async with real_sandbox_app() as client:
        await assert_sandbox_free(client)  # warm
        response, took_s = await timed(client.post("/v1/execute", json={"code": SLEEPER, "tests": TESTS}))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "sandbox_error" and "deadline" in body["error"], body
        assert took_s < REQUEST_TIMEOUT_S + 1.0, took_s
        await assert_sandbox_free(client)


async def test_execute_own_timeout_is_capped_by_the_service_ceiling():
    async with real_sandbox_app() as client:
        response, took_s = await timed(
            client.post("/v1/execute", json={"code": SLEEPER, "tests": TESTS, "timeout_s": 1.0})
        )
        assert response.json()["status"] == "sandbox_error" and took_s < 2.0, (response.json(), took_s)
        response, took_s = await timed(
            client.post("/v1/execute", json={"code": SLEEPER, "tests": TESTS, "timeout_s": 1000})
        )
        assert response.json()["status"] == "sandbox_error" and took_s < REQUEST_TIMEOUT_S + 1.0, took_s


async def test_run_code_is_answered_by_the_deadline_and_the_sandbox_is_freed():
    async with real_sandbox_app() as client:
        response, took_s = await timed(client.post("/run_code", json={"code": SLEEPER, "language": "python"}))
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "SandboxError", response.json()
        assert took_s < REQUEST_TIMEOUT_S + 1.0, took_s
        await assert_sandbox_free(client)


@pytest.mark.parametrize("mode", ["embedded", "redis"])
async def test_code_accuracy_is_cut_at_the_request_deadline_and_the_worker_is_freed(mode, request):
    redis_url = None
    if mode == "redis":
        server = request.getfixturevalue("redis_server")
        server.flush()
        redis_url = server.url
    item = {"id": "slow", "completion": f"```python\n{SLEEPER}```", "tests": TESTS}
    body = {"items": [item], "rewards": [{"name": "code_accuracy"}], "timeout_s": REQUEST_TIMEOUT_S}
    async with real_sandbox_app(redis_url, embedded_workers=1) as client:
        response, took_s = await timed(client.post("/v1/rewards", json=body))
        assert response.status_code == 200, response.text
        (result,) = response.json()["results"]
        assert result["rewards"]["code_accuracy"] is None and result["total"] is None, result
        assert result["errors"]["code_accuracy"] == "timeout", result
        assert took_s < REQUEST_TIMEOUT_S + 1.0, took_s
        # the one queue slot and the one sandbox instance are free: a good program is scored now
        good = {"id": "ok", "completion": f"```python\n{ECHO}```", "tests": TESTS}
        response, took_s = await timed(
            client.post("/v1/rewards", json={**body, "items": [good], "timeout_s": 10})
        )
        (result,) = response.json()["results"]
        assert result["rewards"]["code_accuracy"] == 1.0, result
        assert took_s < 2.5, took_s


async def test_a_task_past_its_deadline_is_dropped_by_the_queue_without_running():
    from app.queue.base import DEADLINE_PASSED, Task
    from app.queue.memory import InProcessTaskQueue

    ran: list[bytes] = []

    async def handler(payload: bytes, deadline: Deadline | None) -> bytes:
        ran.append(payload)
        return b"ok"

    queue = InProcessTaskQueue(handler, concurrency=1)
    await queue.start()
    try:
        await queue.submit(
            [Task("late", b"late", Deadline(time.time() - 1)), Task("fine", b"fine", Deadline.after(5))]
        )
        results = await queue.results(["late", "fine"], 5)
    finally:
        await queue.close()
    assert ran == [b"fine"]
    assert results["late"].error is not None and results["late"].error.startswith(DEADLINE_PASSED)
    assert results["fine"].payload == b"ok"


async def test_a_handler_overrunning_its_deadline_is_abandoned_and_its_slot_freed():
    from app.queue.base import DEADLINE_PASSED, Task
    from app.queue.memory import InProcessTaskQueue

    async def handler(payload: bytes, deadline: Deadline | None) -> bytes:
        if payload == b"stuck":
            await asyncio.sleep(60)  # ignores its deadline
        return b"ok"

    queue = InProcessTaskQueue(handler, concurrency=1)
    await queue.start()
    try:
        started = time.monotonic()
        await queue.submit([Task("stuck", b"stuck", Deadline.after(0.5))])
        stuck = await queue.results(["stuck"], 10)
        assert time.monotonic() - started < 3.0
        await queue.submit([Task("next", b"next", Deadline.after(5))])
        after = await queue.results(["next"], 5)
    finally:
        await queue.close()
    assert stuck["stuck"].error is not None and stuck["stuck"].error.startswith(DEADLINE_PASSED)
    assert after["next"].payload == b"ok"


@pytest.mark.parametrize("backend", ["bwrap", "docker"])
def test_the_sandbox_kills_a_job_at_its_deadline_and_replaces_the_instance(backend):
    """The hook the service relies on (``Job.deadline_unix_s``), on each real backend's pool."""
    from sandbox.backend import SandboxError, make_sandbox
    from sandbox.job import Job, Language, Limits, TestCase
    from sandbox.pool import JOB_DEADLINE_PASSED, PoolConfig

    sandbox = make_sandbox(backend, pool=PoolConfig(size=1))
    try:
        sandbox.start()
    except SandboxError as exc:
        pytest.skip(f"{backend} cannot run here: {exc}")
    try:
        tests = tuple(TestCase(stdin=f"{i}\n", expected_stdout=f"{i}\n") for i in range(16))
        limits = Limits(cpu_time_s=10, wall_time_s=20)
        started = time.monotonic()
        result = sandbox.run(Job(Language.PYTHON, SLEEPER, tests, limits, deadline_unix_s=time.time() + 1.0))
        took_s = time.monotonic() - started
        assert result.status.is_infrastructure and JOB_DEADLINE_PASSED in result.error, result
        assert took_s < 2.0, took_s
        # the killed instance is replaced: the next job runs (a container takes longer to start)
        started = time.monotonic()
        echo = sandbox.run(Job(Language.PYTHON, ECHO, tests[:2], limits, deadline_unix_s=time.time() + 30))
        assert echo.passed == 2 and time.monotonic() - started < (1.5 if backend == "bwrap" else 10.0)
        expired = sandbox.run(Job(Language.PYTHON, ECHO, tests[:2], limits, deadline_unix_s=time.time() - 1))
        assert JOB_DEADLINE_PASSED in expired.error  # never started
        assert sandbox.stats().recycled == 1  # only the killed instance was replaced
    finally:
        sandbox.close()
