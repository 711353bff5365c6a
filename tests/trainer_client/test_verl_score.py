import logging
from collections.abc import Iterator

import pytest

from tests.trainer_client.fake_service import FakeService
from trainer_client import verl_score
from trainer_client.client import ClientConfig, RewardClient
from trainer_client.retry import RetryPolicy

_URL = "http://fake-reward-service"


@pytest.fixture
def service() -> Iterator[FakeService]:
    fake = FakeService()
    config = ClientConfig(base_url=_URL, retry=RetryPolicy(max_attempts=2, base_delay_s=0.001))
    verl_score._clients[(_URL, None)] = RewardClient(config, transport=fake.transport())
    yield fake
    verl_score._clients.pop((_URL, None)).close()


def test_single_form(service: FakeService) -> None:
    score = verl_score.compute_score("gsm8k", "<think>a</think><answer>4</answer>", "4", None, url=_URL)
    assert score == {"score": 1.0, "acc": 1.0, "reward_ok": 1.0}
    assert service.bodies[0]["items"][0]["metadata"] == {"data_source": "gsm8k"}
    assert service.bodies[0]["rewards"] == [{"name": "accuracy", "weight": 1.0, "params": {}}]


def test_batch_form_with_verl_keyword_names_and_weighted_rewards(service: FakeService) -> None:
    scores = verl_score.compute_score(
        data_sources=["a", "b"],
        solution_strs=["<think></think><answer>4</answer>", "<answer>5</answer>"],
        ground_truths=["4", "4"],
        extra_infos=[{"tests": ["t"]}, None],
        url=_URL,
        rewards=["accuracy", {"name": "format", "weight": 0.5}],
    )
    assert scores == [
        {"score": 1.5, "acc": 1.0, "reward_ok": 1.0},
        {"score": 0.0, "acc": 0.0, "reward_ok": 1.0},
    ]
    (body,) = service.bodies
    assert body["items"][0]["tests"] == ["t"]
    assert body["rewards"][1] == {"name": "format", "weight": 0.5, "params": {}}


def test_missing_reward_uses_the_fallback(service: FakeService) -> None:
    scores = verl_score.compute_score_batch(
        ["a"], ["<answer>1</answer>"], [None], url=_URL, fallback_score=-1.0
    )
    assert scores == [{"score": -1.0, "acc": -1.0, "reward_ok": 0.0}]


def test_service_failure_never_raises(service: FakeService, caplog: pytest.LogCaptureFixture) -> None:
    service.script = [503, 503]
    with caplog.at_level(logging.WARNING, logger="trainer_client"):
        scores = verl_score.compute_score_batch(["a", "b"], ["x", "y"], ["1", "2"], None, url=_URL)
    assert scores == [{"score": 0.0, "acc": 0.0, "reward_ok": 0.0}] * 2
    assert "verl batch of 2 failed" in caplog.text
