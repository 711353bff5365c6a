"""Language consistency: script shares, Latin-language heuristics, scope and target resolution."""

from __future__ import annotations

import pytest

from verifiers import InvalidParameterError, RewardContext, Sample
from verifiers.language import REWARDS, language_consistency, target_language
from verifiers.scripts import Script

CTX = RewardContext()


def _score(text: str, target: str | None, **meta) -> tuple[float | None, int | None]:
    out = language_consistency([Sample(id="s", completion=text, metadata=meta)], CTX, language=target)[0]
    return out.value, out.details.get("counted_words")


# (completion, language, value, counted words)
CASES = [
    pytest.param("<think>We need the derivative of the function.</think>", "en", 1.0, 7, id="english"),
    pytest.param("<think>我们需要求导数。Then we compute.</think>", "en", 0.3, 10, id="mixed-en-target"),
    pytest.param("<think>我们需要求导数。Then we compute.</think>", "zh", 0.7, 10, id="mixed-zh-target"),
    pytest.param("<think>我们需要求导数。Then we compute.</think>", "zho", 0.7, 10, id="iso-639-3"),
    pytest.param("<think>我们需要求导数。Then we compute.</think>", "zh-CN", 0.7, 10, id="bcp-47"),
    pytest.param("<think>関数の導関数を計算します。</think>", "ja", 1.0, 12, id="japanese-han-and-kana"),
    pytest.param("<think>関数の導関数を計算します。</think>", "zh", 7 / 12, 12, id="kana-is-not-chinese"),
    pytest.param("<think>함수의 도함수를 구합니다.</think>", "ko", 1.0, 3, id="korean"),
    pytest.param("<think>Найдём производную функции.</think>", "ru", 1.0, 3, id="russian"),
    pytest.param("<think>Найдём производную функции.</think>", "en", 0.0, 3, id="russian-not-english"),
    pytest.param("<think>نحسب المشتقة</think>", "ar", 1.0, 2, id="arabic"),
    pytest.param("<think>हम अवकलज निकालते हैं</think>", "hin", 1.0, 4, id="hindi"),
    pytest.param("<think>Υπολογίζουμε την παράγωγο</think>", "el", 1.0, 3, id="greek"),
    pytest.param("<think>אנחנו מחשבים</think>", "he", 1.0, 2, id="hebrew"),
    pytest.param("<think>คำนวณ</think>", "th", 1.0, 5, id="thai-per-character"),
    # Latin-script languages, told apart by stopwords and diacritics, sentence by sentence.
    pytest.param("<think>Nous calculons la dérivée de la fonction.</think>", "fr", 1.0, 7, id="french"),
    pytest.param(
        "<think>Nous calculons la dérivée de la fonction.</think>", "en", 0.0, 7, id="french-not-english"
    ),
    pytest.param(
        "<think>Nous calculons la dérivée. Then we compute the value.</think>",
        "en",
        5 / 9,
        9,
        id="fr-en-mixed",
    ),
    pytest.param("<think>Wir berechnen die Ableitung der Funktion.</think>", "de", 1.0, 6, id="german"),
    pytest.param(
        "<think>Wir berechnen die Ableitung der Funktion.</think>", "fr", 0.0, 6, id="german-not-french"
    ),
    pytest.param("<think>Calculamos la derivada de la función.</think>", "es", 1.0, 6, id="spanish"),
    pytest.param("<think>Calculamos a derivada da função.</think>", "pt", 1.0, 4, id="portuguese"),
    pytest.param("<think>Calcoliamo la derivata della funzione.</think>", "it", 1.0, 5, id="italian"),
    pytest.param(
        "<think>Calcoliamo la derivata della funzione.</think>", "es", 0.0, 5, id="italian-not-spanish"
    ),
    pytest.param("<think>Chúng ta tính đạo hàm.</think>", "vi", 1.0, 5, id="other-latin-by-script"),
    pytest.param(
        "<think>Nous calculons la de\u0301rive\u0301e.</think>", "fr", 1.0, 4, id="decomposed-accents"
    ),
    pytest.param("<think>Chúng ta tính đạo hàm.</think>", "en", 0.0, 5, id="diacritics-are-not-english"),
    # Neutral material is excluded from the denominator.
    pytest.param(
        "<think>So $x^2 + y^2 = 1$ and \\frac{1}{2} holds.</think>", "en", 1.0, 3, id="math-excluded"
    ),
    pytest.param(
        "<think>我们有 sin x = 0.5，所以 x = 30。</think>", "zh", 1.0, 5, id="functions-variables-excluded"
    ),
    pytest.param(
        "<think>```\nfor i in range(3): print(i)\n```\n我们</think>", "zh", 1.0, 2, id="code-excluded"
    ),
    pytest.param("<think>1 + 1 = 2</think>", "en", 1.0, 0, id="no-words-is-consistent"),
    pytest.param("<think></think>", "en", 1.0, 0, id="empty-think"),
    # Which text is scored.
    pytest.param("<think>we compute</think>答案是四", "en", 1.0, 2, id="only-think-block"),
    pytest.param("we compute</think>答案是四", "en", 1.0, 2, id="prefilled-think"),
    pytest.param("<think>we compute 我们", "en", 0.5, 4, id="truncated-think"),
    pytest.param("we compute 我们", "en", 0.5, 4, id="no-tags-whole-text"),
]


@pytest.mark.parametrize(("text", "language", "value", "counted"), CASES)
def test_language_consistency(text: str, language: str, value: float, counted: int) -> None:
    got, n = _score(text, language)
    assert got == pytest.approx(value)
    assert n == counted


def test_metadata_language_is_used_when_no_param() -> None:
    assert _score("<think>我们求导</think>", None, language="zho") == (1.0, 4)


@pytest.mark.parametrize(
    ("meta", "error"),
    [
        pytest.param({}, "language_unknown", id="missing"),
        pytest.param({"language": ""}, "language_unknown", id="empty"),
        pytest.param({"language": 7}, "language_unknown", id="not-a-string"),
        pytest.param({"language": "tlh"}, "unsupported_language", id="unsupported"),
    ],
)
def test_unknown_target_is_none_with_error(meta: dict, error: str) -> None:
    out = language_consistency([Sample(id="s", completion="we compute", metadata=meta)], CTX, language=None)[
        0
    ]
    assert out.value is None
    assert out.error == error


@pytest.mark.parametrize("language", ["tlh", "", 5])
def test_bad_language_param_raises(language) -> None:
    with pytest.raises(InvalidParameterError):
        language_consistency([Sample(id="s", completion="x")], CTX, language=language)


@pytest.mark.parametrize(
    ("code", "canonical", "scripts"),
    [
        pytest.param("en", "en", {Script.LATIN}, id="en"),
        pytest.param("ENG", "en", {Script.LATIN}, id="eng-uppercase"),
        pytest.param("fre", "fr", {Script.LATIN}, id="639-2-b"),
        pytest.param("zh_TW", "zh", {Script.HAN}, id="underscore-region"),
        pytest.param("jpn", "ja", {Script.HAN, Script.HIRAGANA, Script.KATAKANA}, id="ja"),
        pytest.param("ara", "ar", {Script.ARABIC}, id="ar"),
    ],
)
def test_target_language_codes(code: str, canonical: str, scripts: set[Script]) -> None:
    lang = target_language(code)
    assert lang is not None
    assert lang.code == canonical
    assert lang.scripts == scripts


def test_reward_definition() -> None:
    (d,) = REWARDS
    assert d.name == "language_consistency"
    assert d.defaults == {"language": None}
    assert set(d.param_docs) == {"language"}
