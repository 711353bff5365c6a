"""JSON log lines carry the standard fields, extras and exceptions."""

from __future__ import annotations

import json
import logging

from app.json_log import JsonFormatter


def test_json_line():
    record = logging.LogRecord("arbiter.x", logging.WARNING, __file__, 1, "scored %d items", (3,), None)
    record.request_id = "r1"
    body = json.loads(JsonFormatter().format(record))
    assert body["level"] == "WARNING" and body["msg"] == "scored 3 items" and body["request_id"] == "r1"
    assert body["logger"] == "arbiter.x"


def test_exception_is_included():
    try:
        raise ValueError("bad")
    except ValueError:
        import sys

        record = logging.LogRecord("a", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    body = json.loads(JsonFormatter().format(record))
    assert "ValueError: bad" in body["exc"]


def test_configure_is_idempotent_and_keeps_other_handlers():
    from app.json_log import configure_logging

    root = logging.getLogger()
    saved = list(root.handlers)
    before = [h for h in saved if not isinstance(h.formatter, JsonFormatter)]
    root.handlers[:] = before
    try:
        configure_logging("WARNING")
        configure_logging("INFO")
        added = [h for h in root.handlers if h not in before]
        assert len(added) == 1 and isinstance(added[0].formatter, JsonFormatter)
        assert all(h in root.handlers for h in before)
    finally:
        root.handlers[:] = saved
