"""Pull the program out of a model's completion: the last fenced code block of the language.

Why the last block: the answer a model gave is the last one it committed to; drafts and snippets
before it, and anything inside ``<think>…</think>``, are not the answer. A block tagged with another
language is never run as this one; an untagged block is used only when no tagged block exists.
"""

from __future__ import annotations

import re

__all__ = ["extract_code"]

_FENCE = re.compile(
    r"^[ \t]*(`{3,}|~{3,})[ \t]*([^\s`]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.MULTILINE | re.DOTALL
)
_TAGS = {
    "python": frozenset({"python", "py", "python3", "py3"}),
    "cpp": frozenset({"cpp", "c++", "cc", "cxx", "hpp"}),
}
_THINK_END = "</think>"


def extract_code(completion: str, language: str) -> str | None:
    """The last code block for ``language`` ("python" or "cpp") after any thinking, or None."""
    text = completion
    end = text.rfind(_THINK_END)
    if end >= 0:
        text = text[end + len(_THINK_END) :]
    elif "<think>" in text:
        return None  # thinking never finished: there is no answer yet
    tags = _TAGS.get(str(language).lower(), frozenset({str(language).lower()}))
    tagged: str | None = None
    untagged: str | None = None
    for match in _FENCE.finditer(text):
        tag = match.group(2).lower()
        body = match.group(3)
        if tag in tags:
            tagged = body
        elif not tag:
            untagged = body
    code = tagged if tagged is not None else untagged
    if code is None or not code.strip():
        return None
    return code
