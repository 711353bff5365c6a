"""Format rewards for DeepSeek-R1 style completions: ``<think>…</think><answer>…</answer>``.

Why our own scanner instead of one big regular expression: the usual patterns
(``^<think>.*?</think>\\s*<answer>.*?</answer>$`` with DOTALL) are hacked by empty blocks,
duplicated blocks (the lazy ``.*?`` happily spans ``</think><think>``) and tags nested inside a
block. Here every tag occurrence is located once, and each rule is a named check over those
occurrences, so ``format_strict``, ``format_soft`` and the details all agree.

Two completion shapes (``mode``):

- ``answer_tags`` (default): one ``<think>`` block, then one ``<answer>`` block.
- ``r1_distill``: DeepSeek-R1-Distill / Qwen3 style: one ``<think>`` block, and the answer is the
  text after ``</think>``; no ``<answer>`` tags.

``think_prefilled``: chat templates of DeepSeek-R1 and Qwen3 end the prompt with ``<think>\\n``, so
the completion starts inside the think block. With ``think_prefilled=True`` the completion is
scored as if prefixed with ``<think>``; one that still opens another ``<think>`` has two.

Tags are matched exactly (lowercase, no spaces inside the angle brackets); whitespace means
``str.isspace`` characters.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from verifiers.registry import RewardDef
from verifiers.types import InvalidParameterError, RewardContext, RewardKind, RewardOutput, Sample

__all__ = [
    "REWARDS",
    "FormatCheck",
    "FormatMode",
    "check_format",
    "format_soft",
    "format_strict",
    "tag_count",
]

_THINK_OPEN, _THINK_CLOSE = "<think>", "</think>"
_ANSWER_OPEN, _ANSWER_CLOSE = "<answer>", "</answer>"
_TAG = re.compile(r"</?(?:think|answer)>")


class FormatMode(StrEnum):
    """Which completion shape the format rewards expect."""

    ANSWER_TAGS = "answer_tags"
    R1_DISTILL = "r1_distill"


class FormatCheck(StrEnum):
    """The named rules; ``format_soft`` gives each an equal share, ``format_strict`` needs all."""

    THINK_BLOCK = "think_block"  # exactly one <think> and one </think>, opened before closed
    ANSWER_BLOCK = "answer_block"  # answer_tags: one <answer>…</answer>; r1_distill: no answer tags
    ORDER = "order"  # answer_tags: </think> before <answer>; r1_distill: text follows </think>
    NON_EMPTY = "non_empty"  # every block has non-whitespace content and no tag inside it
    NOTHING_OUTSIDE = "nothing_outside"  # only whitespace before, between and after the blocks


@dataclass(frozen=True, slots=True)
class _Tags:
    """Every tag occurrence of one text: ``positions[tag]`` lists (start, end) offsets."""

    text: str
    positions: dict[str, list[tuple[int, int]]]

    @classmethod
    def scan(cls, text: str) -> _Tags:
        positions: dict[str, list[tuple[int, int]]] = {
            t: [] for t in (_THINK_OPEN, _THINK_CLOSE, _ANSWER_OPEN, _ANSWER_CLOSE)
        }
        for m in _TAG.finditer(text):
            positions[m.group()].append((m.start(), m.end()))
        return cls(text, positions)

    def count(self, tag: str) -> int:
        return len(self.positions[tag])

    def only(self, tag: str) -> tuple[int, int] | None:
        """The single occurrence of ``tag``, or None if it occurs zero or several times."""
        occ = self.positions[tag]
        return occ[0] if len(occ) == 1 else None

    def block(self, open_tag: str, close_tag: str) -> tuple[int, int] | None:
        """(content start, content end) of the single well-ordered ``open…close`` block."""
        o, c = self.only(open_tag), self.only(close_tag)
        if o is None or c is None or o[1] > c[0]:
            return None
        return o[1], c[0]

    def has_content(self, start: int, end: int) -> bool:
        """Non-whitespace text in ``[start, end)`` with no tag occurrence inside."""
        piece = self.text[start:end]
        return bool(piece.strip()) and _TAG.search(piece) is None

    def blank(self, start: int, end: int) -> bool:
        return not self.text[start:end].strip()


def check_format(completion: str, mode: FormatMode, think_prefilled: bool) -> dict[FormatCheck, bool]:
    """Evaluate every ``FormatCheck`` on one completion.

    Public so that explanations (``arbiter explain``, reward details) name the rule a completion
    broke instead of only reporting 0.
    """
    text = _THINK_OPEN + completion if think_prefilled else completion
    tags = _Tags.scan(text)
    think = tags.block(_THINK_OPEN, _THINK_CLOSE)
    think_ok = think is not None and tags.has_content(*think)
    if mode is FormatMode.R1_DISTILL:
        no_answer_tags = tags.count(_ANSWER_OPEN) == 0 and tags.count(_ANSWER_CLOSE) == 0
        after = think[1] + len(_THINK_CLOSE) if think is not None else None
        answer_ok = after is not None and tags.has_content(after, len(text))
        return {
            FormatCheck.THINK_BLOCK: think is not None,
            FormatCheck.ANSWER_BLOCK: no_answer_tags,
            FormatCheck.ORDER: answer_ok,
            FormatCheck.NON_EMPTY: think_ok and answer_ok,
            FormatCheck.NOTHING_OUTSIDE: think is not None and tags.blank(0, think[0] - len(_THINK_OPEN)),
        }
    answer = tags.block(_ANSWER_OPEN, _ANSWER_CLOSE)
    ordered = think is not None and answer is not None and think[1] < answer[0]
    both_ok = think_ok and answer is not None and tags.has_content(*answer)
    outside = (
        ordered
        and think is not None
        and answer is not None
        and tags.blank(0, think[0] - len(_THINK_OPEN))
        and tags.blank(think[1] + len(_THINK_CLOSE), answer[0] - len(_ANSWER_OPEN))
        and tags.blank(answer[1] + len(_ANSWER_CLOSE), len(text))
    )
    return {
        FormatCheck.THINK_BLOCK: think is not None,
        FormatCheck.ANSWER_BLOCK: answer is not None,
        FormatCheck.ORDER: ordered,
        FormatCheck.NON_EMPTY: both_ok,
        FormatCheck.NOTHING_OUTSIDE: outside,
    }


def _mode(reward: str, mode: Any) -> FormatMode:
    try:
        return FormatMode(mode)
    except ValueError:
        raise InvalidParameterError(reward, "mode", mode, f"one of {[m.value for m in FormatMode]}") from None


def _flag(reward: str, name: str, value: Any) -> bool:
    # A JSON "false" string is truthy: only real booleans are accepted.
    if not isinstance(value, bool):
        raise InvalidParameterError(reward, name, value, "must be a boolean")
    return value


def format_strict(
    samples: Sequence[Sample], ctx: RewardContext, *, mode: str, think_prefilled: bool
) -> list[RewardOutput]:
    """1.0 when every ``FormatCheck`` holds, else 0.0; the failed checks are in the details."""
    m, prefilled = _mode("format_strict", mode), _flag("format_strict", "think_prefilled", think_prefilled)
    out = []
    for s in samples:
        checks = check_format(s.completion, m, prefilled)
        failed = [c.value for c, ok in checks.items() if not ok]
        out.append(RewardOutput(value=0.0 if failed else 1.0, details={"failed": failed}))
    return out


def format_soft(
    samples: Sequence[Sample], ctx: RewardContext, *, mode: str, think_prefilled: bool
) -> list[RewardOutput]:
    """The share of ``FormatCheck`` rules that hold (0.2 each): partial credit early in training.

    The five rules are: one well-ordered think block; the answer block (or, in ``r1_distill``
    mode, no answer tags); the blocks in order (``r1_distill``: an answer after ``</think>``);
    both blocks non-empty with no tags nested inside; nothing but whitespace outside the blocks.
    It is 1.0 exactly when ``format_strict`` is.
    """
    m, prefilled = _mode("format_soft", mode), _flag("format_soft", "think_prefilled", think_prefilled)
    out = []
    for s in samples:
        checks = check_format(s.completion, m, prefilled)
        value = sum(checks.values()) / len(checks)
        out.append(RewardOutput(value=value, details={"passed": [c.value for c, ok in checks.items() if ok]}))
    return out


def tag_count(
    samples: Sequence[Sample],
    ctx: RewardContext,
    *,
    mode: str,
    think_prefilled: bool,
    extra_penalty: float,
) -> list[RewardOutput]:
    """Per-tag credit, as open-r1's ``tag_count_reward`` but counting occurrences.

    ``answer_tags``: each of the four tags occurring exactly once earns 0.25; ``r1_distill``:
    ``<think>`` and ``</think>`` earn 0.5 each. Every occurrence beyond the first of a tag, and
    every answer tag in ``r1_distill`` mode, costs ``extra_penalty``. Clamped to [0, 1], so
    spamming tags can never beat writing each once.
    """
    m = _mode("tag_count", mode)
    prefilled = _flag("tag_count", "think_prefilled", think_prefilled)
    if isinstance(extra_penalty, bool) or not isinstance(extra_penalty, int | float) or extra_penalty < 0:
        raise InvalidParameterError("tag_count", "extra_penalty", extra_penalty, "must be a number >= 0")
    wanted = (
        (_THINK_OPEN, _THINK_CLOSE)
        if m is FormatMode.R1_DISTILL
        else (_THINK_OPEN, _THINK_CLOSE, _ANSWER_OPEN, _ANSWER_CLOSE)
    )
    share = 1.0 / len(wanted)
    out = []
    for s in samples:
        text = _THINK_OPEN + s.completion if prefilled else s.completion
        counts = Counter(t.group() for t in _TAG.finditer(text))
        credit = sum(share for t in wanted if counts[t] == 1)
        extras = sum(max(0, n - 1) if t in wanted else n for t, n in counts.items())
        value = min(1.0, max(0.0, credit - extra_penalty * extras))
        out.append(RewardOutput(value=value, details={"counts": {t: counts[t] for t in sorted(counts)}}))
    return out


_FORMAT_PARAMS = {
    "mode": "'answer_tags' (<think>…</think><answer>…</answer>) or 'r1_distill' (<think>…</think> then "
    "the answer, no answer tags).",
    "think_prefilled": "true when the chat template already put <think> in the prompt (DeepSeek-R1, "
    "Qwen3): the completion is scored as if it began with <think>.",
}
_FORMAT_DEFAULTS: dict[str, Any] = {"mode": FormatMode.ANSWER_TAGS.value, "think_prefilled": False}

REWARDS: tuple[RewardDef, ...] = (
    RewardDef(
        name="format_strict",
        kind=RewardKind.INLINE,
        fn=format_strict,
        defaults=dict(_FORMAT_DEFAULTS),
        doc="1.0 for exactly one non-empty think block and one non-empty answer block (or answer after "
        "</think> in r1_distill mode), in order, nothing nested, nothing outside; else 0.0.",
        param_docs=_FORMAT_PARAMS,
    ),
    RewardDef(
        name="format_soft",
        kind=RewardKind.INLINE,
        fn=format_soft,
        defaults=dict(_FORMAT_DEFAULTS),
        doc="Partial format credit: 0.2 for each of think block, answer block, order, non-empty blocks, "
        "nothing outside the blocks. 1.0 exactly when format_strict is 1.0.",
        param_docs=_FORMAT_PARAMS,
    ),
    RewardDef(
        name="tag_count",
        kind=RewardKind.INLINE,
        fn=tag_count,
        defaults={**_FORMAT_DEFAULTS, "extra_penalty": 0.25},
        doc="Per-tag credit: each expected tag occurring exactly once earns an equal share (0.25 of four "
        "tags, 0.5 of two in r1_distill); every extra tag occurrence costs extra_penalty; within [0, 1].",
        param_docs={
            **_FORMAT_PARAMS,
            "extra_penalty": "subtracted per tag occurrence beyond the first (and per answer tag in "
            "r1_distill mode); >= 0.",
        },
    ),
)
