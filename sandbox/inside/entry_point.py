"""A test's entry point (``fn_name``) as a restricted dotted name, resolved without ``eval``.

Why not ``eval``: a test row is data, and an expression such as ``__import__('os').system(...)``
or ``(lambda: ...)()`` is code. The forms datasets use are names (``add``), attributes of names
(``mod.f``) and LeetCode's ``Solution().twoSum``: a name, an optional empty call, then attributes
each with an optional empty call. Dunder names are refused (no ``f.__globals__`` walks).
"""

from __future__ import annotations

import keyword
from collections.abc import Mapping

__all__ = ["EntryPointError", "parse_entry_point", "resolve_entry_point"]

_MAX_LENGTH = 200


class EntryPointError(ValueError):
    """The entry point is not a restricted dotted name."""


def _step(part: str, text: str) -> tuple[str, bool]:
    called = part.endswith("()")
    name = part[:-2] if called else part
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("__") or not name.isascii():
        raise EntryPointError(f"entry point {text!r}: {name!r} is not a plain name")
    return name, called


def parse_entry_point(text: str) -> tuple[tuple[str, bool], ...]:
    """``"Solution().twoSum"`` -> ``(("Solution", True), ("twoSum", False))``; EntryPointError otherwise."""
    if not isinstance(text, str) or not text or len(text) > _MAX_LENGTH:
        raise EntryPointError(f"entry point must be a name of at most {_MAX_LENGTH} characters")
    stripped = text.strip()
    return tuple(_step(part, text) for part in stripped.split("."))


def resolve_entry_point(text: str, namespace: Mapping[str, object]) -> object:
    """The object the entry point names in ``namespace`` (the program's globals).

    Raises NameError/AttributeError as running the program would, EntryPointError for a bad form.
    """
    steps = parse_entry_point(text)
    (first, first_called), rest = steps[0], steps[1:]
    if first not in namespace:
        raise NameError(f"name {first!r} is not defined")
    value = namespace[first]
    if first_called:
        value = value()  # type: ignore[operator]
    for name, called in rest:
        value = getattr(value, name)
        if called:
            value = value()
    return value
