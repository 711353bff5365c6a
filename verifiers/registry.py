"""The reward registry: one place that names every reward, its kind, parameters and defaults.

Why a registry: the service, the CLI and the trainer client all refer to rewards by name, and a
request can only be validated (unknown name, unknown parameter) against one list. The data model
it speaks in (``Sample``, ``RewardOutput``, the errors) lives in ``verifiers.types``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from verifiers.types import (
    OutputLengthError,
    RewardContext,
    RewardFn,
    RewardKind,
    RewardOutput,
    Sample,
    UnknownParameterError,
    UnknownRewardError,
)

__all__ = ["Registry", "RewardDef"]


@dataclass(frozen=True, slots=True)
class RewardDef:
    """A named reward: its function, kind, parameter defaults (with docs) and description."""

    name: str
    kind: RewardKind
    fn: RewardFn
    defaults: Mapping[str, Any]
    doc: str
    param_docs: Mapping[str, str] = field(default_factory=dict)


class Registry:
    """A mapping of reward names to definitions. Built explicitly; no import-time globals."""

    def __init__(self, defs: Iterable[RewardDef] = ()) -> None:
        self._defs: dict[str, RewardDef] = {}
        for d in defs:
            self.add(d)

    def add(self, d: RewardDef) -> None:
        if d.name in self._defs:
            raise ValueError(f"reward {d.name!r} registered twice")
        self._defs[d.name] = d

    def get(self, name: str) -> RewardDef:
        try:
            return self._defs[name]
        except KeyError:
            raise UnknownRewardError(name, self._defs) from None

    def names(self) -> list[str]:
        return sorted(self._defs)

    def __contains__(self, name: object) -> bool:
        return name in self._defs

    def __iter__(self) -> Any:
        return iter(self._defs.values())

    def resolve_params(self, name: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """Defaults overlaid with ``params``; unknown parameter names are an error."""
        d = self.get(name)
        merged = dict(d.defaults)
        for key, value in (params or {}).items():
            if key not in d.defaults:
                raise UnknownParameterError(name, key, d.defaults)
            merged[key] = value
        return merged

    def compute(
        self,
        name: str,
        samples: Sequence[Sample],
        ctx: RewardContext,
        params: Mapping[str, Any] | None = None,
    ) -> list[RewardOutput]:
        """Run one reward over a batch of samples."""
        d = self.get(name)
        out = d.fn(samples, ctx, **self.resolve_params(name, params))
        if len(out) != len(samples):
            raise OutputLengthError(name, len(samples), len(out))
        return out
