"""Turning trainer-side prompts and completions (strings or chat messages) into plain text.

The service takes plain strings. TRL hands conversational completions as lists of
``{"role", "content"}`` messages, and ``content`` may itself be a list of typed parts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["completion_text", "prompt_text"]


def _content_text(content: Any) -> str | None:
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, Mapping) and part.get("type", "text") == "text":
                parts.append(str(part.get("text", "")))
        return "".join(parts)
    return None


def _messages(value: Any) -> list[Mapping[str, Any]] | None:
    if isinstance(value, Mapping):
        return [value]
    if (
        isinstance(value, Sequence)
        and not isinstance(value, str | bytes)
        and all(isinstance(m, Mapping) for m in value)
    ):
        return list(value)
    return None


def completion_text(completion: Any) -> str | None:
    """The text the model generated; for messages, the assistant turns joined (``None``: unusable)."""
    if isinstance(completion, str):
        return completion
    messages = _messages(completion)
    if messages is None:
        return None
    assistant = [m for m in messages if m.get("role", "assistant") == "assistant"] or messages
    texts = [_content_text(m.get("content")) for m in assistant]
    if any(t is None for t in texts):
        return None
    return "".join(t for t in texts if t is not None)


def prompt_text(prompt: Any) -> str:
    """The prompt as one string; chat messages become ``role: content`` lines."""
    if prompt is None:
        return ""
    if isinstance(prompt, str):
        return prompt
    messages = _messages(prompt)
    if messages is None:
        return str(prompt)
    return "\n".join(f"{m.get('role', '')}: {_content_text(m.get('content')) or ''}" for m in messages)
