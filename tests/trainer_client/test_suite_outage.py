"""The TRL adapter loop against a real HTTP server that goes down, slows down and comes back."""

import asyncio
import logging
from pathlib import Path

import httpx
import pytest

from tests.trainer_client.servers import free_port, start_server, stop_server
from trainer_client.client import ClientConfig
from trainer_client.retry import RetryPolicy
from trainer_client.suite import RewardSuite

_GOOD = "<think>x</think><answer>4</answer>"
_BATCH = {"prompts": ["2+2?"] * 2, "completions": [_GOOD, "4"], "answer": ["4", "4"]}


def _step(suite: RewardSuite) -> list[list[float | None]]:
    async def one_step() -> list[list[float | None]]:
        try:
            return list(await asyncio.gather(*(f(**_BATCH) for f in suite.reward_funcs)))
        finally:
            await suite.aclose()  # each step is its own loop here: its connections end with it

    return asyncio.run(one_step())


def test_training_loop_survives_an_outage_and_a_slow_service(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = ["-m", "tests.trainer_client.fake_server", "--port", str(port)]
    log = tmp_path / "server.log"
    config = ClientConfig(
        base_url=url,
        deadline_s=1.5,
        request_timeout_s=0.5,
        retry=RetryPolicy(max_attempts=3, base_delay_s=0.05),
    )
    suite = RewardSuite(["format", "accuracy"], config=config, share_window_s=0.0)
    server = start_server(args, port, "/healthz", log)
    try:
        assert _step(suite) == [[1.0, 0.0], [1.0, 0.0]]

        stop_server(server)  # down: every step still returns, with None rewards and a warning
        with caplog.at_level(logging.WARNING, logger="trainer_client"):
            for _ in range(2):
                assert _step(suite) == [[None, None], [None, None]]
        assert "ConnectError" in caplog.text

        server = start_server(args, port, "/healthz", log)  # back: the next step scores again
        assert _step(suite) == [[1.0, 0.0], [1.0, 0.0]]

        httpx.post(f"{url}/_control", json={"delay_s": 3.0})  # slower than the deadline
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="trainer_client"):
            assert _step(suite) == [[None, None], [None, None]]
        assert "rewards are None" in caplog.text

        httpx.post(f"{url}/_control", json={"delay_s": 0.0, "down": True})  # 503 with Retry-After
        assert _step(suite) == [[None, None], [None, None]]
        httpx.post(f"{url}/_control", json={"down": False})
        assert _step(suite) == [[1.0, 0.0], [1.0, 0.0]]
    finally:
        stop_server(server)
