"""The default catalogue: every shipped reward, by name, with documented parameters."""

from __future__ import annotations

import subprocess
import sys

import pytest

from verifiers import RewardContext, RewardDef, RewardKind, RewardOutput, Sample
from verifiers.catalog import default_registry

EXPECTED = {
    "format_strict": RewardKind.INLINE,
    "format_soft": RewardKind.INLINE,
    "tag_count": RewardKind.INLINE,
    "cosine_length": RewardKind.INLINE,
    "kimi_length": RewardKind.INLINE,
    "overlong_penalty": RewardKind.INLINE,
    "repetition_penalty": RewardKind.INLINE,
    "reasoning_steps": RewardKind.INLINE,
    "language_consistency": RewardKind.INLINE,
    "accuracy": RewardKind.MATH,
    "code_accuracy": RewardKind.CODE,
}


def test_every_expected_reward_is_registered() -> None:
    registry = default_registry()
    assert set(EXPECTED) <= set(registry.names())
    for name, kind in EXPECTED.items():
        assert registry.get(name).kind is kind


def test_every_reward_documents_every_parameter() -> None:
    for d in default_registry():
        assert d.doc.strip(), d.name
        assert set(d.param_docs) == set(d.defaults), d.name
        assert all(doc.strip() for doc in d.param_docs.values()), d.name


def test_each_call_builds_a_fresh_registry() -> None:
    assert default_registry() is not default_registry()


def test_extra_rewards_are_added() -> None:
    def _constant(samples, ctx: RewardContext) -> list[RewardOutput]:
        return [RewardOutput(value=0.5) for _ in samples]

    extra = RewardDef(name="constant", kind=RewardKind.CODE, fn=_constant, defaults={}, doc="test")
    registry = default_registry([extra])
    assert registry.compute("constant", [Sample(id="s", completion="")], RewardContext())[0].value == 0.5
    assert set(EXPECTED) <= set(registry.names())


def test_extra_cannot_shadow_a_shipped_reward() -> None:
    shadow = RewardDef(name="format_strict", kind=RewardKind.INLINE, fn=lambda s, c: [], defaults={}, doc="x")
    with pytest.raises(ValueError, match="twice"):
        default_registry([shadow])


def test_catalogue_does_not_pull_in_the_service_stack() -> None:
    # verifiers/ must import nothing from app/, fastapi, redis or the settings (layering rule).
    code = (
        "import sys\n"
        "from verifiers.catalog import default_registry\n"
        "default_registry()\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'app', 'fastapi', 'redis', 'pydantic', 'sandbox'})\n"
        "print(','.join(bad))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert proc.stdout.strip() == ""
