import inspect
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from tests.trainer_client.fake_service import FakeService
from trainer_client import verl_score
from trainer_client.client import ClientConfig, RewardClient
from trainer_client.ground_truth import split_reference
from trainer_client.retry import RetryPolicy

_URL = "http://fake-reward-service"


@pytest.fixture
def service() -> Iterator[FakeService]:
    fake = FakeService()
    config = ClientConfig(base_url=_URL, retry=RetryPolicy(max_attempts=2, base_delay_s=0.001))
    verl_score._clients[(_URL, None, 300.0)] = RewardClient(config, transport=fake.transport())
    yield fake
    verl_score._clients.pop((_URL, None, 300.0)).close()


def test_single_form(service: FakeService) -> None:
    score = verl_score.compute_score_sync(
        "gsm8k", "<think>a</think><answer>4</answer>", "4", None, url=_URL, rewards=["accuracy"]
    )
    assert score == {"score": 1.0, "acc": 1.0, "reward_ok": 1.0}
    assert service.bodies[0]["items"][0]["metadata"] == {"data_source": "gsm8k"}
    assert service.bodies[0]["rewards"] == [{"name": "accuracy", "weight": 1.0, "params": {}}]


def test_batch_form_with_verl_keyword_names_and_weighted_rewards(service: FakeService) -> None:
    scores = verl_score.compute_score_sync(
        data_sources=["a", "b"],
        solution_strs=["<think></think><answer>4</answer>", "<answer>5</answer>"],
        ground_truths=["4", "4"],
        extra_infos=[{"split": "train"}, None],
        url=_URL,
        rewards=["accuracy", {"name": "format", "weight": 0.5}],
    )
    assert scores == [
        {"score": 1.5, "acc": 1.0, "reward_ok": 1.0},
        {"score": 0.0, "acc": 0.0, "reward_ok": 1.0},
    ]
    (body,) = service.bodies
    assert body["items"][0]["ground_truth"] == "4"
    assert body["rewards"][1] == {"name": "format", "weight": 0.5, "params": {}}


def test_missing_reward_uses_the_fallback(service: FakeService) -> None:
    scores = verl_score.compute_score_batch(
        ["a"], ["<answer>1</answer>"], [None], url=_URL, fallback_score=-1.0, rewards=["accuracy"]
    )
    assert scores == [{"score": -1.0, "acc": -1.0, "reward_ok": 0.0}]


def test_service_failure_never_raises(service: FakeService, caplog: pytest.LogCaptureFixture) -> None:
    service.script = [503, 503]
    with caplog.at_level(logging.WARNING, logger="trainer_client"):
        scores = verl_score.compute_score_batch(["a", "b"], ["x", "y"], ["1", "2"], None, url=_URL)
    assert scores == [{"score": 0.0, "acc": 0.0, "reward_ok": 0.0}] * 2
    assert "verl batch of 2 failed" in caplog.text


_IO = {"inputs": ["1 2\n"], "outputs": ["3\n"]}
_FN = {"fn_name": "add", "inputs": [[1, 2]], "outputs": [3]}
_ASSERTS = ["assert add(1, 2) == 3", "assert add(0, 0) == 0"]


@pytest.mark.parametrize(
    ("ground_truth", "extra", "gold", "tests"),
    [
        ("72", None, "72", None),
        ("[1, 2]", None, "[1, 2]", None),  # an interval answer, not a test list
        ("{1, 2}", None, "{1, 2}", None),  # a set answer; not JSON
        ('{"a": 1}', None, '{"a": 1}', None),  # JSON, but no test shape: left as a gold
        (json.dumps(_IO), None, None, _IO),
        (json.dumps(_FN), None, None, _FN),
        (json.dumps(_ASSERTS), None, None, {"test_list": _ASSERTS}),
        (_ASSERTS, None, None, {"test_list": _ASSERTS}),
        (_IO, None, None, _IO),
        ([{"input": "1", "output": "1"}], None, None, [{"input": "1", "output": "1"}]),
        ("4", {"tests": _IO}, None, _IO),  # explicit tests win
        (3.5, None, 3.5, None),
        (None, None, None, None),
    ],
)
def test_ground_truth_shapes(
    service: FakeService, ground_truth: Any, extra: Any, gold: Any, tests: Any
) -> None:
    verl_score.compute_score_sync("ds", "x", ground_truth, extra, url=_URL, rewards=["format"])
    (item,) = service.bodies[0]["items"]
    assert (item["ground_truth"], item["tests"]) == (gold, tests)


def test_numpy_ground_truth_is_plain_json() -> None:
    np = pytest.importorskip("numpy")
    ref = split_reference(np.array(_ASSERTS, dtype=object))
    assert ref.tests == {"test_list": _ASSERTS} and ref.gold is None


def test_every_entry_point_has_the_signature_verl_detects() -> None:
    assert inspect.iscoroutinefunction(verl_score.compute_score)
    assert not inspect.iscoroutinefunction(verl_score.compute_score_sync)
    assert not inspect.iscoroutinefunction(verl_score.compute_score_batch)
