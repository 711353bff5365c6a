"""What the math verifier says about one (gold, completion) pair (its policies: config.py).

A verdict, not a bool: the service returns the extracted answer, the parsed forms and a closed
reason code, so a trainer (or ``arbiter explain``) can see *why* a completion scored 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from verifiers.math.config import ExtractionMode, MathConfig, PercentPolicy

__all__ = ["ExtractionMode", "MathConfig", "MathVerdict", "PercentPolicy", "Reason"]


class Reason(StrEnum):
    """Why the verdict is what it is. Closed set: clients may switch on it."""

    EQUAL = "equal"
    NOT_EQUAL = "not_equal"
    NO_ANSWER = "no_answer"  # no final answer found (strict extraction)
    UNPARSEABLE_ANSWER = "unparseable_answer"  # found, but cannot be parsed (or truncated)
    TOO_LARGE = "too_large"  # rejected by a cheap guard (length, power tower, huge factorial)
    UNPARSEABLE_GOLD = "unparseable_gold"  # the reference cannot be parsed: cannot be scored
    INVALID_INPUT = "invalid_input"  # wrong types (e.g. gold is None)
    TIMEOUT = "timeout"  # the deadline passed; the worker was killed and replaced
    WORKER_ERROR = "worker_error"  # the pool failed (crash, memory cap): infrastructure, not the model

    @property
    def scorable(self) -> bool:
        """False when the verdict says nothing about the model (reward must be None, not 0)."""
        return self not in _UNSCORABLE


_UNSCORABLE = frozenset({Reason.UNPARSEABLE_GOLD, Reason.INVALID_INPUT, Reason.TIMEOUT, Reason.WORKER_ERROR})


@dataclass(frozen=True, slots=True)
class MathVerdict:
    """The outcome for one pair. Parsed forms are strings so verdicts pickle and serialize cheaply."""

    correct: bool
    reason: Reason
    extracted: str | None = None  # the final answer text taken from the completion
    gold_parsed: str | None = None
    pred_parsed: str | None = None
    method: str | None = None  # which comparison decided, e.g. "exact_rational", "set", "interval"
    elapsed_s: float = 0.0
    detail: str | None = None  # why the gold or the answer could not be read (unparseable_*)

    @property
    def scorable(self) -> bool:
        return self.reason.scorable
