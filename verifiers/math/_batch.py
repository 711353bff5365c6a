"""A caller's batch in the math pool: its verdicts fill in one by one; its future resolves once.

Why apart from the dispatcher: how a batch is answered (each index once, timed-out or failed
items marked, the future set exactly once even if an asyncio caller cancelled it) is one small
rule set that the dispatcher, the pool's input check and the tests share; the dispatcher decides
only *when* a batch gets which verdict.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass

from verifiers.math.verdict import MathVerdict, Reason

__all__ = ["Batch", "error_verdict"]


def error_verdict(reason: Reason, method: str, elapsed_s: float = 0.0) -> MathVerdict:
    """A verdict the pool itself gives (timeout, worker failure, bad input)."""
    return MathVerdict(correct=False, reason=reason, method=method, elapsed_s=elapsed_s)


@dataclass(slots=True, eq=False)
class Batch:
    """One caller's pairs: verdicts fill in as workers answer; the future resolves when all did."""

    verdicts: list[MathVerdict | None]
    remaining: int
    future: Future[list[MathVerdict]]
    deadline: float | None  # time.monotonic() after which unfinished items are TIMEOUT

    @classmethod
    def empty(cls, size: int, deadline: float | None) -> Batch:
        """A batch of ``size`` unanswered items with a fresh future."""
        return cls(verdicts=[None] * size, remaining=size, future=Future(), deadline=deadline)

    @property
    def waiting(self) -> bool:
        """Whether the caller still waits (not answered, timed out or cancelled)."""
        return self.remaining > 0 and not self.future.done()

    def fill(self, index: int, verdict: MathVerdict) -> bool:
        """Record one item's verdict; False when it was answered already (a late or re-run result).
        Resolves the future when this was the last one."""
        if self.remaining == 0 or self.verdicts[index] is not None:
            return False
        self.verdicts[index] = verdict
        self.remaining -= 1
        if self.remaining == 0:
            self.resolve()
        return True

    def fill_rest(self, reason: Reason, method: str) -> int:
        """Give every unanswered item the same error verdict and resolve; returns how many."""
        count = 0
        for index, verdict in enumerate(self.verdicts):
            if verdict is None:
                self.verdicts[index] = error_verdict(reason, method)
                count += 1
        self.remaining = 0
        self.resolve()
        return count

    def resolve(self) -> None:
        """Set the future's result, unless the caller cancelled it (asyncio) or it is set."""
        with contextlib.suppress(InvalidStateError):
            self.future.set_result([v for v in self.verdicts if v is not None])
