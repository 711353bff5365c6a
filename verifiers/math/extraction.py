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
    r"(?:final\s+answer\s*(?:is|:)?|the\s+answer\s+is|answer\s*:)\s*:?\s*", re.IGNORECASE
)
_PHRASE_TAIL_STOP = re.compile(r"\n\s*\n|(?<=[^\d\\])\.\s+(?=[A-Z])|\.\s*$|\bI hope\b")
_MATH_SEGMENT = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
_LAST_NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?:\s*\\?%)?(?![\w])|(?<![\w.])-?\.\d+")
_WHOLE_MAX_CHARS = 120
_WORDY = re.compile(r"[A-Za-z]{3,}\s+[A-Za-z]{3,}\s+[A-Za-z]{3,}")


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
    return Extraction(answer or None, ExtractionSource.ANSWER_PHRASE)


def _lenient(text: str) -> Extraction:
    stripped = text.strip()
    if len(stripped) <= _WHOLE_MAX_CHARS and not _WORDY.search(_strip_math(stripped)):
        return Extraction(stripped, ExtractionSource.WHOLE)
    return last_math_or_number(text)


def last_math_or_number(text: str) -> Extraction:
    """The last ``$..$``/``\\(..\\)``/``\\[..\\]`` segment of ``text``, else its last number.

    Used only in LENIENT mode, and inside an already extracted final answer
    (``Answer \\( 9 \\)``), never to search the text before the final answer.
    """
    segments = list(_MATH_SEGMENT.finditer(text))
    if segments:
        seg = segments[-1]
        inner = next(g for g in seg.groups() if g is not None)
        return Extraction(inner.strip(), ExtractionSource.LAST_MATH)
    numbers = list(_LAST_NUMBER.finditer(text))
    if numbers:
        return Extraction(numbers[-1].group(0).strip(), ExtractionSource.LAST_NUMBER)
    return Extraction(None)


def _strip_math(text: str) -> str:
    return _MATH_SEGMENT.sub(" ", text)


def extract_answer(completion: str, mode: ExtractionMode, max_chars: int) -> Extraction:
    """The final answer of a model completion (only the last ``max_chars`` are searched)."""
    text = completion[-max_chars:] if len(completion) > max_chars else completion
    think_end = text.rfind("</think>")
    if think_end >= 0:
        text = text[think_end + len("</think>") :]
    for finder in (_answer_tag, _final_boxes, _answer_phrase):
        found = finder(text)
        if found is not None:
            return found
    if mode is ExtractionMode.LENIENT:
        return _lenient(text)
    return Extraction(None)


def extract_gold(gold: str) -> Extraction:
    """The reference answer: gold strings may be plain, ``$...$``, ``\\boxed{..}`` or a solution.

    All boxes of a gold are kept (a reference listing ``\\boxed{1}`` and ``\\boxed{2}`` means
    both); the gold is trusted, so the lenient rules apply to it.
    """
    boxes = [b for b in _boxes(gold) if b[2] is not None]
    if boxes:
        return Extraction(", ".join(b[2] for b in boxes if b[2] is not None), ExtractionSource.BOXED)
    for finder in (_answer_tag, _answer_phrase):
        found = finder(gold)
        if found is not None and found.text:
            return found
    return _lenient(gold)
