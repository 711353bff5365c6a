"""Repetition penalty: max_penalty × (1 − distinct/total n-grams), over words or token ids."""

from __future__ import annotations

import pytest

from verifiers import InvalidParameterError, RewardContext, Sample
from verifiers.repetition import repetition_penalty, words

CTX = RewardContext()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Hello, World!", ["hello", "world"], id="lowercased-no-punctuation"),
        pytest.param("x2 = 3.5", ["x2", "3", "5"], id="alphanumeric"),
        pytest.param("我们求导", ["我", "们", "求", "导"], id="han-per-character"),
        pytest.param("Let 我们 go", ["let", "我", "们", "go"], id="mixed"),
        pytest.param("", [], id="empty"),
    ],
)
def test_words(text: str, expected: list[str]) -> None:
    assert words(text) == expected


# (completion, token_ids, ngram_size, max_penalty, unit, value)
CASES = [
    pytest.param("the cat sat on the mat", None, 3, -1.0, "words", 0.0, id="no-repeats"),
    pytest.param("a b c a b c", None, 3, -1.0, "words", -0.25, id="one-repeat"),
    pytest.param("x x x x x", None, 1, -1.0, "words", -0.8, id="unigrams"),
    pytest.param("x x x x x", None, 1, -0.5, "words", -0.4, id="scaled"),
    pytest.param("the cat", None, 3, -1.0, "words", 0.0, id="shorter-than-n"),
    pytest.param("the cat sat", None, 3, -1.0, "words", 0.0, id="exactly-n"),
    pytest.param("", None, 3, -1.0, "words", 0.0, id="empty"),
    pytest.param("Hi! hi? HI.", None, 1, -1.0, "words", -2 / 3, id="case-and-punctuation"),
    pytest.param("好好好好", None, 1, -1.0, "words", -0.75, id="cjk"),
    pytest.param("ignored", (1, 2, 1, 2, 1, 2), 2, -1.0, "tokens", -0.6, id="token-ids"),
    pytest.param("a b a b", None, 2, -1.0, "tokens", -1 / 3, id="tokens-fall-back-to-words"),
    pytest.param("a b c d", (7, 7, 7, 7), 1, -1.0, "words", 0.0, id="words-ignore-token-ids"),
]


@pytest.mark.parametrize(("text", "ids", "n", "penalty", "unit", "value"), CASES)
def test_repetition_penalty(
    text: str, ids: tuple[int, ...] | None, n: int, penalty: float, unit: str, value: float
) -> None:
    sample = Sample(id="s", completion=text, token_ids=ids)
    out = repetition_penalty([sample], CTX, ngram_size=n, max_penalty=penalty, unit=unit)[0]
    assert out.value == pytest.approx(value)


def test_details_say_which_unit_was_used() -> None:
    out = repetition_penalty(
        [Sample(id="a", completion="a b"), Sample(id="b", completion="a b", token_ids=(1, 2))],
        CTX,
        ngram_size=1,
        max_penalty=-1.0,
        unit="tokens",
    )
    assert [o.details["unit"] for o in out] == ["words", "tokens"]


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        pytest.param({"ngram_size": 0}, "ngram_size", id="zero-n"),
        pytest.param({"max_penalty": 0.5}, "max_penalty", id="positive-penalty"),
        pytest.param({"unit": "chars"}, "unit", id="bad-unit"),
    ],
)
def test_bad_params_raise(params: dict, bad: str) -> None:
    full = {"ngram_size": 3, "max_penalty": -1.0, "unit": "words", **params}
    with pytest.raises(InvalidParameterError) as err:
        repetition_penalty([Sample(id="s", completion="x")], CTX, **full)
    assert err.value.param == bad
