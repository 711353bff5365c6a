import asyncio
import time

import httpx
import pytest

from tests.trainer_client.fake_service import FakeService
from trainer_client.batch import Item, RewardSpec
from trainer_client.client import AsyncRewardClient, ClientConfig, RewardClient
from trainer_client.errors import (
    DeadlineExceededError,
    MalformedResponseError,
    RequestRejectedError,
    ServiceUnavailableError,
)
from trainer_client.retry import RetryPolicy

_FAST = RetryPolicy(max_attempts=4, base_delay_s=0.001, max_delay_s=0.005)
_ITEMS = [
    Item(completion="<think>x</think><answer>2</answer>", ground_truth="2", id="a"),
    Item(completion="nope"),
]
_REWARDS = [RewardSpec("format"), RewardSpec("accuracy", weight=2.0)]


def _sync(service: FakeService, **config: object) -> RewardClient:
    return RewardClient(ClientConfig(retry=_FAST, **config), transport=service.transport())  # type: ignore[arg-type]


def _async(service: FakeService, **config: object) -> AsyncRewardClient:
    return AsyncRewardClient(ClientConfig(retry=_FAST, **config), transport=service.transport())  # type: ignore[arg-type]


def test_score_sends_the_contract_body_and_parses_results() -> None:
    service = FakeService()
    with _sync(service, server_timeout_s=30.0) as client:
        batch = client.score(_ITEMS, _REWARDS)
    (body,) = service.bodies
    assert body["rewards"] == [
        {"name": "format", "weight": 1.0, "params": {}},
        {"name": "accuracy", "weight": 2.0, "params": {}},
    ]
    assert body["timeout_s"] == 30.0
    assert [i["id"] for i in body["items"]] == ["a", "1"]
    assert batch.results[0].rewards == {"format": 1.0, "accuracy": 1.0}
    assert batch.results[0].total == 3.0
    assert batch.results[1].rewards["accuracy"] is None
    assert batch.results[1].errors == {"accuracy": "invalid_input"}
    assert batch.reward("format") == [1.0, 0.0]


def test_api_key_is_sent_as_bearer() -> None:
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization"))
        return httpx.Response(200, json={"results": [], "elapsed_s": 0})

    client = RewardClient(ClientConfig(api_key="k1"), transport=httpx.MockTransport(handler))
    client.post_json("/v1/rewards", {"items": [], "rewards": []})
    assert seen == ["Bearer k1"]


@pytest.mark.parametrize(
    "failure",
    [
        429,
        500,
        502,
        503,
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("eof"),
    ],
)
def test_retryable_failures_are_retried_then_succeed(failure: object) -> None:
    service = FakeService(script=[failure, failure])  # type: ignore[list-item]
    with _sync(service) as client:
        batch = client.score(_ITEMS, _REWARDS)
    assert len(service.bodies) == 3
    assert batch.results[0].rewards["format"] == 1.0


@pytest.mark.parametrize("status", [400, 401, 404, 413, 422])
def test_client_errors_fail_fast(status: int) -> None:
    service = FakeService(script=[status])
    with _sync(service) as client, pytest.raises(RequestRejectedError) as info:
        client.score(_ITEMS, _REWARDS)
    assert len(service.bodies) == 1
    assert info.value.status_code == status
    assert info.value.detail == f"scripted {status}"


def test_unknown_reward_detail_reaches_the_caller() -> None:
    with _sync(FakeService()) as client, pytest.raises(RequestRejectedError) as info:
        client.score(_ITEMS, [RewardSpec("nonsense")])
    assert "known rewards" in str(info.value)


def test_attempts_are_bounded() -> None:
    service = FakeService(script=[503] * 10)
    with _sync(service) as client, pytest.raises(ServiceUnavailableError) as info:
        client.score(_ITEMS, _REWARDS)
    assert info.value.attempts == _FAST.max_attempts
    assert len(service.bodies) == _FAST.max_attempts
    assert "503" in info.value.last_error


def test_retry_after_is_honoured() -> None:
    service = FakeService(script=[429], headers={"Retry-After": "0.3"})
    started = time.monotonic()
    with _sync(service) as client:
        client.score(_ITEMS, _REWARDS)
    assert time.monotonic() - started >= 0.3
    assert len(service.bodies) == 2


def test_deadline_stops_retrying() -> None:
    service = FakeService(script=[503] * 1000)
    policy = RetryPolicy(max_attempts=1000, base_delay_s=0.05, max_delay_s=0.05)
    client = RewardClient(ClientConfig(retry=policy, deadline_s=0.4), transport=service.transport())
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError) as info:
        client.score(_ITEMS, _REWARDS)
    elapsed_s = time.monotonic() - started
    assert elapsed_s < 1.0
    assert 1 < info.value.attempts < 1000


def test_deadline_bounds_the_attempt_timeout() -> None:
    timeouts = []

    def handler(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"]["read"])
        return httpx.Response(503)

    client = RewardClient(
        ClientConfig(retry=RetryPolicy(max_attempts=1), request_timeout_s=100.0, deadline_s=2.0),
        transport=httpx.MockTransport(handler),
    )
    with pytest.raises(ServiceUnavailableError):
        client.score(_ITEMS, _REWARDS)
    assert timeouts and timeouts[0] <= 2.0


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="not json"),
        httpx.Response(200, json={"nothing": 1}),
        httpx.Response(200, json={"results": []}),  # wrong count
        httpx.Response(200, json={"results": [{"rewards": {"format": "high"}}, {}]}),
    ],
)
def test_malformed_answers_are_errors(response: httpx.Response) -> None:
    service = FakeService(script=[lambda _request: response])
    with _sync(service) as client, pytest.raises(MalformedResponseError):
        client.score(_ITEMS, _REWARDS)


def test_large_batches_are_split_on_groups_and_reassembled_in_order() -> None:
    items = [
        Item(completion=f"<answer>{i}</answer>", ground_truth=str(i), group_id=f"g{i // 4}")
        for i in range(40)
    ]
    service = FakeService()
    with _sync(service, max_items_per_request=10, max_concurrency=3) as client:
        batch = client.score(items, [RewardSpec("accuracy")])
    assert [len(b["items"]) for b in service.bodies] == [8] * 5  # two whole groups of 4 per request
    for body in service.bodies:  # a group is never cut
        groups = [i["group_id"] for i in body["items"]]
        assert all(groups.count(g) == 4 for g in groups)
    assert [r.id for r in batch.results] == [str(i) for i in range(40)]
    assert batch.reward("accuracy") == [1.0] * 40


async def test_async_client_splits_concurrently_within_the_semaphore() -> None:
    active = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.02)
        active -= 1
        return FakeService().handle(request)

    items = [Item(completion="<answer>1</answer>", ground_truth="1") for _ in range(50)]
    config = ClientConfig(max_items_per_request=5, max_concurrency=3, retry=_FAST)
    async with AsyncRewardClient(config, transport=httpx.MockTransport(handler)) as client:
        batch = await client.score(items, [RewardSpec("accuracy")])
    assert peak == 3
    assert len(batch.results) == 50
    assert [r.id for r in batch.results] == [str(i) for i in range(50)]


@pytest.mark.parametrize(("failure", "error"), [(503, ServiceUnavailableError), (422, RequestRejectedError)])
async def test_async_client_retry_rules(failure: int, error: type[Exception]) -> None:
    service = FakeService(script=[failure] * 10)
    async with _async(service) as client:
        with pytest.raises(error):
            await client.score(_ITEMS, _REWARDS)
    assert len(service.bodies) == (_FAST.max_attempts if failure == 503 else 1)


async def test_async_client_recovers_after_connection_errors() -> None:
    service = FakeService(script=[httpx.ConnectError("down"), 500])
    async with _async(service) as client:
        batch = await client.score(_ITEMS, _REWARDS)
    assert len(service.bodies) == 3
    assert batch.results[0].total == 3.0


async def test_empty_batch_sends_nothing() -> None:
    service = FakeService()
    async with _async(service) as client:
        batch = await client.score([], _REWARDS)
    assert batch.results == ()
    assert service.bodies == []
