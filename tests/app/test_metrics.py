"""Metrics: outcomes are counted per reward, and each instance has its own registry."""

from __future__ import annotations

from app.metrics import Metrics
from verifiers import RewardOutput


def test_outcome_counts_and_isolation():
    m = Metrics()
    m.observe_reward(
        "accuracy",
        0.5,
        [
            RewardOutput(1.0, accuracy=1.0),
            RewardOutput(0.0, accuracy=0.0),
            RewardOutput(None, error="timeout"),
        ],
    )
    m.count_verdicts("format_strict", [RewardOutput(1.0), None])
    text = m.render().decode()
    for series in (
        'arbiter_verdicts_total{outcome="correct",reward="accuracy"} 1.0',
        'arbiter_verdicts_total{outcome="incorrect",reward="accuracy"} 1.0',
        'arbiter_verdicts_total{outcome="timeout",reward="accuracy"} 1.0',
        'arbiter_verdicts_total{outcome="scored",reward="format_strict"} 1.0',
        'arbiter_reward_seconds_sum{reward="accuracy"} 0.5',
    ):
        assert series in text, series
    assert "arbiter_verdicts_total{" not in Metrics().render().decode()
