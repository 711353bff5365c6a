"""Reading a reference answer: whole, or refused with a reason.

Why apart from answer extraction (extraction.py): a completion is searched for the one answer it
committed to, but a gold is data we trust to mean one thing, so it is never cut down to a
fragment. Its last number or last segment would reward every answer equal to that fragment
(``b \\neq 5`` read as ``5``, ``\\{y \\mid 0<y<2\\}`` as ``2``); a gold we cannot read whole is
``unparseable_gold`` (no reward), with the reason in ``MathVerdict.detail``.
"""

from __future__ import annotations

import itertools
import re

from verifiers.math.extraction import (
    ANSWER_PHRASE,
    MATH_SEGMENT,
    PHRASE_TAIL_STOP,
    Extraction,
    ExtractionSource,
    answer_tag,
    box_spans,
    final_box_group,
    is_prose,
    prose_reading,
)
from verifiers.math.normalization import unicode_to_latex

__all__ = ["extract_gold"]


def _gold_tail(gold: str) -> str | None:
    """The text after the last "the answer is" / "####" of a gold, to its sentence end."""
    matches = list(ANSWER_PHRASE.finditer(gold))
    if not matches:
        return None
    tail = gold[matches[-1].end() :]
    stop = PHRASE_TAIL_STOP.search(tail)
    return (tail[: stop.start()] if stop else tail).strip(" *\t\n") or None


def _gold_body(text: str, source: ExtractionSource) -> Extraction:
    """A gold's answer text, whole: bare math as it is, prose with math by ``prose_reading``,
    and prose without math as it is (the parser reads it as a text answer, or refuses it)."""
    if not is_prose(text):
        return Extraction(text, source)
    if MATH_SEGMENT.search(text):
        return prose_reading(text)
    return Extraction(text, source)


_BOX_CONNECTIVES = frozenset({"and", "or", "thus", "but", "so", "then", "hence", "therefore", "finally"})


def _earlier_different_boxes(gold: str, final: str) -> bool:
    """A gold with a box before its final group that says something else, with words between
    (``(a) \\boxed{3} ... (b) \\boxed{5}``): its final box alone is a fragment of it. Only
    connectives between ("\\boxed{1} or thus \\boxed{2}") leave the last word to the final group."""
    boxes = box_spans(gold)
    finals = {part.strip() for part in final.split(", ")} | {final.strip()}
    for (_, end, content), (start, _, _) in itertools.pairwise(boxes):
        if content is None or content.strip() in finals:
            continue
        words = re.findall(r"[A-Za-z0-9]+", gold[end:start])
        if any(w.lower() not in _BOX_CONNECTIVES for w in words):
            return True
    return False


_QUOTED_ITEM = re.compile(r"""(['"])((?:(?!\1).)*)\1""", re.DOTALL)
_QUOTED_LIST = re.compile(
    r"""\[\s*((?:(['"])(?:(?!\2).)*\2\s*,\s*)*(['"])(?:(?!\3).)*\3)\s*,?\s*\]""", re.DOTALL
)


# A GSM8K solution stored with its newline escaped: "...clips in May.\\n#### 72".
_ESCAPED_NEWLINE = re.compile(r"\\n(?=\s*####)")


def extract_gold(gold: str) -> Extraction:
    """The reference answer, read whole or refused (``text`` None, ``why`` set).

    Gold strings may be plain, ``$...$``, ``\\boxed{..}``, a GSM8K ``#### 72`` solution, Unicode
    or HTML math, or short prose. Never the last number or last segment of a longer gold: a
    fragment of the gold rewards the answers that equal the fragment (``b \\neq 5`` read as ``5``).
    """
    gold = _ESCAPED_NEWLINE.sub("\n", unicode_to_latex(gold))
    listed = _QUOTED_LIST.fullmatch(gold.strip())
    if listed:  # OlympiadBench-style ['$\\frac{1}{2}$', '$3$']: every element, none dropped
        items = [m.group(2) for m in _QUOTED_ITEM.finditer(listed.group(1))]
        if items and all(i.strip() for i in items):
            return Extraction(", ".join(i.strip() for i in items), ExtractionSource.WHOLE)
        return Extraction(None, why="empty item in a listed gold")
    boxed = final_box_group(gold)
    if boxed is not None and boxed.text is not None:
        if _earlier_different_boxes(gold, boxed.text):
            return Extraction(None, why="several different boxed answers")
        return boxed
    tagged = answer_tag(gold)
    if tagged is not None and tagged.text:
        return tagged
    tail = _gold_tail(gold)
    if tail is not None:
        return _gold_body(tail, ExtractionSource.ANSWER_PHRASE)
    whole = gold.strip()
    if not whole:
        return Extraction(None, why="empty gold")
    return _gold_body(whole, ExtractionSource.WHOLE)
