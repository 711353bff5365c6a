"""Length rewards: each paper's formula at its boundaries, correctness sources, Kimi groups."""

from __future__ import annotations

import math
from typing import Any

import pytest

from verifiers import InvalidParameterError, RewardContext, Sample
from verifiers.length import REWARDS, correctness, cosine_length, kimi_length, overlong_penalty

CTX = RewardContext()
COSINE_DEFAULTS = next(d for d in REWARDS if d.name == "cosine_length").defaults


def _s(
    tokens: int | None = None, correct: Any = None, group: str | None = None, text: str = "x", **meta
) -> Sample:
    metadata = dict(meta)
    if correct is not None:
        metadata["correct"] = correct
    return Sample(id="s", completion=text, num_tokens=tokens, group_id=group, metadata=metadata)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(True, True, id="bool-true"),
        pytest.param(False, False, id="bool-false"),
        pytest.param(1, True, id="int-one"),
        pytest.param(1.0, True, id="accuracy-one"),
        pytest.param(0.0, False, id="accuracy-zero"),
        pytest.param(0.99, False, id="partial-pass-rate"),
        pytest.param(float("nan"), None, id="nan"),
        pytest.param("true", None, id="string"),
        pytest.param(None, None, id="none"),
    ],
)
def test_correctness_sources(value: Any, expected: bool | None) -> None:
    assert correctness(Sample(id="s", completion="", metadata={"correct": value}), "correct") is expected


# (tokens, correct, extra params, value) with defaults max_length=1000, correct 1.0→0.5, wrong -1.0→-0.5
COSINE_CASES = [
    pytest.param(0, True, {}, 1.0, id="correct-at-zero"),
    pytest.param(250, True, {}, 0.5 + 0.25 * (1 + math.cos(math.pi / 4)), id="correct-quarter"),
    pytest.param(500, True, {}, 0.75, id="correct-half"),
    pytest.param(1000, True, {}, 0.5, id="correct-at-max"),
    pytest.param(5000, True, {}, 0.5, id="correct-clamped"),
    pytest.param(0, False, {}, -1.0, id="wrong-at-zero"),
    pytest.param(500, False, {}, -0.75, id="wrong-half"),
    pytest.param(1000, False, {}, -0.5, id="wrong-at-max"),
    pytest.param(5000, False, {}, -0.5, id="wrong-clamped"),
    pytest.param(1000, True, {"exceed_length_value": -10.0}, 0.5, id="at-max-is-not-exceeding"),
    pytest.param(1001, True, {"exceed_length_value": -10.0}, -10.0, id="exceed-penalty-correct"),
    pytest.param(1001, False, {"exceed_length_value": -10.0}, -10.0, id="exceed-penalty-wrong"),
    pytest.param(
        50, True, {"max_length": 100, "min_value_correct": 1.0, "max_value_correct": 2.0}, 1.5, id="custom"
    ),
    pytest.param(0, 1.0, {}, 1.0, id="accuracy-number"),
]


@pytest.mark.parametrize(("tokens", "correct", "params", "value"), COSINE_CASES)
def test_cosine_length(tokens: int, correct: Any, params: dict[str, Any], value: float) -> None:
    out = cosine_length([_s(tokens, correct)], CTX, **{**COSINE_DEFAULTS, **params})[0]
    assert out.value == pytest.approx(value)
    assert out.details["length_tokens"] == tokens


def test_cosine_unknown_correctness_is_none() -> None:
    out = cosine_length([_s(10), _s(10, "yes")], CTX, **COSINE_DEFAULTS)
    assert [(o.value, o.error) for o in out] == [(None, "correctness_unknown")] * 2


def test_cosine_reads_the_named_correctness_key() -> None:
    params = {**COSINE_DEFAULTS, "correct_key": "accuracy"}
    out = cosine_length([_s(0, correct=False, accuracy=1.0)], CTX, **params)[0]
    assert out.value == 1.0


def test_cosine_estimates_length_without_token_counts() -> None:
    text = " ".join(["word"] * 500)  # 500 estimated tokens: half of max_length
    out = cosine_length(
        [Sample(id="s", completion=text, metadata={"correct": True})], CTX, **COSINE_DEFAULTS
    )[0]
    assert out.details["length_source"] == "estimate"
    assert out.value == pytest.approx(0.75)


# (lengths, correct flags, groups, values)
KIMI_CASES = [
    pytest.param([10, 20, 30], [True, True, True], ["g"] * 3, [0.5, 0.0, -0.5], id="correct-spread"),
    pytest.param([10, 20, 30], [False, False, False], ["g"] * 3, [0.0, 0.0, -0.5], id="wrong-never-positive"),
    pytest.param([10, 20, 30], [True, False, False], ["g"] * 3, [0.5, 0.0, -0.5], id="mixed"),
    pytest.param([10, 15, 30], [True, True, True], ["g"] * 3, [0.5, 0.25, -0.5], id="quarter"),
    pytest.param([7, 7, 7], [True, False, True], ["g"] * 3, [0.0, 0.0, 0.0], id="equal-lengths"),
    pytest.param([10, 100], [True, True], [None, None], [0.0, 0.0], id="ungrouped-is-own-group"),
    pytest.param(
        [10, 100, 30, 40],
        [True, True, True, True],
        ["a", "b", "a", "b"],
        [0.5, -0.5, -0.5, 0.5],
        id="interleaved",
    ),
]


@pytest.mark.parametrize(("lengths", "flags", "groups", "values"), KIMI_CASES)
def test_kimi_length(
    lengths: list[int], flags: list[bool], groups: list[str | None], values: list[float]
) -> None:
    samples = [_s(n, c, g) for n, c, g in zip(lengths, flags, groups, strict=True)]
    out = kimi_length(samples, CTX, correct_key="correct")
    assert [o.value for o in out] == pytest.approx(values)


def test_kimi_unknown_correctness_still_sets_group_range() -> None:
    samples = [_s(10, True, "g"), _s(50, None, "g"), _s(30, True, "g")]
    out = kimi_length(samples, CTX, correct_key="correct")
    assert out[1].value is None and out[1].error == "correctness_unknown"
    assert [out[0].value, out[2].value] == pytest.approx([0.5, 0.0])
    assert out[0].details["group_max_tokens"] == 50


# (tokens, max_length, cache_length, value)
OVERLONG_CASES = [
    pytest.param(0, 20, 10, 0.0, id="empty"),
    pytest.param(10, 20, 10, 0.0, id="at-buffer-start"),
    pytest.param(11, 20, 10, -0.1, id="first-buffer-token"),
    pytest.param(15, 20, 10, -0.5, id="mid-buffer"),
    pytest.param(20, 20, 10, -1.0, id="at-max"),
    pytest.param(21, 20, 10, -1.0, id="past-max"),
    pytest.param(16384, 20480, 4096, 0.0, id="dapo-defaults-buffer-start"),
    pytest.param(18432, 20480, 4096, -0.5, id="dapo-defaults-mid"),
    pytest.param(5, 5, 5, -1.0, id="whole-range-is-buffer"),
]


@pytest.mark.parametrize(("tokens", "max_length", "cache_length", "value"), OVERLONG_CASES)
def test_overlong_penalty(tokens: int, max_length: int, cache_length: int, value: float) -> None:
    out = overlong_penalty([_s(tokens)], CTX, max_length=max_length, cache_length=cache_length)[0]
    assert out.value == pytest.approx(value)


def test_overlong_uses_token_ids_when_no_count() -> None:
    sample = Sample(id="s", completion="x", token_ids=tuple(range(15)))
    out = overlong_penalty([sample], CTX, max_length=20, cache_length=10)[0]
    assert out.value == pytest.approx(-0.5)
    assert out.details["length_source"] == "token_ids"


@pytest.mark.parametrize(
    ("fn", "params", "bad"),
    [
        pytest.param(
            overlong_penalty, {"max_length": 10, "cache_length": 11}, "cache_length", id="cache-over-max"
        ),
        pytest.param(overlong_penalty, {"max_length": 0, "cache_length": 0}, "max_length", id="zero-max"),
        pytest.param(overlong_penalty, {"max_length": 10.5, "cache_length": 1}, "max_length", id="float-max"),
        pytest.param(
            cosine_length, {**COSINE_DEFAULTS, "max_length": -1}, "max_length", id="cosine-negative"
        ),
        pytest.param(
            cosine_length,
            {**COSINE_DEFAULTS, "min_value_wrong": float("inf")},
            "min_value_wrong",
            id="cosine-inf",
        ),
        pytest.param(kimi_length, {"correct_key": ""}, "correct_key", id="kimi-empty-key"),
    ],
)
def test_bad_params_raise(fn, params: dict[str, Any], bad: str) -> None:
    with pytest.raises(InvalidParameterError) as err:
        fn([_s(1, True)], CTX, **params)
    assert err.value.param == bad
