"""What the math verifier says about one (gold, completion) pair, and the policies it applies.

A verdict, not a bool: the service returns the extracted answer, the parsed forms and a closed
reason code, so a trainer (or ``arbiter explain``) can see *why* a completion scored 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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


class ExtractionMode(StrEnum):
    """STRICT for training rewards (only the committed final answer); LENIENT for evaluation."""

    STRICT = "strict"
    LENIENT = "lenient"


class PercentPolicy(StrEnum):
    """How ``50\\%`` compares with plain numbers.

    VALUE: ``50\\%`` equals ``0.5`` only (the percent sign is a factor 1/100).
    VALUE_OR_NUMBER: it also equals ``50`` (graders of word problems accept the bare number).
    """

    VALUE = "value"
    VALUE_OR_NUMBER = "value_or_number"


@dataclass(frozen=True, slots=True)
class MathConfig:
    """Comparison and extraction policies. Picklable: it travels to the pool's workers.

    Fields may be added (always with a default); see the README's math policy section.
    """

    mode: ExtractionMode = ExtractionMode.STRICT
    rel_tol: float = 1e-9  # relative tolerance for float comparison
    max_answer_chars: int = 2000  # guard: longer extracted answers are TOO_LARGE
    max_completion_chars: int = 200_000  # guard: longer completions are only searched at the tail
    # Comparison policies (see verifiers/math/comparison.py).
    percent: PercentPolicy = PercentPolicy.VALUE_OR_NUMBER
    rounded_gold: bool = True  # gold 0.33 matches 1/3: a decimal gold is taken as rounded
    pred_rounding_min_digits: int | None = None  # a decimal answer with >= N digits may be rounded
    equation_rhs: bool = True  # `x=3` matches `3` (an equation whose left side is one symbol)
    strip_units: bool = True  # `5\\text{ cm}` matches `5`
    imaginary_unit: bool = True  # the symbol `i` is the imaginary unit
    # Answer forms (see README "Math policies"; verifiers/math/rounding.py, units.py, equations.py,
    # multipart.py, notation.py).
    rounded_answer_min_sig_digits: int | None = 3  # `42.86` for `300/7`: exact gold rounded; None: off
    check_units: bool = True  # known units are compared (`5 m` != `5 cm`, `5 m` == `500 cm`)
    bare_number_in_gold_unit: bool = True  # a bare `5` against `5\text{ m}` is read in metres
    degrees_radians: bool = True  # `30^\circ` == `\pi/6` (a bare value with pi is in radians)
    decimal_comma: bool = True  # answer `12,5` is 12.5 when the gold is one number
    ordinals: bool = True  # `7^{\text{th}}`, `7th` read as 7
    ellipsis: bool = True  # `\cdots`, `\ldots`, `...` are one ellipsis item of an ordered list
    multipart: bool = True  # several final boxes / labelled parts against a gold of as many parts
    # Cheap guards applied before sympy sees the text (reason TOO_LARGE).
    max_brace_depth: int = 40  # nesting of {}, (), []
    max_int_digits: int = 1000  # digits of one integer literal
    max_result_digits: int = 10_000  # estimated digits of a literal power such as 10^{10^{10}}
    max_symbolic_exponent: int = 10_000  # largest literal exponent on a non-literal base
    max_factorial_n: int = 1000  # largest literal n in n!
    max_items: int = 200  # elements of a set, tuple or matrix


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
