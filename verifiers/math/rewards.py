"""The math accuracy reward: is the completion's final answer equivalent to the reference?

Why it only runs through the pool (``ctx.math``): parsing model output can spin in C code or eat
memory, and only a worker process can be killed on a deadline. Without a pool the reward returns
``None`` with ``math_backend_unavailable`` rather than run ``verify`` unbounded in the caller's
process; a trainer skips such samples instead of learning from a poisoned value.

Unscorable verdicts (unparseable or missing gold, timeout, worker failure) are ``None`` with the
verdict's reason as the error; scorable ones are ``correct_value`` or ``wrong_value``, and the
raw 0/1 correctness is always in ``accuracy``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from verifiers.math.config import ExtractionMode, MathConfig, PercentPolicy
from verifiers.math.verdict import MathVerdict
from verifiers.registry import RewardDef
from verifiers.types import (
    InvalidParameterError,
    RewardContext,
    RewardKind,
    RewardOutput,
    Sample,
)

__all__ = ["REWARDS", "MathRewardError", "accuracy"]

_NAME = "accuracy"
_BASE = MathConfig()


class MathRewardError(StrEnum):
    """Error codes of the reward itself (the verifier's own are ``Reason`` values)."""

    BACKEND_UNAVAILABLE = "math_backend_unavailable"  # no pool in the context
    BACKEND_ERROR = "math_backend_error"  # the pool raised or answered the wrong number of verdicts


_DEFAULTS: dict[str, Any] = {
    "mode": _BASE.mode.value,
    "rel_tol": _BASE.rel_tol,
    "percent": _BASE.percent.value,
    "rounded_gold": _BASE.rounded_gold,
    "pred_rounding_min_digits": _BASE.pred_rounding_min_digits,
    "equation_rhs": _BASE.equation_rhs,
    "strip_units": _BASE.strip_units,
    "imaginary_unit": _BASE.imaginary_unit,
    "rounded_answer_min_sig_digits": _BASE.rounded_answer_min_sig_digits,
    "check_units": _BASE.check_units,
    "bare_number_in_gold_unit": _BASE.bare_number_in_gold_unit,
    "degrees_radians": _BASE.degrees_radians,
    "decimal_comma": _BASE.decimal_comma,
    "ordinals": _BASE.ordinals,
    "ellipsis": _BASE.ellipsis,
    "multipart": _BASE.multipart,
    "correct_value": 1.0,
    "wrong_value": 0.0,
    "timeout_s": None,
}

_PARAM_DOCS: dict[str, str] = {
    "mode": "'strict' (training: only the committed final answer, boxed or in <answer>) or 'lenient' "
    "(evaluation: also a trailing bare answer).",
    "rel_tol": "relative tolerance for comparing floats, in [0, 1).",
    "percent": "'value_or_number': 50\\% equals 0.5 and 50; 'value': only 0.5.",
    "rounded_gold": "a decimal gold is taken as rounded: gold 0.33 matches 1/3.",
    "pred_rounding_min_digits": "a decimal answer with at least this many digits may be a rounding of "
    "the gold; null: never.",
    "equation_rhs": "'x=3' matches '3' (an equation whose left side is one symbol).",
    "strip_units": "'5\\text{ cm}' matches '5'.",
    "imaginary_unit": "the symbol i is the imaginary unit.",
    "rounded_answer_min_sig_digits": "a decimal answer with at least this many significant digits that "
    "equals the exact gold rounded to the answer's own decimals is correct (42.86 for 300/7; 43 never); "
    "null: off.",
    "check_units": "known units are compared, not stripped: 5 m != 5 cm, 5 m == 500 cm, 2 h == 120 min.",
    "bare_number_in_gold_unit": "a bare number against a quantity with a unit is read in that unit "
    "(5 matches 5 m; 500 does not).",
    "degrees_radians": "an angle in degrees equals a bare value with pi read in radians (30° == pi/6; "
    "a bare 30 never equals pi/6).",
    "decimal_comma": "an answer written 12,5 is 12.5 when the gold is one number (1,250 stays 1250); "
    "a gold 1,22 also equals the answer 1.22.",
    "ordinals": "7th and 7^{\\text{th}} read as 7.",
    "ellipsis": "\\cdots, \\ldots, ... as a list item: the list is an ordered sequence with an ellipsis.",
    "multipart": "labelled parts (a) 3, b) 5) and the last n boxes are compared part by part, in order, "
    "with a gold of n >= 2 parts; repeated identical final boxes are one answer.",
    "correct_value": "the reward for a correct answer.",
    "wrong_value": "the reward for a wrong, missing or too-large answer.",
    "timeout_s": "deadline for the whole batch in seconds (null: each item is still bounded by the "
    "pool's item_timeout_s); unfinished items are null with error 'timeout'.",
}

_BOOL_PARAMS = (
    "rounded_gold",
    "equation_rhs",
    "strip_units",
    "imaginary_unit",
    "check_units",
    "bare_number_in_gold_unit",
    "degrees_radians",
    "decimal_comma",
    "ordinals",
    "ellipsis",
    "multipart",
)


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidParameterError(_NAME, name, value, "must be a number")
    return float(value)


def _config(params: Mapping[str, Any]) -> MathConfig:
    """The verifier's config from the reward's parameters; a bad value is the caller's error."""
    try:
        mode = ExtractionMode(params["mode"])
    except ValueError:
        raise InvalidParameterError(_NAME, "mode", params["mode"], "must be 'strict' or 'lenient'") from None
    try:
        percent = PercentPolicy(params["percent"])
    except ValueError:
        raise InvalidParameterError(
            _NAME, "percent", params["percent"], "must be 'value' or 'value_or_number'"
        ) from None
    rel_tol = _number("rel_tol", params["rel_tol"])
    if not 0.0 <= rel_tol < 1.0:
        raise InvalidParameterError(_NAME, "rel_tol", rel_tol, "must be in [0, 1)")
    for name in _BOOL_PARAMS:
        if not isinstance(params[name], bool):
            raise InvalidParameterError(_NAME, name, params[name], "must be true or false")
    digits = params["pred_rounding_min_digits"]
    if digits is not None and (isinstance(digits, bool) or not isinstance(digits, int) or digits < 1):
        raise InvalidParameterError(_NAME, "pred_rounding_min_digits", digits, "must be null or an int >= 1")
    sig_digits = params["rounded_answer_min_sig_digits"]
    if sig_digits is not None and (
        isinstance(sig_digits, bool) or not isinstance(sig_digits, int) or sig_digits < 1
    ):
        raise InvalidParameterError(
            _NAME, "rounded_answer_min_sig_digits", sig_digits, "must be null or an int >= 1"
        )
    return dataclasses.replace(
        _BASE,
        mode=mode,
        rel_tol=rel_tol,
        percent=percent,
        pred_rounding_min_digits=digits,
        rounded_answer_min_sig_digits=sig_digits,
        **{name: params[name] for name in _BOOL_PARAMS},
    )


def _details(verdict: MathVerdict) -> dict[str, Any]:
    return {
        "reason": verdict.reason.value,
        "method": verdict.method,
        "extracted": verdict.extracted,
        "gold_parsed": verdict.gold_parsed,
        "pred_parsed": verdict.pred_parsed,
        "detail": verdict.detail,  # why a gold was refused or an answer could not be read
        "elapsed_s": verdict.elapsed_s,
    }


def _output(verdict: MathVerdict, correct_value: float, wrong_value: float) -> RewardOutput:
    if not verdict.scorable:
        return RewardOutput(value=None, details=_details(verdict), error=verdict.reason.value)
    return RewardOutput(
        value=correct_value if verdict.correct else wrong_value,
        accuracy=1.0 if verdict.correct else 0.0,
        details=_details(verdict),
    )


def accuracy(samples: Sequence[Sample], ctx: RewardContext, **params: Any) -> list[RewardOutput]:
    """Score each sample's completion against its ``ground_truth`` in the math pool."""
    config = _config(params)
    correct_value = _number("correct_value", params["correct_value"])
    wrong_value = _number("wrong_value", params["wrong_value"])
    timeout_s = params["timeout_s"]
    if timeout_s is not None and _number("timeout_s", timeout_s) <= 0:
        raise InvalidParameterError(_NAME, "timeout_s", timeout_s, "must be null or > 0")
    if not samples:
        return []
    if ctx.math is None:
        return [RewardOutput(value=None, error=MathRewardError.BACKEND_UNAVAILABLE.value) for _ in samples]
    pairs = [(s.ground_truth, s.completion) for s in samples]
    try:
        verdicts = ctx.math.verify_many(pairs, config=config, timeout_s=timeout_s)
    except Exception as exc:  # an infrastructure failure must not fail the whole request
        failed = RewardOutput(
            value=None, details={"exception": type(exc).__name__}, error=MathRewardError.BACKEND_ERROR.value
        )
        return [failed] * len(samples)
    if len(verdicts) != len(samples):
        return [RewardOutput(value=None, error=MathRewardError.BACKEND_ERROR.value) for _ in samples]
    return [_output(v, correct_value, wrong_value) for v in verdicts]


REWARDS: tuple[RewardDef, ...] = (
    RewardDef(
        name=_NAME,
        kind=RewardKind.MATH,
        fn=accuracy,
        defaults=_DEFAULTS,
        doc="correct_value (1.0) when the final answer is mathematically equivalent to ground_truth, else "
        "wrong_value (0.0); null with the reason as error when the sample cannot be scored (bad gold, "
        "timeout, worker failure, no math pool). accuracy is the raw 0/1; details hold the extracted "
        "answer, parsed forms, reason and method.",
        param_docs=_PARAM_DOCS,
    ),
)
