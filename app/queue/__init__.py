"""Job queues: Redis Streams (distributed) and in-process (embedded default), one contract."""

from app.queue.base import (
    Handler,
    QueueError,
    QueueFullError,
    QueueUnavailableError,
    Task,
    TaskQueue,
    TaskResult,
)

__all__ = [
    "Handler",
    "QueueError",
    "QueueFullError",
    "QueueUnavailableError",
    "Task",
    "TaskQueue",
    "TaskResult",
]
