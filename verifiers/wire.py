"""The one JSON shape of a ``Sample`` and a ``RewardOutput`` when they cross a process boundary.

Why one codec: a sample travels from the CLI to the service (``arbiter score --url``), from the
API to a worker through the queue, and into the job store; an output travels back and into the
result cache. Written by hand in each place, the copies drifted (one dropped ``token_ids``, and
a length reward then silently fell back to estimating tokens). The field list is
``SAMPLE_FIELDS``; the light trainer client keeps its own encoder (it must not import
``verifiers``) and a contract test holds it to this list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from verifiers.types import RewardOutput, Sample

__all__ = ["SAMPLE_FIELDS", "output_from_json", "output_to_json", "sample_from_json", "sample_to_json"]

# Every field of ``Sample``, in the order the JSON object carries them.
SAMPLE_FIELDS: tuple[str, ...] = (
    "id",
    "completion",
    "prompt",
    "ground_truth",
    "tests",
    "group_id",
    "num_tokens",
    "token_ids",
    "metadata",
)


def sample_to_json(s: Sample) -> dict[str, Any]:
    """A sample as plain JSON (token ids as a list, metadata as a dict)."""
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
    """The inverse of ``sample_to_json``; only ``id`` and ``completion`` are required."""
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
    """A reward output as plain JSON, for the queue and the result cache."""
    return {"value": o.value, "accuracy": o.accuracy, "details": dict(o.details), "error": o.error}


def output_from_json(d: Mapping[str, Any]) -> RewardOutput:
    """The inverse of ``output_to_json``."""
    return RewardOutput(
        value=d.get("value"), accuracy=d.get("accuracy"), details=d.get("details") or {}, error=d.get("error")
    )
