"""One test's report, as the runner sends it to the host: the program's limits first, then, for
an assert-style test, the harness's verdict (``harness``), then its exit.

Why apart from the runner's protocol: this table decides what a program's process did; it is
the place to read when a verdict looks wrong. Outputs are not compared here (the host does that:
expected values never enter the sandbox).
"""

from __future__ import annotations

import json
import signal

from . import child_process

__all__ = ["classify", "parse_marker"]


def classify(
    raw: dict, kind: str, nonce: str, limits: dict, language: str, verdict: dict | None = None
) -> dict:
    """The runner's status for one test. For an assert-style test, ``verdict`` is the
    harness's (None: it gave none, which never passes); the program's own limits come first."""
    report = int(limits["report_bytes"])
    cpu_limit = float(limits["cpu_time_s"])
    memory_mb = float(limits["memory_mb"])
    sig = raw["signal"]
    marker = parse_marker(raw["marker"], nonce)
    detail = ""
    if raw["stdout_over"] or raw["stderr_over"] or sig == signal.SIGXFSZ:
        status = "output_limit"
        detail = "file size limit" if sig == signal.SIGXFSZ else "output limit"
    elif raw["timed_out"]:
        status, detail = "time_limit", "wall time limit"
    elif sig == signal.SIGXCPU or raw["time_s"] > cpu_limit:  # RLIMIT_CPU is whole seconds
        status, detail = "time_limit", "cpu time limit"
    elif raw.get("probe") == "memory":
        status, detail = "memory_limit", "SysV IPC memory over the memory limit"
    elif raw.get("probe") == "files":
        status, detail = "output_limit", "too many files"
    elif marker.get("memory") or (
        raw["exit_code"] == child_process.MEMORY_EXIT_CODE and language == "python"
    ):
        status, detail = "memory_limit", "MemoryError"
    elif sig is not None and (
        raw["memory_mb"] >= 0.9 * memory_mb or (sig == signal.SIGABRT and "bad_alloc" in raw["stderr"])
    ):
        status, detail = "memory_limit", f"killed by signal {sig} at the memory limit"
    elif sig is not None:
        status, detail = "runtime_error", f"killed by signal {sig}"
    elif kind == "assert":
        status, detail = _assert_status(raw, verdict)
    elif raw["exit_code"] != 0:
        status, detail = "runtime_error", marker.get("error") or f"exit code {raw['exit_code']}"
    elif kind == "call" and not marker.get("done"):
        status, detail = "runtime_error", "exited before the test finished"
    else:
        status = "ok"
    stdout = raw["stdout"]
    keep_stdout = len(stdout) if (kind == "stdio" and status == "ok") else report
    stderr = raw["stderr"]
    if kind == "assert" and verdict is not None and verdict.get("trace"):
        stderr = stderr + "\n--- test ---\n" + str(verdict["trace"])
    return {
        "status": status,
        "detail": detail,
        "time_s": raw["time_s"],
        "wall_time_s": raw["wall_time_s"],
        "memory_mb": raw["memory_mb"],
        "exit_code": raw["exit_code"],
        "signal": sig,
        "stdout": stdout[:keep_stdout],
        "stdout_truncated": raw["stdout_over"] or len(stdout) > keep_stdout,
        "stderr": stderr[-report:] if report else "",
        "stderr_truncated": raw["stderr_over"] or len(stderr) > report,
        "value_json": marker.get("value_json"),
        "assertion_failed": kind == "assert" and status == "ok" and detail == "assertion failed",
    }


def _assert_status(raw: dict, verdict: dict | None) -> tuple[str, str]:
    """An assert-style test's status once the program's limits are judged: the harness decides;
    no verdict, or a program that failed anyway, is never a pass."""
    harness_status = (verdict or {}).get("status")
    detail = str((verdict or {}).get("detail", ""))[:500]
    if harness_status in ("time_limit", "memory_limit"):
        return str(harness_status), detail
    if harness_status == "failed":
        return "ok", "assertion failed"
    if harness_status == "passed" and raw["exit_code"] == 0:
        return "ok", ""
    if harness_status == "error":
        return "runtime_error", detail or "the test raised"
    if raw["exit_code"] not in (0, None):
        return "runtime_error", f"exit code {raw['exit_code']}"
    return "runtime_error", "exited before the test finished"


def parse_marker(raw: bytes, nonce: str) -> dict:
    if not raw:
        return {}
    try:
        marker = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(marker, dict) or marker.get("nonce") != nonce:
        return {}
    return marker
