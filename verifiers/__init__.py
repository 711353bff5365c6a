"""Pure reward functions (math accuracy, format, shaping) and the registry that names them."""

from verifiers.registry import (
    InvalidParameterError,
    OutputLengthError,
    Registry,
    RegistryError,
    RewardContext,
    RewardDef,
    RewardKind,
    RewardOutput,
    Sample,
    UnknownParameterError,
    UnknownRewardError,
)

__all__ = [
    "InvalidParameterError",
    "OutputLengthError",
    "Registry",
    "RegistryError",
    "RewardContext",
    "RewardDef",
    "RewardKind",
    "RewardOutput",
    "Sample",
    "UnknownParameterError",
    "UnknownRewardError",
]
