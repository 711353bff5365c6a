"""The math pool's dispatcher: the one thread that owns the worker processes.

Why one thread: every decision (which worker gets which chunk, when an item's time is up, which
items a dead worker held) reads and changes the same state; one owner needs no locks around it.
Callers only touch the inbox (under a lock) and wait on their batch's future.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import socket
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any

from verifiers.math._backlog import Backlog, PendingItem
from verifiers.math._batch import Batch, error_verdict
from verifiers.math._blame import isolate_suspect, settle
from verifiers.math._handle import WorkerHandle
from verifiers.math._worker import WorkerOptions
from verifiers.math.verdict import MathVerdict, Reason

__all__ = ["COUNTERS", "Dispatcher", "PoolLimits"]

_MAX_START_FAILURES = 3  # consecutive failed worker starts before pending items are failed
_STOP_GRACE_S = 1.0  # how long stopping waits for a worker to exit before killing it
_AFFINITY_SCAN_KEYS = 32  # how many of a worker's recent golds are looked for in the backlog
# What the dispatcher counts since start (the fields of ``PoolStats`` that are counters).
COUNTERS = ("restarts", "recycles", "timeouts", "worker_errors", "items_done", "chunks_sent", "affinity_hits")
_PREFETCH_MAX_CHARS = 16_384  # a queued second chunk must fit the pipe's buffer (64 KiB on Linux)


@dataclass(frozen=True, slots=True)
class PoolLimits:
    """The pool's limits, validated by ``MathPool``."""

    workers: int
    item_timeout_s: float
    max_items_per_worker: int
    chunk_size: int
    gold_cache_size: int
    startup_timeout_s: float


class Dispatcher:
    """Starts, feeds, times and replaces the workers; ``run`` is the body of the pool's thread."""

    def __init__(self, limits: PoolLimits, ctx: Any, options: WorkerOptions) -> None:
        self._limits = limits
        self._ctx = ctx
        self._options = options
        self._lock = threading.Lock()
        self._ready_changed = threading.Condition(self._lock)
        self._inbox: list[Batch | list[PendingItem]] = []
        self._accepting = True
        self.broken = False  # run() died of a bug; the pool reports it unhealthy
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._slots: list[WorkerHandle] = []
        self._exiting: list[Any] = []  # processes stopped or killed, to be joined
        self._backlog = Backlog()
        self._batches: set[Batch] = set()
        self._seq = 0
        self._start_failures = 0
        self._next_start_at = 0.0
        self._counters = dict.fromkeys(COUNTERS, 0)

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            self._wake_w.send(b"\0")

    def run(self) -> None:
        """The thread's body: returns after ``stop()``, with every worker stopped and every caller
        answered."""
        try:
            while self._accepting:
                self._take_inbox()
                self._maintain_workers()
                self._dispatch()
                self._wait_and_handle()
                self._enforce_deadlines()
        except BaseException:
            self.broken = True
            raise
        finally:
            with self._lock:
                self._accepting = False
            self._stop_workers()
            self._fail_everything("pool_closed")
            self._wake_r.close()
            self._wake_w.close()

    def submit(self, batch: Batch, items: list[PendingItem]) -> bool:
        """Queue a batch (any thread); False when the dispatcher no longer accepts work."""
        with self._lock:
            if not self._accepting:
                return False
            self._inbox.append(batch)
            self._inbox.append(items)
        self._wake()
        return True

    def stop(self) -> None:
        """Ask the thread to stop (any thread); ``run`` then fails what is still waiting."""
        with self._lock:
            self._accepting = False
        self._wake()

    def wait_ready(self, timeout_s: float) -> int:
        """Block until every worker is warm, starting keeps failing, or ``timeout_s`` passes."""
        deadline = time.monotonic() + timeout_s
        with self._ready_changed:
            while (
                self.ready_count() < self._limits.workers
                and time.monotonic() < deadline
                and self._start_failures < _MAX_START_FAILURES
            ):
                self._ready_changed.wait(timeout=max(0.0, deadline - time.monotonic()))
            return self.ready_count()

    def ready_count(self) -> int:
        """Workers that said ready; ``wait_ready`` and the pool's health read it."""
        return sum(1 for s in self._slots if s.ready)

    def snapshot(self) -> tuple[int, int, int, dict[str, int]]:
        """(workers alive, workers ready, items pending, counters) for the pool's stats; any thread.

        Alive counts the processes the dispatcher holds: only the dispatcher may poll a process.
        """
        slots = list(self._slots)
        return len(slots), sum(1 for s in slots if s.ready), len(self._backlog), dict(self._counters)

    def _take_inbox(self) -> None:
        with self._lock:
            inbox, self._inbox = self._inbox, []
        for entry in inbox:
            if isinstance(entry, Batch):
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
        while len(self._slots) < self._limits.workers and now >= self._next_start_at:
            self._start_worker()
        if self._start_failures >= _MAX_START_FAILURES and not any(s.ready for s in self._slots):
            for item in self._backlog.drain():
                self._finish(item, error_verdict(Reason.WORKER_ERROR, "pool_unavailable"))

    def _start_worker(self) -> None:
        try:
            self._slots.append(WorkerHandle.spawn(self._ctx, self._options))
        except Exception:
            self._note_start_failure()

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
                if outstanding and slot.items_done + len(slot.inflight) >= self._limits.max_items_per_worker:
                    continue  # let it drain and be recycled
                if outstanding and any(item.attempts for _, item in slot.inflight):
                    continue  # nothing queues behind a suspect: its next death must blame it alone
                limit = min(self._limits.chunk_size, max(1, math.ceil(len(self._backlog) / len(ready))))
                recent = itertools.islice(reversed(slot.recent_keys), _AFFINITY_SCAN_KEYS)
                items, hit = self._backlog.take(limit, recent, _waiting)
                if not items:
                    return
                items, back = isolate_suspect(items, alone=not outstanding)
                self._backlog.push_front(back)
                if not items:
                    continue
                if outstanding and sum(len(i.completion) for i in items) > _PREFETCH_MAX_CHARS:
                    self._backlog.push_front(items)
                    slot.prefetch_blocked = True
                    continue
                self._send_chunk(slot, items, hit)

    def _send_chunk(self, slot: WorkerHandle, items: list[PendingItem], hit: bool) -> None:
        chunk = slot.hold(items, self._seq + 1, self._limits.gold_cache_size)
        self._seq += len(items)
        self._counters["chunks_sent"] += 1
        self._counters["affinity_hits"] += int(hit)
        try:
            slot.conn.send(("chunk", chunk))
        except Exception:  # the worker died between its last message and now
            self._retire(slot, blame=None, restart=True)

    def _wait_and_handle(self) -> None:
        timeout = self._next_timeout()
        waitables: list[Any] = [self._wake_r]
        by_conn: dict[Any, WorkerHandle] = {}
        by_sentinel: dict[int, WorkerHandle] = {}
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
                candidates.append(slot.started_at + self._limits.startup_timeout_s - now)
        candidates.extend(b.deadline - now for b in self._batches if b.deadline is not None)
        if len(self._slots) < self._limits.workers:
            candidates.append(self._next_start_at - now)
        return max(0.0, min(candidates))

    def _item_deadline(self, slot: WorkerHandle) -> tuple[int | None, float]:
        return slot.running(self._limits.item_timeout_s)

    def _read_worker(self, slot: WorkerHandle) -> None:
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

    def _on_result(self, slot: WorkerHandle, seq: int, verdict: MathVerdict | None) -> None:
        item = slot.answered(seq)
        if item is not None and verdict is not None:
            self._finish(item, verdict)
        if not slot.inflight and slot.items_done >= self._limits.max_items_per_worker:
            self._counters["recycles"] += 1
            self._retire(slot, blame=None, restart=True, graceful=True)

    def _on_worker_death(self, slot: WorkerHandle) -> None:
        if slot.ready:
            self._counters["restarts"] += 1
        else:
            self._note_start_failure()
        seq, _ = self._item_deadline(slot)  # the shared memory outlives the process
        blame = error_verdict(Reason.WORKER_ERROR, "worker_died") if seq is not None else None
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
                elapsed_s = now - deadline + self._limits.item_timeout_s
                # Stuck outside any item (seq None): no item to blame, each held one counts an attempt.
                blame = (
                    error_verdict(Reason.TIMEOUT, "item_deadline", elapsed_s=elapsed_s)
                    if seq is not None
                    else None
                )
                self._retire(slot, blame=blame, restart=True, blame_seq=seq, suspect_all=seq is None)
            elif not slot.ready and now >= slot.started_at + self._limits.startup_timeout_s:
                self._note_start_failure()
                self._retire(slot, blame=None, restart=True)
        for batch in [b for b in self._batches if b.future.done()]:  # cancelled by an asyncio caller
            self._batches.discard(batch)
            self._abandon(batch)
        for batch in [b for b in self._batches if b.deadline is not None and now >= b.deadline]:
            self._batches.discard(batch)
            self._counters["timeouts"] += batch.fill_rest(Reason.TIMEOUT, "batch_deadline")
            self._abandon(batch)

    def _abandon(self, batch: Batch) -> None:
        """Tell workers to skip the items of a batch nobody waits for any more (small message)."""
        for slot in list(self._slots):
            seqs = list(slot.held_seqs(batch))
            if seqs:
                try:
                    slot.conn.send(("cancel", seqs))
                except Exception:
                    self._retire(slot, blame=None, restart=True)

    def _retire(
        self,
        slot: WorkerHandle,
        blame: MathVerdict | None,
        restart: bool,
        graceful: bool = False,
        blame_seq: int | None = None,
        suspect_all: bool = False,
    ) -> None:
        """Remove a worker and re-queue what it held.

        ``blame``, ``blame_seq`` and ``suspect_all`` decide what becomes of the items it held
        (``_blame.settle``).
        """
        self._slots.remove(slot)
        settlement = settle(slot.release(), blame, blame_seq, suspect_all, _waiting)
        for item, verdict in settlement.finished:
            self._finish(item, verdict)
        self._backlog.push_front(settlement.requeue)
        slot.end(graceful)
        self._exiting.append(slot.process)
        if restart and self._accepting and time.monotonic() >= self._next_start_at:
            self._start_worker()

    def _finish(self, item: PendingItem, verdict: MathVerdict) -> None:
        batch: Batch = item.owner
        if not batch.fill(item.index, verdict):
            return
        self._counters["items_done"] += 1
        if verdict.reason is Reason.TIMEOUT:
            self._counters["timeouts"] += 1
        elif verdict.reason is Reason.WORKER_ERROR:
            self._counters["worker_errors"] += 1
        if batch.remaining == 0:
            self._batches.discard(batch)

    def _fail_everything(self, method: str) -> None:
        self._take_inbox()
        self._backlog.drain()
        for batch in list(self._batches):
            self._batches.discard(batch)
            self._counters["worker_errors"] += batch.fill_rest(Reason.WORKER_ERROR, method)

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
    batch: Batch = item.owner
    return batch.waiting
