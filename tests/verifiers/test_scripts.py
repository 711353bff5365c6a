"""Script segmentation: alphabetic runs per script, one word per Han/kana/Thai character."""

from __future__ import annotations

import pytest

from verifiers.scripts import Script, script_words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Hello wörld", [("Hello", Script.LATIN), ("wörld", Script.LATIN)], id="latin"),
        pytest.param("cafe\u0301", [("cafe\u0301", Script.LATIN)], id="combining-accent-stays-in-word"),
        pytest.param("2×3÷x", [("x", Script.LATIN)], id="times-divide-are-not-letters"),
        pytest.param("我们", [("我", Script.HAN), ("们", Script.HAN)], id="han"),
        pytest.param(
            "ひらカタ",
            [
                ("ひ", Script.HIRAGANA),
                ("ら", Script.HIRAGANA),
                ("カ", Script.KATAKANA),
                ("タ", Script.KATAKANA),
            ],
            id="kana",
        ),
        pytest.param("한국어 단어", [("한국어", Script.HANGUL), ("단어", Script.HANGUL)], id="hangul-runs"),
        pytest.param("дом", [("дом", Script.CYRILLIC)], id="cyrillic"),
        pytest.param("αβ", [("αβ", Script.GREEK)], id="greek"),
        pytest.param("مرحبا", [("مرحبا", Script.ARABIC)], id="arabic"),
        pytest.param("नमस्ते", [("नमस्ते", Script.DEVANAGARI)], id="devanagari-with-signs"),
        pytest.param("שלום", [("שלום", Script.HEBREW)], id="hebrew"),
        pytest.param("ไทย", [("ไ", Script.THAI), ("ท", Script.THAI), ("ย", Script.THAI)], id="thai"),
        pytest.param("abcдом", [("abc", Script.LATIN), ("дом", Script.CYRILLIC)], id="script-change-splits"),
        pytest.param("123 + 4.5 = !?", [], id="no-words"),
    ],
)
def test_script_words(text: str, expected: list[tuple[str, Script]]) -> None:
    assert [(w, s) for w, s, _ in script_words(text)] == expected


def test_offsets_point_at_the_word() -> None:
    text = "ab 我 cd"
    assert [text[i : i + len(w)] for w, _, i in script_words(text)] == ["ab", "我", "cd"]
