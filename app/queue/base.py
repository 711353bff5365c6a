"""The job-queue contract shared by the Redis Streams queue and the in-process queue.

The queue moves opaque byte payloads: the API and the worker's executor agree on the payload's
JSON, the queue does not look inside. Both implementations give the same semantics:

- ``submit`` enqueues tasks or raises ``QueueFullError`` (the API turns it into 429/503 with
  ``Retry-After``); a task is delivered to one worker at a time.
- A worker acks a task only after its result is stored. A task whose worker died is delivered
  again after ``visibility_timeout_s``; after ``max_deliveries`` it is dead-lettered and its
  result is a ``TaskResult`` with ``error`` set, so the waiting request still completes.
- ``results`` waits for the named tasks without a CPU-burning poll loop and returns what
  arrived by the deadline (missing ids: not done in time).
- A task carries its request's ``Deadline`` on the envelope (not in the payload): a task whose
  deadline passed before a worker took it is dropped without running (its result is an error),
  and the handler gets the deadline so it stops computing when nobody waits any more.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from app.deadline import Deadline

__all__ = [
    "ABANDON_GRACE_S",
    "DEADLINE_PASSED",
    "Handler",
    "QueueError",
    "QueueFullError",
    "QueueUnavailableError",
    "Task",
    "TaskQueue",
    "TaskResult",
]


@dataclass(frozen=True, slots=True)
class Task:
    task_id: str
    payload: bytes
    deadline: Deadline | None = None  # None: no deadline (the handler's own bounds apply)


@dataclass(frozen=True, slots=True)
class TaskResult:
    task_id: str
    payload: bytes = b""
    error: str | None = None  # set when the task was dead-lettered or its handler failed


# What a worker runs for each task: payload and the task's deadline in, result payload out.
Handler = Callable[[bytes, Deadline | None], Awaitable[bytes]]

# The error of a task dropped or abandoned because its deadline passed.
DEADLINE_PASSED = "deadline_passed"

# A handler still running this long after its task's deadline is abandoned (its slot freed at
# once; the handler's own deadline plumbing stops the work itself).
ABANDON_GRACE_S = 1.0


class QueueError(Exception):
    """Base class of queue failures."""


class QueueFullError(QueueError):
    """Backpressure: the queue holds ``depth`` tasks, at or over ``max_depth``."""

    def __init__(self, depth: int, max_depth: int, retry_after_s: float) -> None:
        self.depth = depth
        self.max_depth = max_depth
        self.retry_after_s = retry_after_s
        super().__init__(f"queue full: {depth} tasks queued (limit {max_depth})")


class QueueUnavailableError(QueueError):
    """The queue's backing store (Redis) cannot be reached."""


class TaskQueue(Protocol):
    """Producer side, used by the API."""

    async def submit(self, tasks: Sequence[Task]) -> None: ...

    async def results(self, task_ids: Sequence[str], timeout_s: float) -> dict[str, TaskResult]: ...

    async def depth(self) -> int: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...
