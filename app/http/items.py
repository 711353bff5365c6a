"""Request items to ``Sample`` s and back to results: the one place the HTTP edge maps its input.

Why one place: ``/v1/rewards``, ``/get_reward``, ``/slime/reward`` and ``/v1/jobs`` take the same
items, and an item refused on its own (a completion over its limit) must answer the same way
everywhere: a result with ``error`` and null rewards, the rest of the batch scored. The mapping
itself is the wire codec's (``verifiers.sample_from_json``), the one the queue and clients use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.deadline import Deadline
from app.errors import RequestTooLargeError, ServiceError
from app.http.schemas import ItemIn, RewardsRequest
from app.queue.payload import Spec
from app.results import ItemResult
from app.service import Service
from app.settings import Settings
from verifiers import SAMPLE_FIELDS, Sample, sample_from_json

__all__ = ["ITEM_TOO_LARGE", "checked_specs", "code_backend", "samples", "score_items"]

ITEM_TOO_LARGE = "completion_too_large"


def checked_specs(service: Service, req: RewardsRequest, max_items: int) -> list[Spec]:
    """The request's reward specs, resolved, after the item- and reward-count limits."""
    settings = service.settings
    if len(req.items) > max_items:
        raise RequestTooLargeError("number of items", len(req.items), max_items)
    if len(req.rewards) > settings.max_rewards_per_request:
        raise RequestTooLargeError("number of rewards", len(req.rewards), settings.max_rewards_per_request)
    return service.scorer.resolve([(r.name, r.weight, r.params) for r in req.rewards])


def samples(settings: Settings, items: Sequence[ItemIn]) -> tuple[list[Sample], dict[int, str]]:
    """Valid samples, and the positions of items refused on their own (reason per position)."""
    out: list[Sample] = []
    rejected: dict[int, str] = {}
    for i, item in enumerate(items):
        if len(item.completion) > settings.max_completion_chars:
            rejected[i] = ITEM_TOO_LARGE
            continue
        fields = {name: getattr(item, name) for name in SAMPLE_FIELDS}  # no copy of big fields
        fields["id"] = item.id if item.id is not None else str(i)
        out.append(sample_from_json(fields))
    return out, rejected


async def score_items(
    service: Service, items: Sequence[ItemIn], specs: Sequence[Spec], deadline: Deadline
) -> list[ItemResult]:
    """Score the valid items; refused items get a result with ``error`` and null rewards."""
    valid, rejected = samples(service.settings, items)
    scored = iter(await service.scorer.score(valid, specs, deadline) if valid else [])
    out: list[ItemResult] = []
    for i, item in enumerate(items):
        if i in rejected:
            reason = rejected[i]
            out.append(
                ItemResult(
                    id=item.id if item.id is not None else str(i),
                    total=None,
                    rewards={s.name: None for s in specs},
                    accuracy=None,
                    details={s.name: {} for s in specs},
                    errors={s.name: reason for s in specs},
                    error=reason,
                )
            )
        else:
            out.append(next(scored))
    return out


def code_backend(service: Service, program: str) -> Any:
    """The API process's own sandbox for a caller's program, after the program-size limit."""
    if service.code is None:
        raise ServiceError("this instance has no sandbox")
    limit = service.settings.max_program_chars
    if len(program) > limit:
        raise RequestTooLargeError("program length", len(program), limit)
    return service.code
