"""``--rewards`` and ``--param``: the triples the CLI scores with, and a clear error for bad ones."""

from __future__ import annotations

from typing import Any

import pytest

from app.tools.reward_specs import apply_params, parse_rewards


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("accuracy", [("accuracy", 1.0, {})]),
        ("accuracy,format_strict:0.5", [("accuracy", 1.0, {}), ("format_strict", 0.5, {})]),
        (" accuracy , ,code_accuracy:2 ", [("accuracy", 1.0, {}), ("code_accuracy", 2.0, {})]),
    ],
)
def test_parse_rewards(spec: str, expected: list[tuple[str, float, dict[str, Any]]]) -> None:
    assert parse_rewards(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"), [("", "is empty"), (",", "is empty"), ("accuracy:x", "bad weight")]
)
def test_parse_rewards_refuses(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_rewards(spec)


def test_apply_params_parses_json_values_and_keeps_other_text() -> None:
    rewards = parse_rewards("accuracy,cosine_length")
    apply_params(rewards, ["accuracy.mode=lenient", "cosine_length.max_len=512", "accuracy.x=[1, 2]"])
    assert rewards == [
        ("accuracy", 1.0, {"mode": "lenient", "x": [1, 2]}),
        ("cosine_length", 1.0, {"max_len": 512}),
    ]


@pytest.mark.parametrize("param", ["accuracy", "accuracy=1", "format.x=1", ".x=1"])
def test_apply_params_refuses_a_param_for_no_named_reward(param: str) -> None:
    with pytest.raises(ValueError, match="bad --param"):
        apply_params(parse_rewards("accuracy"), [param])
