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


def _record(msg: str, level: int = logging.ERROR, args: tuple = ()) -> logging.LogRecord:
    return logging.LogRecord("arbiter.x", level, __file__, 1, msg, args, None)


def test_a_repeated_error_passes_once_per_interval_with_a_count():
    import time

    from app.json_log import RepeatFilter

    f = RepeatFilter(0.2)
    passed = [f.filter(_record("Redis unreachable (%s)", args=(i,))) for i in range(500)]
    assert passed[0] and sum(passed) == 1  # 500 failures in a burst: one line
    time.sleep(0.25)
    later = _record("Redis unreachable (%s)", args=("x",))
    assert f.filter(later) and later.repeated == 499
    body = json.loads(JsonFormatter().format(later))
    assert body["repeated"] == 499
    assert f.filter(_record("another failure"))  # a different message is not held back


def test_info_lines_and_a_zero_interval_are_not_filtered():
    from app.json_log import RepeatFilter

    f = RepeatFilter(60)
    assert all(f.filter(_record("scored batch", logging.INFO)) for _ in range(100))
    off = RepeatFilter(0)
    assert all(off.filter(_record("boom")) for _ in range(100))


def test_the_filter_tracks_a_bounded_number_of_messages():
    from app.json_log import RepeatFilter

    f = RepeatFilter(60, max_keys=10)
    for i in range(1000):
        assert f.filter(_record(f"formatted message {i}"))
    assert len(f._seen) == 10
