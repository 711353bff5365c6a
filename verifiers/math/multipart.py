"""Multi-part answers: labelled parts in one box, several final boxes, repeated boxes.

Why: a problem with parts (a) and (b) has a gold of two values, and models answer it either in
one box (``a) 3, b) 5``) or in one box per part with words between them (``the speed is
\\boxed{5} and the time \\boxed{3}``). Both are compared with the gold part by part, in order.

What keeps this from rewarding hedges:
- A multi-part reading is only tried against a gold of the same number of parts (n >= 2); a
  one-part gold only ever sees the last box, so listing candidates in boxes earns nothing.
- The parts are the LAST n boxes of the final answer region (after ``</think>``, or inside the
  ``<answer>`` block), compared in order (a braced set gold in any order): extra boxes earlier
  cannot help, and the order of the parts is checked.
- Labelled parts must be labelled in sequence from the first (``a) b) c)``, ``(i) (ii)``,
  ``(1) (2)``) and the labels must start the answer.
- Repeated identical final boxes (``\\boxed{9}. \\boxed{9}``) are one answer, not a list.
"""

from __future__ import annotations

import re

from verifiers.math.extraction import box_spans
from verifiers.math.values import Collection, Interval, Value

__all__ = ["collapse_repeats", "final_boxes", "gold_parts", "split_labelled"]

_ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii")
_LABEL = re.compile(
    r"(?:^|(?<=[\s,;.]))(?:\\text(?:bf|rm)?\s*\{\s*)?(\()?\s*([a-h]|i{1,3}|iv|vi{0,3}|[1-9])\s*(\))\s*\}?\s*:?"
    r"|(?:^|(?<=[\s,;]))(?:\\text(?:bf|rm)?\s*\{\s*)?([a-h])\s*:\s*\}?"
)
_TRAILING_JOIN = re.compile(r"(?:[\s,;]|\\quad|\\qquad|\\\\|\\text\{\s*(?:and|,)?\s*\}|\band\b)*$")
_ANSWER_OPEN = re.compile(r"<answer>", re.IGNORECASE)
_ANSWER_CLOSE = re.compile(r"</answer>", re.IGNORECASE)


def split_labelled(text: str) -> list[str] | None:
    """``a) 3, b) 5`` -> ``["3", "5"]``; None unless the text is 2+ parts labelled in sequence."""
    if ")" not in text and ":" not in text:  # the common case: no label at all
        return None
    matches = [m for m in _LABEL.finditer(text) if m.group(2) or m.group(4)]
    if len(matches) < 2 or text[: matches[0].start()].strip():
        return None
    labels = [(m.group(2) or m.group(4)) for m in matches]
    kinds = [k for k in ("letter", "roman", "digit") if _fits(labels, k)]
    if not kinds:
        return None
    parts = []
    for m, nxt in zip(matches, [*matches[1:], None], strict=True):
        end = nxt.start() if nxt is not None else len(text)
        part = _TRAILING_JOIN.sub("", text[m.end() : end]).strip()
        if not part:
            return None
        parts.append(part)
    return parts


def _fits(labels: list[str], kind: str) -> bool:
    for i, label in enumerate(labels):
        expected = {
            "letter": chr(ord("a") + i),
            "roman": _ROMAN[i] if i < len(_ROMAN) else "",
            "digit": str(i + 1),
        }
        if label != expected[kind]:
            return False
    return True


def final_boxes(completion: str, count: int, max_chars: int) -> list[str] | None:
    """The contents of the last ``count`` boxes of the final answer region, or None.

    The region is what follows the last ``</think>`` (the whole text without one), narrowed to
    the last ``<answer>...</answer>`` block when there is one. A box left open is None.
    """
    text = completion[-max_chars:]
    think_end = text.rfind("</think>")
    if think_end >= 0:
        text = text[think_end + len("</think>") :]
    opens = list(_ANSWER_OPEN.finditer(text))
    if opens:
        close = _ANSWER_CLOSE.search(text, opens[-1].end())
        if close is None:
            return None
        text = text[opens[-1].end() : close.start()]
    boxes = box_spans(text)
    if len(boxes) < count:
        return None
    contents = [content for _, _, content in boxes[-count:]]
    if any(c is None or not c.strip() for c in contents):
        return None
    return [c for c in contents if c is not None]


def collapse_repeats(value: Value) -> Value | None:
    """``9, 9`` (an unbraced list of identical items) -> ``9``; None when not such a list."""
    if not isinstance(value, Collection) or value.ordered or value.braced or len(value.items) < 2:
        return None
    first = str(value.items[0])
    if all(str(item) == first and type(item) is type(value.items[0]) for item in value.items[1:]):
        return value.items[0]
    return None


def gold_parts(gold: Value) -> Collection | None:
    """The gold as its parts when it has 2 or more (a list, a set, a tuple, or ``(a, b)``)."""
    if isinstance(gold, Collection) and len(gold.items) >= 2:
        return gold
    if isinstance(gold, Interval) and gold.maybe_tuple:
        return Collection((gold.lo, gold.hi), ordered=True)
    return None
