"""The worker-side handler: computes each spec of a chunk; a reward bug becomes error codes."""

from __future__ import annotations

from app.executor import ChunkExecutor
from app.payload import Spec, decode_chunk_result, encode_chunk
from tests.app.conftest import CallLog, make_test_registry
from verifiers.registry import RewardContext, Sample

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
