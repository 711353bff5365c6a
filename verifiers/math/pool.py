"""MathPool: warm, killable worker processes that verify math answers under hard limits.

Why processes and not threads or ``signal.alarm``: parsing and comparing model output can spin in
C code (``10^{10^{10}}``, ``1000000!``) where no signal handler runs, and ``signal.alarm`` only
works in the main thread. A process can always be killed. Why not
``concurrent.futures.ProcessPoolExecutor``: it cannot kill one stuck worker, and one dead worker
breaks the whole executor.

One dispatcher thread owns the workers. Callers (any thread, any event loop) hand it a batch and
wait on a future; it sends small chunks to idle workers (same gold to the same worker when it can,
so the worker's gold cache hits), accounts a deadline per item, SIGKILLs and replaces a worker
that overruns, and re-dispatches the items that worker still held.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import multiprocessing
import os
import pickle
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from enum import StrEnum
from multiprocessing.connection import Connection, wait
from types import TracebackType
from typing import Any

from verifiers.math._backlog import Backlog, PendingItem
from verifiers.math._worker import WorkerOptions, gold_key, run_worker
from verifiers.math.verdict import MathConfig, MathVerdict, Reason

__all__ = ["MathPool", "MathPoolError", "PoolNotRunningError", "PoolStartError", "PoolState", "PoolStats"]

VerifyFn = Callable[[Any, str, MathConfig], MathVerdict]

_WARM_MODULES = ("sympy", "latex2sympy2_extended.latex2sympy2")
_PLAIN_GOLD_TYPES = (str, int, float, bool, type(None))
_MAX_START_FAILURES = 3  # consecutive failed worker starts before pending items are failed
_STOP_GRACE_S = 1.0
_AFFINITY_SCAN_KEYS = 32  # how many of a worker's recent golds are looked for in the backlog
_MAX_ATTEMPTS = 3  # an item re-queued this often by dying workers gets WORKER_ERROR
_PREFETCH_MAX_CHARS = 16_384  # a queued second chunk must fit the pipe's buffer (64 KiB on Linux)  # how long close() waits for a worker to exit before killing it


class PoolState(StrEnum):
    """Where the pool is in its life; BROKEN means the dispatcher failed (a bug: see the logs)."""

    NOT_STARTED = "not started"
    RUNNING = "running"
    CLOSING = "closing"
    CLOSED = "closed"
    BROKEN = "broken"


class MathPoolError(Exception):
    """Base class of pool failures (never raised for bad model output: that is a verdict)."""


class PoolNotRunningError(MathPoolError):
    """``verify_many`` on a pool that was not started or is closed."""

    def __init__(self, state: PoolState) -> None:
        self.state = state
        super().__init__(f"math pool is {state}; call start() first")


class PoolStartError(MathPoolError):
    """No worker became ready within ``startup_timeout_s``."""

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


@dataclass(slots=True, eq=False)
class _Batch:
    verdicts: list[MathVerdict | None]
    remaining: int
    future: Future[list[MathVerdict]]
    deadline: float | None  # time.monotonic() after which unfinished items are TIMEOUT


@dataclass(slots=True, eq=False)
class _Slot:
    process: Any  # multiprocessing.Process of the pool's context
    conn: Connection
    progress: Any  # shared [seq running now (-1: none), its start on time.monotonic()]
    started_at: float
    ready: bool = False
    inflight: list[tuple[int, PendingItem]] = field(default_factory=list)
    item_started_at: float = 0.0
    items_done: int = 0
    recent_keys: OrderedDict[Hashable, None] = field(default_factory=OrderedDict)
    chunk_ends: list[int] = field(default_factory=list)  # last seq of each chunk sent, not done
    prefetch_blocked: bool = False  # a large chunk is waiting: no second chunk until it is sent


def _verdict(reason: Reason, method: str, elapsed_s: float = 0.0) -> MathVerdict:
    return MathVerdict(correct=False, reason=reason, method=method, elapsed_s=elapsed_s)


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
        self.workers = workers if workers is not None else _default_workers()
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        self.item_timeout_s = item_timeout_s
        self.memory_mb = memory_mb
        self.max_items_per_worker = max_items_per_worker
        self.chunk_size = chunk_size
        self.gold_cache_size = gold_cache_size
        self.startup_timeout_s = startup_timeout_s
        self._verify = verify
        self._prepare_gold = prepare_gold
        self._verify_prepared = verify_prepared
        self._start_method = start_method
        self._lock = threading.Lock()
        self._ready_changed = threading.Condition(self._lock)
        self._inbox: list[_Batch | list[PendingItem]] = []
        self._state: PoolState = PoolState.NOT_STARTED
        self._thread: threading.Thread | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        # Owned by the dispatcher thread once started:
        self._slots: list[_Slot] = []
        self._exiting: list[Any] = []  # processes stopped or killed, to be joined
        self._backlog = Backlog()
        self._batches: set[_Batch] = set()
        self._seq = 0
        self._start_failures = 0
        self._next_start_at = 0.0
        self._counters = dict.fromkeys(
            (
                "restarts",
                "recycles",
                "timeouts",
                "worker_errors",
                "items_done",
                "chunks_sent",
                "affinity_hits",
            ),
            0,
        )

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self, wait_ready: bool = True) -> MathPool:
        """Start the workers and the dispatcher; by default wait until every worker is warm."""
        with self._lock:
            if self._state != PoolState.NOT_STARTED:
                raise PoolNotRunningError(self._state)
            self._state = PoolState.RUNNING
        try:
            self._prepare_start()
        except BaseException:
            with self._lock:
                self._state = PoolState.NOT_STARTED
            raise
        self._thread = threading.Thread(target=self._run, name="math-pool-dispatcher", daemon=True)
        self._thread.start()
        if wait_ready:
            self._wait_ready()
        return self

    def _prepare_start(self) -> None:
        """Resolve the verifier and check it can travel to a worker; no process starts here."""
        verify, prepare_gold, verify_prepared = self._verify, self._prepare_gold, self._verify_prepared
        if verify is None:
            verify, prepare_gold, verify_prepared = _default_verifier()
        ctx = multiprocessing.get_context(self._start_method)
        if self._start_method == "forkserver":
            preload = [*_WARM_MODULES, "verifiers.math._worker"]
            if verify.__module__ != "__main__":
                preload.append(verify.__module__)
            ctx.set_forkserver_preload(preload)
        self._ctx: Any = ctx
        self._options = WorkerOptions(
            verify=verify,
            memory_mb=self.memory_mb,
            gold_cache_size=self.gold_cache_size,
            warm_modules=_WARM_MODULES,
            prepare_gold=prepare_gold,
            verify_prepared=verify_prepared,
        )
        try:
            pickle.dumps(self._options)
        except Exception as exc:
            raise ValueError(f"verify must be a picklable module-level function: {exc}") from exc
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        with self._ready_changed:
            while (
                self._ready_count() < self.workers
                and time.monotonic() < deadline
                and self._start_failures < _MAX_START_FAILURES
            ):
                self._ready_changed.wait(timeout=max(0.0, deadline - time.monotonic()))
            ready = self._ready_count()
        if ready == 0:
            self.close()
            raise PoolStartError(self.workers, self.startup_timeout_s)

    def close(self) -> None:
        """Stop the workers; callers still waiting get ``Reason.WORKER_ERROR`` verdicts."""
        with self._lock:
            if self._state != PoolState.RUNNING:
                self._state = PoolState.CLOSED
                return
            self._state = PoolState.CLOSING
        self._wake()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            self._state = PoolState.CLOSED
        for sock in (self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()

    def __enter__(self) -> MathPool:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def healthy(self) -> bool:
        """True when the pool is running and at least one worker is ready to take items."""
        return (
            self._state == PoolState.RUNNING
            and self._thread is not None
            and self._thread.is_alive()
            and self._ready_count() > 0
        )

    def stats(self) -> PoolStats:
        slots = list(self._slots)
        counters = dict(self._counters)
        return PoolStats(
            state=self._state,
            workers=self.workers,
            workers_alive=len(slots),  # not is_alive(): only the dispatcher may poll a process
            workers_ready=sum(1 for s in slots if s.ready),
            items_pending=len(self._backlog),
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
        """``verify_many`` for an event loop: awaits the dispatcher, never blocks the loop."""
        return await asyncio.wrap_future(self._submit(pairs, config, timeout_s))

    def _submit(
        self, pairs: Sequence[tuple[Any, str]], config: MathConfig, timeout_s: float | None
    ) -> Future[list[MathVerdict]]:
        future: Future[list[MathVerdict]] = Future()
        deadline = time.monotonic() + timeout_s if timeout_s is not None else None
        batch = _Batch(verdicts=[None] * len(pairs), remaining=len(pairs), future=future, deadline=deadline)
        items: list[PendingItem] = []
        config_hash = hash(config)
        for index, (gold, completion) in enumerate(pairs):
            if not isinstance(completion, str) or not _sendable(gold):
                batch.verdicts[index] = _verdict(Reason.INVALID_INPUT, "pool_input_check")
                batch.remaining -= 1
                continue
            key = hash((gold_key(gold), config_hash))  # only groups items: a collision costs a cache miss
            items.append(PendingItem(batch, index, gold, completion, config, key))
        if batch.remaining == 0:
            future.set_result([v for v in batch.verdicts if v is not None])
            return future
        with self._lock:
            if self._state != PoolState.RUNNING:
                raise PoolNotRunningError(self._state)
            self._inbox.append(batch)
            self._inbox.append(items)
        self._wake()
        return future

    # -- the dispatcher thread -----------------------------------------------------------------

    def _wake(self) -> None:
        if self._wake_w is not None:
            with contextlib.suppress(BlockingIOError, OSError):
                self._wake_w.send(b"\0")

    def _ready_count(self) -> int:
        return sum(1 for s in self._slots if s.ready)

    def _run(self) -> None:
        try:
            while self._state == PoolState.RUNNING:
                self._take_inbox()
                self._maintain_workers()
                self._dispatch()
                self._wait_and_handle()
                self._enforce_deadlines()
        except BaseException:
            with self._lock:
                self._state = PoolState.BROKEN
            raise
        finally:
            self._stop_workers()
            self._fail_everything("pool_closed")

    def _take_inbox(self) -> None:
        with self._lock:
            inbox, self._inbox = self._inbox, []
        for entry in inbox:
            if isinstance(entry, _Batch):
                self._batches.add(entry)
            else:
                for item in entry:
                    self._backlog.push(item)

    def _maintain_workers(self) -> None:
        now = time.monotonic()
        for proc in list(self._exiting):
            if not proc.is_alive():
                proc.join(0)
                self._exiting.remove(proc)
        while len(self._slots) < self.workers and now >= self._next_start_at:
            self._start_worker()
        if self._start_failures >= _MAX_START_FAILURES and not any(s.ready for s in self._slots):
            for item in self._backlog.drain():
                self._finish(item, _verdict(Reason.WORKER_ERROR, "pool_unavailable"))

    def _start_worker(self) -> None:
        parent_conn, child_conn = self._ctx.Pipe(duplex=True)
        progress = self._ctx.RawArray("d", 2)
        progress[0] = -1.0
        proc = self._ctx.Process(
            target=run_worker,
            args=(child_conn, self._options, progress),
            name="math-pool-worker",
            daemon=True,
        )
        try:
            proc.start()
        except Exception:
            parent_conn.close()
            self._note_start_failure()
            return
        finally:
            child_conn.close()
        self._slots.append(
            _Slot(process=proc, conn=parent_conn, progress=progress, started_at=time.monotonic())
        )

    def _note_start_failure(self) -> None:
        self._start_failures += 1
        self._next_start_at = time.monotonic() + min(30.0, 0.25 * 2**self._start_failures)
        with self._ready_changed:
            self._ready_changed.notify_all()

    def _dispatch(self) -> None:
        """Give idle workers a chunk each, then queue one more chunk behind busy workers.

        The second chunk waits in the pipe while the worker computes, so a worker never idles
        for a round trip through a busy dispatcher. It is sent only when small, so that
        ``send`` never blocks on a full pipe while a worker is stuck.
        """
        if not len(self._backlog):
            return
        ready = [s for s in self._slots if s.ready]
        for outstanding in (0, 1):
            for slot in ready:
                if not len(self._backlog):
                    return
                if len(slot.chunk_ends) != outstanding or (outstanding and slot.prefetch_blocked):
                    continue
                if outstanding and slot.items_done + len(slot.inflight) >= self.max_items_per_worker:
                    continue  # let it drain and be recycled
                limit = min(self.chunk_size, max(1, math.ceil(len(self._backlog) / len(ready))))
                recent = itertools.islice(reversed(slot.recent_keys), _AFFINITY_SCAN_KEYS)
                items, hit = self._backlog.take(limit, recent, _waiting)
                if not items:
                    return
                if outstanding and sum(len(i.completion) for i in items) > _PREFETCH_MAX_CHARS:
                    self._backlog.push_front(items)
                    slot.prefetch_blocked = True
                    continue
                self._send_chunk(slot, items, hit)

    def _send_chunk(self, slot: _Slot, items: list[PendingItem], hit: bool) -> None:
        if not slot.inflight:
            slot.item_started_at = time.monotonic()
        chunk = []
        for item in items:
            self._seq += 1
            slot.inflight.append((self._seq, item))
            chunk.append((self._seq, item.gold, item.completion, item.config))
            slot.recent_keys[item.key] = None
            slot.recent_keys.move_to_end(item.key)
        slot.chunk_ends.append(self._seq)
        while len(slot.recent_keys) > max(1, self.gold_cache_size):
            slot.recent_keys.popitem(last=False)
        self._counters["chunks_sent"] += 1
        self._counters["affinity_hits"] += int(hit)
        try:
            slot.conn.send(("chunk", chunk))
        except Exception:  # the worker died between its last message and now
            self._retire(slot, blame=None, restart=True)

    def _wait_and_handle(self) -> None:
        timeout = self._next_timeout()
        waitables: list[Any] = [self._wake_r]
        by_conn: dict[Any, _Slot] = {}
        by_sentinel: dict[int, _Slot] = {}
        for slot in self._slots:
            waitables.append(slot.conn)
            by_conn[slot.conn] = slot
            waitables.append(slot.process.sentinel)
            by_sentinel[slot.process.sentinel] = slot
        for ready in wait(waitables, timeout):
            if ready is self._wake_r:
                with contextlib.suppress(BlockingIOError, OSError):
                    while self._wake_r.recv(4096):
                        pass
            elif ready in by_conn:
                self._read_worker(by_conn[ready])
            elif ready in by_sentinel:  # the process ended: read what it sent, then bury it
                slot = by_sentinel[ready]
                self._read_worker(slot)
                if slot in self._slots:
                    self._on_worker_death(slot)

    def _next_timeout(self) -> float:
        now = time.monotonic()
        candidates = [1.0]
        for slot in self._slots:
            if slot.inflight:
                candidates.append(self._item_deadline(slot)[1] - now)
            elif not slot.ready:
                candidates.append(slot.started_at + self.startup_timeout_s - now)
        candidates.extend(b.deadline - now for b in self._batches if b.deadline is not None)
        if len(self._slots) < self.workers:
            candidates.append(self._next_start_at - now)
        return max(0.0, min(candidates))

    def _item_deadline(self, slot: _Slot) -> tuple[int | None, float]:
        """The item the worker is verifying now (if known) and when its time is up.

        The worker publishes the running item in shared memory; when it is between items (or
        still reading its chunk), the clock runs from its last message or the last send.
        """
        for _ in range(3):  # the worker may be writing; re-read until seq is stable
            seq, started = slot.progress[0], slot.progress[1]
            if slot.progress[0] == seq:
                break
        if seq >= 0:
            return int(seq), started + self.item_timeout_s
        return None, slot.item_started_at + self.item_timeout_s

    def _read_worker(self, slot: _Slot) -> None:
        try:
            while slot in self._slots and slot.conn.poll():
                message = slot.conn.recv()
                kind = message[0]
                if kind == "results":
                    for seq, verdict in message[1]:
                        if slot in self._slots:
                            self._on_result(slot, seq, verdict)
                elif kind == "ready":
                    slot.ready = True
                    self._start_failures = 0
                    with self._ready_changed:
                        self._ready_changed.notify_all()
                elif kind == "retire":
                    self._retire(slot, blame=None, restart=True)
                    self._counters["restarts"] += 1
        except (EOFError, OSError):
            if slot in self._slots:
                self._on_worker_death(slot)

    def _on_result(self, slot: _Slot, seq: int, verdict: MathVerdict | None) -> None:
        if not slot.inflight or slot.inflight[0][0] != seq:
            return  # cannot happen with an honest worker; ignore rather than misattribute
        _, item = slot.inflight.pop(0)
        if slot.chunk_ends and slot.chunk_ends[0] == seq:
            slot.chunk_ends.pop(0)
            slot.prefetch_blocked = False
        slot.items_done += 1
        slot.item_started_at = time.monotonic()
        if verdict is not None:
            self._finish(item, verdict)
        if not slot.inflight and slot.items_done >= self.max_items_per_worker:
            self._counters["recycles"] += 1
            self._retire(slot, blame=None, restart=True, graceful=True)

    def _on_worker_death(self, slot: _Slot) -> None:
        if slot.ready:
            self._counters["restarts"] += 1
        else:
            self._note_start_failure()
        seq, _ = self._item_deadline(slot)  # the shared memory outlives the process
        blame = _verdict(Reason.WORKER_ERROR, "worker_died") if seq is not None else None
        self._retire(slot, blame=blame, restart=True, blame_seq=seq, suspect_all=seq is None)

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        for slot in list(self._slots):
            if slot.inflight and now >= self._item_deadline(slot)[1]:
                self._read_worker(slot)  # results flushed just before the deadline still count
                if slot not in self._slots or not slot.inflight:
                    continue
                seq, deadline = self._item_deadline(slot)
                if now < deadline:
                    continue
                self._counters["restarts"] += 1
                elapsed_s = now - deadline + self.item_timeout_s
                # Stuck outside any item (seq None): no item to blame, each held one counts an attempt.
                blame = (
                    _verdict(Reason.TIMEOUT, "item_deadline", elapsed_s=elapsed_s)
                    if seq is not None
                    else None
                )
                self._retire(slot, blame=blame, restart=True, blame_seq=seq, suspect_all=seq is None)
            elif not slot.ready and now >= slot.started_at + self.startup_timeout_s:
                self._note_start_failure()
                self._retire(slot, blame=None, restart=True)
        for batch in [b for b in self._batches if b.future.done()]:  # cancelled by an asyncio caller
            self._batches.discard(batch)
            self._abandon(batch)
        for batch in [b for b in self._batches if b.deadline is not None and now >= b.deadline]:
            for index, verdict in enumerate(batch.verdicts):
                if verdict is None:
                    batch.verdicts[index] = _verdict(Reason.TIMEOUT, "batch_deadline")
                    self._counters["timeouts"] += 1
            batch.remaining = 0
            self._resolve(batch)
            self._abandon(batch)

    def _abandon(self, batch: _Batch) -> None:
        """Tell workers to skip the items of a batch nobody waits for any more (small message)."""
        for slot in list(self._slots):
            seqs = [seq for seq, item in slot.inflight[1:] if item.owner is batch]
            if seqs:
                try:
                    slot.conn.send(("cancel", seqs))
                except Exception:
                    self._retire(slot, blame=None, restart=True)

    def _retire(
        self,
        slot: _Slot,
        blame: MathVerdict | None,
        restart: bool,
        graceful: bool = False,
        blame_seq: int | None = None,
        suspect_all: bool = False,
    ) -> None:
        """Remove a worker and re-queue what it held.

        ``blame`` is the verdict of the item it was working on: the one numbered ``blame_seq``,
        or its first unfinished item when the running one is unknown. The others go back to the
        head of the backlog (finished ones whose results were not sent yet are run again).
        ``suspect_all``: the worker died outside any item, so every item it held counts an
        attempt; one that reaches ``_MAX_ATTEMPTS`` is not tried again.
        """
        self._slots.remove(slot)
        held = list(slot.inflight)
        slot.inflight.clear()
        slot.chunk_ends.clear()
        if blame is not None and held:
            index = next((i for i, (seq, _) in enumerate(held) if seq == blame_seq), 0)
            self._finish(held.pop(index)[1], blame)
        requeue = []
        for _, item in held:
            item.attempts += int(suspect_all)
            if item.attempts >= _MAX_ATTEMPTS:  # it was held by every worker that died: stop here
                self._finish(item, _verdict(Reason.WORKER_ERROR, "worker_died_repeatedly"))
            elif _waiting(item):
                requeue.append(item)
        self._backlog.push_front(requeue)
        if graceful:
            with contextlib.suppress(Exception):
                slot.conn.send(None)
        else:
            with contextlib.suppress(Exception):
                slot.process.kill()
        slot.conn.close()
        self._exiting.append(slot.process)
        if restart and self._state == PoolState.RUNNING and time.monotonic() >= self._next_start_at:
            self._start_worker()

    def _finish(self, item: PendingItem, verdict: MathVerdict) -> None:
        batch: _Batch = item.owner
        if batch.remaining == 0 or batch.verdicts[item.index] is not None:
            return
        batch.verdicts[item.index] = verdict
        batch.remaining -= 1
        self._counters["items_done"] += 1
        if verdict.reason is Reason.TIMEOUT:
            self._counters["timeouts"] += 1
        elif verdict.reason is Reason.WORKER_ERROR:
            self._counters["worker_errors"] += 1
        if batch.remaining == 0:
            self._resolve(batch)

    def _resolve(self, batch: _Batch) -> None:
        self._batches.discard(batch)
        with contextlib.suppress(InvalidStateError):  # the caller cancelled (asyncio)
            batch.future.set_result([v for v in batch.verdicts if v is not None])

    def _fail_everything(self, method: str) -> None:
        self._take_inbox()
        self._backlog.drain()
        for batch in list(self._batches):
            for index, verdict in enumerate(batch.verdicts):
                if verdict is None:
                    batch.verdicts[index] = _verdict(Reason.WORKER_ERROR, method)
                    self._counters["worker_errors"] += 1
            batch.remaining = 0
            self._resolve(batch)

    def _stop_workers(self) -> None:
        for slot in list(self._slots):
            with contextlib.suppress(Exception):
                slot.conn.send(None)
        deadline = time.monotonic() + _STOP_GRACE_S
        for slot in list(self._slots):
            slot.process.join(max(0.0, deadline - time.monotonic()))
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join(_STOP_GRACE_S)
            slot.conn.close()
        self._slots.clear()
        for proc in self._exiting:
            proc.join(_STOP_GRACE_S)
        self._exiting.clear()
        with self._ready_changed:
            self._ready_changed.notify_all()


def _waiting(item: PendingItem) -> bool:
    """Whether the item's caller still waits for it (not timed out, not cancelled)."""
    batch: _Batch = item.owner
    return batch.remaining > 0 and not batch.future.done()


def _sendable(gold: Any) -> bool:
    if isinstance(gold, _PLAIN_GOLD_TYPES):
        return True
    try:
        pickle.dumps(gold)
    except Exception:
        return False
    return True
