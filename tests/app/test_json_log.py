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


def test_a_redis_outage_logs_one_line_per_interval_with_a_count(tmp_path):
    """A real API process whose Redis dies: every request is a 503, the log is not a traceback each."""
    import time

    import httpx

    from tests.app.redis_server import RedisServer, free_port
    from tests.app.server_process import server_process

    redis = RedisServer(tmp_path, free_port())
    redis.start()
    env = {"ARBITER_REDIS_URL": redis.url, "ARBITER_LOG_REPEAT_INTERVAL_S": "2"}
    try:
        with server_process(tmp_path, env) as server:
            redis.kill()
            before = len(server.log_lines())
            body = {
                "items": [{"completion": "\\boxed{1}", "ground_truth": "1"}],
                "rewards": [{"name": "accuracy"}],
            }
            with httpx.Client(base_url=server.url, timeout=30) as client:
                started = time.monotonic()
                statuses = [client.post("/v1/rewards", json=body).status_code for _ in range(40)]
                burst_s = time.monotonic() - started
                time.sleep(max(0.0, 2.2 - burst_s))
                statuses.append(client.post("/v1/rewards", json=body).status_code)
            assert set(statuses) == {503}
            records = [json.loads(line) for line in server.log_lines()[before:]]
    finally:
        redis.kill()
    assert burst_s < 2, "the burst took longer than the interval: the count check below would not hold"
    by_msg: dict[str, list[dict]] = {}
    for r in records:
        by_msg.setdefault(r["msg"], []).append(r)
    assert by_msg, "the outage was not logged at all"
    for msg, rs in by_msg.items():
        assert len(rs) <= 2, (msg, len(rs))  # the first of the burst, then one with the count
    counted = [r for rs in by_msg.values() for r in rs if "repeated" in r]
    assert counted and max(r["repeated"] for r in counted) >= 30
    assert sum(len(json.dumps(r)) for r in records) < 40_000
