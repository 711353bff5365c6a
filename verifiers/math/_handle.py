"""The dispatcher's handle on one worker process: its pipe, its shared progress, what it holds.

Why a handle: the bookkeeping of one worker (which items it holds in which order, which chunks
are outstanding, which golds it has cached, which item it is running now) is separate from the
policy of the dispatcher that decides what to send where and when to kill.
"""

from __future__ import annotations

import contextlib
import time
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from verifiers.math._backlog import PendingItem
from verifiers.math._worker import WorkerOptions, run_worker

__all__ = ["WorkerHandle"]


@dataclass(slots=True, eq=False)
class WorkerHandle:
    """One started worker process. Only the dispatcher thread touches it."""

    process: Any  # multiprocessing.Process of the pool's context
    conn: Connection
    progress: Any  # shared [seq running now (-1: none), its start on time.monotonic()]
    started_at: float
    ready: bool = False
    inflight: list[tuple[int, PendingItem]] = field(default_factory=list)  # sent, not answered
    item_started_at: float = 0.0  # last send or answer: the clock when no item is running
    items_done: int = 0
    recent_keys: OrderedDict[Hashable, None] = field(default_factory=OrderedDict)  # mirrors its cache
    chunk_ends: list[int] = field(default_factory=list)  # last seq of each chunk sent, not done
    prefetch_blocked: bool = False  # a large chunk is waiting: no second chunk until it is sent

    @classmethod
    def spawn(cls, ctx: Any, options: WorkerOptions) -> WorkerHandle:
        """Start a worker process; it reports ``ready`` over the pipe once warm."""
        parent_conn, child_conn = ctx.Pipe(duplex=True)
        progress = ctx.RawArray("d", 2)
        progress[0] = -1.0
        proc = ctx.Process(
            target=run_worker,
            args=(child_conn, options, progress),
            name="math-pool-worker",
            daemon=True,
        )
        try:
            proc.start()
        except BaseException:
            parent_conn.close()
            raise
        finally:
            child_conn.close()
        return cls(process=proc, conn=parent_conn, progress=progress, started_at=time.monotonic())

    def running(self, item_timeout_s: float) -> tuple[int | None, float]:
        """The item being verified now (None: between items) and when its time is up.

        Read from shared memory, so it stays right however the worker batches its results, and
        after the worker died.
        """
        seq, started = self.progress[0], self.progress[1]
        for _ in range(3):  # the worker may be writing; re-read until seq is stable
            if self.progress[0] == seq:
                break
            seq, started = self.progress[0], self.progress[1]
        if seq >= 0:
            return int(seq), started + item_timeout_s
        return None, self.item_started_at + item_timeout_s

    def hold(self, items: list[PendingItem], first_seq: int, cache_size: int) -> list[tuple[Any, ...]]:
        """Record a chunk as sent (items numbered from ``first_seq``); returns its payload."""
        if not self.inflight:
            self.item_started_at = time.monotonic()
        chunk = []
        for seq, item in enumerate(items, start=first_seq):
            self.inflight.append((seq, item))
            chunk.append((seq, item.gold, item.completion, item.config))
            self.recent_keys[item.key] = None
            self.recent_keys.move_to_end(item.key)
        self.chunk_ends.append(first_seq + len(items) - 1)
        while len(self.recent_keys) > max(1, cache_size):
            self.recent_keys.popitem(last=False)
        return chunk

    def answered(self, seq: int) -> PendingItem | None:
        """The held item an answer numbered ``seq`` is for (answers come in order)."""
        if not self.inflight or self.inflight[0][0] != seq:
            return None  # cannot happen with an honest worker; ignore rather than misattribute
        _, item = self.inflight.pop(0)
        if self.chunk_ends and self.chunk_ends[0] == seq:
            self.chunk_ends.pop(0)
            self.prefetch_blocked = False
        self.items_done += 1
        self.item_started_at = time.monotonic()
        return item

    def release(self) -> list[tuple[int, PendingItem]]:
        """Forget and return everything held (the worker is going away)."""
        held = list(self.inflight)
        self.inflight.clear()
        self.chunk_ends.clear()
        return held

    def held_seqs(self, owner: Any) -> Iterator[int]:
        """Seqs of held items of ``owner`` that the worker has not started (not the first)."""
        return (seq for seq, item in self.inflight[1:] if item.owner is owner)

    def end(self, graceful: bool) -> None:
        """Ask the worker to exit after its chunk (``graceful``) or SIGKILL it; close the pipe."""
        with contextlib.suppress(Exception):
            if graceful:
                self.conn.send(None)
            else:
                self.process.kill()
        self.conn.close()
