"""Reasoning-steps reward: credit for laying the reasoning out as explicit steps.

Why: open-r1's ``reasoning_steps_reward`` nudges small models towards structured chains of
thought early in training. Its single regular expression also counts a "1." inside "3.1." and a
"-" that starts a negative number on a new line; here markers only count at the start of a line
(list items, "Step 2:") or at the start of a sentence (transition words).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from verifiers.registry import RewardDef
from verifiers.types import InvalidParameterError, RewardContext, RewardKind, RewardOutput, Sample

__all__ = ["REWARDS", "count_steps", "reasoning_steps"]

_LINE_MARKER = re.compile(
    r"^[ \t>]*(?:"
    r"(?:\*\*|#+\s*)?step\s*\d+\s*[:.)]"  # "Step 1:", "**Step 2.", "## Step 3)"
    r"|\d{1,3}[.)](?=\s)"  # "1. ", "2) "
    r"|[-*•](?=\s+\S)(?!\s*\d)"  # bullets, but not "- 3" (a negative number or a minus)
    r")",
    re.IGNORECASE | re.MULTILINE,
)
# One quantifier per stretch of blanks: a lookbehind followed by two overlapping ones (``\s+`` then
# ``[ \t]*``) backtracks quadratically on long runs of spaces after a full stop.
_TRANSITION = re.compile(
    r"(?:^|[.!?:])[ \t]*(?:first|second|third|next|then|finally|lastly)[ \t]*,",
    re.IGNORECASE | re.MULTILINE,
)


def count_steps(text: str) -> int:
    """Step markers in ``text``: line-start list items and "Step N:", sentence-start transitions."""
    return len(_LINE_MARKER.findall(text)) + len(_TRANSITION.findall(text))


def reasoning_steps(
    samples: Sequence[Sample], ctx: RewardContext, *, target_count: int
) -> list[RewardOutput]:
    """min(1, steps / ``target_count``) over the whole completion (open-r1 uses 3)."""
    if isinstance(target_count, bool) or not isinstance(target_count, int) or target_count < 1:
        raise InvalidParameterError(
            "reasoning_steps", "target_count", target_count, "must be an integer >= 1"
        )
    out = []
    for s in samples:
        n = count_steps(s.completion)
        out.append(RewardOutput(value=min(1.0, n / target_count), details={"steps": n}))
    return out


REWARDS: tuple[RewardDef, ...] = (
    RewardDef(
        name="reasoning_steps",
        kind=RewardKind.INLINE,
        fn=reasoning_steps,
        defaults={"target_count": 3},
        doc="Structured-reasoning credit (open-r1): min(1, count/target_count) of step markers "
        '("Step 1:", numbered items, bullets, "First,", "Next,", "Finally,").',
        param_docs={"target_count": "number of step markers that earns the full 1.0; >= 1."},
    ),
)
