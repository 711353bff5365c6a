"""An item's result, its JSON shape, and the guarded reward call: what both sides of the queue share.

Why a module of its own: the API (scorer, routes, async jobs), the worker (chunk executor) and
the CLI all need these, and none of them may import the others' modules — the worker never loads
the HTTP layer, the HTTP layer never loads the operator tools. A result is shaped into JSON in
this one place so ``/v1/rewards``, async jobs and ``arbiter score`` answer alike.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.queue.payload import Spec
from verifiers import Registry, RewardContext, RewardOutput, Sample

__all__ = ["ItemResult", "ScoreError", "compute_guarded", "result_to_json"]

_log = logging.getLogger(__name__)


class ScoreError(StrEnum):
    """Why a reward has no value for an item, when the reward itself did not say."""

    NOT_APPLICABLE = "not_applicable"
    QUEUE_TIMEOUT = "queue_timeout"
    TASK_FAILED = "task_failed"
    REWARD_ERROR = "reward_error"
    TIMEOUT = "timeout"  # the request's deadline passed before this reward was computed


@dataclass(frozen=True, slots=True)
class ItemResult:
    """What the API returns for one item."""

    id: str
    total: float | None
    rewards: Mapping[str, float | None]
    accuracy: float | None
    details: Mapping[str, Mapping[str, Any]]
    errors: Mapping[str, str]
    error: str | None = None


def result_to_json(r: ItemResult) -> dict[str, Any]:
    """An item's result as the API's JSON object."""
    return {
        "id": r.id,
        "total": r.total,
        "rewards": dict(r.rewards),
        "accuracy": r.accuracy,
        "details": {k: dict(v) for k, v in r.details.items()},
        "errors": dict(r.errors),
        "error": r.error,
    }


def compute_guarded(
    registry: Registry, spec: Spec, samples: Sequence[Sample], ctx: RewardContext
) -> list[RewardOutput]:
    """One reward over a batch; a reward that raises (a bug in it, not bad model output) gives
    every sample ``None`` with ``reward_error``, so one broken reward never fails the batch."""
    try:
        return registry.compute(spec.name, samples, ctx, spec.params)
    except Exception as exc:
        _log.exception("reward %s failed on a batch of %d", spec.name, len(samples))
        failed = RewardOutput(None, error=ScoreError.REWARD_ERROR, details={"exception": type(exc).__name__})
        return [failed] * len(samples)
