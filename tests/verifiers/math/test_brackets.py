"""Bracket depth and top-level splitting: what the parser and extraction rely on."""

from __future__ import annotations

import re

import pytest

from verifiers.math.brackets import brackets_balanced, closing_brace, split_top, wraps

_COMMA = re.compile(",")


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("1, 2", ["1", " 2"]),
        ("(1,2), (3,4)", ["(1,2)", " (3,4)"]),
        (r"\{1,2\}, 3", [r"\{1,2\}", " 3"]),  # escaped braces hold their commas
        (r"f(x, y), \frac{1}{2}", ["f(x, y)", r" \frac{1}{2}"]),
        ("[1, 2)", ["[1, 2)"]),
    ],
)
def test_split_top(text: str, parts: list[str]) -> None:
    assert split_top(text, _COMMA)[0] == parts


@pytest.mark.parametrize(
    ("text", "wrapped"), [("(1,2)", True), (r"(1,2)\cup(3,4)", False), ("((1))", True), ("()", True)]
)
def test_wraps(text: str, wrapped: bool) -> None:
    assert wraps(text, 1, 1) is wrapped


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [(r"\boxed{12}", 6, 10), (r"\boxed{\{1\}}x", 6, 13), (r"\boxed{a{b}c}", 6, 13), (r"\boxed{7", 6, None)],
)
def test_closing_brace(text: str, start: int, end: int | None) -> None:
    assert closing_brace(text, start) == end


@pytest.mark.parametrize(
    ("text", "balanced"),
    [("(1, 2]", True), (r"\sqrt{2", False), ("}{", False), (r"\{1\}", True), ("(1, 2", False)],
)
def test_brackets_balanced(text: str, balanced: bool) -> None:
    assert brackets_balanced(text) is balanced
