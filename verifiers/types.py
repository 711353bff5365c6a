"""The data model every reward shares: what is scored (``Sample``), what a reward returns
(``RewardOutput``), where it runs (``RewardKind``), what it may use (``RewardContext`` and the
backend protocols) and the errors a caller can make when naming or configuring a reward.

Why its own module: the service, the queue, the cache and the rewards all speak in these types;
the registry is only one of their users. Every reward is a *batch* function
``fn(samples, ctx, **params) -> list[RewardOutput]`` so that group-relative rewards (Kimi length
reward) and pooled rewards (math, code) share one shape. A reward returns
``RewardOutput(value=None, error=...)`` when a sample cannot be scored (an unparseable gold, a
sandbox failure): the trainer then skips it instead of learning from a poisoned 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

__all__ = [
    "CodeBackend",
    "InvalidParameterError",
    "MathBackend",
    "OutputLengthError",
    "RegistryError",
    "RewardContext",
    "RewardFn",
    "RewardKind",
    "RewardOutput",
    "Sample",
    "UnknownParameterError",
    "UnknownRewardError",
]


class RewardKind(StrEnum):
    """Where a reward runs: inline in the request, in the math pool, or in the sandbox."""

    INLINE = "inline"
    MATH = "math"
    CODE = "code"


@dataclass(frozen=True, slots=True)
class Sample:
    """One completion to score, with what is needed to score it."""

    id: str
    completion: str
    prompt: str = ""
    ground_truth: Any = None  # a math answer (str/number), or a mapping for other checkers
    tests: Any = None  # code tests in any supported dataset shape (see sandbox.tests)
    group_id: str | None = None  # samples of one prompt's GRPO group share it
    num_tokens: int | None = None  # completion length in tokens, when the trainer knows it
    token_ids: tuple[int, ...] | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RewardOutput:
    """A reward's value for one sample.

    ``value`` is the shaped reward (``None``: cannot be scored). ``accuracy`` is the raw
    correctness (0/1 or a pass rate) for rewards that have one, kept apart from the shaped value
    because DAPO's dynamic sampling and OpenRLHF's ``scores`` need it raw.
    """

    value: float | None
    accuracy: float | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None  # a reason code (str Enum value) when value is None


class MathBackend(Protocol):
    """What math rewards need from the process pool (see ``verifiers.math``)."""

    def verify_many(
        self, pairs: Sequence[tuple[Any, str]], config: Any = ..., timeout_s: float | None = None
    ) -> list[Any]: ...


class CodeBackend(Protocol):
    """What the code reward needs: score samples' programs against their tests."""

    def score_many(self, samples: Sequence[Sample], **params: Any) -> list[RewardOutput]: ...


@dataclass(frozen=True, slots=True)
class RewardContext:
    """Resources a reward may use; built once at startup by the caller and passed down."""

    math: MathBackend | None = None
    code: CodeBackend | None = None


RewardFn = Callable[..., list[RewardOutput]]


class RegistryError(Exception):
    """Base of the errors a caller makes when naming or configuring rewards (an HTTP 4xx)."""


class UnknownRewardError(RegistryError, KeyError):
    """A reward name that is not registered; carries the known names for the message."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = sorted(known)
        super().__init__(f"unknown reward {name!r}; known rewards: {', '.join(self.known)}")

    def __str__(self) -> str:
        return str(self.args[0])


class UnknownParameterError(RegistryError, ValueError):
    """A parameter a reward does not take."""

    def __init__(self, reward: str, param: str, known: Iterable[str]) -> None:
        self.reward = reward
        self.param = param
        self.known = sorted(known)
        super().__init__(
            f"reward {reward!r} has no parameter {param!r}; its parameters: {', '.join(self.known) or 'none'}"
        )


class InvalidParameterError(RegistryError, ValueError):
    """A known parameter with a value the reward cannot use (e.g. a negative length)."""

    def __init__(self, reward: str, param: str, value: Any, reason: str) -> None:
        self.reward = reward
        self.param = param
        self.value = value
        self.reason = reason
        super().__init__(f"reward {reward!r}: parameter {param!r}={value!r} is invalid: {reason}")


class OutputLengthError(RuntimeError):
    """A reward returned a different number of outputs than samples: a bug in the reward, not the
    caller's fault, so it is not a ``RegistryError``."""

    def __init__(self, reward: str, expected: int, got: int) -> None:
        self.reward = reward
        self.expected = expected
        self.got = got
        super().__init__(f"reward {reward!r} returned {got} outputs for {expected} samples")
