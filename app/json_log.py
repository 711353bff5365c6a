"""Structured logs: one JSON object per line, so log shippers need no parsing rules.

Why a repeat filter too: a failure that hits every request (Redis down, no file descriptors left
to accept with) must not turn into a traceback per request; the same warning or error is written
once per interval, with the count of the ones left out since the previous line.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections import OrderedDict
from typing import Any

__all__ = ["JsonFormatter", "RepeatFilter", "configure_logging"]

_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Time, level, logger, message, exception, plus any ``extra=`` fields of the call."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                body[key] = value
        if record.exc_info:
            body["exc"] = self.formatException(record.exc_info)
        return json.dumps(body, default=str)


class RepeatFilter(logging.Filter):
    """Passes a warning/error once per ``interval_s`` per (logger, level, message template,
    exception type); the next one passed carries ``repeated``: how many were left out before it.

    INFO and below always pass (they are per-request facts, not a failure storm). At most
    ``max_keys`` distinct messages are tracked (the oldest forgotten), so the filter's own memory is
    bounded even when messages are formatted before logging.
    """

    def __init__(self, interval_s: float, *, max_keys: int = 1024) -> None:
        super().__init__()
        self._interval_s = interval_s
        self._max_keys = max_keys
        self._seen: OrderedDict[tuple[Any, ...], list[float]] = OrderedDict()  # key -> [since, left out]
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if self._interval_s <= 0 or record.levelno < logging.WARNING:
            return True
        exc_type = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else None
        key = (record.name, record.levelno, str(record.msg), exc_type)
        now = time.monotonic()
        with self._lock:
            entry = self._seen.get(key)
            if entry is not None and now - entry[0] < self._interval_s:
                entry[1] += 1
                return False
            if entry is not None and entry[1]:
                record.repeated = int(entry[1])
                record.repeated_over_s = round(now - entry[0], 1)
            self._seen[key] = [now, 0]
            self._seen.move_to_end(key)
            while len(self._seen) > self._max_keys:
                self._seen.popitem(last=False)
        return True


def configure_logging(level: str = "INFO", *, repeat_interval_s: float = 10.0) -> None:
    """JSON lines on stderr from the root logger; called at process start-up, never on import.

    Idempotent, and it leaves other handlers alone (pytest's capture, an operator's own).
    """
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RepeatFilter(repeat_interval_s))
        root.addHandler(handler)
    root.setLevel(level.upper())
