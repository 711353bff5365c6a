import asyncio
import inspect
import logging
import threading
from typing import Any

import httpx
import pytest

from tests.trainer_client.fake_service import FakeService
from trainer_client.batch import RewardSpec
from trainer_client.client import ClientConfig
from trainer_client.errors import IncompleteGroupError
from trainer_client.retry import RetryPolicy
from trainer_client.suite import RAW_ACCURACY, RewardSuite

_GOOD = "<think>2</think><answer>4</answer>"
_BAD = "four"
_CONFIG = ClientConfig(
    retry=RetryPolicy(max_attempts=2, base_delay_s=0.001, max_delay_s=0.002), deadline_s=2.0
)


def _suite(service: FakeService, **kwargs: Any) -> RewardSuite:
    rewards = kwargs.pop("rewards", [RewardSpec("format", 0.5), RewardSpec("accuracy")])
    return RewardSuite(rewards, config=_CONFIG, transport=service.transport(), **kwargs)


async def _call_all(suite: RewardSuite, **batch: Any) -> list[list[float | None]]:
    return list(await asyncio.gather(*(f(**batch) for f in suite.reward_funcs)))


def _batch(**overrides: Any) -> dict[str, Any]:
    batch: dict[str, Any] = {
        "prompts": ["2+2?", "2+2?", "3+3?", "3+3?"],
        "completions": [_GOOD, _BAD, "<think></think><answer>6</answer>", "<answer>5</answer>"],
        "completion_ids": [[1, 2, 3], [4], [5, 6], [7]],
        "answer": ["4", "4", "6", "6"],
        "trainer_state": object(),
    }
    batch.update(overrides)
    return batch


def test_columns_are_named_async_callables_that_trl_accepts() -> None:
    from trl.trainer.utils import get_callable_name, is_async_callable

    suite = _suite(FakeService(), include_raw_accuracy=True)
    funcs = suite.reward_funcs
    assert [get_callable_name(f) for f in funcs] == ["format", "accuracy", RAW_ACCURACY]
    assert all(is_async_callable(f) for f in funcs)
    assert suite.reward_weights == [0.5, 1.0, 0.0]


def test_columns_are_coroutine_functions_as_trl_before_1_14_checks() -> None:
    # TRL 1.13 decides with inspect.iscoroutinefunction(func) and calls anything else without
    # awaiting: an object with ``async def __call__`` fails that check, a coroutine function passes.
    suite = _suite(FakeService(), include_raw_accuracy=True)
    assert all(inspect.iscoroutinefunction(f) for f in suite.reward_funcs)
    assert not any(inspect.iscoroutinefunction(f) for f in suite.sync_reward_funcs)
    assert [f.__name__ for f in suite.sync_reward_funcs] == ["format", "accuracy", RAW_ACCURACY]


def test_sync_columns_share_one_request_and_work_inside_a_running_loop() -> None:
    service = FakeService()
    suite = _suite(service, include_raw_accuracy=True)
    fmt, acc, raw = (f(**_batch()) for f in suite.sync_reward_funcs)
    assert fmt == [1.0, 0.0, 1.0, 0.0] and acc == raw == [1.0, 0.0, 1.0, 0.0]
    assert len(service.bodies) == 1

    async def from_a_loop() -> list[float | None]:  # a caller that runs its own loop on this thread
        return suite.sync_reward_funcs[0](prompts=["p"], completions=[_GOOD], answer=["4"])

    assert asyncio.run(from_a_loop()) == [1.0]
    out: list[Any] = []
    worker = threading.Thread(target=lambda: out.append(suite.sync_reward_funcs[0](**_batch())))
    worker.start()
    worker.join(10)
    assert out == [[1.0, 0.0, 1.0, 0.0]]


async def test_an_unscorable_sample_is_none_in_every_column() -> None:
    # sample 0 has no gold: accuracy is None (total null); its format reward must not reach TRL,
    # which would otherwise sum it as if accuracy were 0
    batch = _batch(answer=[None, "4", "6", "6"])
    fmt, acc, raw = await _call_all(_suite(FakeService(), include_raw_accuracy=True), **batch)
    assert fmt == [None, 0.0, 1.0, 0.0]
    assert acc == [None, 0.0, 1.0, 0.0]
    assert raw[0] is None
    fmt, acc = await _call_all(_suite(FakeService(), skip_unscorable=False), **batch)
    assert fmt == [1.0, 0.0, 1.0, 0.0]  # the old behaviour, on request
    assert acc == [None, 0.0, 1.0, 0.0]


async def test_a_group_relative_reward_refuses_a_partial_group() -> None:
    service = FakeService()
    suite = _suite(service, rewards=["format"], num_generations=2, group_relative_rewards=("format",))
    (whole,) = await _call_all(suite, **_batch())  # two groups of 2
    assert whole == [1.0, 0.0, 1.0, 0.0]
    partial = _batch(prompts=["2+2?", "3+3?", "3+3?", "4+4?"])  # a rank holding the edges of two groups
    with pytest.raises(IncompleteGroupError, match=r"groups of \[1, 1\]"):
        await suite.reward_funcs[0](**partial)
    with pytest.raises(IncompleteGroupError):
        suite.sync_reward_funcs[0](**partial)
    assert len(service.bodies) == 1  # nothing was sent for the partial batch
    # without a group-relative reward the same batch is fine: the other rewards are per sample
    plain = _suite(FakeService(), rewards=["format"], num_generations=2)
    assert (await plain.reward_funcs[0](**partial)) == [1.0, 0.0, 1.0, 0.0]


def test_a_group_relative_reward_without_num_generations_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="trainer_client"):
        RewardSuite(["format"])
        assert caplog.text == ""
        RewardSuite(["kimi_length", "format"])
    assert "pass num_generations=" in caplog.text and "kimi_length" in caplog.text


def test_kimi_length_is_known_as_group_relative() -> None:
    with pytest.raises(IncompleteGroupError, match="kimi_length"):
        RewardSuite(["kimi_length"], num_generations=4).sync_reward_funcs[0](prompts=["a"], completions=["x"])
    with pytest.raises(ValueError):
        RewardSuite(["format"], num_generations=0)


async def test_one_request_serves_every_column() -> None:
    service = FakeService()
    suite = _suite(service, include_raw_accuracy=True)
    fmt, acc, raw = await _call_all(suite, **_batch())
    assert len(service.bodies) == 1
    assert fmt == [1.0, 0.0, 1.0, 0.0]
    assert acc == [1.0, 0.0, 1.0, 0.0]
    assert raw == acc


async def test_request_carries_gold_groups_and_token_counts() -> None:
    service = FakeService()
    await _call_all(_suite(service), **_batch())
    items = service.bodies[0]["items"]
    assert [i["ground_truth"] for i in items] == ["4", "4", "6", "6"]
    assert [i["num_tokens"] for i in items] == [3, 1, 2, 1]
    groups = [i["group_id"] for i in items]
    assert groups[0] == groups[1] != groups[2] == groups[3]


@pytest.mark.parametrize(
    ("column_kwargs", "suite_kwargs", "golds"),
    [
        ({"answer": ["1", "2"]}, {}, ["1", "2"]),
        ({"solution": ["1", "2"]}, {}, ["1", "2"]),
        ({"ground_truth": [3, 4.5], "answer": ["x", "y"]}, {}, [3, 4.5]),
        ({"label": ["7", "8"], "answer": ["x", "y"]}, {"ground_truth_column": "label"}, ["7", "8"]),
        ({"answer": [["a"], None]}, {}, ["['a']", None]),
        ({}, {}, [None, None]),
    ],
)
async def test_ground_truth_column_mapping(
    column_kwargs: dict[str, Any], suite_kwargs: dict[str, Any], golds: list[Any]
) -> None:
    service = FakeService()
    suite = _suite(service, rewards=["format"], **suite_kwargs)
    await suite.reward_funcs[0](prompts=["p", "p"], completions=["a", "b"], **column_kwargs)
    assert [i["ground_truth"] for i in service.bodies[0]["items"]] == golds


async def test_tests_column_is_forwarded() -> None:
    service = FakeService()
    suite = _suite(service, rewards=["format"], tests_column="test_list")
    await suite.reward_funcs[0](prompts=["p"], completions=["a"], test_list=[["assert f(1) == 2"]])
    assert service.bodies[0]["items"][0]["tests"] == ["assert f(1) == 2"]


async def test_chat_messages_are_flattened() -> None:
    service = FakeService()
    suite = _suite(service, rewards=["format"])
    prompts = [[{"role": "user", "content": "Q"}]] * 2
    completions = [[{"role": "assistant", "content": _GOOD}], [{"role": "assistant", "content": _BAD}]]
    (fmt,) = await _call_all(suite, prompts=prompts, completions=completions)
    assert fmt == [1.0, 0.0]
    assert [i["completion"] for i in service.bodies[0]["items"]] == [_GOOD, _BAD]
    assert service.bodies[0]["items"][0]["prompt"] == "user: Q"


async def test_an_unusable_completion_scores_none_not_zero() -> None:
    suite = _suite(FakeService(), rewards=["format"])
    (fmt,) = await _call_all(suite, prompts=["p", "p"], completions=[_GOOD, 12345])
    assert fmt == [1.0, None]


async def test_service_down_gives_none_with_a_warning_then_recovers(caplog: pytest.LogCaptureFixture) -> None:
    service = FakeService(script=[httpx.ConnectError("refused")] * 2)
    suite = _suite(service)
    with caplog.at_level(logging.WARNING, logger="trainer_client"):
        down = await _call_all(suite, **_batch())
    assert down == [[None] * 4, [None] * 4]
    assert "rewards are None" in caplog.text
    assert len(service.bodies) == 2  # both attempts, shared by the two columns
    up = await _call_all(suite, **_batch())  # the same batch again: a failure is not cached
    assert up[0] == [1.0, 0.0, 1.0, 0.0]
    assert len(service.bodies) == 3


async def test_slow_service_hits_the_deadline_and_returns_none(caplog: pytest.LogCaptureFixture) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200)

    config = ClientConfig(retry=RetryPolicy(max_attempts=3, base_delay_s=0.001), deadline_s=0.3)
    suite = RewardSuite(["format"], config=config, transport=httpx.MockTransport(slow))
    with caplog.at_level(logging.WARNING, logger="trainer_client"):
        loop = asyncio.get_running_loop()
        started = loop.time()
        (fmt,) = await _call_all(suite, prompts=["p"], completions=[_GOOD])
        assert loop.time() - started < 2.0
    assert fmt == [None]
    assert "failed" in caplog.text


async def test_a_4xx_gives_none_without_retrying() -> None:
    service = FakeService(script=[422])
    (fmt,) = await _call_all(_suite(service, rewards=["format"]), prompts=["p"], completions=[_GOOD])
    assert fmt == [None]
    assert len(service.bodies) == 1


@pytest.mark.parametrize(
    "batch",
    [
        {"prompts": None, "completions": None},
        {"prompts": ["p"], "completions": [_GOOD], "answer": "not a column"},
        {"prompts": [object()], "completions": [_GOOD], "tests": [object()]},  # not JSON-serialisable
        {"completions": [_GOOD]},
    ],
)
async def test_columns_never_raise(batch: dict[str, Any]) -> None:
    suite = _suite(FakeService(), rewards=["format"])
    (out,) = await _call_all(suite, **batch)
    assert len(out) == len(batch["completions"] or [])


async def test_finished_answers_are_reused_only_inside_the_share_window() -> None:
    service = FakeService()
    suite = _suite(service, rewards=["format"], share_window_s=60.0)
    column = suite.reward_funcs[0]
    await column(**_batch())
    await column(**_batch())
    assert len(service.bodies) == 1
    suite.share_window_s = 0.0
    await asyncio.sleep(0.01)
    await column(**_batch())
    assert len(service.bodies) == 2


def test_columns_work_across_event_loops() -> None:
    service = FakeService()
    suite = _suite(service, rewards=["format"], share_window_s=0.0)
    column = suite.reward_funcs[0]

    async def score() -> list[float | None]:
        return await column(prompts=["p"], completions=[_GOOD])

    for _ in range(2):
        assert asyncio.run(score()) == [1.0]
    assert len(service.bodies) == 2


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(ValueError):
        RewardSuite(["format", "format"])
    with pytest.raises(ValueError):
        RewardSuite([])
