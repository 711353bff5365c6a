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
