"""Finding the final answer a completion committed to.

Strict by design: the answer is the LAST ``\\boxed{}``/``\\fbox{}``, the ``<answer>`` block or a
final "The answer is ..." phrase. A truncated final box (``\\boxed{7`` with no closing brace) is
a failed extraction, and nothing earlier in the text is ever searched instead: falling back to
an earlier expression is how models learn to hack rewards by listing candidates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from verifiers.math.verdict import ExtractionMode

__all__ = ["Extraction", "ExtractionSource", "extract_answer", "extract_gold", "last_math_or_number"]


class ExtractionSource(StrEnum):
    """Where the answer text came from (shown by ``explain``)."""

    BOXED = "boxed"
    ANSWER_TAG = "answer_tag"
    ANSWER_PHRASE = "answer_phrase"
    WHOLE = "whole"
    LAST_MATH = "last_math"
    LAST_NUMBER = "last_number"


@dataclass(frozen=True, slots=True)
class Extraction:
    """The answer text, or why none was taken (``truncated``: a final box/tag never closed)."""

    text: str | None
    source: ExtractionSource | None = None
    truncated: bool = False


_BOX = re.compile(r"\\(?:boxed|fbox)\s*(?=\{)|\\boxed\s+(?=[^\s{])")
_BOX_SEPARATOR = re.compile(
    r"(?:\s|[,;.]|\$|\\[()\[\]]|\\quad|\\qquad|\\text\{\s*(?:and|or|,)\s*\}|\band\b|\bor\b|&|\\\\)*"
)
_ANSWER_OPEN = re.compile(r"<answer>", re.IGNORECASE)
_ANSWER_CLOSE = re.compile(r"</answer>", re.IGNORECASE)
_ANSWER_PHRASE = re.compile(
    r"(?:final\s+answer\s*(?:is|:)?|the\s+answer\s+is|answer\s*:|^\s*####)\s*:?\s*",
    re.IGNORECASE | re.MULTILINE,
)
_PHRASE_TAIL_STOP = re.compile(r"\n\s*\n|(?<=[^\d\\])\.\s+(?=[A-Z])|\.\s*$|\bI hope\b")
_MATH_SEGMENT = re.compile(
    r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|(?<!\\)\$(.+?)(?<!\\)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL
)
_LAST_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.])-?(?:\\frac\{\d+\}\{\d+\}|\d+/\d+(?!\d)(?!\.\d)|\d+,\d{1,2}(?![\d,])|\d[\d,]*(?:\.\d+)?(?:\s*\\?%)?|\.\d+)"
)
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]+")
_CONNECTIVE = re.compile(r"\s*(?:,|;|and|or|\\text\{\s*(?:and|or)\s*\})?\s*")
_SHORT_PROSE = frozenset({"is", "so", "as", "at", "in", "on", "by", "of", "to", "we", "it", "if", "be"})
_WORD_AT = re.compile(r"[A-Za-z]+")
_DECIMAL_COMMA = re.compile(r"-?\d+,\d{1,2}")
_PROSE = re.compile(r"[A-Za-z]{3,}|[^\x00-\x7f]")
_PROSE_OK = frozenset(
    [
        "answer",
        "and",
        "sin",
        "cos",
        "tan",
        "sec",
        "csc",
        "cot",
        "log",
        "exp",
        "sqrt",
        "frac",
        "dfrac",
        "tfrac",
        "cdot",
        "times",
        "text",
        "boxed",
        "pmatrix",
        "bmatrix",
        "left",
        "right",
        "infty",
        "approx",
        "leq",
        "geq",
        "neq",
        "quad",
    ]
)
_WHOLE_MAX_CHARS = 120


def _balanced(text: str, open_pos: int) -> int | None:
    """Index just past the brace group opening at ``open_pos``; None when it never closes."""
    depth = 0
    i = open_pos
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in "{}":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def _boxes(text: str) -> list[tuple[int, int, str | None]]:
    """All boxes as (start, end, content); content None for an unclosed box."""
    found: list[tuple[int, int, str | None]] = []
    for m in _BOX.finditer(text):
        start = m.end()
        if start < len(text) and text[start] == "{":
            end = _balanced(text, start)
            if end is None:
                found.append((m.start(), len(text), None))
                continue
            found.append((m.start(), end, text[start + 1 : end - 1]))
        else:  # "\boxed 5": one token
            tok = re.match(r"[^\s$.,]+", text[start:])
            if tok:
                found.append((m.start(), start + tok.end(), tok.group(0)))
    return found


def _final_boxes(text: str) -> Extraction | None:
    """The last box, joined with the boxes right before it when only separators lie between."""
    boxes = _boxes(text)
    if not boxes:
        return None
    last = boxes[-1]
    if last[2] is None:
        return Extraction(None, ExtractionSource.BOXED, truncated=True)
    group = [last[2]]
    for prev, nxt in zip(reversed(boxes[:-1]), reversed(boxes), strict=False):
        between = text[prev[1] : nxt[0]]
        if prev[2] is None or not _BOX_SEPARATOR.fullmatch(between):
            break
        group.append(prev[2])
    return Extraction(", ".join(reversed(group)), ExtractionSource.BOXED)


def _last_box_start(text: str) -> int:
    boxes = _boxes(text)
    return boxes[-1][0] if boxes else -1


def _last_phrase_start(text: str) -> int | None:
    matches = list(_ANSWER_PHRASE.finditer(text))
    return matches[-1].start() if matches else None


def _answer_tag(text: str) -> Extraction | None:
    opens = list(_ANSWER_OPEN.finditer(text))
    if not opens:
        return None
    start = opens[-1].end()
    close = _ANSWER_CLOSE.search(text, start)
    if close is None:
        return Extraction(None, ExtractionSource.ANSWER_TAG, truncated=True)
    inner = text[start : close.start()]
    boxed = _final_boxes(inner)
    if boxed is not None:
        return boxed
    phrase = _answer_phrase(inner)
    if phrase is not None:
        return phrase
    inner = inner.strip()
    return Extraction(inner or None, ExtractionSource.ANSWER_TAG)


def _answer_phrase(text: str) -> Extraction | None:
    matches = list(_ANSWER_PHRASE.finditer(text))
    if not matches:
        return None
    tail = text[matches[-1].end() :]
    stop = _PHRASE_TAIL_STOP.search(tail)
    answer = (tail[: stop.start()] if stop else tail).strip()
    newline = answer.find("\n")
    if newline >= 0 and "$" not in answer[:newline] and "\\[" not in answer[:newline]:
        answer = answer[:newline].strip()
    return Extraction(_trim_prose(answer) or answer or None, ExtractionSource.ANSWER_PHRASE)


def _trim_prose(answer: str) -> str:
    """The math a phrase commits to: "is $12$ and $13$ cm" -> "$12$ and $13$"; "5 because" -> "5"."""
    answer = answer.strip(" *\t\n")
    first = _MATH_SEGMENT.match(answer)
    if first is not None:
        end = first.end()
        for seg in _MATH_SEGMENT.finditer(answer, end):
            if not _CONNECTIVE.fullmatch(answer[end : seg.start()]):
                break
            end = seg.end()
        return answer[:end]
    depth = 0
    for i, ch in enumerate(answer):
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        elif (
            depth == 0 and ch.isalpha() and (i == 0 or not (answer[i - 1].isalpha() or answer[i - 1] == "\\"))
        ):
            word = _WORD_AT.match(answer, i)
            w = word.group(0) if word else ""
            if (len(w) >= 3 and w.lower() not in _PROSE_OK) or w in _SHORT_PROSE:
                return answer[:i].rstrip(" ,;:.")
    return answer


def _is_prose(text: str) -> bool:
    """Two or more words (or any non-ASCII letter) outside math and LaTeX commands."""
    outside = _LATEX_COMMAND.sub(" ", _MATH_SEGMENT.sub(" ", text))
    words = [w for w in _PROSE.findall(outside) if w.lower() not in _PROSE_OK]
    return len(words) >= 2 or any(not w.isascii() for w in words)


def _lenient(text: str) -> Extraction:
    stripped = text.strip()
    if len(stripped) <= _WHOLE_MAX_CHARS and not _is_prose(stripped):
        return Extraction(stripped, ExtractionSource.WHOLE)
    return last_math_or_number(text)


def last_math_or_number(text: str) -> Extraction:
    """The last ``$..$``/``\\(..\\)``/``\\[..\\]`` segment of ``text``, else its last number.

    Used only in LENIENT mode, and inside an already extracted final answer
    (``Answer \\( 9 \\)``), never to search the text before the final answer.
    """
    segments = list(_MATH_SEGMENT.finditer(text))
    numbers = list(_LAST_NUMBER.finditer(text))
    segment = segments[-1] if segments else None
    number = numbers[-1] if numbers else None
    if segment is not None and (number is None or number.end() <= segment.end()):
        inner = next(g for g in segment.groups() if g is not None)
        return Extraction(inner.strip(), ExtractionSource.LAST_MATH)
    if number is not None:
        found = number.group(0).strip()
        if _DECIMAL_COMMA.fullmatch(found):  # "2,74": a decimal comma (European), not a list
            found = found.replace(",", ".")
        return Extraction(found, ExtractionSource.LAST_NUMBER)
    return Extraction(None)


def extract_answer(completion: str, mode: ExtractionMode, max_chars: int) -> Extraction:
    """The final answer of a model completion (only the last ``max_chars`` are searched)."""
    text = completion[-max_chars:] if len(completion) > max_chars else completion
    think_end = text.rfind("</think>")
    if text.find("<think>", think_end + 1 if think_end >= 0 else 0) >= 0:
        return Extraction(None)  # an open <think> block: the model never committed to an answer
    if think_end >= 0:
        text = text[think_end + len("</think>") :]
    tagged = _answer_tag(text)
    if tagged is not None:
        return tagged
    boxed = _final_boxes(text)
    phrase_at = _last_phrase_start(text)
    if boxed is not None and (phrase_at is None or phrase_at < _last_box_start(text)):
        return boxed
    if phrase_at is not None:
        phrase = _answer_phrase(text)
        if phrase is not None and phrase.text is not None and _boxes(phrase.text):
            return _final_boxes(phrase.text) or phrase
        mathy = phrase is not None and phrase.text is not None and _trim_prose(phrase.text)
        if phrase is not None and (boxed is None or mathy):
            return phrase  # "answer: we had 2+3" after a box is talk about the answer, not one
    if boxed is not None:
        return boxed
    if mode is ExtractionMode.LENIENT:
        return _lenient(text)
    return Extraction(None)


def extract_gold(gold: str) -> Extraction:
    """The reference answer: gold strings may be plain, ``$...$``, ``\\boxed{..}`` or a solution.

    A reference listing ``\\boxed{1}`` and ``\\boxed{2}`` means both (the final group of boxes, as
    for answers); the gold is trusted, so the lenient rules apply to it.
    """
    boxed = _final_boxes(gold)
    if boxed is not None and boxed.text is not None:
        return boxed
    for finder in (_answer_tag, _answer_phrase):
        found = finder(gold)
        if found is not None and found.text:
            return found
    return _lenient(gold)
