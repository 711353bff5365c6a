"""Completion length: exact counts from the trainer first, the documented estimate otherwise."""

from __future__ import annotations

import pytest

from verifiers import Sample
from verifiers.tokens import Length, LengthSource, completion_length, estimate_tokens


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        pytest.param("", 0, id="empty"),
        pytest.param("   \t ", 0, id="spaces-are-free"),
        pytest.param("hello", 1, id="short-word"),
        pytest.param("hello world", 2, id="two-words"),
        pytest.param("derivati", 1, id="eight-letters"),
        pytest.param("reasoning", 2, id="nine-letters"),
        pytest.param("internationalization", 3, id="long-word"),
        pytest.param("12345", 2, id="digits-in-threes"),
        pytest.param("1234567", 3, id="seven-digits"),
        pytest.param("a, b.", 4, id="punctuation"),
        pytest.param("line\n\nnext", 3, id="newline-run"),
        pytest.param("x^2", 3, id="symbols"),
        pytest.param("\\frac{1}{2}", 8, id="latex"),
        pytest.param("café", 1, id="latin-diacritic"),
        pytest.param("Привет мир", 2, id="cyrillic"),
        pytest.param("我们好", 3, id="han-rounded-up"),
        pytest.param("我们需要求函数的导数", 7, id="ten-han"),
        pytest.param("日本語のテキスト", 6, id="japanese-0.7-per-character"),
        pytest.param("안녕하세요", 4, id="hangul-0.7-per-character"),
        pytest.param("答案是42。", 5, id="mixed-cjk-digits"),
    ],
)
def test_estimate_tokens(text: str, tokens: int) -> None:
    assert estimate_tokens(text) == tokens


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        pytest.param(
            Sample(id="a", completion="one two three", num_tokens=7, token_ids=(1, 2)),
            Length(7, LengthSource.NUM_TOKENS),
            id="num-tokens-wins",
        ),
        pytest.param(
            Sample(id="a", completion="one two three", token_ids=(1, 2)),
            Length(2, LengthSource.TOKEN_IDS),
            id="token-ids",
        ),
        pytest.param(
            Sample(id="a", completion="", num_tokens=0), Length(0, LengthSource.NUM_TOKENS), id="zero"
        ),
        pytest.param(
            Sample(id="a", completion="one two three", num_tokens=-5),
            Length(3, LengthSource.ESTIMATE),
            id="negative-ignored",
        ),
        pytest.param(
            Sample(id="a", completion="one two three"), Length(3, LengthSource.ESTIMATE), id="estimate"
        ),
    ],
)
def test_completion_length_sources(sample: Sample, expected: Length) -> None:
    assert completion_length(sample) == expected


def test_estimate_is_in_the_range_of_english_bpe() -> None:
    # English prose runs ~1.3 BPE tokens per word (with punctuation); the estimate must land near it.
    text = (
        "To find the derivative of the function, we apply the chain rule. The outer function is the "
        "square, and the inner function is linear, so the derivative is twice the inner function."
    )
    words = len(text.split())
    assert 1.0 * words <= estimate_tokens(text) <= 1.6 * words
