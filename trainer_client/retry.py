"""When to retry a request to the reward service, and how long to wait before the next try.

Only failures that say nothing about the request itself are retried: connection errors,
timeouts, 429 (backpressure) and 5xx. Any other 4xx is the caller's bug and fails fast.
Backoff is exponential with full jitter so that many trainer ranks do not retry in lockstep,
and a server's ``Retry-After`` is honoured (it knows its queue better than we do).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["RetryPolicy", "is_retryable_status", "parse_retry_after_s"]


def is_retryable_status(status_code: int) -> bool:
    """True for 429 and 5xx: the service is busy or broken, the request may succeed later."""
    return status_code == 429 or 500 <= status_code <= 599


def parse_retry_after_s(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header given in seconds; ``None`` if absent or not a number."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None  # the HTTP-date form is not used by our service
    return max(seconds, 0.0)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many tries and how far apart.

    ``max_attempts`` counts the first try. The wait before retry ``n`` (1-based) is uniform in
    ``[0, min(max_delay_s, base_delay_s * 2**(n-1))]``; a ``Retry-After`` from the server
    raises it to at least that many seconds, capped at ``max_retry_after_s``.
    """

    max_attempts: int = 6
    base_delay_s: float = 0.25
    max_delay_s: float = 10.0
    max_retry_after_s: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay_s < 0 or self.max_delay_s < 0 or self.max_retry_after_s < 0:
            raise ValueError("delays must be non-negative")

    def delay_s(
        self, retry_number: int, retry_after_s: float | None = None, rng: random.Random | None = None
    ) -> float:
        """Seconds to sleep before retry ``retry_number`` (1 for the first retry)."""
        ceiling_s = min(self.max_delay_s, self.base_delay_s * (2 ** max(retry_number - 1, 0)))
        delay_s = (rng or random).uniform(0.0, ceiling_s)
        if retry_after_s is not None:
            delay_s = max(delay_s, min(retry_after_s, self.max_retry_after_s))
        return delay_s
