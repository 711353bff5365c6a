"""The worker-side handler: computes each spec of a chunk; a reward bug becomes error codes."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pytest

from app.executor import ChunkExecutor
from app.payload import Spec, decode_chunk_result, encode_chunk
from tests.app.conftest import CallLog, make_test_registry
from verifiers.registry import Registry, RewardContext, RewardDef, RewardKind, RewardOutput, Sample

SAMPLES = [
    Sample(id="0", completion="\\boxed{4}", ground_truth="4"),
    Sample(id="1", completion="\\boxed{5}", ground_truth="4"),
]


async def test_computes_every_spec_in_order():
    seen: list[tuple[str, int]] = []
    ex = ChunkExecutor(
        make_test_registry(CallLog()), RewardContext(), observe=lambda n, s, o: seen.append((n, len(o)))
    )
    payload = encode_chunk(SAMPLES, [Spec("accuracy", 1.0, {"mode": "strict"}), Spec("broken", 1.0, {})])
    result = decode_chunk_result(await ex(payload))
    assert [o.value for o in result.outputs["accuracy"]] == [1.0, 0.0]
    assert [o.error for o in result.outputs["broken"]] == ["reward_error", "reward_error"]
    assert result.outputs["broken"][0].details == {"exception": "ZeroDivisionError"}
    assert seen == [("accuracy", 2), ("broken", 2)]


def _timed_registry(seen: list[Any]) -> Registry:
    def timed(samples: Sequence[Sample], ctx: RewardContext, **params: Any) -> list[RewardOutput]:
        seen.append(params["timeout_s"])
        return [RewardOutput(1.0) for _ in samples]

    def plain(samples: Sequence[Sample], ctx: RewardContext, **params: Any) -> list[RewardOutput]:
        seen.append(dict(params))
        return [RewardOutput(1.0) for _ in samples]

    return Registry(
        [
            RewardDef("timed", RewardKind.MATH, timed, {"timeout_s": None}, "has a batch deadline"),
            RewardDef("plain", RewardKind.MATH, plain, {"k": 1}, "has none"),
        ]
    )


@pytest.mark.parametrize(
    ("given", "left_s", "expected"),
    [
        (None, None, None),  # no deadline sent (an older API): unchanged
        (None, 10.0, 10.0),  # open: the request's remaining time
        (2.0, 10.0, 2.0),  # the caller's shorter deadline stays
        (50.0, 10.0, 10.0),  # a longer one is cut to what the request has left
        (None, -5.0, 0.001),  # already past: a tiny valid deadline, every item times out
    ],
)
async def test_batch_deadline_follows_the_request(given, left_s, expected):
    seen: list[Any] = []
    deadline = None if left_s is None else time.time() + left_s
    payload = encode_chunk(
        SAMPLES, [Spec("timed", 1.0, {"timeout_s": given}), Spec("plain", 1.0, {"k": 1})], deadline
    )
    await ChunkExecutor(_timed_registry(seen), RewardContext())(payload)
    timeout_s, plain_params = seen
    assert (timeout_s is None) is (expected is None)
    if expected is not None:
        assert timeout_s == pytest.approx(expected, abs=0.5)
    assert plain_params == {"k": 1}  # a reward without timeout_s gets nothing added
