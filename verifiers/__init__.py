"""Pure reward functions (math accuracy, format, shaping) and the registry that names them."""

from verifiers.registry import (
    Registry,
    RewardContext,
    RewardDef,
    RewardKind,
    RewardOutput,
    Sample,
    UnknownParameterError,
    UnknownRewardError,
)

__all__ = [
    "Registry",
    "RewardContext",
    "RewardDef",
    "RewardKind",
    "RewardOutput",
    "Sample",
    "UnknownParameterError",
    "UnknownRewardError",
]
