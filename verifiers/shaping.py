"""Shaping rewards: every reward that shapes *how* a policy answers rather than whether it is right.

This module only gathers them; each lives in the module named after its concept:
``verifiers.length`` (cosine, Kimi k1.5, DAPO overlong), ``verifiers.repetition`` (n-gram
repetition), ``verifiers.steps`` (reasoning steps) and ``verifiers.language`` (language
consistency).
"""

from __future__ import annotations

from verifiers import language, length, repetition, steps
from verifiers.registry import RewardDef

__all__ = ["REWARDS"]

REWARDS: tuple[RewardDef, ...] = (*length.REWARDS, *repetition.REWARDS, *steps.REWARDS, *language.REWARDS)
