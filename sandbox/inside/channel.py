"""Length-prefixed JSON messages over one stream socket between the harness and the program.

Why length prefixes and a cap: the harness must never block on, or buffer without bound, what the
program sends. Each message is a 4-byte big-endian length and that many bytes of UTF-8 JSON; a
length over the cap, a short read or bad JSON is a ``ChannelError`` (the test fails), and the end
of the stream is ``ChannelClosed``.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

__all__ = ["MESSAGE_LIMIT_BYTES", "ChannelClosed", "ChannelError", "receive", "send"]

MESSAGE_LIMIT_BYTES = 64 * 1024 * 1024  # one message: the default of ``Limits.message_limit_bytes``
_HEADER = struct.Struct(">I")
_CHUNK = 1 << 20


class ChannelError(Exception):
    """The other side sent something that is not a well-formed message."""


class ChannelClosed(ChannelError):
    """The other side closed the channel (or died)."""


def send(fd: int, message: Any, limit_bytes: int = MESSAGE_LIMIT_BYTES) -> None:
    """Write one message (ChannelError when it is over the cap, ChannelClosed when the peer left)."""
    data = json.dumps(message, separators=(",", ":")).encode("utf-8", "surrogatepass")
    if len(data) > limit_bytes:
        raise ChannelError(f"message of {len(data)} bytes is over {limit_bytes} bytes")
    view = memoryview(_HEADER.pack(len(data)) + data)
    try:
        while view:
            view = view[os.write(fd, view) :]
    except (BrokenPipeError, ConnectionError) as exc:
        raise ChannelClosed("the other side closed the channel") from exc


def _read_exact(fd: int, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        try:
            chunk = os.read(fd, min(size - len(chunks), _CHUNK))
        except InterruptedError:
            continue
        except ConnectionError as exc:
            raise ChannelClosed("the other side closed the channel") from exc
        if not chunk:
            raise ChannelClosed("the other side closed the channel")
        chunks += chunk
    return bytes(chunks)


def receive(fd: int, limit_bytes: int = MESSAGE_LIMIT_BYTES) -> Any:
    """Read one message."""
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size))
    if size > limit_bytes:
        raise ChannelError(f"message of {size} bytes is over {limit_bytes} bytes")
    try:
        return json.loads(_read_exact(fd, size).decode("utf-8", "surrogatepass"))
    except (ValueError, RecursionError) as exc:
        raise ChannelError(f"message is not JSON: {type(exc).__name__}") from None
