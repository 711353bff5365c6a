"""MathPool: warm, killable worker processes that verify math answers under hard limits.

Why processes and not threads or ``signal.alarm``: parsing and comparing model output can spin in
C code (``10^{10^{10}}``, ``1000000!``) where no signal handler runs, and ``signal.alarm`` only
works in the main thread. A process can always be killed. Why not
``concurrent.futures.ProcessPoolExecutor``: it cannot kill one stuck worker, and one dead worker
breaks the whole executor.

One dispatcher thread (``verifiers.math._dispatcher``) owns the workers. Callers (any thread, any
event loop) hand it a batch and wait on a future; it sends small chunks to idle workers (same
gold to the same worker when it can, so the worker's gold cache hits), accounts a deadline per
item, SIGKILLs and replaces a worker that overruns, and re-dispatches the items that worker
still held.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import Any

from verifiers.math._backlog import PendingItem
from verifiers.math._batch import Batch, error_verdict
from verifiers.math._dispatcher import COUNTERS, Dispatcher, PoolLimits
from verifiers.math._worker import WorkerOptions, gold_key
from verifiers.math.config import MathConfig
from verifiers.math.verdict import MathVerdict, Reason

__all__ = ["MathPool", "MathPoolError", "PoolNotRunningError", "PoolStartError", "PoolState", "PoolStats"]

VerifyFn = Callable[[Any, str, MathConfig], MathVerdict]

_WARM_MODULES = ("sympy", "latex2sympy2_extended.latex2sympy2")
_PLAIN_GOLD_TYPES = (str, int, float, bool, type(None))


class PoolState(StrEnum):
    """Where the pool is in its life; BROKEN means the dispatcher failed (a bug: see the logs)."""

    NOT_STARTED = "not started"
    RUNNING = "running"
    CLOSED = "closed"
    BROKEN = "broken"


class MathPoolError(Exception):
    """Base class of pool failures (never raised for bad model output: that is a verdict)."""


class PoolNotRunningError(MathPoolError):
    """``verify_many`` on a pool that was not started, is closed or broken."""

    def __init__(self, state: PoolState) -> None:
        self.state = state
        super().__init__(f"math pool is {state}; call start() first")


class PoolStartError(MathPoolError):
    """No worker became ready within ``startup_timeout_s`` (or every start failed)."""

    def __init__(self, workers: int, startup_timeout_s: float) -> None:
        self.workers = workers
        self.startup_timeout_s = startup_timeout_s
        super().__init__(f"none of {workers} math workers became ready within {startup_timeout_s} s")


@dataclass(frozen=True, slots=True)
class PoolStats:
    """A snapshot for the service's metrics and health endpoint."""

    state: PoolState
    workers: int  # configured
    workers_alive: int
    workers_ready: int
    restarts: int  # workers replaced after a timeout, a crash or a memory error
    recycles: int  # workers replaced after max_items_per_worker
    timeouts: int  # items that got Reason.TIMEOUT (item deadline or batch deadline)
    worker_errors: int  # items that got Reason.WORKER_ERROR
    items_done: int
    items_pending: int
    chunks_sent: int
    affinity_hits: int  # chunks sent to a worker that had already seen that gold


def _default_verifier() -> tuple[VerifyFn, Any, Any]:
    """The real verifier, with its gold-preparing split when it offers one."""
    from verifiers.math import verifier

    return (
        verifier.verify,
        getattr(verifier, "prepare_gold", None),
        getattr(verifier, "verify_prepared", None),
    )


def _default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class MathPool:
    """A pool of warm math worker processes with per-item deadlines and a per-worker memory cap.

    Thread-safe; ``verify_many`` blocks the calling thread, ``averify_many`` only awaits. No
    process or thread exists until ``start()`` (or ``with MathPool() as pool``).
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        item_timeout_s: float = 5.0,
        memory_mb: int | None = 2048,
        max_items_per_worker: int = 10_000,
        chunk_size: int = 8,
        gold_cache_size: int = 256,
        startup_timeout_s: float = 60.0,
        verify: VerifyFn | None = None,
        prepare_gold: Callable[[Any, MathConfig], Any] | None = None,
        verify_prepared: Callable[[Any, str, MathConfig], MathVerdict] | None = None,
        start_method: str = "forkserver",
    ) -> None:
        if item_timeout_s <= 0 or startup_timeout_s <= 0:
            raise ValueError("item_timeout_s and startup_timeout_s must be positive")
        if chunk_size < 1 or max_items_per_worker < 1:
            raise ValueError("chunk_size and max_items_per_worker must be at least 1")
        if memory_mb is not None and memory_mb < 64:
            raise ValueError("memory_mb must be at least 64 (a worker with sympy needs about 100)")
        self.workers = workers if workers is not None else _default_workers()
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        self.item_timeout_s = item_timeout_s
        self.memory_mb = memory_mb
        self.startup_timeout_s = startup_timeout_s
        self._limits = PoolLimits(
            workers=self.workers,
            item_timeout_s=item_timeout_s,
            max_items_per_worker=max_items_per_worker,
            chunk_size=chunk_size,
            gold_cache_size=gold_cache_size,
            startup_timeout_s=startup_timeout_s,
        )
        self._verifier = (verify, prepare_gold, verify_prepared)
        self._start_method = start_method
        self._lock = threading.Lock()
        self._state = PoolState.NOT_STARTED
        self._dispatcher: Dispatcher | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self, wait_ready: bool = True) -> MathPool:
        """Start the workers and the dispatcher; by default wait until every worker is warm."""
        with self._lock:
            if self._state is not PoolState.NOT_STARTED:
                raise PoolNotRunningError(self._state)
            dispatcher = Dispatcher(self._limits, *self._context_and_options())
            self._dispatcher = dispatcher
            self._thread = threading.Thread(target=dispatcher.run, name="math-pool-dispatcher", daemon=True)
            self._thread.start()
            self._state = PoolState.RUNNING
        if wait_ready and dispatcher.wait_ready(self.startup_timeout_s) == 0:
            self.close()
            raise PoolStartError(self.workers, self.startup_timeout_s)
        return self

    def _context_and_options(self) -> tuple[Any, WorkerOptions]:
        """Resolve the verifier and check it can travel to a worker; no process starts here."""
        verify, prepare_gold, verify_prepared = self._verifier
        if verify is None:
            verify, prepare_gold, verify_prepared = _default_verifier()
        ctx = multiprocessing.get_context(self._start_method)
        if self._start_method == "forkserver":
            preload = [*_WARM_MODULES, "verifiers.math._worker"]
            if verify.__module__ != "__main__":
                preload.append(verify.__module__)
            ctx.set_forkserver_preload(preload)
        options = WorkerOptions(
            verify=verify,
            memory_mb=self.memory_mb,
            gold_cache_size=self._limits.gold_cache_size,
            warm_modules=_WARM_MODULES,
            prepare_gold=prepare_gold,
            verify_prepared=verify_prepared,
        )
        try:
            pickle.dumps(options)
        except Exception as exc:
            raise ValueError(f"verify must be a picklable module-level function: {exc}") from exc
        return ctx, options

    def close(self) -> None:
        """Stop the workers; callers still waiting get ``Reason.WORKER_ERROR`` verdicts."""
        with self._lock:
            self._state = PoolState.CLOSED
            dispatcher, thread = self._dispatcher, self._thread
        if dispatcher is not None:
            dispatcher.stop()
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def __enter__(self) -> MathPool:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _current_state(self) -> PoolState:
        if self._state is PoolState.RUNNING and self._dispatcher is not None and self._dispatcher.broken:
            return PoolState.BROKEN
        return self._state

    def healthy(self) -> bool:
        """True when the pool is running and at least one worker is ready to take items."""
        return (
            self._current_state() is PoolState.RUNNING
            and self._thread is not None
            and self._thread.is_alive()
            and self._dispatcher is not None
            and self._dispatcher.ready_count() > 0
        )

    def stats(self) -> PoolStats:
        """Counters since start, for metrics: restarts and timeouts show a misbehaving workload."""
        if self._dispatcher is None:
            alive, ready, pending = 0, 0, 0
            counters = dict.fromkeys(COUNTERS, 0)
        else:
            alive, ready, pending, counters = self._dispatcher.snapshot()
        return PoolStats(
            state=self._current_state(),
            workers=self.workers,
            workers_alive=alive,
            workers_ready=ready,
            items_pending=pending,
            **counters,
        )

    # -- the API -------------------------------------------------------------------------------

    def verify_many(
        self,
        pairs: Sequence[tuple[Any, str]],
        config: MathConfig = MathConfig(),  # noqa: B008 - frozen, shared on purpose
        timeout_s: float | None = None,
    ) -> list[MathVerdict]:
        """Verdicts for ``(gold, completion)`` pairs, in order. Blocks only the calling thread.

        ``timeout_s`` bounds the whole batch (unfinished items become ``Reason.TIMEOUT``);
        without it each item is still bounded by ``item_timeout_s`` once a worker takes it.
        """
        return self._submit(pairs, config, timeout_s).result()

    async def averify_many(
        self,
        pairs: Sequence[tuple[Any, str]],
        config: MathConfig = MathConfig(),  # noqa: B008 - frozen, shared on purpose
        timeout_s: float | None = None,
    ) -> list[MathVerdict]:
        """``verify_many`` for an event loop: awaits the dispatcher, never blocks the loop.

        Cancelling the awaiting task drops the batch's items that no worker has started.
        """
        return await asyncio.wrap_future(self._submit(pairs, config, timeout_s))

    def _submit(
        self, pairs: Sequence[tuple[Any, str]], config: MathConfig, timeout_s: float | None
    ) -> Future[list[MathVerdict]]:
        deadline = time.monotonic() + timeout_s if timeout_s is not None else None
        batch = Batch.empty(len(pairs), deadline)
        items: list[PendingItem] = []
        config_hash = hash(config)
        for index, (gold, completion) in enumerate(pairs):
            if not isinstance(completion, str) or not _sendable(gold):
                batch.fill(index, error_verdict(Reason.INVALID_INPUT, "pool_input_check"))
                continue
            key = hash((gold_key(gold), config_hash))  # only groups items: a collision costs a cache miss
            items.append(PendingItem(batch, index, gold, completion, config, key))
        if batch.remaining == 0:  # no pairs, or every pair failed the input check
            batch.resolve()
            return batch.future
        dispatcher = self._dispatcher
        if (
            self._current_state() is not PoolState.RUNNING
            or dispatcher is None
            or not dispatcher.submit(batch, items)
        ):
            raise PoolNotRunningError(self._current_state())
        return batch.future


def _sendable(gold: Any) -> bool:
    if isinstance(gold, _PLAIN_GOLD_TYPES):
        return True
    try:
        pickle.dumps(gold)
    except Exception:
        return False
    return True
