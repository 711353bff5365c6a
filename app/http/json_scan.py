"""Counting the elements of a JSON body's top-level arrays without decoding the whole body.

Why: the item limit must answer before the work. Parsing a 1,000,000-item body into Python
objects (then pydantic models) takes seconds of a blocked event loop and about a gigabyte; this
walks the top-level object with the C decoder one element at a time and stops at the first
array whose count passes its limit, so a body far over the limit costs only ``limit + 1`` small
elements. A body that is not valid JSON is left to the real parser (it answers 422).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]

__all__ = ["ArrayOverLimit", "containers_outside_strings", "first_array_over_limit"]

_WS = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_DECODER = json.JSONDecoder()


@dataclass(frozen=True, slots=True)
class ArrayOverLimit:
    """A top-level array field with more than ``limit`` elements (``seen`` = limit + 1: counting
    stopped there)."""

    field: str
    seen: int
    limit: int


class _NotJson(Exception):
    pass


def first_array_over_limit(
    body: bytes, limits: Mapping[str, int], *, other_limit: int | None = None
) -> ArrayOverLimit | None:
    """The first top-level array of ``body`` (a JSON object) longer than its limit, else None.

    ``limits`` names fields and their most elements; ``other_limit`` bounds any other top-level
    array. Values of other fields are decoded one at a time (a nested value is at most the body).
    """
    if not limits and other_limit is None:
        return None
    smallest = min([*limits.values(), *([other_limit] if other_limit is not None else [])])
    if body.count(b",") < smallest:  # no array can have more elements than the body has commas + 1
        return None
    try:
        return _scan(_text(body), limits, other_limit)
    except (_NotJson, UnicodeDecodeError, ValueError, IndexError):
        return None  # not a JSON object (or not yet, in a body's first part): the real parser answers


def _text(body: bytes) -> str:
    """The body as text; a first part cut inside a UTF-8 character loses that character's start."""
    for cut in range(4):
        try:
            return body[: len(body) - cut].decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(body) - 3:
                raise  # invalid before the end: not a cut, a bad body
    raise UnicodeDecodeError("utf-8", body, 0, len(body), "not UTF-8")


def _ws(text: str, i: int) -> int:
    m = _WS.match(text, i)
    return m.end() if m else i


def _scan(text: str, limits: Mapping[str, int], other_limit: int | None) -> ArrayOverLimit | None:
    i = _ws(text, 0)
    if text[i : i + 1] != "{":
        raise _NotJson
    i = _ws(text, i + 1)
    if text[i : i + 1] == "}":
        return None
    while True:
        if text[i : i + 1] != '"':
            raise _NotJson
        key, i = scanstring(text, i + 1)
        i = _ws(text, i)
        if text[i : i + 1] != ":":
            raise _NotJson
        i = _ws(text, i + 1)
        limit = limits.get(key, other_limit)
        if limit is not None and text[i : i + 1] == "[":
            over, i = _count(text, i, limit)
            if over:
                return ArrayOverLimit(key, limit + 1, limit)
        else:
            _, i = _DECODER.raw_decode(text, i)
        i = _ws(text, i)
        if text[i : i + 1] != ",":
            return None  # "}" (the end) or something the real parser refuses
        i = _ws(text, i + 1)


def _count(text: str, i: int, limit: int) -> tuple[bool, int]:
    """(more than ``limit`` elements, index after the array) for the array starting at ``i``."""
    i = _ws(text, i + 1)
    if text[i : i + 1] == "]":
        return False, i + 1
    n = 0
    while True:
        _, i = _DECODER.raw_decode(text, i)  # one element, decoded and dropped
        n += 1
        if n > limit:
            return True, i
        i = _ws(text, i)
        c = text[i : i + 1]
        if c == "]":
            return False, i + 1
        if c != ",":
            raise _NotJson
        i = _ws(text, i + 1)


def containers_outside_strings(body: bytes) -> int:
    """How many objects and arrays (``{``, ``[``) a JSON body holds, not counting brackets inside
    strings: each becomes a Python dict or list when decoded (tens of bytes each at least), so
    this bounds the memory of decoding. A C-speed pass (about 15 ms per MB): call it only when
    the raw bracket count is over the limit, off the event loop."""
    stripped = _STRING.sub(b"", body)
    return stripped.count(b"{") + stripped.count(b"[")
