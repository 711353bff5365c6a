"""The CLI's reward list: ``--rewards accuracy,format_strict:0.5`` and ``--param accuracy.mode=lenient``.

Why apart from the parser: the same (name, weight, params) triples the API takes in a request;
errors are ``ValueError`` with the message the CLI prints as it is.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

__all__ = ["RewardTriple", "apply_params", "parse_rewards"]

RewardTriple = tuple[str, float, dict[str, Any]]


def parse_rewards(spec: str) -> list[RewardTriple]:
    """``accuracy,format_strict:0.5`` -> [(name, weight, {})]; weights default to 1."""
    out: list[RewardTriple] = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, weight = part.partition(":")
        try:
            out.append((name, float(weight) if weight else 1.0, {}))
        except ValueError:
            raise ValueError(
                f"bad weight in --rewards entry {part!r}: expected NAME or NAME:WEIGHT"
            ) from None
    if not out:
        raise ValueError("--rewards is empty")
    return out


def apply_params(rewards: list[RewardTriple], params: Sequence[str]) -> None:
    """``--param accuracy.mode=lenient`` (value parsed as JSON when it parses, else a string)."""
    by_name = {r[0]: r[2] for r in rewards}
    for p in params:
        key, sep, raw = p.partition("=")
        name, dot, param = key.partition(".")
        if not sep or not dot or name not in by_name:
            raise ValueError(
                f"bad --param {p!r}: expected REWARD.PARAM=VALUE for a reward named in --rewards"
            )
        try:
            by_name[name][param] = json.loads(raw)
        except json.JSONDecodeError:
            by_name[name][param] = raw
