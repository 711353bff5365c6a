import asyncio

import httpx
import pytest

from tests.trainer_client.fake_service import FakeService
from trainer_client.batch import Item, RewardSpec
from trainer_client.client import ClientConfig
from trainer_client.coalescer import Coalescer, coalescer_for
from trainer_client.errors import ClientError
from trainer_client.retry import RetryPolicy

_CONFIG = ClientConfig(retry=RetryPolicy(max_attempts=1), deadline_s=5.0)
_GOOD = "<think>x</think><answer>4</answer>"


def _coalescer(service: FakeService, **kwargs: object) -> Coalescer:
    params = {"window_s": 0.01, "max_items": 100, **kwargs}
    return Coalescer(_CONFIG, [RewardSpec("accuracy")], transport=service.transport(), **params)  # type: ignore[arg-type]


def _item(gold: str) -> Item:
    return Item(completion=_GOOD, ground_truth=gold)


async def test_concurrent_calls_share_one_request_and_keep_their_own_results() -> None:
    service = FakeService()
    c = _coalescer(service)
    golds = ["4", "5"] * 5
    results = await asyncio.gather(*(c.score_one(_item(g)) for g in golds))
    assert len(service.bodies) == 1 and len(service.bodies[0]["items"]) == 10
    assert [r.accuracy for r in results] == [1.0 if g == "4" else 0.0 for g in golds]


async def test_max_items_sends_early() -> None:
    service = FakeService()
    c = _coalescer(service, max_items=4, window_s=10.0)
    await asyncio.wait_for(asyncio.gather(*(c.score_one(_item("4")) for _ in range(8))), 5)
    assert [len(b["items"]) for b in service.bodies] == [4, 4]


async def test_calls_apart_by_more_than_the_window_are_separate_requests() -> None:
    service = FakeService()
    c = _coalescer(service, window_s=0.01)
    await c.score_one(_item("4"))
    await asyncio.sleep(0.05)
    await c.score_one(_item("4"))
    assert len(service.bodies) == 2


async def test_a_steady_trickle_is_flushed_by_max_wait() -> None:
    service = FakeService()
    c = _coalescer(service, window_s=0.05, max_wait_s=0.12)

    async def trickle(i: int) -> None:
        await asyncio.sleep(i * 0.02)  # each arrives inside the window of the previous one
        await c.score_one(_item("4"))

    await asyncio.gather(*(trickle(i) for i in range(20)))
    assert len(service.bodies) >= 2  # not one batch held back for the whole 0.4 s
    assert sum(len(b["items"]) for b in service.bodies) == 20


async def test_a_failed_request_fails_every_caller() -> None:
    service = FakeService(script=[httpx.ConnectError("refused")])
    c = _coalescer(service)
    outcomes = await asyncio.gather(*(c.score_one(_item("4")) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(o, ClientError) for o in outcomes)


def test_one_coalescer_per_loop() -> None:
    async def get() -> Coalescer:
        return coalescer_for(("k",), lambda: Coalescer(_CONFIG, [RewardSpec("accuracy")], 0.01, 10))

    async def twice() -> tuple[Coalescer, Coalescer]:
        return await get(), await get()

    a, b = asyncio.run(twice())
    assert a is b
    assert asyncio.run(get()) is not a  # a new loop gets its own (its client is tied to its loop)


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        Coalescer(_CONFIG, [], window_s=-1, max_items=1)
    with pytest.raises(ValueError):
        Coalescer(_CONFIG, [], window_s=0.1, max_items=0)
