"""Bounded thread pools: one per kind of blocking work, so one kind cannot starve another.

Why: sandbox runs, inline reward scoring and queue work used to share asyncio's default
executor; two slow ``/v1/execute`` calls then held every thread and a cheap ``format_strict``
request waited minutes. Each kind now has its own threads (sized from the settings) and its own
admission bound: a caller that would have to wait behind ``max_waiting`` others is refused at
once (``BackpressureError``: 429 with ``Retry-After``) instead of stalling silently.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from app.errors import BackpressureError, UnavailableError

__all__ = ["WorkPool"]

P = ParamSpec("P")
T = TypeVar("T")


class WorkPool:
    """``threads`` threads; at most ``threads + max_waiting`` calls admitted at once."""

    def __init__(self, name: str, *, threads: int, max_waiting: int, retry_after_s: float) -> None:
        if threads <= 0 or max_waiting < 0:
            raise ValueError("threads must be > 0 and max_waiting >= 0")
        self.name = name
        self.threads = threads
        self._max_admitted = threads + max_waiting
        self._retry_after_s = retry_after_s
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"arbiter-{name}")
        self._lock = threading.Lock()
        self._admitted = 0
        self.on_reject: Callable[[], None] | None = None  # metrics hook, called per refusal

    @property
    def admitted(self) -> int:
        """Calls running or waiting for a thread (metrics, tests)."""
        return self._admitted

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Run ``fn`` on this pool, or raise ``BackpressureError`` when it is saturated."""
        return self._submit(True, fn, *args, **kwargs)

    def submit_waiting(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Run ``fn`` on this pool without the admission bound: for work already bounded upstream
        (a queued chunk's sandbox jobs, limited by the queue's own concurrency)."""
        return self._submit(False, fn, *args, **kwargs)

    def _submit(self, bounded: bool, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._lock:
            saturated = bounded and self._admitted >= self._max_admitted
            if not saturated:
                self._admitted += 1
        if saturated:
            if self.on_reject is not None:
                self.on_reject()
            raise BackpressureError(
                f"{self.name} pool saturated: {self._admitted} calls running or waiting "
                f"(limit {self._max_admitted})",
                retry_after_s=self._retry_after_s,
            )
        try:
            future = self._executor.submit(fn, *args, **kwargs)
        except RuntimeError:  # shut down
            self._release(None)
            raise UnavailableError(f"{self.name} pool is closed", retry_after_s=self._retry_after_s) from None
        future.add_done_callback(self._release)
        return future

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``submit`` for an event loop: awaits the result without blocking the loop."""
        return await asyncio.wrap_future(self.submit(fn, *args, **kwargs))

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _release(self, _: object) -> None:
        with self._lock:
            self._admitted -= 1
