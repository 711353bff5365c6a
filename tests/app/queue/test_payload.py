"""Chunk payloads survive the queue byte for byte (JSON both ways)."""

from __future__ import annotations

import pytest

from app.queue.payload import (
    ChunkResult,
    Spec,
    decode_chunk,
    decode_chunk_result,
    encode_chunk,
    encode_chunk_result,
)
from verifiers import RewardOutput, Sample


@pytest.mark.parametrize(
    "sample",
    [
        Sample(id="0", completion="x"),
        Sample(id="s1", completion="\\boxed{½}", prompt="p", ground_truth=0.5, group_id="g", num_tokens=3),
        Sample(
            id="s2",
            completion="c",
            tests={"inputs": ["1"], "outputs": ["2"]},
            token_ids=(1, 2, 3),
            metadata={"k": [1]},
        ),
    ],
)
def test_chunk_round_trip(sample):
    spec = Spec("accuracy", 0.5, {"mode": "strict"})
    chunk = decode_chunk(encode_chunk([sample], [spec]))
    assert chunk.samples == (sample,)
    assert chunk.specs == (spec,)


def test_result_round_trip():
    outs = (RewardOutput(1.0, accuracy=1.0, details={"reason": "equal"}), RewardOutput(None, error="timeout"))
    result = decode_chunk_result(encode_chunk_result(ChunkResult(outputs={"accuracy": outs})))
    assert result.outputs == {"accuracy": outs}
