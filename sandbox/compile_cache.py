"""Compiled C++ programs kept by the host, keyed by what produced them.

Why: GRPO samples a group of answers per prompt and many are the same program; g++ costs far more
than running 20 tests. Why on the host: a cache a job could write would let one program plant a
binary that another program's tests then run. Entries are written only here, from the binary a
runner compiled for exactly that source, and reach a sandbox by value (the runner seals them in
memory, see ``runner._sealed_binary``); no job ever sees the cache.

The key is a SHA-256 of the compiler command line, the runtime it ran on (the pool's backend and
root) and the source; the cache is an LRU bounded in bytes.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence

__all__ = ["CompileCache", "compile_key"]


def compile_key(source: str, flags: Sequence[str], runtime: str) -> str:
    """The cache key of ``source`` compiled with ``flags`` on ``runtime``."""
    digest = hashlib.sha256()
    for part in (runtime, "\0".join(flags), source):
        data = part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


class CompileCache:
    """Thread-safe LRU of compiled binaries, at most ``max_bytes`` in all (0 disables it)."""

    def __init__(self, max_bytes: int = 256 * 1024 * 1024) -> None:
        if max_bytes < 0:
            raise ValueError("CompileCache max_bytes must be >= 0")
        self._max_bytes = max_bytes
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        """False when the cache holds nothing by configuration."""
        return self._max_bytes > 0

    def get(self, key: str) -> bytes | None:
        """The binary for ``key``, or None."""
        with self._lock:
            binary = self._entries.get(key)
            if binary is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return binary

    def put(self, key: str, binary: bytes) -> None:
        """Keep ``binary`` for ``key``, evicting the least recently used entries to fit."""
        if len(binary) > self._max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old)
            self._entries[key] = binary
            self._bytes += len(binary)
            while self._bytes > self._max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
