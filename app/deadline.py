"""One request deadline, as one typed value, from the HTTP edge down to the sandbox.

Why a type and why the wall clock: a request's deadline is set once (from its ``timeout_s`` or
the service's ceiling) and then travels with the work: on the queue envelope to a worker that
may be another machine, into the math pool's batch timeout and into the sandbox job, which is
killed when it passes. A monotonic clock would not mean the same on both sides of Redis; the
wall clock does (hosts are NTP-synced; a skew shortens or lengthens a deadline by that much).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = ["Deadline"]


@dataclass(frozen=True, slots=True)
class Deadline:
    """The moment (Unix seconds) after which nobody waits for the result of some work."""

    at_unix_s: float

    @staticmethod
    def after(timeout_s: float) -> Deadline:
        """The deadline ``timeout_s`` from now."""
        return Deadline(time.time() + max(0.0, timeout_s))

    def remaining_s(self) -> float:
        """Seconds left (0.0 once passed, never negative)."""
        return max(0.0, self.at_unix_s - time.time())

    @property
    def expired(self) -> bool:
        return time.time() >= self.at_unix_s

    def bound(self, timeout_s: float | None) -> float:
        """``timeout_s`` cut to what is left (``None``: all that is left)."""
        left_s = self.remaining_s()
        return left_s if timeout_s is None else min(timeout_s, left_s)

    def monotonic(self) -> float:
        """This deadline on this process's monotonic clock (for ``asyncio``/``select`` timeouts)."""
        return time.monotonic() + (self.at_unix_s - time.time())
