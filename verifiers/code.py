"""The ``code_accuracy`` reward: run the completion's program against the item's tests.

Why here, beside the math reward: the catalogue lists every reward in one place. The reward only
validates its parameters and hands the batch to ``ctx.code`` (the ``CodeBackend`` protocol); the
adapter that extracts the program, turns the item's tests into a sandbox job and runs it lives
with the caller that owns a sandbox (``app.code_backend``), because ``verifiers`` does not depend
on ``sandbox``. The reward is the pass rate (all-or-nothing by default, a fraction with
``partial``); ``accuracy`` is always all-passed 0/1. An infrastructure failure (sandbox error,
queue timeout, tests that cannot be adapted) is ``None`` with a reason code, never 0: the program
is not to blame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from verifiers.registry import RewardDef
from verifiers.types import InvalidParameterError, RewardContext, RewardKind, RewardOutput, Sample

__all__ = ["REWARDS", "CodeLanguage", "CodeRewardError"]

_NAME = "code_accuracy"


class CodeLanguage(StrEnum):
    """Languages the reward accepts; the sandbox's ``Language`` must know each (a test checks)."""

    PYTHON = "python"
    CPP = "cpp"
    C = "c"
    BASH = "bash"


class CodeRewardError(StrEnum):
    """Why a code reward has no value (``None``) or why it is 0 without running."""

    NO_CODE = "no_code"  # the completion holds no program: the model's fault, value 0
    PROGRAM_TOO_LARGE = "program_too_large"  # the model's fault, value 0
    INVALID_TESTS = "invalid_tests"  # the item's tests cannot be adapted: None
    TOO_MANY_TESTS = "too_many_tests"  # None
    SANDBOX_ERROR = "sandbox_error"  # None
    QUEUE_TIMEOUT = "queue_timeout"  # None
    TIMEOUT = "timeout"  # the request's deadline passed before the program was judged: None
    BACKEND_UNAVAILABLE = "code_backend_unavailable"  # None


def _check_params(params: Mapping[str, Any]) -> None:
    """A bad value is the caller's error (raised before any sample is looked at), not a null."""
    try:
        CodeLanguage(params["language"])
    except ValueError:
        known = ", ".join(lang.value for lang in CodeLanguage)
        raise InvalidParameterError(
            _NAME, "language", params["language"], f"must be one of: {known}"
        ) from None
    for name in ("partial", "stop_on_first_failure"):
        if not isinstance(params[name], bool):
            raise InvalidParameterError(_NAME, name, params[name], "must be true or false")


def _code_accuracy(samples: Sequence[Sample], ctx: RewardContext, **params: Any) -> list[RewardOutput]:
    _check_params(params)
    if ctx.code is None:
        return [RewardOutput(None, error=CodeRewardError.BACKEND_UNAVAILABLE) for _ in samples]
    return ctx.code.score_many(samples, **params)


REWARDS: tuple[RewardDef, ...] = (
    RewardDef(
        name=_NAME,
        kind=RewardKind.CODE,
        fn=_code_accuracy,
        defaults={"partial": False, "language": "python", "stop_on_first_failure": True},
        doc="1.0 when the completion's last code block passes every test of the item (pass rate with "
        "partial); accuracy is all-passed 0/1; null with a reason code when the sandbox fails.",
        param_docs={
            "partial": "reward the fraction of tests passed instead of all-or-nothing",
            "language": "python or cpp: which fenced block to extract and how to run it",
            "stop_on_first_failure": "skip the remaining tests after a failure (ignored with partial)",
        },
    ),
)
