"""What the service answered for a batch, as frozen dataclasses parsed from the response JSON.

Why parse at all: a reward adapter must tell "reward is 0" from "reward could not be computed"
(``None`` plus a reason code), and a malformed answer must become a clear error, not a KeyError
deep inside a trainer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trainer_client.errors import MalformedResponseError

__all__ = ["BatchResult", "ItemResult"]


def _optional_float(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedResponseError(f"{where} is {type(value).__name__}, expected a number or null")
    return float(value)


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One item's rewards: ``rewards[name]`` is ``None`` when that reward could not score it."""

    id: str
    total: float | None
    rewards: Mapping[str, float | None]
    accuracy: float | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> ItemResult:
        if not isinstance(data, Mapping):
            raise MalformedResponseError("a result is not an object")
        raw_rewards = data.get("rewards", {})
        if not isinstance(raw_rewards, Mapping):
            raise MalformedResponseError("'rewards' is not an object")
        rewards = {str(k): _optional_float(v, f"rewards[{k!r}]") for k, v in raw_rewards.items()}
        errors = data.get("errors") or {}
        return cls(
            id=str(data.get("id", "")),
            total=_optional_float(data.get("total"), "total"),
            rewards=rewards,
            accuracy=_optional_float(data.get("accuracy"), "accuracy"),
            details=dict(data.get("details") or {}),
            errors={str(k): str(v) for k, v in errors.items()} if isinstance(errors, Mapping) else {},
            error=None if data.get("error") is None else str(data.get("error")),
        )


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Results in the order of the items sent; ``elapsed_s`` is the client-side wall time."""

    results: tuple[ItemResult, ...]
    elapsed_s: float

    def reward(self, name: str) -> list[float | None]:
        """One reward's column, ``None`` where it is missing."""
        return [r.rewards.get(name) for r in self.results]

    @staticmethod
    def parse_results(data: Any, expected: int) -> list[ItemResult]:
        """The ``results`` list of one response, checked to hold ``expected`` entries."""
        if not isinstance(data, Mapping) or not isinstance(data.get("results"), list):
            raise MalformedResponseError("no 'results' list")
        results = [ItemResult.from_json(r) for r in data["results"]]
        if len(results) != expected:
            raise MalformedResponseError(f"{len(results)} results for {expected} items")
        return results
