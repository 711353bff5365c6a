"""Pure reward functions (math accuracy, code accuracy, format, shaping), their data model and
the registry that names them. This is the package's one front door: callers outside
``verifiers`` import from here, never from its modules.

The math verifier's names load lazily (``verifiers.math`` pulls in sympy, ~0.4 s), so importing
the data model stays cheap for the CLI, the worker and the queue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from verifiers.catalog import default_registry
from verifiers.code import CodeLanguage, CodeRewardError
from verifiers.registry import Registry, RewardDef
from verifiers.types import (
    CodeBackend,
    InvalidParameterError,
    MathBackend,
    OutputLengthError,
    RegistryError,
    RewardContext,
    RewardFn,
    RewardKind,
    RewardOutput,
    Sample,
    UnknownParameterError,
    UnknownRewardError,
)
from verifiers.wire import SAMPLE_FIELDS, output_from_json, output_to_json, sample_from_json, sample_to_json

if TYPE_CHECKING:
    from verifiers.math import ExtractionMode, MathConfig, MathPool, Reason, explain, verify

__all__ = [
    "SAMPLE_FIELDS",
    "CodeBackend",
    "CodeLanguage",
    "CodeRewardError",
    "ExtractionMode",
    "InvalidParameterError",
    "MathBackend",
    "MathConfig",
    "MathPool",
    "OutputLengthError",
    "Reason",
    "Registry",
    "RegistryError",
    "RewardContext",
    "RewardDef",
    "RewardFn",
    "RewardKind",
    "RewardOutput",
    "Sample",
    "UnknownParameterError",
    "UnknownRewardError",
    "default_registry",
    "explain",
    "output_from_json",
    "output_to_json",
    "sample_from_json",
    "sample_to_json",
    "verify",
]

# Names re-exported from ``verifiers.math`` on first use (see the module docstring).
_MATH_NAMES = frozenset({"ExtractionMode", "MathConfig", "MathPool", "Reason", "explain", "verify"})


def __getattr__(name: str) -> Any:
    if name in _MATH_NAMES:
        from verifiers import math as _math

        return getattr(_math, name)
    raise AttributeError(f"module 'verifiers' has no attribute {name!r}")
