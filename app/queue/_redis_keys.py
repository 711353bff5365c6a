"""What the Redis producer and worker agree on: key names, entry fields, the result frame.

Why one private module: both sides of the queue may run different processes on different
machines; a key or field spelled in one place cannot drift.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.deadline import Deadline
from app.queue.base import TaskResult

__all__ = [
    "F_ATTEMPTS",
    "F_DEADLINE",
    "F_PAYLOAD",
    "F_REPLY",
    "F_TASK_ID",
    "UNREACHABLE",
    "Keys",
    "WorkerHeartbeat",
    "connect",
    "decode_deadline",
    "decode_result",
    "encode_deadline",
    "encode_result",
]

# Exceptions that mean "Redis cannot be reached right now" (as opposed to a command error).
UNREACHABLE: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError, OSError)

F_TASK_ID = "task_id"
F_PAYLOAD = "payload"
F_REPLY = "reply"
F_ATTEMPTS = "attempts"  # deliveries that failed before this entry was (re)added
F_DEADLINE = "deadline_unix_s"  # the request's deadline (empty: none); the envelope, not the payload


@dataclass(frozen=True, slots=True)
class Keys:
    """Key names under one prefix, so several deployments can share a Redis."""

    prefix: str = "arbiter"

    @property
    def stream(self) -> str:
        return f"{self.prefix}:tasks"

    @property
    def group(self) -> str:
        return f"{self.prefix}:workers"

    @property
    def dead_letters(self) -> str:
        return f"{self.prefix}:dead"

    def reply(self, token: str) -> str:
        return f"{self.prefix}:reply:{token}"

    def heartbeat(self, consumer: str) -> str:
        return f"{self.prefix}:heartbeat:{consumer}"

    @property
    def live_workers(self) -> str:
        """Sorted set: consumer name -> when its liveness lapses (Unix seconds)."""
        return f"{self.prefix}:live-workers"

    @property
    def heartbeat_pattern(self) -> str:
        return f"{self.prefix}:heartbeat:*"


@dataclass(frozen=True, slots=True)
class WorkerHeartbeat:
    """What a live worker last reported (``/readyz`` and metrics)."""

    consumer: str
    host: str
    pid: int
    in_flight: int
    processed: int
    failed: int
    dead_lettered: int
    started_unix_s: float

    def to_json(self) -> str:
        return json.dumps({name: getattr(self, name) for name in self.__slots__})

    @staticmethod
    def from_json(raw: bytes | str) -> WorkerHeartbeat:
        d = json.loads(raw)
        return WorkerHeartbeat(
            consumer=str(d["consumer"]),
            host=str(d["host"]),
            pid=int(d["pid"]),
            in_flight=int(d["in_flight"]),
            processed=int(d["processed"]),
            failed=int(d["failed"]),
            dead_lettered=int(d["dead_lettered"]),
            started_unix_s=float(d["started_unix_s"]),
        )


def encode_deadline(deadline: Deadline | None) -> str:
    return "" if deadline is None else repr(deadline.at_unix_s)


def decode_deadline(raw: bytes | None) -> Deadline | None:
    """The entry's deadline; a missing or garbled field (an older producer) is no deadline."""
    try:
        return Deadline(float(raw)) if raw else None
    except ValueError:
        return None


def encode_result(result: TaskResult) -> bytes:
    """A JSON header line, then the raw payload bytes (no base64 blow-up)."""
    header = json.dumps({"task_id": result.task_id, "error": result.error}).encode()
    return header + b"\n" + result.payload


def decode_result(frame: bytes) -> TaskResult:
    header, _, payload = frame.partition(b"\n")
    d = json.loads(header)
    return TaskResult(task_id=str(d["task_id"]), payload=payload, error=d.get("error"))


def connect(url: str, *, socket_timeout_s: float, connect_timeout_s: float) -> aioredis.Redis:
    """A client whose every call is bounded in time (no I/O happens here)."""
    return aioredis.Redis.from_url(
        url,
        socket_timeout=socket_timeout_s,
        socket_connect_timeout=connect_timeout_s,
        retry_on_timeout=False,
        health_check_interval=30,
    )
