"""The worker-side handler: computes each spec of a chunk; a reward bug becomes error codes."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pytest

from app.deadline import Deadline
from app.queue.payload import Spec, decode_chunk_result, encode_chunk
from app.worker.executor import ChunkExecutor
from tests.app.conftest import CallLog, make_test_registry
from verifiers import Registry, RewardContext, RewardDef, RewardKind, RewardOutput, Sample

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


class _RecordingMath:
    """A math backend that records the batch timeout it was given."""

    def __init__(self) -> None:
        self.timeouts: list[float | None] = []

    def verify_many(
        self, pairs: Sequence[Any], config: Any = None, timeout_s: float | None = None
    ) -> list[Any]:
        self.timeouts.append(timeout_s)
        return []


def _math_registry(seen: list[Any]) -> Registry:
    def timed(samples: Sequence[Sample], ctx: RewardContext, **params: Any) -> list[RewardOutput]:
        assert ctx.math is not None
        ctx.math.verify_many([], config=None, timeout_s=params["timeout_s"])
        seen.append(dict(params))
        return [RewardOutput(1.0) for _ in samples]

    return Registry([RewardDef("timed", RewardKind.MATH, timed, {"timeout_s": None}, "has a batch deadline")])


@pytest.mark.parametrize(
    ("given", "left_s", "expected"),
    [
        (None, None, None),  # no deadline on the envelope: unchanged
        (None, 10.0, 10.0),  # open: the request's remaining time
        (2.0, 10.0, 2.0),  # the caller's shorter deadline stays
        (50.0, 10.0, 10.0),  # a longer one is cut to what the request has left
        (None, -5.0, 0.001),  # already past: a tiny valid deadline, every item times out
    ],
)
async def test_the_envelope_deadline_reaches_the_math_backend_not_the_params(given, left_s, expected):
    seen: list[Any] = []
    math = _RecordingMath()
    deadline = None if left_s is None else Deadline(time.time() + left_s)
    payload = encode_chunk(SAMPLES, [Spec("timed", 1.0, {"timeout_s": given})])
    await ChunkExecutor(_math_registry(seen), RewardContext(math=math))(payload, deadline)
    (timeout_s,) = math.timeouts
    assert (timeout_s is None) is (expected is None and given is None)
    if expected is not None:
        assert timeout_s == pytest.approx(expected, abs=0.5)
    assert seen == [{"timeout_s": given}]  # the reward's parameters are never rewritten


async def test_a_chunk_runs_on_the_executor_threads_not_the_default_executor():
    names: list[str] = []

    def where(samples: Sequence[Sample], ctx: RewardContext, **params: Any) -> list[RewardOutput]:
        import threading

        names.append(threading.current_thread().name)
        return [RewardOutput(1.0) for _ in samples]

    ex = ChunkExecutor(
        Registry([RewardDef("where", RewardKind.MATH, where, {}, "")]), RewardContext(), threads=1
    )
    try:
        await ex(encode_chunk(SAMPLES, [Spec("where", 1.0, {})]))
    finally:
        ex.close()
    assert names and names[0].startswith("arbiter-queue-work")
