"""The in-sandbox runner: a warm interpreter that forks one contained child per test.

Why a long-lived runner: starting an interpreter per test costs more than the test. The runner
is started once per sandbox instance (``python3 -I inside/runner.py``) and speaks newline-delimited
JSON on its stdin/stdout, one request at a time, one response per request:

- ``{"op": "ping"}`` -> ``{"ok": true, "pid": ..., "contained": ...}``
- ``{"op": "prepare", "language", "source", "limits", "files"}`` -> ``{"ok": true, "compile": {...}}``:
  ``limits`` must hold every key of ``LIMIT_KEYS`` (the host's ``Limits.payload()``); a fresh work dir with the input ``files`` (``[{"path", "b64"}]``, relative paths) written in it;
  C and C++ are compiled here once (or a cached binary comes as ``binary_b64``; ``return_binary``
  asks for the fresh one back) into a sealed in-memory copy, Python is syntax-checked, Bash is not
  checked. The input files (and a Bash script) are written again before every test.
- ``{"op": "test", "kind", "stdin", "entry_point", "args_json", "prelude", "fetch_files"}`` ->
  ``{"ok": true, "result": {"status", "time_s", ..., "files"}}``; ``files`` are the regular files
  among ``fetch_files`` as the program left them (``[{"path", "b64"}]``), read before the wipe
  that ends every test. ``status`` is ``ok`` (ran to the end:
  the host compares the output) or a limit/crash verdict. Expected outputs are never sent here,
  so a program cannot find them in the runner's memory. An assert-style test carries
  ``code_bytes`` instead of its code: the runner forks the harness, answers
  ``{"ok": true, "op": "send_code"}``, the host writes the code raw and the harness reads it
  (``harness``), then the program is forked.
- ``{"op": "finish"}`` -> ``{"ok": true}``: kill every leftover process, wipe the work dirs.

Errors in a request give ``{"ok": false, "error": ...}``. On start the runner writes one
``{"ok": true, "op": "hello"}`` line so the host knows it is warm.

Containment inside the sandbox: when the runner is PID 1 of its PID namespace (bwrap
``--as-pid-1``, a container's command) or started with ``--contained``, it kills every other
process in the namespace after each test (``kill(-1, SIGKILL)`` spares the caller) and reaps
them, so a double-forked daemon never outlives its test. Signals from inside the namespace
cannot kill PID 1, so a program cannot kill its runner. Without that (the unsafe local
backend) only the test's process group is killed.

Like all of ``inside/``, this is stdlib-only: it runs under the sandbox's ``python3``, not the
service's virtualenv. The parts: ``child_process`` (containment), ``workspace`` (the writable
places and their wipe), ``build`` (compiling), ``python_program`` (the program's side of a Python
test), ``harness`` (the trusted side of an assert-style test), ``verdict`` (one test's report).
"""

from __future__ import annotations

import base64
import contextlib
import gc
import json
import os
import secrets
import signal
import socket
import sys
import tempfile
import traceback

if __package__:  # imported on the host, as ``sandbox.inside.runner`` (tests)
    from . import build, child_process, harness, python_program, verdict, workspace
else:  # run as a script in the sandbox: ``inside/`` is a package beside it
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from inside import build, child_process, harness, python_program, verdict, workspace  # type: ignore[no-redef]
# python_program (and through it program_server) is loaded once here and inherited by every fork.

__all__ = ["LIMIT_KEYS", "main"]

_PROTOCOL_VERSION = 2
_HARNESS_READY_S = 30.0  # for the harness to read an assert-style test's code from the host
_READ_CHUNK = 65536
_INTERPRETERS = {"bash": ["bash", "main.sh"]}
# Every limit a ``prepare`` must carry (``sandbox.job.Limits.payload``): the runner has no
# defaults of its own, so a limit is stated once, on the host.
LIMIT_KEYS = frozenset(
    {
        "cpu_time_s", "wall_time_s", "memory_mb", "stack_mb", "max_processes", "output_limit_bytes",
        "file_size_mb", "max_open_files", "max_files", "compile_time_s", "compile_memory_mb",
        "report_bytes", "harness_cpu_time_s", "harness_memory_mb", "message_limit_bytes",
    }
)  # fmt: skip


class _Runner:
    def __init__(self, proto_in: int, proto_out: int, work_root: str, contained: bool) -> None:
        self._in = os.fdopen(proto_in, "rb", buffering=_READ_CHUNK)
        self._out = os.fdopen(proto_out, "wb", buffering=0)
        self._work_root = work_root
        self._contained = contained
        self._space = workspace.Workspace(work_root, contained)
        self._language = "python"
        self._source = ""
        self._limits: dict = {}
        self._files: list[tuple[str, bytes]] = []
        self._binary_fd = -1

    @property
    def _job_dir(self) -> str | None:
        return self._space.job_dir

    # -- protocol ------------------------------------------------------------------------
    def serve(self) -> None:
        self._send(
            {
                "ok": True,
                "op": "hello",
                "version": _PROTOCOL_VERSION,
                "pid": os.getpid(),
                "cpp_flags": list(build.CPP_FLAGS),
                "c_flags": [*build.C_FLAGS, *build.C_LIBS],
            }
        )
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
            return {"ok": True, "clean": self._space.clean}
        return {"ok": False, "error": f"unknown op {op!r}"}

    # -- job lifecycle -------------------------------------------------------------------
    def _prepare(self, request: dict) -> dict:
        """A fresh job. Whatever the program's source holds (invalid Unicode, a huge file, code
        that breaks g++) is a compile verdict, never an error of the runner."""
        self._finish()
        self._language = str(request["language"])
        self._source = str(request["source"])
        self._limits = dict(request["limits"])
        missing = LIMIT_KEYS - set(self._limits)
        if missing:
            raise ValueError(f"limits lack {sorted(missing)}")
        if self._language not in (*build.COMPILED, "python", *_INTERPRETERS):
            raise ValueError(f"unknown language {self._language!r}")
        # The caller's input files (checked on the host): a bad one is a request error, not the
        # program's verdict, so they are parsed outside the compile verdict below.
        self._files = [
            (workspace.relative_path(str(f["path"])), base64.b64decode(str(f["b64"]), validate=True))
            for f in request.get("files") or ()
        ]
        job_dir = self._space.open_job()
        try:
            # input files are there while compiling (a header the program includes)
            self._restore_job_dir()
            if self._language in build.COMPILED:
                report, self._binary_fd = build.compile_program(
                    request, self._language, self._source, job_dir, self._limits, self._spawn
                )
                return report
            if self._language == "python":
                return self._check_python()
            return {"ok": True, "time_s": 0.0, "stderr": "", "exit_code": 0}
        except Exception as exc:  # the host's side of preparing failed on the program's input
            return {
                "ok": False,
                "time_s": 0.0,
                "stderr": f"cannot prepare the program: {exc}",
                "exit_code": None,
            }

    def _finish(self) -> None:
        """Kill every leftover process and remove everything the job made (files, IPC objects)."""
        self._kill_leftovers(None)
        self._space.close_job()
        self._files = []
        if self._binary_fd >= 0:
            os.close(self._binary_fd)
            self._binary_fd = -1

    def _restore_job_dir(self) -> None:
        script = None
        if self._language in _INTERPRETERS:
            script = (_INTERPRETERS[self._language][1], self._source)
        self._space.restore(self._files, script)

    def _fetch(self, paths: list) -> list:
        return self._space.fetch(paths, int(self._limits["output_limit_bytes"]))

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

    def _spawn(
        self,
        limits: dict,
        stdin_fd: int | None,
        target,
        want_marker: bool,
        exec_fd: int = -1,
        channel_fd: int | None = None,
    ) -> dict:
        return child_process.spawn(
            limits,
            stdin_fd,
            target,
            want_marker=want_marker,
            job_dir=self._job_dir,
            after_exit=self._kill_leftovers,
            exec_fd=exec_fd,
            probe=self._probe if self._contained else None,
            channel_fd=channel_fd,
        )

    def _probe(self, limits: dict) -> str:
        """What a running test (and an assert-style test's harness) holds outside its own
        process, against its limits: SysV IPC memory (``memory``, against ``memory_mb``) and files
        on the writable mounts (``files``, against ``max_files``)."""
        if child_process.sysv_ipc_bytes() > int(limits["memory_mb"]) * 1024 * 1024:
            return "memory"
        if self._space.files_used() > int(limits["max_files"]):
            return "files"
        return ""

    # -- one test ------------------------------------------------------------------------
    def _run_test(self, request: dict) -> dict:
        assert self._job_dir is not None
        kind = str(request.get("kind", "stdio"))
        # Every test starts from the input files (the last test's leftovers were wiped). Best
        # effort: a program that broke its own work dir fails its next test, not the sandbox.
        with contextlib.suppress(OSError):
            self._restore_job_dir()
        # An unlinked file: no path for the program to find; pop: big inputs must not be inherited.
        stdin_file = tempfile.TemporaryFile(dir=self._work_root)  # noqa: SIM115 - closed below
        stdin_file.write(str(request.pop("stdin", "")).encode("utf-8", "surrogatepass"))
        stdin_file.seek(0)
        nonce = secrets.token_hex(16)
        exec_fd = -1
        if self._language in build.COMPILED:
            if kind != "stdio":
                raise ValueError("C and C++ support stdio tests only")
            if self._binary_fd < 0:
                raise ValueError("no compiled program")
            exec_fd = self._binary_fd
            target = lambda: child_process.exec_program(["main"], exec_fd=child_process.EXEC_FD)  # noqa: E731
            want_marker = False
        elif self._language in _INTERPRETERS:
            if kind != "stdio":
                raise ValueError(f"{self._language} supports stdio tests only")
            argv = list(_INTERPRETERS[self._language])
            target = lambda: child_process.exec_program(argv)  # noqa: E731
            want_marker = False
        elif kind == "assert":
            return self._run_assert_test(request, stdin_file)
        else:
            source, entry_point = self._source, str(request.get("entry_point", ""))
            args_json = str(request.get("args_json", "[]"))
            prelude = str(request.get("prelude", ""))

            def target() -> None:
                python_program.python_child(
                    prelude + "\n" + source if prelude else source, kind, entry_point, args_json, nonce
                )

            want_marker = kind == "call"
        try:
            raw = self._spawn(
                self._limits, stdin_file.fileno(), target, want_marker=want_marker, exec_fd=exec_fd
            )
        finally:
            stdin_file.close()
        fetched = self._fetch(list(request.get("fetch_files") or ()))
        self._space.wipe_between_tests()
        result = verdict.classify(raw, kind, nonce, self._limits, self._language)
        result["files"] = fetched
        return result

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
                python_program.python_child(
                    source, "assert", "", "[]", "", int(self._limits["message_limit_bytes"])
                )

            try:
                # The program's probe (SysV memory, files) and leftover kill cover the harness too:
                # it is a process of this instance like any other (``_kill_leftovers``).
                raw = self._spawn(
                    self._limits, stdin_file.fileno(), target, want_marker=False, channel_fd=theirs.fileno()
                )
            finally:
                theirs.close()
                judged = judge.collect()
        finally:
            ours.close()
            theirs.close()
            stdin_file.close()
        fetched = self._fetch(list(request.get("fetch_files") or ()))
        self._space.wipe_between_tests()
        if judged is not None and judged.get("status") == "unsafe":
            raise RuntimeError("the test harness could not make itself safe: " + str(judged.get("detail")))
        result = verdict.classify(raw, "assert", "", self._limits, self._language, judged)
        result["files"] = fetched
        return result

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
