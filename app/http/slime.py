"""slime's remote reward model: ``{prompt, response, label}`` in, the reward's JSON out.

Why: slime's ``--rm-type remote_rm --rm-url URL`` posts one sample per request and stores the
JSON body it gets back as the sample's reward: a number, or a dict when ``--reward-key`` picks one
of its keys. Pure translation, no I/O.

slime needs a number for every sample, so an unscorable sample (``total`` null: a gold that does
not parse, a sandbox failure) is 0.0 in the scalar shape; the dict shape says which ones
(``scorable``), so a run can filter them instead of learning from a poisoned 0.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from app.results import ItemResult

__all__ = ["SlimeShape", "parse_reward_list", "slime_item", "slime_response"]

_GOLD_KEYS = ("ground_truth", "answer", "gold", "label")


class SlimeShape(StrEnum):
    """``scalar``: the weighted total (slime without ``--reward-key``); ``dict``: ``reward`` plus the
    parts (slime with ``--reward-key reward``, or any key listed)."""

    SCALAR = "scalar"
    DICT = "dict"


def _prompt_text(prompt: Any) -> str:
    """slime's prompt is a string, or chat messages when the template is applied later."""
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list) and all(isinstance(m, dict) for m in prompt):
        return "\n".join(str(m.get("content", "")) for m in prompt)
    raise ValueError("prompt must be a string or a list of chat messages ({role, content})")


def slime_item(prompt: Any, response: str, label: Any) -> dict[str, Any]:
    """One ``/v1/rewards`` item. ``label``: the gold (string or number), or a dict carrying the gold
    (``ground_truth``/``answer``/``gold``/``label``) and/or code ``tests``. Raises ValueError."""
    item: dict[str, Any] = {"id": "0", "prompt": _prompt_text(prompt), "completion": response}
    if label is None or (isinstance(label, str | int | float) and not isinstance(label, bool)):
        item["ground_truth"] = label
    elif isinstance(label, dict):
        unknown = set(label) - {*_GOLD_KEYS, "tests"}
        if unknown:
            raise ValueError(f"label has unknown keys {sorted(unknown)}; use one of {[*_GOLD_KEYS, 'tests']}")
        golds = [k for k in _GOLD_KEYS if k in label]
        if len(golds) > 1:
            raise ValueError(f"label gives the gold twice ({', '.join(golds)})")
        if golds:
            gold = label[golds[0]]
            if (gold is not None and not isinstance(gold, str | int | float)) or isinstance(gold, bool):
                raise ValueError(f"label.{golds[0]} must be a string or a number")
            item["ground_truth"] = gold
        if "tests" in label:
            item["tests"] = label["tests"]
    else:
        raise ValueError("label must be a string, a number, null, or an object {ground_truth, tests}")
    return item


def parse_reward_list(text: str) -> list[tuple[str, float]]:
    """``accuracy:1,format_strict:0.5`` -> names and weights (weight 1.0 when omitted)."""
    out = []
    for part in text.split(","):
        name, _, weight = part.strip().partition(":")
        if not name:
            raise ValueError(f"empty reward name in {text!r}")
        try:
            out.append((name, float(weight) if weight else 1.0))
        except ValueError:
            raise ValueError(f"weight of {name!r} is not a number: {weight!r}") from None
    return out


def slime_response(result: ItemResult, shape: SlimeShape) -> float | dict[str, Any]:
    """The body slime stores as the sample's reward."""
    reward = result.total if result.total is not None else 0.0
    if shape is SlimeShape.SCALAR:
        return reward
    return {
        "reward": reward,
        "scorable": result.total is not None,
        "accuracy": result.accuracy,
        "rewards": dict(result.rewards),
        "errors": dict(result.errors),
    }
