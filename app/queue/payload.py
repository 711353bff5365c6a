"""The JSON a queued chunk carries, both ways: samples + reward specs in, reward outputs back.

Why its own module: the API (producer) and the executor (worker) must agree byte for byte, and
may run in different processes or machines (Redis mode); the queue itself never looks inside.
Samples and outputs use the one wire codec of ``verifiers.wire``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from verifiers import RewardOutput, Sample, output_from_json, output_to_json, sample_from_json, sample_to_json

__all__ = [
    "Chunk",
    "ChunkResult",
    "Spec",
    "decode_chunk",
    "decode_chunk_result",
    "encode_chunk",
    "encode_chunk_result",
]


@dataclass(frozen=True, slots=True)
class Spec:
    """A reward to compute: registered name, weight in the total, resolved parameters."""

    name: str
    weight: float
    params: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Chunk:
    """One queued task: these rewards over these samples."""

    samples: tuple[Sample, ...]
    specs: tuple[Spec, ...]


@dataclass(frozen=True, slots=True)
class ChunkResult:
    """Per reward name, one output per sample of the chunk (same order)."""

    outputs: Mapping[str, tuple[RewardOutput, ...]]


def encode_chunk(samples: Sequence[Sample], specs: Sequence[Spec]) -> bytes:
    """The task payload the API queues: samples and the specs to compute on them (the request's
    deadline travels on the queue envelope, ``app.queue.base.Task``)."""
    body = {
        "samples": [sample_to_json(s) for s in samples],
        "specs": [{"name": p.name, "weight": p.weight, "params": dict(p.params)} for p in specs],
    }
    return json.dumps(body, separators=(",", ":"), default=str).encode()


def decode_chunk(payload: bytes) -> Chunk:
    """What a worker reads from a task payload."""
    body = json.loads(payload)
    return Chunk(
        samples=tuple(sample_from_json(s) for s in body["samples"]),
        specs=tuple(Spec(p["name"], float(p["weight"]), p.get("params") or {}) for p in body["specs"]),
    )


def encode_chunk_result(result: ChunkResult) -> bytes:
    """The result payload a worker sends back: outputs per reward name."""
    body = {name: [output_to_json(o) for o in outs] for name, outs in result.outputs.items()}
    return json.dumps(body, separators=(",", ":"), default=str).encode()


def decode_chunk_result(payload: bytes) -> ChunkResult:
    """What the API reads back; raises ``ValueError``/``TypeError`` on a garbled payload."""
    body = json.loads(payload)
    return ChunkResult(
        outputs={name: tuple(output_from_json(o) for o in outs) for name, outs in body.items()}
    )
