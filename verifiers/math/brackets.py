"""Bracket depth and splitting at the top level: ``(1,2), (3,4)`` is two items, not four.

Why its own module: the parser splits lists, groups and relations only where no bracket is open,
asks whether one pair of brackets encloses a whole text, and extraction finds where a box
closes; all are pure text questions.
"""

from __future__ import annotations

import re

__all__ = [
    "brackets_balanced",
    "closing_brace",
    "depth_positions",
    "inside_escaped_braces",
    "split_top",
    "wraps",
]


def depth_positions(text: str) -> list[int]:
    """Bracket depth before each character (any of ([{ opens, any of )]} closes)."""
    depth = 0
    out = []
    for ch in text:
        out.append(depth)
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
    return out


def split_top(text: str, pattern: re.Pattern[str]) -> tuple[list[str], list[str]]:
    """Split at matches of ``pattern`` outside brackets; returns (parts, separators)."""
    depths = depth_positions(text)
    parts, seps = [], []
    last = 0
    for m in pattern.finditer(text):
        if depths[m.start()] == 0 and not inside_escaped_braces(text, m.start()):
            parts.append(text[last : m.start()])
            seps.append(m.group(0))
            last = m.end()
    parts.append(text[last:])
    return parts, seps


def inside_escaped_braces(text: str, pos: int) -> bool:
    return text.count("\\{", 0, pos) > text.count("\\}", 0, pos)


def wraps(text: str, opener_len: int, closer_len: int) -> bool:
    """Whether the brackets at both ends enclose the whole text (not ``(1,2)\\cup(3,4)``)."""
    depths = depth_positions(text)
    inner_end = len(text) - closer_len
    return all(depths[i] > 0 for i in range(opener_len, inner_end)) if inner_end > opener_len else True


def closing_brace(text: str, open_pos: int) -> int | None:
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


def brackets_balanced(text: str) -> bool:
    """Braces nest properly, and as many ( and [ open as ) and ] close (intervals mix them)."""
    depth = 0
    for ch in text.replace("\\{", "").replace("\\}", ""):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return False
    opened = text.count("(") + text.count("[")
    closed = text.count(")") + text.count("]")
    return depth == 0 and opened == closed
