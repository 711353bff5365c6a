"""The math accuracy reward, through the registry, against a real MathPool and the real verifier."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from verifiers.math.pool import MathPool
from verifiers.math.rewards import REWARDS, MathRewardError
from verifiers.math.verdict import MathConfig, MathVerdict
from verifiers.math.verifier import verify
from verifiers.registry import Registry
from verifiers.types import (
    InvalidParameterError,
    RewardContext,
    RewardKind,
    RewardOutput,
    Sample,
)


def _slow_verify(gold: Any, completion: str, config: MathConfig) -> MathVerdict:
    """The real verifier behind a sleep longer than the test pool's item deadline."""
    time.sleep(30)
    return verify(gold, completion, config)


@pytest.fixture(scope="module")
def pool() -> Iterator[MathPool]:
    with MathPool(2, item_timeout_s=5.0) as p:
        yield p


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry(REWARDS)


def _score(
    registry: Registry, pool: Any, gold: Any, completion: str, params: dict[str, Any] | None = None
) -> RewardOutput:
    sample = Sample(id="s", completion=completion, ground_truth=gold)
    (out,) = registry.compute("accuracy", [sample], RewardContext(math=pool), params)
    return out


@pytest.mark.parametrize(
    ("gold", "completion", "params", "value", "reason"),
    [
        ("42", "<think>6*7</think><answer>\\boxed{42}</answer>", {}, 1.0, "equal"),
        ("42", "<think>6*7</think><answer>42</answer>", {}, 1.0, "equal"),
        (42, "\\boxed{42}", {}, 1.0, "equal"),
        ("42", "\\boxed{41}", {}, 0.0, "not_equal"),
        ("1/2", "\\boxed{0.5}", {}, 1.0, "equal"),
        ("42", "no answer here", {}, 0.0, "no_answer"),
        ("x=3", "\\boxed{3}", {}, 1.0, "equal"),
        ("3", "\\boxed{x=3}", {"equation_rhs": False}, 0.0, "not_equal"),
        ("50", "\\boxed{50\\%}", {}, 1.0, "equal"),
        ("50", "\\boxed{50\\%}", {"percent": "value"}, 0.0, "not_equal"),
        ("5", "\\boxed{5\\text{ cm}}", {"strip_units": False}, 0.0, "not_equal"),
        ("42", "\\boxed{42}", {"correct_value": 2.0, "wrong_value": -1.0}, 2.0, "equal"),
        ("42", "\\boxed{7}", {"correct_value": 2.0, "wrong_value": -1.0}, -1.0, "not_equal"),
        ("7", "\\boxed{2^{2^{2^{2^{2^{2}}}}}}", {}, 0.0, "too_large"),
        ("300/7", "\\boxed{42.86}", {}, 1.0, "equal"),
        ("300/7", "\\boxed{42.86}", {"rounded_answer_min_sig_digits": None}, 0.0, "not_equal"),
        ("5\\text{ m}", "\\boxed{500\\text{ cm}}", {}, 1.0, "equal"),
        ("5\\text{ m}", "\\boxed{5\\text{ cm}}", {"check_units": False}, 1.0, "equal"),
        ("5\\text{ m}", "\\boxed{5}", {"bare_number_in_gold_unit": False}, 0.0, "not_equal"),
        ("30^\\circ", "\\boxed{\\frac{\\pi}{6}}", {"degrees_radians": False}, 0.0, "not_equal"),
        ("12.5", "\\boxed{12,5}", {"decimal_comma": False}, 0.0, "not_equal"),
        ("7", "\\boxed{7^{\\text{th}}}", {"ordinals": False}, 0.0, "unparseable_answer"),
        ("9", "\\boxed{9}. \\boxed{9}", {"multipart": False}, 0.0, "not_equal"),
    ],
)
def test_scorable_verdicts(
    registry: Registry,
    pool: MathPool,
    gold: Any,
    completion: str,
    params: dict[str, Any],
    value: float,
    reason: str,
) -> None:
    out = _score(registry, pool, gold, completion, params)
    assert out.value == value
    assert out.error is None
    assert out.accuracy == (1.0 if reason == "equal" else 0.0)
    assert out.details["reason"] == reason


@pytest.mark.parametrize(
    ("gold", "completion", "error"),
    [
        (None, "\\boxed{1}", "invalid_input"),
        ("\\frac{", "\\boxed{1}", "unparseable_gold"),
    ],
)
def test_unscorable_verdicts_are_null(
    registry: Registry, pool: MathPool, gold: Any, completion: str, error: str
) -> None:
    out = _score(registry, pool, gold, completion)
    assert (out.value, out.accuracy, out.error) == (None, None, error)


def test_details_explain_the_verdict(registry: Registry, pool: MathPool) -> None:
    out = _score(registry, pool, "1/2", "<answer>\\boxed{0.5}</answer>")
    assert out.details["extracted"] == "0.5"
    assert out.details["method"]
    assert out.details["gold_parsed"] and out.details["pred_parsed"]


def test_batch_keeps_order(registry: Registry, pool: MathPool) -> None:
    samples = [
        Sample(
            id=str(i),
            completion=f"\\boxed{{{i if i % 3 else i + 1}}}",
            ground_truth=str(i),
            group_id=str(i // 16),
        )
        for i in range(64)
    ]
    outs = registry.compute("accuracy", samples, RewardContext(math=pool))
    assert [o.value for o in outs] == [1.0 if i % 3 else 0.0 for i in range(64)]


def test_timeout_is_null_not_zero(registry: Registry) -> None:
    with MathPool(1, item_timeout_s=0.5, verify=_slow_verify) as slow:
        out = _score(registry, slow, "1", "\\boxed{1}")
    assert (out.value, out.error, out.details["reason"]) == (None, "timeout", "timeout")


def test_batch_deadline_parameter(registry: Registry) -> None:
    with MathPool(1, item_timeout_s=60.0, verify=_slow_verify) as slow:
        started = time.monotonic()
        out = _score(registry, slow, "1", "\\boxed{1}", {"timeout_s": 0.5})
        assert time.monotonic() - started < 5.0
    assert (out.value, out.error) == (None, "timeout")


def test_no_pool_is_null_with_error(registry: Registry) -> None:
    out = _score(registry, None, "1", "\\boxed{1}")
    assert (out.value, out.error) == (None, MathRewardError.BACKEND_UNAVAILABLE.value)


def test_closed_pool_is_null_with_error(registry: Registry) -> None:
    closed = MathPool(1)
    closed.close()
    out = _score(registry, closed, "1", "\\boxed{1}")
    assert (out.value, out.error) == (None, MathRewardError.BACKEND_ERROR.value)
    assert out.details["exception"] == "PoolNotRunningError"


@pytest.mark.parametrize(
    "params",
    [
        {"mode": "bogus"},
        {"percent": "half"},
        {"rel_tol": -1.0},
        {"rel_tol": "small"},
        {"strip_units": "yes"},
        {"pred_rounding_min_digits": 0},
        {"rounded_answer_min_sig_digits": 0},
        {"rounded_answer_min_sig_digits": True},
        {"check_units": "no"},
        {"multipart": 1},
        {"correct_value": "1"},
        {"timeout_s": 0},
    ],
)
def test_invalid_parameters_are_caller_errors(registry: Registry, params: dict[str, Any]) -> None:
    with pytest.raises(InvalidParameterError):
        _score(registry, None, "1", "\\boxed{1}", params)


def test_definition_is_documented() -> None:
    (d,) = REWARDS
    assert d.kind is RewardKind.MATH
    assert set(d.param_docs) == set(d.defaults)
