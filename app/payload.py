"""The JSON a queued chunk carries, both ways: samples + reward specs in, reward outputs back.

Why its own module: the API (producer) and the executor (worker) must agree byte for byte, and
may run in different processes or machines (Redis mode); the queue itself never looks inside.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from verifiers import RewardOutput, Sample

__all__ = [
    "Chunk",
    "ChunkResult",
    "Spec",
    "decode_chunk",
    "decode_chunk_result",
    "encode_chunk",
    "encode_chunk_result",
    "output_from_json",
    "output_to_json",
    "sample_from_json",
    "sample_to_json",
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


def sample_to_json(s: Sample) -> dict[str, Any]:
    """A sample as plain JSON (token ids as a list) for the queue."""
    return {
        "id": s.id,
        "completion": s.completion,
        "prompt": s.prompt,
        "ground_truth": s.ground_truth,
        "tests": s.tests,
        "group_id": s.group_id,
        "num_tokens": s.num_tokens,
        "token_ids": list(s.token_ids) if s.token_ids is not None else None,
        "metadata": dict(s.metadata),
    }


def sample_from_json(d: Mapping[str, Any]) -> Sample:
    """The inverse of ``sample_to_json``."""
    token_ids = d.get("token_ids")
    return Sample(
        id=str(d["id"]),
        completion=d["completion"],
        prompt=d.get("prompt", ""),
        ground_truth=d.get("ground_truth"),
        tests=d.get("tests"),
        group_id=d.get("group_id"),
        num_tokens=d.get("num_tokens"),
        token_ids=tuple(token_ids) if token_ids is not None else None,
        metadata=d.get("metadata") or {},
    )


def output_to_json(o: RewardOutput) -> dict[str, Any]:
    """A reward output as plain JSON, for the queue and the Redis result cache."""
    return {"value": o.value, "accuracy": o.accuracy, "details": dict(o.details), "error": o.error}


def output_from_json(d: Mapping[str, Any]) -> RewardOutput:
    """The inverse of ``output_to_json``."""
    return RewardOutput(
        value=d.get("value"), accuracy=d.get("accuracy"), details=d.get("details") or {}, error=d.get("error")
    )


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
