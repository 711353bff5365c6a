"""The in-sandbox runner: a warm interpreter that forks one contained child per test.

Why a long-lived runner: starting an interpreter per test costs more than the test. The runner
is started once per sandbox instance (``python3 -I runner.py``) and speaks newline-delimited
JSON on its stdin/stdout, one request at a time, one response per request:

- ``{"op": "ping"}`` -> ``{"ok": true, "pid": ..., "contained": ...}``
- ``{"op": "prepare", "language", "source", "limits"}`` -> ``{"ok": true, "compile": {...}}``:
  a fresh work dir; C++ is compiled here once, Python is syntax-checked.
- ``{"op": "test", "kind", "stdin", "entry_point", "args_json", "code"}`` ->
  ``{"ok": true, "result": {"status", "time_s", ...}}``. ``status`` is ``ok`` (ran to the end:
  the host compares the output) or a limit/crash verdict. Expected outputs are never sent here,
  so a program cannot find them in the runner's memory.
- ``{"op": "finish"}`` -> ``{"ok": true}``: kill every leftover process, wipe the work dirs.

Errors in a request give ``{"ok": false, "error": ...}``. On start the runner writes one
``{"ok": true, "op": "hello"}`` line so the host knows it is warm.

Containment inside the sandbox: when the runner is PID 1 of its PID namespace (bwrap
``--as-pid-1``, a container's command) or started with ``--contained``, it kills every other
process in the namespace after each test (``kill(-1, SIGKILL)`` spares the caller) and reaps
them, so a double-forked daemon never outlives its test. Signals from inside the namespace
cannot kill PID 1, so a program cannot kill its runner. Without that (the unsafe local
backend) only the test's process group is killed.

This file is stdlib-only and imports nothing from our packages: it runs under the sandbox's
``python3``, not the service's virtualenv.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import child_process
from inside import harness, program_server  # noqa: F401 - program_server: loaded once, inherited by every fork

__all__ = ["main"]

_PROTOCOL_VERSION = 2
_HARNESS_READY_S = 30.0  # for the harness to read an assert-style test's code from the host
_READ_CHUNK = 65536


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)


def _wipe_dir_contents(path: str) -> None:
    try:
        entries = os.listdir(path)
    except OSError:
        return
    for name in entries:
        _remove(os.path.join(path, name))


class _Runner:
    def __init__(self, proto_in: int, proto_out: int, work_root: str, contained: bool) -> None:
        self._in = os.fdopen(proto_in, "rb", buffering=_READ_CHUNK)
        self._out = os.fdopen(proto_out, "wb", buffering=0)
        self._work_root = work_root
        self._contained = contained
        self._job_dir: str | None = None
        self._language = "python"
        self._source = ""
        self._limits: dict = {}
        self._binary = ""

    # -- protocol ------------------------------------------------------------------------
    def serve(self) -> None:
        self._send({"ok": True, "op": "hello", "version": _PROTOCOL_VERSION, "pid": os.getpid()})
        while True:
            line = self._in.readline()
            if not line:
                return
            try:
                request = json.loads(line)
                del line  # a big request must not stay in memory the forked children inherit
                response = self._dispatch(request)
            except Exception as exc:  # a bad request must not kill the warm runner
                response = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            self._send(response)

    def _send(self, message: dict) -> None:
        data = json.dumps(message, separators=(",", ":")).encode() + b"\n"
        view = memoryview(data)
        while view:
            written = os.write(self._out.fileno(), view)
            view = view[written:]

    def _dispatch(self, request: dict) -> dict:
        op = request.get("op")
        if op == "ping":
            return {"ok": True, "pid": os.getpid(), "contained": self._contained}
        if op == "prepare":
            return {"ok": True, "compile": self._prepare(request)}
        if op == "test":
            if self._job_dir is None:
                return {"ok": False, "error": "test before prepare"}
            return {"ok": True, "result": self._run_test(request)}
        if op == "finish":
            self._finish()
            return {"ok": True}
        return {"ok": False, "error": f"unknown op {op!r}"}

    # -- job lifecycle -------------------------------------------------------------------
    def _prepare(self, request: dict) -> dict:
        self._finish()
        self._language = str(request["language"])
        self._source = str(request["source"])
        self._limits = dict(request.get("limits") or {})
        self._job_dir = tempfile.mkdtemp(prefix="job-", dir=self._work_root)
        os.chmod(self._job_dir, 0o700)
        if self._language == "cpp":
            return self._compile_cpp()
        if self._language == "python":
            return self._check_python()
        raise ValueError(f"unknown language {self._language!r}")

    def _finish(self) -> None:
        self._kill_leftovers(None)
        if self._job_dir is not None:
            shutil.rmtree(self._job_dir, ignore_errors=True)
            self._job_dir = None
        if self._contained:
            _wipe_dir_contents(self._work_root)
            if self._work_root != "/tmp":
                _wipe_dir_contents("/tmp")
            _wipe_dir_contents("/dev/shm")
        self._binary = ""

    def _compile_cpp(self) -> dict:
        assert self._job_dir is not None
        src = os.path.join(self._job_dir, "main.cpp")
        with open(src, "w", encoding="utf-8") as handle:
            handle.write(self._source)
        binary = os.path.join(self._job_dir, "main")
        argv = ["g++", "-O2", "-std=c++17", "-pipe", "-o", binary, src]
        limits = dict(self._limits)
        compile_time_s = float(limits.get("compile_time_s", 30.0))
        limits.update(
            cpu_time_s=compile_time_s,
            wall_time_s=compile_time_s * 2,
            memory_mb=int(limits.get("compile_memory_mb", 1024)),
            max_processes=max(int(limits.get("max_processes", 64)), 16),
            file_size_mb=max(int(limits.get("file_size_mb", 16)), 256),
        )
        raw = self._spawn(limits, None, lambda: child_process.exec_program(argv), want_marker=False)
        ok = raw["exit_code"] == 0 and raw["signal"] is None and os.path.exists(binary)
        self._binary = binary if ok else ""
        stderr = raw["stderr"]
        if raw["timed_out"]:
            stderr = "compilation timed out\n" + stderr
        return {"ok": ok, "time_s": raw["time_s"], "stderr": stderr[-8192:], "exit_code": raw["exit_code"]}

    def _check_python(self) -> dict:
        source = self._source

        def check() -> None:
            try:
                compile(source, "solution.py", "exec")
            except (SyntaxError, ValueError):
                traceback.print_exc(limit=0)
                child_process.flush_and_exit(1)
            except MemoryError:
                child_process.flush_and_exit(child_process.MEMORY_EXIT_CODE)
            child_process.flush_and_exit(0)

        raw = self._spawn(self._limits, None, check, want_marker=False)
        ok = raw["exit_code"] == 0
        return {
            "ok": ok,
            "time_s": raw["time_s"],
            "stderr": raw["stderr"][-8192:],
            "exit_code": raw["exit_code"],
        }

    def _spawn(self, limits: dict, stdin_fd: int | None, target, want_marker: bool) -> dict:
        return child_process.spawn(
            limits,
            stdin_fd,
            target,
            want_marker=want_marker,
            job_dir=self._job_dir,
            after_exit=self._kill_leftovers,
        )

    # -- one test ------------------------------------------------------------------------
    def _run_test(self, request: dict) -> dict:
        assert self._job_dir is not None
        kind = str(request.get("kind", "stdio"))
        # An unlinked file: no path for the program to find; pop: big inputs must not be inherited.
        stdin_file = tempfile.TemporaryFile(dir=self._work_root)  # noqa: SIM115 - closed below
        stdin_file.write(str(request.pop("stdin", "")).encode("utf-8", "surrogatepass"))
        stdin_file.seek(0)
        nonce = secrets.token_hex(16)
        if self._language == "cpp":
            if kind != "stdio":
                raise ValueError("C++ supports stdio tests only")
            if not self._binary:
                raise ValueError("no compiled program")
            binary = self._binary
            target = lambda: child_process.exec_program([binary])  # noqa: E731
            want_marker = False
        elif kind == "assert":
            return self._run_assert_test(request, stdin_file)
        else:
            source, entry_point = self._source, str(request.get("entry_point", ""))
            args_json = str(request.get("args_json", "[]"))
            prelude = str(request.get("prelude", ""))

            def target() -> None:
                child_process.python_child(
                    prelude + "\n" + source if prelude else source, kind, entry_point, args_json, nonce
                )

            want_marker = kind == "call"
        try:
            raw = self._spawn(self._limits, stdin_file.fileno(), target, want_marker=want_marker)
        finally:
            stdin_file.close()
        self._wipe_between_tests()
        return self._classify(raw, kind, nonce)

    def _run_assert_test(self, request: dict, stdin_file) -> dict:
        """An assert-style test: the trusted harness holds the test code, the program serves it.

        The harness is forked first and reads the test code straight from the protocol stream
        (the host sends it raw, ``code_bytes`` long, after our ``send_code``), so the code is never
        in this runner's memory, which the program's process inherits when it is forked next.
        """
        if self._language != "python":
            raise ValueError("assert-style tests are Python only")
        code_bytes = int(request.get("code_bytes", -1))
        if code_bytes < 0:
            raise ValueError("an assert-style test needs code_bytes")
        prelude = str(request.get("prelude", ""))
        source = prelude + "\n" + self._source if prelude else self._source
        ours, theirs = socket.socketpair()
        try:
            judge = harness.start(ours.fileno(), self._in.fileno(), code_bytes, self._limits)
            ours.close()
            self._send({"ok": True, "op": "send_code"})
            if not judge.wait_ready(_HARNESS_READY_S):
                judge.abandon()
                # The rest of the code may still be in the stream: this runner cannot go on.
                raise SystemExit("the test harness did not read the test code")

            def target() -> None:
                child_process.python_child(source, "assert", "", "[]", "")

            try:
                raw = child_process.spawn(
                    self._limits,
                    stdin_file.fileno(),
                    target,
                    want_marker=False,
                    job_dir=self._job_dir,
                    after_exit=self._kill_leftovers,
                    channel_fd=theirs.fileno(),
                )
            finally:
                theirs.close()
                verdict = judge.collect()
        finally:
            ours.close()
            theirs.close()
            stdin_file.close()
        self._wipe_between_tests()
        if verdict is not None and verdict.get("status") == "unsafe":
            raise RuntimeError("the test harness could not make itself safe: " + str(verdict.get("detail")))
        return self._classify(raw, "assert", "", verdict)

    def _wipe_between_tests(self) -> None:
        """Every test starts from the same files: what a test wrote (a full /tmp included) is gone."""
        assert self._job_dir is not None
        keep = {"main", "main.cpp"}
        for name in os.listdir(self._job_dir):
            if name not in keep:
                _remove(os.path.join(self._job_dir, name))
        if self._contained:
            for root in {self._work_root, "/tmp"}:
                with contextlib.suppress(OSError):
                    for name in os.listdir(root):
                        full = os.path.join(root, name)
                        if full != self._job_dir:
                            _remove(full)
            _wipe_dir_contents("/dev/shm")

    def _classify(self, raw: dict, kind: str, nonce: str, verdict: dict | None = None) -> dict:
        """The runner's status for one test. For an assert-style test, ``verdict`` is the
        harness's (None: it gave none, which never passes); the program's own limits come first."""
        limits = self._limits
        report = int(limits.get("report_bytes", 4096))
        cpu_limit = float(limits.get("cpu_time_s", 5.0))
        memory_mb = float(limits.get("memory_mb", 256))
        sig = raw["signal"]
        marker = _parse_marker(raw["marker"], nonce)
        detail = ""
        if raw["stdout_over"] or raw["stderr_over"] or sig == signal.SIGXFSZ:
            status = "output_limit"
            detail = "file size limit" if sig == signal.SIGXFSZ else "output limit"
        elif raw["timed_out"]:
            status, detail = "time_limit", "wall time limit"
        elif sig == signal.SIGXCPU or raw["time_s"] > cpu_limit:  # RLIMIT_CPU is whole seconds
            status, detail = "time_limit", "cpu time limit"
        elif marker.get("memory") or (
            raw["exit_code"] == child_process.MEMORY_EXIT_CODE and self._language == "python"
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

    def _kill_leftovers(self, pid: int | None) -> None:
        if pid is not None:
            child_process.kill_group(pid)
        if not self._contained:
            return
        with contextlib.suppress(OSError):
            os.kill(-1, signal.SIGKILL)
        while True:
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                return
            except InterruptedError:
                continue


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


def _parse_marker(raw: bytes, nonce: str) -> dict:
    if not raw:
        return {}
    try:
        marker = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(marker, dict) or marker.get("nonce") != nonce:
        return {}
    return marker


def main(argv: list[str] | None = None) -> None:
    """Start serving on stdin/stdout. Flags: ``--workdir DIR``, ``--contained``."""
    args = list(sys.argv[1:] if argv is None else argv)
    work_root = "/tmp"
    contained = os.getpid() == 1
    while args:
        flag = args.pop(0)
        if flag == "--workdir":
            work_root = args.pop(0)
        elif flag == "--contained":
            contained = True
    os.makedirs(work_root, exist_ok=True)
    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    child_process.set_dumpable(0)
    gc.freeze()  # fewer copy-on-write page faults in every forked child
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(signum, signal.SIG_IGN)
    _Runner(proto_in, proto_out, work_root, contained).serve()


if __name__ == "__main__":
    main()
