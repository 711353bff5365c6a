"""The math pool's worker process: a warm loop that verifies chunks of pairs under a memory cap.

Why a separate module: this code runs in the child process only. It must import nothing that
starts threads or connections, and it must stay small so that a forkserver can preload it.

The protocol over the pipe (all messages are pickled tuples):

- parent -> worker: ``("chunk", [(seq, gold, completion, config), ...])``, ``("cancel", [seq,
  ...])`` (the caller gave up on these: skip them if not started) or ``None`` (stop).
- worker -> parent: ``("ready", pid)`` once warm; ``("results", [(seq, verdict | None), ...])``
  in order, batched (``None``: a cancelled item, skipped); ``("retire", seq)`` after a
  ``MemoryError`` (the verdict for ``seq`` was sent just before; the worker exits because its
  heap is suspect).
- shared memory ``progress``: the item being verified now and when it started, so the parent can
  account a deadline per item and blame the right one however results are batched.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import os
import pickle
import resource
import signal
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from verifiers.math.config import MathConfig
from verifiers.math.verdict import MathVerdict, Reason

__all__ = ["WorkerOptions", "gold_key", "run_worker"]

VerifyFn = Callable[[Any, str, MathConfig], MathVerdict]

_PR_SET_PDEATHSIG = 1
_MAX_KEY_CHARS = 4096
_FLUSH_ITEMS = 32  # results sent in one message at most
_FLUSH_S = 0.005  # a result waits at most this long for others to share its message  # golds longer than this are keyed by hash, not by value


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """What a worker needs besides its pipe; picklable, sent once at process start."""

    verify: VerifyFn
    memory_mb: int | None
    gold_cache_size: int
    warm_modules: tuple[str, ...]
    prepare_gold: Callable[[Any, MathConfig], Any] | None = None  # with verify_prepared: cache golds
    verify_prepared: Callable[[Any, str, MathConfig], MathVerdict] | None = None


def gold_key(gold: Any) -> Hashable:
    """A hashable, cheap identity for a gold answer (golds may be lists, dicts or huge strings).

    The type is part of the key so that ``1`` and ``"1"`` never share a cache entry.
    """
    text = gold if isinstance(gold, str) else repr(gold)
    if len(text) > _MAX_KEY_CHARS:
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        text = f"#{digest}:{len(text)}"
    return (type(gold).__name__, text)


class _GoldCache:
    """A small LRU of prepared golds, used when the verifier splits gold parsing from comparing.

    A GRPO group scores many completions against one gold; the pool routes a group to one
    worker, so the gold is parsed once per worker instead of once per completion.
    """

    def __init__(
        self,
        prepare: Callable[[Any, MathConfig], Any],
        verify_prepared: Callable[[Any, str, MathConfig], MathVerdict],
        size: int,
    ) -> None:
        self._prepare = prepare
        self._verify_prepared = verify_prepared
        self._size = size
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()

    def verify(self, gold: Any, completion: str, config: MathConfig) -> MathVerdict:
        key = (gold_key(gold), config)
        prepared = self._entries.get(key)
        if prepared is None:
            prepared = self._prepare(gold, config)
            self._entries[key] = prepared
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        return self._verify_prepared(prepared, completion, config)


def _resolve_verify(options: WorkerOptions) -> VerifyFn:
    """Cache parsed golds when the verifier splits gold parsing from comparing; else call it."""
    prepare, verify_prepared = options.prepare_gold, options.verify_prepared
    if options.gold_cache_size > 0 and prepare is not None and verify_prepared is not None:
        return _GoldCache(prepare, verify_prepared, options.gold_cache_size).verify
    return options.verify


def _limit_memory(memory_mb: int | None) -> None:
    if memory_mb is None:
        return
    limit = memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _die_with_parent() -> None:
    """Best effort on Linux: a worker stuck in C code must not outlive the pool."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _error_verdict(started: float, method: str) -> MathVerdict:
    return MathVerdict(
        correct=False,
        reason=Reason.WORKER_ERROR,
        method=method,
        elapsed_s=time.perf_counter() - started,
    )


class _Inbox:
    """Chunks received but not yet verified, and the items the parent no longer wants."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.items: deque[tuple[int, Any, str, MathConfig]] = deque()
        self.skip: set[int] = set()
        self.stopped = False

    def _take(self, message: Any) -> None:
        if message is None:
            self.stopped = True
        elif message[0] == "chunk":
            self.items.extend(message[1])
        elif message[0] == "cancel":
            self.skip.update(message[1])

    def fill(self) -> None:
        """Block for a message when idle; otherwise read whatever is already waiting."""
        try:
            if not self.items:
                self.skip.clear()  # every cancelled item was either run already or is gone
                self._take(self._conn.recv())
            while not self.stopped and self._conn.poll():
                self._take(self._conn.recv())
        except (EOFError, OSError):
            self.stopped = True


class _Outbox:
    """Results waiting to go to the parent, sent in batches to cut pipe round trips.

    Batching is safe for deadlines because the parent reads the running item from shared memory
    (``progress``), not from the timing of messages.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._results: list[tuple[int, MathVerdict | None]] = []
        self._first_at = 0.0

    def add(self, seq: int, verdict: MathVerdict | None) -> None:
        if not self._results:
            self._first_at = time.monotonic()
        self._results.append((seq, verdict))
        if len(self._results) >= _FLUSH_ITEMS or time.monotonic() - self._first_at >= _FLUSH_S:
            self.flush()

    def flush(self) -> None:
        if not self._results:
            return
        results, self._results = self._results, []
        try:
            self._conn.send(("results", results))
        except (pickle.PicklingError, TypeError, AttributeError):  # an unpicklable injected verdict
            self._conn.send(("results", [(seq, _sendable(seq, v)) for seq, v in results]))


def _sendable(seq: int, verdict: MathVerdict | None) -> MathVerdict | None:
    try:
        pickle.dumps(verdict)
    except Exception as exc:
        return _error_verdict(time.perf_counter(), f"unsendable:{type(exc).__name__}")
    return verdict


def run_worker(conn: Connection, options: WorkerOptions, progress: Any) -> None:
    """The worker's main loop; returns when the parent sends ``None`` or closes the pipe.

    ``progress`` is a shared ``[seq, started_monotonic]`` array: the item being verified now
    (seq -1: none), so the parent knows which item to blame when it kills this process.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business
    _die_with_parent()
    for name in options.warm_modules:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    verify = _resolve_verify(options)
    _limit_memory(options.memory_mb)
    progress[0] = -1.0
    conn.send(("ready", os.getpid()))
    inbox, outbox = _Inbox(conn), _Outbox(conn)
    while True:
        if not inbox.items:
            outbox.flush()  # about to block: everything done so far goes out first
        inbox.fill()
        if inbox.stopped:
            with contextlib.suppress(Exception):
                outbox.flush()
            return
        seq, gold, completion, config = inbox.items.popleft()
        if seq in inbox.skip:
            inbox.skip.discard(seq)
            outbox.add(seq, None)
            continue
        started = time.perf_counter()
        progress[1] = time.monotonic()
        progress[0] = float(seq)
        try:
            verdict = verify(gold, completion, config)
        except MemoryError:
            verdict = None
        except Exception as exc:  # the verifier must not raise; if it does, it is our bug
            verdict = _error_verdict(started, f"exception:{type(exc).__name__}")
        progress[0] = -1.0
        if verdict is None:
            outbox.add(seq, _error_verdict(started, "memory_limit"))
            outbox.flush()
            conn.send(("retire", seq))
            return
        outbox.add(seq, verdict)
