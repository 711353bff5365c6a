"""Length-shaping rewards, each as its paper defines it, in tokens (see ``verifiers.tokens``).

Two of them need to know whether the completion is correct. ``verifiers`` rewards do not call
each other, so correctness is read from ``sample.metadata[correct_key]`` (default ``"correct"``):
the service computes the accuracy reward first (math or code) and writes its ``accuracy`` there
before running these; a trainer that already knows correctness can send it directly. Accepted
values: a bool, or a number (an accuracy or pass rate) that counts as correct only when it is
at least 1.0. Anything else (missing, None, a string) is unknown, and the reward is None with
error ``correctness_unknown``: a guessed 0 would teach the policy the wrong length preference.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from verifiers.registry import RewardDef
from verifiers.tokens import Length, completion_length
from verifiers.types import InvalidParameterError, RewardContext, RewardKind, RewardOutput, Sample

__all__ = ["REWARDS", "LengthError", "correctness", "cosine_length", "kimi_length", "overlong_penalty"]


class LengthError(StrEnum):
    """Why a length reward could not score a sample."""

    CORRECTNESS_UNKNOWN = "correctness_unknown"


def correctness(sample: Sample, correct_key: str) -> bool | None:
    """The sample's correctness from its metadata (see the module docstring), or None if unknown."""
    value = sample.metadata.get(correct_key)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and math.isfinite(value):
        return value >= 1.0
    return None


def _details(length: Length, correct: bool | None) -> dict[str, Any]:
    return {"length_tokens": length.tokens, "length_source": length.source.value, "correct": correct}


def _unknown(length: Length) -> RewardOutput:
    return RewardOutput(
        value=None, details=_details(length, None), error=LengthError.CORRECTNESS_UNKNOWN.value
    )


def _number(reward: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidParameterError(reward, name, value, "must be a finite number")
    return float(value)


def _positive_int(reward: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidParameterError(reward, name, value, "must be an integer > 0")
    return value


def _key(reward: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidParameterError(reward, "correct_key", value, "must be a non-empty string")
    return value


def _cosine(t: int, t_max: int, start: float, end: float) -> float:
    """Yeo et al.'s schedule: ``start`` at length 0, ``end`` at ``t_max``, cosine in between."""
    return end + 0.5 * (start - end) * (1.0 + math.cos(math.pi * t / t_max))


def cosine_length(
    samples: Sequence[Sample],
    ctx: RewardContext,
    *,
    max_length: int,
    min_value_correct: float,
    max_value_correct: float,
    min_value_wrong: float,
    max_value_wrong: float,
    exceed_length_value: float | None,
    correct_key: str,
) -> list[RewardOutput]:
    """Cosine length reward of Yeo et al. 2025, "Demystifying Long Chain-of-Thought Reasoning in
    LLMs" (arXiv 2502.03373): correct answers earn ``max_value_correct`` at length 0 falling
    to ``min_value_correct`` at ``max_length`` (prefer short correct answers); wrong answers earn
    ``min_value_wrong`` at length 0 rising to ``max_value_wrong`` at ``max_length`` (when wrong,
    thinking longer is penalised less). Past ``max_length`` the value is ``exceed_length_value``
    (the paper's exceed-length penalty) or, when that is None, clamped to the value at
    ``max_length``.
    """
    name = "cosine_length"
    t_max = _positive_int(name, "max_length", max_length)
    c_lo, c_hi = (
        _number(name, "min_value_correct", min_value_correct),
        _number(name, "max_value_correct", max_value_correct),
    )
    w_lo, w_hi = (
        _number(name, "min_value_wrong", min_value_wrong),
        _number(name, "max_value_wrong", max_value_wrong),
    )
    exceed = (
        None if exceed_length_value is None else _number(name, "exceed_length_value", exceed_length_value)
    )
    key = _key(name, correct_key)
    out = []
    for s in samples:
        length, correct = completion_length(s), correctness(s, key)
        if correct is None:
            out.append(_unknown(length))
            continue
        if length.tokens > t_max and exceed is not None:
            value = exceed
        elif correct:
            value = _cosine(min(length.tokens, t_max), t_max, c_hi, c_lo)
        else:
            value = _cosine(min(length.tokens, t_max), t_max, w_lo, w_hi)
        out.append(RewardOutput(value=value, details=_details(length, correct)))
    return out


def kimi_length(samples: Sequence[Sample], ctx: RewardContext, *, correct_key: str) -> list[RewardOutput]:
    """Length reward of Kimi k1.5 (Kimi Team 2025, arXiv 2501.12599, "Length Penalty").

    Within each prompt's group (samples of this batch sharing ``group_id``), with the group's
    shortest and longest lengths ``min_len`` and ``max_len``:
    λ = 0.5 − (len − min_len) / (max_len − min_len); a correct answer earns λ, a wrong one
    min(0, λ). When all lengths in a group are equal, λ = 0. A sample without ``group_id`` is a
    group of its own, so its λ is 0: the reward only has meaning across a group. Samples with
    unknown correctness still count for the group's min/max length (their length is known).
    """
    key = _key("kimi_length", correct_key)
    lengths = [completion_length(s) for s in samples]
    groups: dict[object, list[int]] = defaultdict(list)
    for i, s in enumerate(samples):
        groups[s.group_id if s.group_id is not None else ("__single__", i)].append(i)
    out: list[RewardOutput | None] = [None] * len(samples)
    for members in groups.values():
        lo = min(lengths[i].tokens for i in members)
        hi = max(lengths[i].tokens for i in members)
        for i in members:
            correct = correctness(samples[i], key)
            if correct is None:
                out[i] = _unknown(lengths[i])
                continue
            lam = 0.0 if hi == lo else 0.5 - (lengths[i].tokens - lo) / (hi - lo)
            value = lam if correct else min(0.0, lam)
            details = {**_details(lengths[i], correct), "group_min_tokens": lo, "group_max_tokens": hi}
            out[i] = RewardOutput(value=value, details=details)
    return [o for o in out if o is not None]


def overlong_penalty(
    samples: Sequence[Sample], ctx: RewardContext, *, max_length: int, cache_length: int
) -> list[RewardOutput]:
    """Soft overlong punishment of DAPO (Yu et al. 2025, arXiv 2503.14476, "Overlong Reward Shaping").

    With L_max = ``max_length`` and L_cache = ``cache_length``: 0 when len ≤ L_max − L_cache;
    (L_max − L_cache − len) / L_cache inside the buffer, falling linearly to −1 at L_max; −1 past
    L_max. Meant to be added to the accuracy reward.
    """
    name = "overlong_penalty"
    l_max = _positive_int(name, "max_length", max_length)
    l_cache = _positive_int(name, "cache_length", cache_length)
    if l_cache > l_max:
        raise InvalidParameterError(name, "cache_length", cache_length, "must not exceed max_length")
    out = []
    for s in samples:
        length = completion_length(s)
        n = length.tokens
        if n <= l_max - l_cache:
            value = 0.0
        elif n <= l_max:
            value = (l_max - l_cache - n) / l_cache
        else:
            value = -1.0
        out.append(
            RewardOutput(value=value, details={"length_tokens": n, "length_source": length.source.value})
        )
    return out


_CORRECT_KEY_DOC = (
    "metadata key holding the sample's correctness (bool, or accuracy counted correct at >= 1.0); "
    "the service fills it from the accuracy reward. Unknown correctness gives None."
)

REWARDS: tuple[RewardDef, ...] = (
    RewardDef(
        name="cosine_length",
        kind=RewardKind.INLINE,
        fn=cosine_length,
        defaults={
            "max_length": 1000,
            "min_value_correct": 0.5,
            "max_value_correct": 1.0,
            "min_value_wrong": -1.0,
            "max_value_wrong": -0.5,
            "exceed_length_value": None,
            "correct_key": "correct",
        },
        doc="Cosine length schedule (Yeo et al. 2025): short correct answers earn most, short wrong "
        "answers are penalised most. Needs correctness.",
        param_docs={
            "max_length": "length in tokens where the schedule ends (T_max); > 0.",
            "min_value_correct": "value of a correct answer at max_length.",
            "max_value_correct": "value of a correct answer at length 0.",
            "min_value_wrong": "value of a wrong answer at length 0.",
            "max_value_wrong": "value of a wrong answer at max_length.",
            "exceed_length_value": "value past max_length (the paper's exceed-length penalty); null "
            "clamps to the value at max_length.",
            "correct_key": _CORRECT_KEY_DOC,
        },
    ),
    RewardDef(
        name="kimi_length",
        kind=RewardKind.INLINE,
        fn=kimi_length,
        defaults={"correct_key": "correct"},
        doc="Kimi k1.5 group length reward: λ = 0.5 − (len − min)/(max − min) within the group_id; "
        "correct: λ, wrong: min(0, λ). Ungrouped samples get 0. Needs correctness.",
        param_docs={"correct_key": _CORRECT_KEY_DOC},
    ),
    RewardDef(
        name="overlong_penalty",
        kind=RewardKind.INLINE,
        fn=overlong_penalty,
        defaults={"max_length": 20480, "cache_length": 4096},
        doc="DAPO soft overlong punishment: 0 up to max_length − cache_length, linear to −1 at "
        "max_length, −1 beyond.",
        param_docs={
            "max_length": "L_max in tokens: the generation limit; > 0.",
            "cache_length": "L_cache in tokens: the soft buffer before L_max; 0 < cache_length <= max_length.",
        },
    ),
)
