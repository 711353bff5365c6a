"""N-gram repetition penalty: punishes completions that loop on the same phrases.

Why: long chain-of-thought policies learn to pad or loop once length is rewarded; Yeo et al. 2025
("Demystifying Long Chain-of-Thought Reasoning in LLMs", arXiv 2502.03373) pair their cosine
length reward with an n-gram repetition penalty, and open-r1 ships the same idea as
``repetition_penalty_reward``. Value = ``max_penalty`` × (1 − distinct n-grams / total n-grams):
0 for text without repeats, approaching ``max_penalty`` for text that is one phrase repeated.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from verifiers.registry import RewardDef
from verifiers.types import InvalidParameterError, RewardContext, RewardKind, RewardOutput, Sample

__all__ = ["REWARDS", "RepetitionUnit", "repetition_penalty", "words"]

# A word: a run of letters/digits, or one CJK character (Chinese and Japanese do not separate
# words by spaces; single characters keep n-grams meaningful there). ``[^\W<cjk>]`` is "a word
# character that is not CJK": plain character classes keep the split in C.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u309f\u30a0-\u30ff\uac00-\ud7af"
_WORD = re.compile(f"[{_CJK}]|[^\\W{_CJK}]+")


class RepetitionUnit(StrEnum):
    """What the n-grams are made of."""

    WORDS = "words"  # lowercased words (see ``words``); punctuation ignored
    TOKENS = "tokens"  # Sample.token_ids; falls back to words when the trainer sent none


def words(text: str) -> list[str]:
    """Lowercased words of ``text``: letter/digit runs, and each CJK character on its own."""
    return _WORD.findall(text.lower())


def _repeated_share(units: Sequence[Any], n: int) -> float:
    total = len(units) - n + 1
    if total <= 0:
        return 0.0
    distinct = len(set(zip(*(units[i:] for i in range(n)), strict=False)))
    return 1.0 - distinct / total


def repetition_penalty(
    samples: Sequence[Sample], ctx: RewardContext, *, ngram_size: int, max_penalty: float, unit: str
) -> list[RewardOutput]:
    """``max_penalty`` × the share of repeated n-grams; 0 for texts shorter than ``ngram_size``."""
    name = "repetition_penalty"
    if isinstance(ngram_size, bool) or not isinstance(ngram_size, int) or ngram_size < 1:
        raise InvalidParameterError(name, "ngram_size", ngram_size, "must be an integer >= 1")
    if (
        isinstance(max_penalty, bool)
        or not isinstance(max_penalty, int | float)
        or not math.isfinite(max_penalty)
        or max_penalty > 0
    ):
        raise InvalidParameterError(name, "max_penalty", max_penalty, "must be a finite number <= 0")
    try:
        kind = RepetitionUnit(unit)
    except ValueError:
        raise InvalidParameterError(
            name, "unit", unit, f"one of {[u.value for u in RepetitionUnit]}"
        ) from None
    out = []
    for s in samples:
        if kind is RepetitionUnit.TOKENS and s.token_ids is not None:
            units: Sequence[Any] = s.token_ids
            used = RepetitionUnit.TOKENS
        else:
            units, used = words(s.completion), RepetitionUnit.WORDS
        share = _repeated_share(units, ngram_size)
        value = float(max_penalty) * share if share else 0.0
        out.append(RewardOutput(value=value, details={"repeated_share": share, "unit": used.value}))
    return out


REWARDS: tuple[RewardDef, ...] = (
    RewardDef(
        name="repetition_penalty",
        kind=RewardKind.INLINE,
        fn=repetition_penalty,
        defaults={"ngram_size": 3, "max_penalty": -1.0, "unit": RepetitionUnit.WORDS.value},
        doc="N-gram repetition penalty (Yeo et al. 2025; open-r1): max_penalty × (1 − distinct/total "
        "n-grams) over the whole completion; 0 when shorter than ngram_size.",
        param_docs={
            "ngram_size": "n of the n-grams; >= 1.",
            "max_penalty": "value for a fully repeated text; <= 0.",
            "unit": "'words' (lowercased words, each CJK character a word) or 'tokens' (token_ids when "
            "sent, else words; details.unit says which was used).",
        },
    ),
)
