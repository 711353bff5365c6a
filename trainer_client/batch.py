"""What one reward request carries: the items to score and the rewards to compute.

Kept as frozen dataclasses (no pydantic) so the bare ``pip install .`` needs only httpx. A batch
is split into requests on group boundaries, because group-relative rewards (e.g. a length
reward normalised within a GRPO group) must see the whole group in one request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Item", "RewardSpec", "split_on_groups"]


@dataclass(frozen=True, slots=True)
class RewardSpec:
    """A reward to compute, by its catalogue name, with its weight in ``total`` and its params."""

    name: str
    weight: float = 1.0
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "weight": self.weight, "params": dict(self.params)}


@dataclass(frozen=True, slots=True)
class Item:
    """One completion to score; ``id`` defaults (service side) to its index in the request."""

    completion: str
    prompt: str = ""
    ground_truth: str | int | float | None = None
    tests: Any = None
    id: str | None = None
    group_id: str | None = None
    num_tokens: int | None = None
    token_ids: tuple[int, ...] | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self, default_id: str) -> dict[str, Any]:
        """The service's ``Sample`` wire shape (``verifiers.wire``), field for field and in its
        order; written here because this light client must not import ``verifiers``, and held to
        the service's codec by a contract test (``tests/trainer_client/test_batch.py``)."""
        return {
            "id": self.id if self.id is not None else default_id,
            "completion": self.completion,
            "prompt": self.prompt,
            "ground_truth": self.ground_truth,
            "tests": self.tests,
            "group_id": self.group_id,
            "num_tokens": self.num_tokens,
            "token_ids": list(self.token_ids) if self.token_ids is not None else None,
            "metadata": dict(self.metadata),
        }


def split_on_groups(items: Sequence[Item], max_items: int) -> list[range]:
    """Index ranges of at most ``max_items`` items each, never cutting a run of one ``group_id``.

    A single group larger than ``max_items`` gets a range of its own (it cannot be split
    without breaking group-relative rewards). Items without a group id are their own group.
    """
    if max_items < 1:
        raise ValueError("max_items must be at least 1")
    groups: list[range] = []
    start = 0
    for i in range(1, len(items) + 1):
        if i == len(items) or items[i].group_id is None or items[i].group_id != items[start].group_id:
            groups.append(range(start, i))
            start = i
    chunks: list[range] = []
    for group in groups:
        if chunks and len(chunks[-1]) + len(group) <= max_items:
            chunks[-1] = range(chunks[-1].start, group.stop)
        else:
            chunks.append(group)
    return chunks
