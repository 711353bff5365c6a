"""The worker process (``arbiter worker`` = ``python -m app.worker``): the real executor behind the
Redis queue, configured from the one settings class."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from app.queue.base import Task
from app.queue.payload import Spec, decode_chunk_result, encode_chunk
from app.queue.redis_streams import RedisTaskQueue
from app.settings import Settings
from app.worker import WorkerOptions, main
from tests.app.redis_server import RedisServer
from verifiers import Sample

_REPO = Path(__file__).resolve().parents[3]


def test_options_are_the_settings_worker_fields() -> None:
    settings = Settings(
        worker_concurrency=7,
        max_deliveries=4,
        visibility_timeout_s=12.0,
        heartbeat_interval_s=1.5,
        drain_timeout_s=9.0,
        queue_prefix="p1",
    )
    assert WorkerOptions.from_settings(settings) == WorkerOptions(
        concurrency=7,
        visibility_timeout_s=12.0,
        max_deliveries=4,
        drain_timeout_s=9.0,
        heartbeat_interval_s=1.5,
        prefix="p1",
    )
    assert WorkerOptions.from_settings(settings, concurrency=2).concurrency == 2


def test_main_without_a_redis_url_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARBITER_REDIS_URL", raising=False)
    assert main([]) == 2


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("completion", "gold", "expected"),
    [
        ("<think>half</think><answer>\\boxed{\\frac{1}{2}}</answer>", "0.5", 1.0),
        ("<think>hmm</think><answer>\\boxed{3}</answer>", "4", 0.0),
    ],
)
async def test_worker_process_scores_a_math_chunk_and_drains_on_sigterm(
    redis_server: RedisServer, completion: str, gold: str, expected: float
) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.worker", "--redis-url", redis_server.url, "--prefix", prefix],
        cwd=_REPO,
        env={"PATH": "/usr/bin:/bin", "ARBITER_MATH_WORKERS": "1", "ARBITER_SANDBOX_POOL_SIZE": "1"},
    )
    queue = RedisTaskQueue(redis_server.url, prefix=prefix)
    try:
        sample = Sample(id="s0", completion=completion, ground_truth=gold)
        await queue.submit([Task("c0", encode_chunk([sample], [Spec("accuracy", 1.0, {})]))])
        waiting = asyncio.create_task(queue.results(["c0"], timeout_s=90))
        while not waiting.done():  # fail at once if the worker dies instead of at the deadline
            assert proc.poll() is None, "the worker process exited"
            await asyncio.sleep(0.1)
        results = waiting.result()
        assert results["c0"].error is None, results["c0"].error
        (out,) = decode_chunk_result(results["c0"].payload).outputs["accuracy"]
        assert out.value == expected and out.error is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        await queue.close()
