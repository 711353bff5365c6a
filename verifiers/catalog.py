"""The default reward catalogue: every reward this package ships, in one registry.

Each reward module exports a tuple ``REWARDS`` of ``RewardDef``; this module only gathers them,
so adding a reward never touches the service. The code reward is here too: it depends only on the
``CodeBackend`` protocol, and the caller that owns a sandbox (``app``) puts a backend in the
``RewardContext``.
"""

from __future__ import annotations

from collections.abc import Iterable

from verifiers.registry import Registry, RewardDef

__all__ = ["default_registry"]


def default_registry(extra: Iterable[RewardDef] = ()) -> Registry:
    """A fresh registry with the format, shaping, math and code rewards, plus ``extra``."""
    from verifiers import code as _code
    from verifiers import format as _format
    from verifiers import shaping as _shaping
    from verifiers.math import rewards as _math_rewards

    return Registry([*_format.REWARDS, *_shaping.REWARDS, *_math_rewards.REWARDS, *_code.REWARDS, *extra])
