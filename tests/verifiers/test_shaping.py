"""The shaping catalogue: every shaping reward, inline, documented, runnable on its defaults."""

from __future__ import annotations

import math

import pytest

from verifiers import Registry, RewardContext, RewardKind, Sample
from verifiers.shaping import REWARDS

EXPECTED = {
    "cosine_length",
    "kimi_length",
    "overlong_penalty",
    "repetition_penalty",
    "reasoning_steps",
    "language_consistency",
}
# The value range each reward documents, on its defaults.
RANGES = {
    "cosine_length": (-1.0, 1.0),
    "kimi_length": (-0.5, 0.5),
    "overlong_penalty": (-1.0, 0.0),
    "repetition_penalty": (-1.0, 0.0),
    "reasoning_steps": (0.0, 1.0),
    "language_consistency": (0.0, 1.0),
}
SAMPLES = [
    Sample(
        id="a",
        completion="<think>Step 1: add.\nStep 2: done.</think><answer>4</answer>",
        group_id="g",
        metadata={"correct": True, "language": "en"},
    ),
    Sample(
        id="b",
        completion="<think>我们 we we we we</think>",
        group_id="g",
        num_tokens=900,
        metadata={"correct": False, "language": "zh"},
    ),
    Sample(id="c", completion="", token_ids=(), metadata={"correct": 1.0, "language": "eng"}),
    Sample(id="d", completion="x " * 30000, group_id="g", metadata={"correct": True, "language": "en"}),
]


def test_shaping_gathers_every_reward_once() -> None:
    names = [d.name for d in REWARDS]
    assert sorted(names) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_inline_and_documented(name: str) -> None:
    d = next(d for d in REWARDS if d.name == name)
    assert d.kind is RewardKind.INLINE
    assert d.doc.strip()
    assert set(d.param_docs) == set(d.defaults)
    assert all(doc.strip() for doc in d.param_docs.values())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_defaults_run_within_range(name: str) -> None:
    out = Registry(REWARDS).compute(name, SAMPLES, RewardContext())
    lo, hi = RANGES[name]
    values = [o.value for o in out]
    assert all(v is not None and math.isfinite(v) and lo <= v <= hi for v in values), values
    assert len(set(values)) > 1  # the batch is varied enough that every reward tells samples apart
