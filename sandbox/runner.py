"""The in-sandbox runner: a warm interpreter that forks one contained child per test.

Why a long-lived runner: starting an interpreter per test costs more than the test. The runner
is started once per sandbox instance (``python3 -I runner.py``) and speaks newline-delimited
JSON on its stdin/stdout, one request at a time, one response per request:

- ``{"op": "ping"}`` -> ``{"ok": true, "pid": ..., "contained": ...}``
- ``{"op": "prepare", "language", "source", "limits", "files"}`` -> ``{"ok": true, "compile": {...}}``:
  a fresh work dir with the input ``files`` (``[{"path", "b64"}]``, relative paths) written in it;
  C and C++ are compiled here once (or a cached binary comes as ``binary_b64``; ``return_binary``
  asks for the fresh one back) into a sealed in-memory copy, Python is syntax-checked, Bash is not
  checked. The input files (and a Bash script) are written again before every test.
- ``{"op": "test", "kind", "stdin", "entry_point", "args_json", "code", "fetch_files"}`` ->
  ``{"ok": true, "result": {"status", "time_s", ..., "files"}}``; ``files`` are the regular files
  among ``fetch_files`` as the program left them (``[{"path", "b64"}]``), read before the wipe
  that ends every test. ``status`` is ``ok`` (ran to the end:
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

import base64
import contextlib
import gc
import json
import os
import secrets
import signal
import socket
import stat
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
# The program's own files in its work dir; input and fetched files may not use these names.
_RESERVED = {"main", "main.cpp", "main.c", "main.sh"}
_INTERPRETERS = {"bash": ["bash", "main.sh"]}
# The one C++ and C command lines (the host keys its compile cache on them, see ``hello``). The C++
# flags must match those the runtime root's precompiled ``bits/stdc++.h`` was built with, or g++
# ignores it.
CPP_FLAGS = ("-O2", "-std=c++17", "-pipe")
C_FLAGS = ("-O2", "-std=gnu11", "-pipe")
_C_LIBS = ("-lm",)
_COMPILED = ("cpp", "c")
_MAX_BINARY_BYTES = 32 * 1024 * 1024  # bigger binaries are run but not handed to the host's cache
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _purge(path: str) -> bool:
    """Remove everything inside ``path``; True when it is empty afterwards.

    A program controls what it leaves behind, so this must not fail on anything it can build:
    thousands of nested directories (no recursion, no long paths: each directory is moved up to
    ``path`` and emptied through a descriptor), directories without permissions (made ours again
    first), millions of entries. Every process of the job is dead by now, so nothing changes
    underneath.
    """
    try:
        top = os.open(path, _DIR_FLAGS)
    except PermissionError:  # the program took our permissions away: take them back
        try:
            os.chmod(path, 0o700)
            top = os.open(path, _DIR_FLAGS)
        except OSError:
            return False
    except OSError:
        return False
    moved: list[str] = []
    pending: list[str | None] = [None]
    try:
        while pending:
            name = pending.pop()
            try:
                if name is None:
                    dfd = os.dup(top)
                else:
                    with contextlib.suppress(OSError):
                        os.chmod(name, 0o700, dir_fd=top)
                    dfd = os.open(name, _DIR_FLAGS, dir_fd=top)
            except OSError:
                continue
            try:
                with os.scandir(dfd) as entries:
                    listing = [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]
                for entry, is_dir in listing:
                    with contextlib.suppress(OSError):
                        if not is_dir:
                            os.unlink(entry, dir_fd=dfd)
                            continue
                        if name is None:
                            flat = entry
                        else:
                            flat = f".purge-{secrets.token_hex(8)}"
                            os.rename(entry, flat, src_dir_fd=dfd, dst_dir_fd=top)
                        moved.append(flat)
                        pending.append(flat)
            except OSError:
                pass
            finally:
                os.close(dfd)
        for name in reversed(moved):
            with contextlib.suppress(OSError):
                os.rmdir(name, dir_fd=top)
        with os.scandir(top) as rest:
            return next(iter(rest), None) is None
    except OSError:
        return False
    finally:
        os.close(top)


def _sealed_binary(data: bytes) -> int:
    """A read-only in-memory copy of a compiled program (sealed memfd): no test can rewrite the
    binary the next test runs, and it lives in no directory a program can reach."""
    fd = os.memfd_create("main", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        import fcntl

        seals = fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
        os.fchmod(fd, 0o500)
    except BaseException:
        os.close(fd)
        raise
    return fd


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
        self._files: list[tuple[str, bytes]] = []
        self._binary_fd = -1
        self._root_modes: dict[str, int] = {}
        if contained:
            for root in dict.fromkeys((work_root, "/tmp", "/dev/shm", "/dev/mqueue")):
                with contextlib.suppress(OSError):
                    self._root_modes[root] = os.stat(root).st_mode & 0o7777
        # the writable mounts, each once (st_dev), and the inodes they hold when empty
        self._mounts: tuple[str, ...] = ()
        self._mount_baseline = 0
        if contained:
            devices: dict[int, str] = {}
            for root in (work_root, "/tmp", "/dev/shm", "/dev/mqueue"):
                with contextlib.suppress(OSError):
                    devices.setdefault(os.stat(root).st_dev, root)
            self._mounts = tuple(devices.values())
            self._mount_baseline = child_process.files_in_use(self._mounts)
        self._clean = True  # False once a wipe could not remove everything: the host recycles us

    # -- protocol ------------------------------------------------------------------------
    def serve(self) -> None:
        self._send(
            {
                "ok": True,
                "op": "hello",
                "version": _PROTOCOL_VERSION,
                "pid": os.getpid(),
                "cpp_flags": list(CPP_FLAGS),
                "c_flags": [*C_FLAGS, *_C_LIBS],
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
            return {"ok": True, "clean": self._clean}
        return {"ok": False, "error": f"unknown op {op!r}"}

    # -- job lifecycle -------------------------------------------------------------------
    def _prepare(self, request: dict) -> dict:
        """A fresh job. Whatever the program's source holds (invalid Unicode, a huge file, code
        that breaks g++) is a compile verdict, never an error of the runner."""
        self._finish()
        self._language = str(request["language"])
        self._source = str(request["source"])
        self._limits = dict(request.get("limits") or {})
        if self._language not in (*_COMPILED, "python", *_INTERPRETERS):
            raise ValueError(f"unknown language {self._language!r}")
        # The caller's input files (checked on the host): a bad one is a request error, not the
        # program's verdict, so they are parsed outside the compile verdict below.
        self._files = [
            (_relative_path(str(f["path"])), base64.b64decode(str(f["b64"]), validate=True))
            for f in request.get("files") or ()
        ]
        self._job_dir = tempfile.mkdtemp(prefix="job-", dir=self._work_root)
        os.chmod(self._job_dir, 0o700)
        try:
            # input files are there while compiling (a header the program includes)
            self._restore_job_dir()
            if self._language in _COMPILED:
                return self._compile(request)
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

    def _restore_job_dir(self) -> None:
        """What every test starts from: the input files and, for an interpreted language, the
        script (the job dir is emptied after every test, so a test cannot change the next one's)."""
        assert self._job_dir is not None
        for path, content in self._files:
            full = os.path.join(self._job_dir, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as handle:
                handle.write(content)
        if self._language in _INTERPRETERS:
            script = os.path.join(self._job_dir, _INTERPRETERS[self._language][1])
            with open(script, "w", encoding="utf-8", errors="surrogatepass") as handle:
                handle.write(self._source)

    def _fetch(self, paths: list) -> list:
        """Regular files the program left (no symlinks, FIFOs or devices: a read must not hang or
        leave the work dir), each at most ``output_limit_bytes`` and all together at most 8 times
        that (the response must stay a sane size); others are left out."""
        assert self._job_dir is not None
        cap = int(self._limits.get("output_limit_bytes", 1_000_000))
        budget = 8 * cap
        fetched = []
        for raw_path in paths:
            try:
                path = _relative_path(str(raw_path))
            except ValueError:
                continue
            full = os.path.join(self._job_dir, path)
            try:
                if os.path.realpath(full) != os.path.join(os.path.realpath(self._job_dir), path):
                    continue
            except (OSError, ValueError):
                continue
            try:
                fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except (OSError, ValueError):  # ValueError: a NUL byte in the path
                continue
            try:
                info = os.fstat(fd)
                if not stat.S_ISREG(info.st_mode) or info.st_size > cap:
                    continue
                content = os.read(fd, cap + 1)
            except OSError:
                continue
            finally:
                os.close(fd)
            if len(content) <= min(cap, budget):
                budget -= len(content)
                fetched.append({"path": path, "b64": base64.b64encode(content).decode("ascii")})
        return fetched

    def _finish(self) -> None:
        """Kill every leftover process and remove everything the job made (files, IPC objects)."""
        self._kill_leftovers(None)
        clean = True
        if self._job_dir is not None:
            clean = _purge(self._job_dir)
            with contextlib.suppress(OSError):
                os.rmdir(self._job_dir)
            self._job_dir = None
        self._files = []
        if self._contained:
            clean = self._wipe_shared_state(keep=None) and clean
        if self._binary_fd >= 0:
            os.close(self._binary_fd)
            self._binary_fd = -1
        self._clean = self._clean and clean

    def _wipe_shared_state(self, keep: str | None) -> bool:
        """Empty every writable place of the instance but ``keep`` (the job dir between tests):
        the work root, ``/tmp``, ``/dev/shm``, POSIX message queues and SysV IPC objects."""
        clean = True
        for root, mode in self._root_modes.items():  # a program may chmod the roots it owns
            with contextlib.suppress(OSError):
                if os.stat(root).st_mode & 0o7777 != mode:
                    os.chmod(root, mode)
        for root in dict.fromkeys((self._work_root, "/tmp")):
            if keep is not None and os.path.dirname(keep) == root:
                try:
                    names = os.listdir(root)
                except OSError:
                    continue
                for name in names:
                    full = os.path.join(root, name)
                    if full == keep:
                        continue
                    if os.path.isdir(full) and not os.path.islink(full):
                        clean = _purge(full) and clean
                        with contextlib.suppress(OSError):
                            os.rmdir(full)
                    else:
                        with contextlib.suppress(OSError):
                            os.unlink(full)
            else:
                clean = _purge(root) and clean
        for root in ("/dev/shm", "/dev/mqueue"):
            if os.path.isdir(root):
                clean = _purge(root) and clean
        clean = child_process.remove_sysv_ipc() and clean
        return clean

    def _compile(self, request: dict) -> dict:
        assert self._job_dir is not None
        cached = request.get("binary_b64")
        if cached:
            self._binary_fd = _sealed_binary(base64.b64decode(cached))
            _purge(self._job_dir)  # tests start from the input files only
            return {"ok": True, "time_s": 0.0, "stderr": "", "exit_code": 0, "cached": True}
        is_c = self._language == "c"
        src = os.path.join(self._job_dir, "main.c" if is_c else "main.cpp")
        with open(src, "w", encoding="utf-8", errors="surrogatepass") as handle:
            handle.write(self._source)
        binary = os.path.join(self._job_dir, "main")
        if is_c:
            argv = ["gcc", *C_FLAGS, "-o", binary, src, *_C_LIBS]
        else:
            argv = ["g++", *CPP_FLAGS, "-o", binary, src]

        limits = dict(self._limits)
        compile_time_s = float(limits.get("compile_time_s", 30.0))
        limits.update(
            cpu_time_s=compile_time_s,
            wall_time_s=compile_time_s * 2,
            memory_mb=int(limits.get("compile_memory_mb", 1024)),
            stack_mb=min(int(limits.get("compile_memory_mb", 1024)), 64),
            max_processes=max(int(limits.get("max_processes", 64)), 16),
            file_size_mb=max(int(limits.get("file_size_mb", 16)), 256),
        )
        raw = self._spawn(limits, None, lambda: child_process.exec_program(argv), want_marker=False)
        ok = raw["exit_code"] == 0 and raw["signal"] is None and os.path.isfile(binary)
        stderr = raw["stderr"]
        if raw["timed_out"]:
            stderr = "compilation timed out\n" + stderr
        result = {"ok": ok, "time_s": raw["time_s"], "stderr": stderr[-8192:], "exit_code": raw["exit_code"]}
        if ok:
            with open(binary, "rb") as handle:
                data = handle.read()
            self._binary_fd = _sealed_binary(data)
            if request.get("return_binary") and len(data) <= _MAX_BINARY_BYTES:
                result["binary_b64"] = base64.b64encode(data).decode("ascii")
        _purge(self._job_dir)  # the source and the binary: tests start from the input files only
        return result

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
        """What a running test holds outside its own process, against its limits: SysV IPC memory
        (``memory``, against ``memory_mb``) and files on the writable mounts (``files``, against
        ``max_files``; the baseline of the instance itself excluded)."""
        if child_process.sysv_ipc_bytes() > int(limits.get("memory_mb", 256)) * 1024 * 1024:
            return "memory"
        used = child_process.files_in_use(self._mounts) - self._mount_baseline
        if used > int(limits.get("max_files", 65536)):
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
        if self._language in _COMPILED:
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
                child_process.python_child(
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
        self._wipe_between_tests()
        result = self._classify(raw, kind, nonce)
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
                child_process.python_child(source, "assert", "", "[]", "")

            try:
                # The program's probe (SysV memory, files) and leftover kill cover the harness too:
                # it is a process of this instance like any other (``_kill_leftovers``).
                raw = self._spawn(
                    self._limits, stdin_file.fileno(), target, want_marker=False, channel_fd=theirs.fileno()
                )
            finally:
                theirs.close()
                verdict = judge.collect()
        finally:
            ours.close()
            theirs.close()
            stdin_file.close()
        fetched = self._fetch(list(request.get("fetch_files") or ()))
        self._wipe_between_tests()
        if verdict is not None and verdict.get("status") == "unsafe":
            raise RuntimeError("the test harness could not make itself safe: " + str(verdict.get("detail")))
        result = self._classify(raw, "assert", "", verdict)
        result["files"] = fetched
        return result

    def _wipe_between_tests(self) -> None:
        """Every test starts from the same state: what a test left (files in the job dir, a full
        /tmp, /dev/shm, message queues, SysV IPC) is gone before the next one runs."""
        assert self._job_dir is not None
        clean = _purge(self._job_dir)
        if self._contained:
            clean = self._wipe_shared_state(keep=self._job_dir) and clean
        self._clean = self._clean and clean

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
        elif raw.get("probe") == "memory":
            status, detail = "memory_limit", "SysV IPC memory over the memory limit"
        elif raw.get("probe") == "files":
            status, detail = "output_limit", "too many files"
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


def _relative_path(path: str) -> str:
    """A normalized path inside the work dir; ValueError for absolute, ``..`` or reserved names."""
    norm = os.path.normpath(path)
    if not path or os.path.isabs(path) or norm == "." or norm.split(os.sep)[0] in ("..", *_RESERVED):
        raise ValueError(f"file path {path!r} must be relative, inside the work dir, not {sorted(_RESERVED)}")
    return norm


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
