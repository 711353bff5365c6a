"""Language-consistency reward: the share of the chain of thought written in the target language.

Why: DeepSeek-R1 (DeepSeek-AI 2025, arXiv 2501.12948, §2.3.3) found that RL makes the chain of
thought mix languages, and added a reward equal to the proportion of target-language words in
the CoT. This module computes it without a language-ID model, so it runs inline:

1. The scored text is the think block: between ``<think>`` and ``</think>``; before ``</think>``
   when the template prefilled ``<think>``; after ``<think>`` when the completion was cut off; the
   whole completion when there are no think tags.
2. Math and code are removed (``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``, ``\\begin{…}`` and
   ``\\end{…}`` markers, LaTeX commands, code spans), then the text is split into words by Unicode script
   (``verifiers.scripts``; each Han/kana/Thai character is one word).
3. Excluded from the denominator as language-neutral: numbers and symbols (never words),
   single-letter Latin and Greek words (variables such as x, n, π) and common math function
   names (sin, log, gcd, ...).
4. A word counts for the target when its script is one the language is written in (Chinese: Han;
   Japanese: Han and kana; Korean: Hangul; Russian: Cyrillic; ...). For en/fr/de/es/pt/it, a
   Latin word must also not be attributed to another of these six: a word is attributed by small
   stopword lists and by diacritics (ß ä ö ü: de, ñ: es, ã õ: pt, any diacritic: not en). Each
   sentence takes the majority language of its attributed words; a word shared by several lists
   ("la": fr/es/it) is narrowed to the sentence's majority, and a word with no evidence (most
   content words) takes that majority, or counts for the target when the sentence has none. Other Latin-script languages
   (vi, tr, pl, nl, ...) are judged by script only.

It is a heuristic: it tells a Chinese or Russian passage from English reliably, French from
English sentence by sentence, and cannot tell Spanish from Portuguese in a sentence without
stopwords or diacritics.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from verifiers.registry import RewardDef
from verifiers.scripts import Script, count_words, letter_class
from verifiers.types import InvalidParameterError, RewardContext, RewardKind, RewardOutput, Sample

__all__ = ["REWARDS", "LanguageError", "TargetLanguage", "language_consistency", "target_language"]


class LanguageError(StrEnum):
    """Why the reward could not score a sample."""

    LANGUAGE_UNKNOWN = "language_unknown"  # no ``language`` param and no metadata["language"]
    UNSUPPORTED_LANGUAGE = "unsupported_language"  # metadata["language"] is not a known code


@dataclass(frozen=True, slots=True)
class TargetLanguage:
    """A language as the reward sees it: its scripts, and its Latin-word identity if it has one."""

    code: str  # ISO 639-1 where one exists
    scripts: frozenset[Script]
    latin_id: str | None = None  # one of _STOPWORDS' keys: Latin words are checked word by word


_L = frozenset({Script.LATIN})
# (ISO 639-1, ISO 639-2/3 aliases, scripts); the Latin languages with stopword lists come first.
_LANGUAGES: tuple[tuple[str, tuple[str, ...], frozenset[Script]], ...] = (
    ("en", ("eng",), _L),
    ("fr", ("fra", "fre"), _L),
    ("de", ("deu", "ger"), _L),
    ("es", ("spa",), _L),
    ("pt", ("por",), _L),
    ("it", ("ita",), _L),
    ("nl", ("nld", "dut"), _L),
    ("vi", ("vie",), _L),
    ("id", ("ind",), _L),
    ("ms", ("msa", "may", "zsm"), _L),
    ("tr", ("tur",), _L),
    ("pl", ("pol",), _L),
    ("cs", ("ces", "cze"), _L),
    ("sv", ("swe",), _L),
    ("ro", ("ron", "rum"), _L),
    ("zh", ("zho", "chi", "cmn", "yue"), frozenset({Script.HAN})),
    ("ja", ("jpn",), frozenset({Script.HAN, Script.HIRAGANA, Script.KATAKANA})),
    ("ko", ("kor",), frozenset({Script.HANGUL})),
    ("ru", ("rus",), frozenset({Script.CYRILLIC})),
    ("uk", ("ukr",), frozenset({Script.CYRILLIC})),
    ("bg", ("bul",), frozenset({Script.CYRILLIC})),
    ("sr", ("srp",), frozenset({Script.CYRILLIC, Script.LATIN})),
    ("ar", ("ara", "arb"), frozenset({Script.ARABIC})),
    ("fa", ("fas", "per", "pes"), frozenset({Script.ARABIC})),
    ("ur", ("urd",), frozenset({Script.ARABIC})),
    ("hi", ("hin",), frozenset({Script.DEVANAGARI})),
    ("mr", ("mar",), frozenset({Script.DEVANAGARI})),
    ("ne", ("nep", "npi"), frozenset({Script.DEVANAGARI})),
    ("el", ("ell", "gre"), frozenset({Script.GREEK})),
    ("he", ("heb",), frozenset({Script.HEBREW})),
    ("hy", ("hye", "arm"), frozenset({Script.ARMENIAN})),
    ("th", ("tha",), frozenset({Script.THAI})),
)


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Frequent function words; a word in several lists is attributed to all of them.
_STOPWORDS: dict[str, frozenset[str]] = {
    "en": _wordset(
        "the and of to is are was were be been that this these those with for we it its by on not "
        "have has had which so then if can will from at or but an let us need find what there since "
        "each our into would should how when also than thus therefore because where who all any "
        "must now get gives given using use first next finally same other"
    ),
    "fr": _wordset(
        "le la les des du un une et est sont que qui dans pour pas sur nous vous avec ce cette ces "
        "il elle au aux donc mais ou on par plus être peut alors comme leur fait si de en ne se "
        "sa son ses nos notre aussi ainsi soit cela très même"
    ),
    "de": _wordset(
        "der die das und ist sind nicht ein eine einen einem dem den des mit für auf zu von wir sie "
        "es ich auch oder aber wenn dann also wird werden nach bei aus durch noch wie so dass "
        "zwei gleich hier nun muss können kann haben hat man"
    ),
    "es": _wordset(
        "el la los las de del y que en es un una por para con no se su sus lo como más pero este "
        "esta estos entonces tenemos podemos cuando hay son también porque donde ser está si "
        "al le les nos sea cada entre"
    ),
    "pt": _wordset(
        "o os as de do da dos das e em no na nos nas um uma que para com não se por mais como mas "
        "é são então temos podemos isso este esta também porque quando ser está ao pelo pela "
        "cada entre seja"
    ),
    "it": _wordset(
        "il lo la gli le di del della dei delle che e è un una per con non si come più ma questo "
        "questa quindi sono abbiamo possiamo anche perché quando essere allora nel nella dal "
        "alla al ogni tra sia"
    ),
}
# Which of the six languages write a letter; a letter outside this map rules all six but none out.
_DIACRITICS: dict[str, frozenset[str]] = {
    **dict.fromkeys("äöüß", frozenset({"de"})),
    "ñ": frozenset({"es"}),
    **dict.fromkeys("ãõ", frozenset({"pt"})),
    "ç": frozenset({"fr", "pt"}),
    **dict.fromkeys("èà", frozenset({"fr", "it", "pt"})),
    **dict.fromkeys("êâô", frozenset({"fr", "pt"})),
    **dict.fromkeys("îïûëÿœæ", frozenset({"fr"})),
    **dict.fromkeys("ìòù", frozenset({"it", "fr"})),
    "é": frozenset({"fr", "es", "pt", "it"}),
    **dict.fromkeys("áíóú", frozenset({"es", "pt", "it"})),
}
_STOPWORD_LANGS: dict[str, frozenset[str]] = {
    w: frozenset(lang for lang, words in _STOPWORDS.items() if w in words)
    for w in frozenset().union(*_STOPWORDS.values())
}
_NO_LANGS: frozenset[str] = frozenset()
_NOT_ENGLISH = frozenset(_STOPWORDS) - {"en"}
_OTHER_LATIN = frozenset({"other"})  # a Latin diacritic none of the six uses together (ł, ş, ř, ...)
_NEUTRAL = _wordset(
    "sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh log ln lg exp lim max min sup inf "
    "gcd lcm mod det sqrt frac dx dy dt pi ok"
)
# Each delimited span stops at the next opener of its kind, so unclosed openers cost linear time
# (a lazy ``.*?`` to the end of the text per opener would be quadratic on adversarial output).
# Environment markers are dropped on their own; their contents are mostly symbols anyway, and
# ``\text{...}`` inside them is real language.
_MATH = re.compile(
    r"\$\$(?:(?!\$\$).)*\$\$|\$[^$\n]*\$"
    r"|\\\((?:(?!\\[()]).)*\\\)|\\\[(?:(?!\\[\[\]]).)*\\\]"
    r"|```(?:(?!```).)*```|`[^`\n]*`"
    r"|\\(?:begin|end)\{[^{}\n]*\}|\\[A-Za-z]+",
    re.DOTALL,
)
_ONE_LETTER_NEUTRAL = frozenset({Script.LATIN, Script.GREEK})
_NON_LATIN = tuple(s for s in Script if s is not Script.LATIN)
_LATIN_WORD = re.compile(f"[{letter_class(Script.LATIN)}]+")
_LATIN_WORD_OR_END = re.compile(f"(?P<word>[{letter_class(Script.LATIN)}]+)|[.!?。！？;\n]+")
_VOTE = 60  # a word attributed to k languages gives each 60 // k votes: exact for k <= 6
_ALIASES: dict[str, TargetLanguage] = {
    name: TargetLanguage(code, scripts, code if code in _STOPWORDS else None)
    for code, aliases, scripts in _LANGUAGES
    for name in (code, *aliases)
}


def target_language(code: str) -> TargetLanguage | None:
    """The language named by an ISO 639-1/2/3 code or a BCP 47 tag ("zh-CN", "en_US"), or None."""
    primary = re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0]
    return _ALIASES.get(primary)


def _think_text(completion: str) -> str:
    start = completion.find("<think>")
    if start >= 0:
        body = completion[start + len("<think>") :]
        end = body.find("</think>")
        return body if end < 0 else body[:end]
    end = completion.find("</think>")
    return completion if end < 0 else completion[:end]


def _latin_ids(word: str) -> frozenset[str]:
    """The six Latin languages ``word`` (lowercased) is attributed to (empty: no evidence)."""
    by_stopword = _STOPWORD_LANGS.get(word)
    if by_stopword is not None:
        return by_stopword
    if word.isascii():
        return _NO_LANGS
    langs = _NOT_ENGLISH
    for c in word:
        if not c.isascii():
            langs &= _DIACRITICS.get(c, _NO_LANGS)
    return langs if langs else _OTHER_LATIN


def _share(text: str, target: TargetLanguage) -> tuple[int, int]:
    """(target-language words, counted words) of ``text``."""
    # NFC first: a decomposed "é" (e + U+0301) must weigh as the precomposed letter.
    clean = _MATH.sub(" ", unicodedata.normalize("NFC", text))
    hits = counted = 0
    for script in _NON_LATIN:
        n = count_words(clean, script, min_chars=2 if script in _ONE_LETTER_NEUTRAL else 1)
        counted += n
        hits += n if script in target.scripts else 0
    if target.latin_id is None:
        n = sum(1 for w in _LATIN_WORD.findall(clean) if len(w) > 1 and w.lower() not in _NEUTRAL)
        return hits + (n if Script.LATIN in target.scripts else 0), counted + n
    sentence: list[frozenset[str]] = []
    for m in _LATIN_WORD_OR_END.finditer(clean):
        word = m.group("word")
        if word is None:
            h, c = _latin_sentence(sentence, target.latin_id)
            hits, counted, sentence = hits + h, counted + c, []
            continue
        low = word.lower()
        if len(low) > 1 and low not in _NEUTRAL:
            sentence.append(_latin_ids(low))
    h, c = _latin_sentence(sentence, target.latin_id)
    return hits + h, counted + c


def _latin_sentence(sentence: list[frozenset[str]], target: str) -> tuple[int, int]:
    """(target words, words) of one sentence's Latin words, given each word's attributions."""
    if not sentence:
        return 0, 0
    votes: dict[str, int] = defaultdict(int)
    for ids in sentence:
        for lang in ids:
            votes[lang] += _VOTE // len(ids)
    top = max(votes.values(), default=0)
    majority = frozenset(lang for lang, v in votes.items() if v == top)
    hits = 0
    for ids in sentence:
        decided = (ids & majority or ids) if ids else majority
        hits += not decided or target in decided
    return hits, len(sentence)


def language_consistency(
    samples: Sequence[Sample], ctx: RewardContext, *, language: str | None
) -> list[RewardOutput]:
    """Share of the chain of thought's words that are in the target language (module docstring).

    The target is the ``language`` param, else ``sample.metadata["language"]``. No counted word
    (an empty or all-math chain of thought) gives 1.0: nothing in it is in another language; the
    format rewards are what punish an empty think block.
    """
    fixed: TargetLanguage | None = None
    if language is not None:
        fixed = target_language(language) if isinstance(language, str) else None
        if fixed is None:
            raise InvalidParameterError(
                "language_consistency", "language", language, "not a supported ISO 639 code"
            )
    out = []
    for s in samples:
        target = fixed
        if target is None:
            code = s.metadata.get("language")
            if not isinstance(code, str) or not code.strip():
                out.append(RewardOutput(value=None, error=LanguageError.LANGUAGE_UNKNOWN.value))
                continue
            target = target_language(code)
            if target is None:
                out.append(
                    RewardOutput(
                        value=None,
                        details={"language": code},
                        error=LanguageError.UNSUPPORTED_LANGUAGE.value,
                    )
                )
                continue
        hits, counted = _share(_think_text(s.completion), target)
        value = hits / counted if counted else 1.0
        out.append(
            RewardOutput(
                value=value,
                details={"language": target.code, "counted_words": counted, "target_words": hits},
            )
        )
    return out


REWARDS: tuple[RewardDef, ...] = (
    RewardDef(
        name="language_consistency",
        kind=RewardKind.INLINE,
        fn=language_consistency,
        defaults={"language": None},
        doc="DeepSeek-R1 language-consistency reward: the share of the chain of thought's words in the "
        "target language, by Unicode script (+ stopwords/diacritics for en/fr/de/es/pt/it).",
        param_docs={
            "language": "target language as an ISO 639-1/2/3 code or BCP 47 tag (en, eng, zh, zho, "
            "zh-CN); null reads sample.metadata['language'] (None with an error when absent).",
        },
    ),
)
