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

from verifiers.math.brackets import closing_brace
from verifiers.math.config import ExtractionMode
from verifiers.math.expressions import KNOWN_NAMES
from verifiers.math.normalization import unicode_to_latex

__all__ = [
    "ANSWER_PHRASE",
    "MATH_SEGMENT",
    "PHRASE_TAIL_STOP",
    "Extraction",
    "ExtractionSource",
    "answer_tag",
    "box_spans",
    "extract_answer",
    "final_box_group",
    "is_prose",
    "last_math_or_number",
    "lenient_final_math",
    "prose_reading",
    "sole_math",
]


class ExtractionSource(StrEnum):
    """Where the answer text came from (shown by ``explain``)."""

    BOXED = "boxed"
    ANSWER_TAG = "answer_tag"
    ANSWER_PHRASE = "answer_phrase"
    WHOLE = "whole"
    MATH_SEGMENTS = "math_segments"
    LAST_MATH = "last_math"
    LAST_NUMBER = "last_number"


@dataclass(frozen=True, slots=True)
class Extraction:
    """The answer text, or why none was taken (``truncated``: a final box/tag never closed;
    ``why``: a gold refused because no reading of it is whole)."""

    text: str | None
    source: ExtractionSource | None = None
    truncated: bool = False
    why: str | None = None


_BOX = re.compile(r"\\(?:boxed|fbox)\s*(?=\{)|\\boxed\s+(?=[^\s{])")
_BOX_SEPARATOR = re.compile(
    r"(?:\s|[,;.]|\$|\\[()\[\]]|\\quad|\\qquad|\\text\{\s*(?:and|or|,)\s*\}|\band\b|\bor\b|&|\\\\)*"
)
_ANSWER_OPEN = re.compile(r"<answer>", re.IGNORECASE)
_ANSWER_CLOSE = re.compile(r"</answer>", re.IGNORECASE)
ANSWER_PHRASE = re.compile(
    r"(?:final\s+answer\s*(?:is|:)?|the\s+answer\s+is|answer\s*:|^\s*####)\s*:?\s*",
    re.IGNORECASE | re.MULTILINE,
)
PHRASE_TAIL_STOP = re.compile(r"\n\s*\n|(?<=[^\d\\])\.\s+(?=[A-Z])|\.\s*$|\bI hope\b")
MATH_SEGMENT = re.compile(
    r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|(?<!\\)\$(.+?)(?<!\\)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL
)
_LAST_NUMBER = re.compile(  # not an exponent: "m^{2}" ends with no answer 2
    r"(?<![A-Za-z0-9_.^])(?<!\^\{)-?(?:\\frac\{\d+\}\{\d+\}|\d+/\d+(?!\d)(?!\.\d)|\d+,\d{1,2}(?![\d,])|\d[\d,]*(?:\.\d+)?(?:\s*\\?%)?|\.\d+)"
)
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]+")
_CONNECTIVE = re.compile(r"\s*(?:,|;|and|or|\\text\{\s*(?:and|or)\s*\})?\s*")
_SHORT_PROSE = frozenset({"is", "so", "as", "at", "in", "on", "by", "of", "to", "we", "it", "if", "be"})
_WORD_AT = re.compile(r"[A-Za-z]+")
_DECIMAL_COMMA = re.compile(r"-?\d+,\d{1,2}")
_PROSE = re.compile(r"[A-Za-z]{3,}|[^\x00-\x7f]")
# LaTeX command names and known function names are not prose
_PROSE_OK = KNOWN_NAMES | frozenset(
    [
        "answer",
        "and",
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


def box_spans(text: str) -> list[tuple[int, int, str | None]]:
    """All boxes as (start, end, content); content None for an unclosed box."""
    found: list[tuple[int, int, str | None]] = []
    for m in _BOX.finditer(text):
        start = m.end()
        if start < len(text) and text[start] == "{":
            end = closing_brace(text, start)
            if end is None:
                found.append((m.start(), len(text), None))
                continue
            found.append((m.start(), end, text[start + 1 : end - 1]))
        else:  # "\boxed 5": one token
            tok = re.match(r"[^\s$.,]+", text[start:])
            if tok:
                found.append((m.start(), start + tok.end(), tok.group(0)))
    return found


def final_box_group(text: str) -> Extraction | None:
    """The last box, joined with the boxes right before it when only separators lie between."""
    boxes = box_spans(text)
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
    boxes = box_spans(text)
    return boxes[-1][0] if boxes else -1


def _phrases_outside_boxes(text: str) -> list[re.Match[str]]:
    """Answer phrases, except those inside a box (``\\boxed{\\text{The answer is } 5}``)."""
    matches = list(ANSWER_PHRASE.finditer(text))
    if not matches or "box" not in text:
        return matches
    spans = [(start, end) for start, end, _ in box_spans(text)]
    return [m for m in matches if not any(start < m.start() < end for start, end in spans)]


def _last_phrase_start(text: str) -> int | None:
    matches = _phrases_outside_boxes(text)
    return matches[-1].start() if matches else None


def answer_tag(text: str) -> Extraction | None:
    opens = list(_ANSWER_OPEN.finditer(text))
    if not opens:
        return None
    start = opens[-1].end()
    close = _ANSWER_CLOSE.search(text, start)
    if close is None:
        return Extraction(None, ExtractionSource.ANSWER_TAG, truncated=True)
    inner = text[start : close.start()]
    boxed = final_box_group(inner)
    if boxed is not None:
        return boxed
    phrase = _answer_phrase(inner)
    if phrase is not None:
        return phrase
    inner = inner.strip()
    return Extraction(inner or None, ExtractionSource.ANSWER_TAG)


def _answer_phrase(text: str) -> Extraction | None:
    matches = _phrases_outside_boxes(text)
    if not matches:
        return None
    tail = text[matches[-1].end() :]
    stop = PHRASE_TAIL_STOP.search(tail)
    answer = (tail[: stop.start()] if stop else tail).strip()
    newline = answer.find("\n")
    if newline >= 0 and "$" not in answer[:newline] and "\\[" not in answer[:newline]:
        answer = answer[:newline].strip()
    return Extraction(_trim_prose(answer) or answer or None, ExtractionSource.ANSWER_PHRASE)


def _trim_prose(answer: str) -> str:
    """The math a phrase commits to: "is $12$ and $13$ cm" -> "$12$ and $13$"; "5 because" -> "5"."""
    answer = answer.strip(" *\t\n")
    first = MATH_SEGMENT.match(answer)
    if first is not None:
        end = first.end()
        for seg in MATH_SEGMENT.finditer(answer, end):
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
                dropped = answer[i:]
                if re.search(r"\d", dropped) and _HEDGE_AFTER.search(dropped):
                    return ""  # "5, but maybe 6": the tail takes the answer back; read it whole
                return answer[:i].rstrip(" ,;:.")
    return answer


def is_prose(text: str) -> bool:
    """Two or more words (or any non-ASCII letter) outside math and LaTeX commands."""
    outside = _LATEX_COMMAND.sub(" ", MATH_SEGMENT.sub(" ", text))
    words = [w for w in _PROSE.findall(outside) if w.lower() not in _PROSE_OK]
    return len(words) >= 2 or any(not w.isascii() for w in words)


def _lenient(text: str) -> Extraction:
    """LENIENT completions without a box, tag or phrase: short math whole, else the last piece
    of math unless qualified (``lenient_final_math``). Unicode math first: ``− 3`` is -3."""
    text = unicode_to_latex(text)
    stripped = text.strip()
    if len(stripped) <= _WHOLE_MAX_CHARS and not is_prose(stripped):
        return Extraction(stripped, ExtractionSource.WHOLE)
    return lenient_final_math(text, whole_first=False)


def last_math_or_number(text: str) -> Extraction:
    """The last ``$..$``/``\\(..\\)``/``\\[..\\]`` segment of ``text``, else its last number.

    Used only in LENIENT mode, and inside an already extracted final answer
    (``Answer \\( 9 \\)``), never to search the text before the final answer.
    """
    segments = list(MATH_SEGMENT.finditer(text))
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
    tagged = answer_tag(text)
    if tagged is not None:
        return tagged
    boxed = final_box_group(text)
    phrase_at = _last_phrase_start(text)
    if boxed is not None and (phrase_at is None or phrase_at < _last_box_start(text)):
        return boxed
    if phrase_at is not None:
        phrase = _answer_phrase(text)
        if phrase is not None and phrase.text is not None and box_spans(phrase.text):
            return final_box_group(phrase.text) or phrase
        mathy = phrase is not None and phrase.text is not None and _trim_prose(phrase.text)
        if phrase is not None and (boxed is None or mathy):
            return phrase  # "answer: we had 2+3" after a box is talk about the answer, not one
    if boxed is not None:
        return boxed
    if mode is ExtractionMode.LENIENT:
        return _lenient(text)
    return Extraction(None)


# Words that make a number in prose mean something else than "the answer is this number":
# "at least $5$", "between $2$ and $7$", "$3$ less than $x$", "not $4$". Math sitting among them
# is refused rather than read as its numbers (a fragment reading rewards the wrong answer).
_QUALIFIERS = re.compile(
    r"\b(?:not|no|never|than|least|most|between|except|excluding|from|to|until|up|over|under|above|"
    r"below|less|more|fewer|greater|smaller|larger|bigger|per|times|plus|minus|divided|multiplied|"
    r"approx\w*|about|around|nearly|almost|roughly|if|when|whenever|where|unless|each|every|either|"
    r"neither|nor|all|any|only|exactly|ratio|out|within|outside|inside|besides|other|others|both|"
    r"maybe|perhaps|possibly|probably|wrong|incorrect|false|but|instead|unlike|without|cannot|one|some|"
    r"example|instance|possible|another|also|including|e\.g)\b",
    re.IGNORECASE,
)
_NAME_SEGMENT = re.compile(r"\s*[A-Za-z](?:_\{?\w+\}?)?\s*")
_LABELS = re.compile(r"\b(?!(?:and|or)\b)[A-Za-z]{2,}")
_MATH_CHARS = re.compile(r"[=<>^\\{}]")


def prose_reading(text: str) -> Extraction:
    """The math of an answer written in prose, read whole, or a refusal saying why not.

    One ``$..$`` segment among words is the answer ("The set is $\\{1,2\\}$"); several are a
    list ("$35$ apples and $12$ pears" is 35 and 12); a lone variable name among other segments
    is a mention, not an answer ("the value of $x$ is $5$"). Refused: digits or qualifying words
    outside the math, because then the segments are not the whole meaning.
    """
    segments = list(MATH_SEGMENT.finditer(text))
    if not segments:
        return Extraction(None, why="prose without math")
    inners = [next(g for g in seg.groups() if g is not None).strip() for seg in segments]
    if all(_NAME_SEGMENT.fullmatch(i) for i in inners):  # "No such $n$ exists": words, not math
        return Extraction(
            MATH_SEGMENT.sub(lambda m: " " + m.group(0).strip("$\\()[] ") + " ", text),
            ExtractionSource.WHOLE,
        )
    outside = []
    last = 0
    for seg in segments:
        outside.append(text[last : seg.start()])
        last = seg.end()
    outside.append(text[last:])
    rest = " ".join(outside)
    if re.search(r"\d", rest):
        return Extraction(None, why="numbers outside the math")
    if _QUALIFIERS.search(rest):
        return Extraction(None, why="qualifying words around the math")
    if any(not between.strip() for between in outside[1:-1]):
        return Extraction(None, why="adjacent math segments")
    kept = [k for k, inner in enumerate(inners) if not _NAME_SEGMENT.fullmatch(inner)]
    if any(not inners[k] for k in kept):
        return Extraction(None, why="empty math segment")
    if len(kept) == 1:
        return Extraction(inners[kept[0]], ExtractionSource.LAST_MATH)
    after_answers = [outside[k + 1] for k in kept]  # text after each answer: labels such as "apples"
    if any(_LABELS.search(t) for t in after_answers):
        return Extraction(text, ExtractionSource.WHOLE)  # "$35$ apples and $12$ pears": the parser's
    return Extraction(", ".join(inners[k] for k in kept), ExtractionSource.MATH_SEGMENTS)


def sole_math(text: str) -> Extraction:
    """Inside an extracted answer that did not parse: its math read whole, or nothing.

    Never "the last number": ``x \\neq 5`` or ``at least 5`` must not become ``5``. Without
    ``$..$`` segments, a lone number qualifies only when nothing else in the text is math.
    """
    if MATH_SEGMENT.search(text):
        return prose_reading(text)
    numbers = list(_LAST_NUMBER.finditer(text))
    if len(numbers) != 1:
        return Extraction(None, why="no single number")
    rest = text[: numbers[0].start()] + " " + text[numbers[0].end() :]
    if _QUALIFIERS.search(rest) or _MATH_CHARS.search(rest) or re.search(r"\d", rest):
        return Extraction(None, why="words or math around the number")
    found = numbers[0].group(0).strip()
    if _DECIMAL_COMMA.fullmatch(found):
        found = found.replace(",", ".")
    return Extraction(found, ExtractionSource.LAST_NUMBER)


_HEDGE_AFTER = re.compile(
    r"\b(?:or|not|maybe|perhaps|possibly|probably|either|alternatively|otherwise|unless|wrong)\b",
    re.IGNORECASE,
)
_QUALIFIED_END = re.compile(
    r"(?:[<>]|\\(?:neq|ne|leq|geq|le|ge|lt|gt|pm|mp|in|cup|cap|approx|sim|not)|\bor|\band)\s*\$?\s*$"
)


def lenient_final_math(text: str, whole_first: bool = True) -> Extraction:
    """LENIENT answers only (free-text predictions): the math read whole (``whole_first``, for an
    extracted answer, not a whole chain of thought), else the last math segment or number,
    unless the words right before it qualify it ("at least 5", "x \\neq 5", "3 or 5"): then the
    last piece is a fragment and nothing is taken."""
    if whole_first:
        whole = sole_math(text)
        if whole.text is not None and whole.source is not ExtractionSource.WHOLE:
            return whole
    last = last_math_or_number(text)
    if last.text is None:
        return last
    at = text.rfind(last.text)
    before = text[max(0, at - 40) : at].rstrip(" $(") if at >= 0 else ""
    words = " ".join(before.split()[-2:])
    if _QUALIFIERS.search(words) or _QUALIFIED_END.search(before):
        return Extraction(None, why="the last math is qualified by what precedes it")
    return last
