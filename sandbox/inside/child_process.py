"""Containment of one test's process, seen from the runner: fork it, contain it, watch it, kill it.

Why a module apart from the runner's protocol and from the tests: this is the part that touches
the kernel (fork, rlimits, process groups, pipes, ``wait4``, SysV IPC) and nothing else; what runs
in the forked child is the caller's ``target`` (a compiler, a binary, ``python_program``). All of
``inside/`` is stdlib-only and bound into the sandbox with the layout of ``sandbox/``
(``runner_client.RUNNER_FILES``).

In the child: a new session and process group, stdin from a file, stdout/stderr to capped pipes,
every other descriptor closed (the protocol channel included), rlimits for CPU, address space,
processes, file size, open files and core dumps, default signal dispositions; then the program.
The parent enforces wall time, reads CPU time and peak RSS from ``wait4``, and caps output.
"""

from __future__ import annotations

import contextlib
import math
import os
import resource
import selectors
import signal
import sys
import time
import traceback
from collections.abc import Callable

__all__ = [
    "EXEC_FD",
    "MEMORY_EXIT_CODE",
    "SANDBOX_ENV",
    "exec_program",
    "files_in_use",
    "flush_and_exit",
    "kill_group",
    "remove_sysv_ipc",
    "set_dumpable",
    "spawn",
    "sysv_ipc_bytes",
]

MEMORY_EXIT_CODE = 113  # the Python child's exit code for MemoryError (plus its result marker)
_MIB = 1024 * 1024
_READ_CHUNK = 65536
_PR_SET_DUMPABLE = 4
_EXEC_FAILED_EXIT_CODE = 127
EXEC_FD = 3  # where a sealed binary to run sits in the child (``spawn(exec_fd=...)``)
_MSGQUEUE_BYTES = 1024 * 1024  # RLIMIT_MSGQUEUE: POSIX message queues a test may fill
_PROBE_S = 0.05  # how often what a test holds outside its process is measured while it runs
_IPC_RMID = 0
# The sandbox's one environment: the runner's (both backends set it, ``bwrap``/``container_spec``),
# thread counts pinned for verdict parity; an exec'd program gets its PATH, HOME and LANG.
SANDBOX_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/tmp",
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
_EXEC_ENV_KEYS = ("PATH", "HOME", "LANG")


def set_dumpable(value: int) -> None:
    """Best effort: a non-dumpable runner cannot be ptrace-attached by its own children."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_DUMPABLE, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def spawn(
    limits: dict,
    stdin_fd: int | None,
    target: Callable[[], None],
    *,
    want_marker: bool,
    job_dir: str | None,
    after_exit: Callable[[int], None],
    exec_fd: int = -1,
    probe: Callable[[dict], str] | None = None,
    channel_fd: int | None = None,
) -> dict:
    """Fork ``target`` into a contained child, watch it, and report what it did (never raises
    for the program's sake). ``after_exit(pid)`` kills leftovers before the pipes are closed.

    ``exec_fd``: a descriptor the child keeps, as ``EXEC_FD`` (close-on-exec), to ``fexecve``.
    ``channel_fd`` (instead of a marker pipe) becomes the child's fd 3: an assert-style test's
    channel to its harness (``inside.harness``).
    ``probe(limits)``: measures what the test holds outside its own process (SysV IPC memory,
    files), every ``_PROBE_S`` while it runs and once after; a non-empty answer (why) kills it and
    is reported as ``probe``. A SysV segment outlives the process that made it and is not in its
    RSS, and a file costs kernel memory that no tmpfs size counts, so both are measured apart."""
    cap = int(limits["output_limit_bytes"])
    cpu_time_s = float(limits["cpu_time_s"])
    wall_time_s = float(limits["wall_time_s"])
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    mark_r, mark_w = os.pipe() if want_marker else (-1, -1)
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        try:
            set_dumpable(1)
            os.setsid()
            os.dup2(stdin_fd if stdin_fd is not None else os.open(os.devnull, os.O_RDONLY), 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            keep = 3
            if want_marker:
                os.dup2(mark_w, 3)
                keep = 4
            elif channel_fd is not None:
                os.dup2(channel_fd, 3)
                keep = 4
            if exec_fd >= 0:  # the marker and a binary never go together (C++ has no marker)
                os.dup2(exec_fd, EXEC_FD)
                os.set_inheritable(EXEC_FD, False)
                keep = EXEC_FD + 1
            os.closerange(keep, _max_fd())
            if job_dir:
                os.chdir(job_dir)
            _prefer_for_oom_kill()
            _apply_limits(limits, cpu_time_s)
            for signum in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, signal.SIG_DFL)
            target()
        except BaseException:
            with contextlib.suppress(BaseException):
                traceback.print_exc()
        os._exit(_EXEC_FAILED_EXIT_CODE)
    for fd in (out_w, err_w, mark_w):
        if fd >= 0:
            os.close(fd)
    streams = {out_r: bytearray(), err_r: bytearray()}
    if want_marker:
        streams[mark_r] = bytearray()
    over = {out_r: False, err_r: False, mark_r: False}
    check = (lambda: probe(limits)) if probe is not None else None
    status, rusage, timed_out, probed = _watch(pid, streams, over, cap, started + wall_time_s, check)
    if check is not None and not probed:
        probed = check()
    wall = time.monotonic() - started
    after_exit(pid)
    for fd in streams:
        os.close(fd)
    code = os.waitstatus_to_exitcode(status)
    return {
        "exit_code": code if code >= 0 else None,
        "signal": -code if code < 0 else None,
        "timed_out": timed_out,
        "time_s": round(rusage.ru_utime + rusage.ru_stime, 4) if rusage else 0.0,
        "wall_time_s": round(wall, 4),
        "memory_mb": round(rusage.ru_maxrss / 1024, 2) if rusage else 0.0,
        "stdout": streams[out_r].decode("utf-8", "replace"),
        "stderr": streams[err_r].decode("utf-8", "replace"),
        "stdout_over": over[out_r],
        "stderr_over": over[err_r],
        "marker": bytes(streams[mark_r]) if want_marker else b"",
        "probe": probed,
    }


def _watch(pid: int, streams: dict, over: dict, cap: int, deadline: float, check):
    """Read the child's pipes until it exits, breaks a limit, or runs past the deadline."""
    selector = selectors.DefaultSelector()
    for fd in streams:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    pidfd = -1
    try:
        pidfd = os.pidfd_open(pid)
        selector.register(pidfd, selectors.EVENT_READ)
    except (AttributeError, OSError):
        pidfd = -1
    status = rusage = None
    timed_out = False
    probed = ""
    poll_s = 0.05 if pidfd < 0 else None
    next_check = time.monotonic() + _PROBE_S  # a test that ends sooner is measured after
    if check is not None:
        poll_s = _PROBE_S
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            events = selector.select(timeout=remaining if poll_s is None else min(remaining, poll_s))
            if check is not None and time.monotonic() >= next_check:
                next_check = time.monotonic() + _PROBE_S
                probed = check()
                if probed:
                    break
            for key, _ in events:
                fd = key.fd
                if fd == pidfd:
                    continue
                if _read_into(fd, streams, over, cap):
                    selector.unregister(fd)
            if any(over.values()):
                break
            done_pid, done_status, done_rusage = os.wait4(pid, os.WNOHANG)
            if done_pid == pid:
                status, rusage = done_status, done_rusage
                for fd in list(streams):  # drain what the child left in its pipes
                    _read_into(fd, streams, over, cap)
                break
    finally:
        selector.close()
        if pidfd >= 0:
            os.close(pidfd)
    if status is None:
        kill_group(pid)
        _, status, rusage = os.wait4(pid, 0)
    return status, rusage, timed_out, probed


def _sysv_rows(kind: str) -> list[dict[str, str]]:
    try:
        with open(f"/proc/sysvipc/{kind}", encoding="ascii") as handle:
            header = handle.readline().split()
            return [dict(zip(header, line.split(), strict=False)) for line in handle]
    except OSError:
        return []


def files_in_use(mounts: tuple[str, ...]) -> int:
    """Inodes in use on ``mounts`` (each a tmpfs of the sandbox, listed once)."""
    used = 0
    for mount in mounts:
        with contextlib.suppress(OSError):
            info = os.statvfs(mount)
            used += max(info.f_files - info.f_ffree, 0)
    return used


def sysv_ipc_bytes() -> int:
    """Memory held by the SysV shared memory segments and message queues of this IPC namespace."""
    total = 0
    for row in _sysv_rows("shm"):
        total += int(row.get("rss", 0)) + int(row.get("swap", 0))
    for row in _sysv_rows("msg"):
        total += int(row.get("cbytes", 0))
    return total


def remove_sysv_ipc() -> bool:
    """Remove every SysV shared memory segment, message queue and semaphore set of this IPC
    namespace (call only in the sandbox's own namespace); True when none is left."""
    rows = {kind: _sysv_rows(kind) for kind in ("shm", "msg", "sem")}
    if not any(rows.values()):
        return True  # the usual case: nothing to remove, no ctypes
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    for kind, id_field, remove in (
        ("shm", "shmid", lambda ident: libc.shmctl(ident, _IPC_RMID, None)),
        ("msg", "msqid", lambda ident: libc.msgctl(ident, _IPC_RMID, None)),
        ("sem", "semid", lambda ident: libc.semctl(ident, 0, _IPC_RMID)),
    ):
        for row in rows[kind]:
            with contextlib.suppress(ValueError, KeyError):
                remove(ctypes.c_int(int(row[id_field])))
    # a removed segment that is still attached stays listed until detached; nobody is attached now
    return not any(_sysv_rows(kind) for kind in ("shm", "msg", "sem"))


def _read_into(fd: int, streams: dict, over: dict, cap: int) -> bool:
    """Read what is there; True at end of stream. Past ``cap`` bytes the stream is over."""
    buffer = streams[fd]
    while True:
        try:
            chunk = os.read(fd, _READ_CHUNK)
        except BlockingIOError:
            return False
        except OSError:
            return True
        if not chunk:
            return True
        room = cap + 1 - len(buffer)
        buffer += chunk[: max(room, 0)]
        if len(buffer) > cap:
            del buffer[cap:]
            over[fd] = True
            return True


def _max_fd() -> int:
    try:
        return os.sysconf("SC_OPEN_MAX")
    except (OSError, ValueError):
        return 65536


def kill_group(pid: int) -> None:
    """Kill a process group, if it still exists."""
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


def _prefer_for_oom_kill() -> None:
    """Make the program the kernel's first choice when the sandbox runs out of memory, so a memory
    bomb kills itself rather than the runner (which would turn a verdict into a sandbox error).
    Raising one's own score needs no privilege; where /proc is not writable it is skipped."""
    with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as fh:
        fh.write("1000")


def _apply_limits(limits: dict, cpu_time_s: float) -> None:
    def cap(which: int, value: int) -> None:
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))

    cpu = max(1, math.ceil(cpu_time_s))
    soft_hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    hard_cpu = cpu + 1 if soft_hard == resource.RLIM_INFINITY else min(cpu + 1, soft_hard)
    resource.setrlimit(resource.RLIMIT_CPU, (min(cpu, hard_cpu), hard_cpu))
    memory_mb = int(limits["memory_mb"])
    cap(resource.RLIMIT_AS, memory_mb * _MIB)
    # The stack apart from memory: runaway recursion is a crash at stack_mb, not a memory verdict.
    cap(resource.RLIMIT_STACK, min(int(limits["stack_mb"]), memory_mb) * _MIB)
    cap(resource.RLIMIT_MSGQUEUE, _MSGQUEUE_BYTES)
    cap(resource.RLIMIT_NPROC, int(limits["max_processes"]))
    cap(resource.RLIMIT_FSIZE, int(limits["file_size_mb"]) * _MIB)
    cap(resource.RLIMIT_NOFILE, int(limits["max_open_files"]))
    cap(resource.RLIMIT_CORE, 0)


def exec_program(argv: list[str], exec_fd: int | None = None) -> None:
    """Replace the child with a compiled program (``exec_fd``: from a descriptor, ``fexecve``) or
    the compiler (``argv[0]`` on PATH), with a minimal environment."""
    env = {key: os.environ.get(key, SANDBOX_ENV[key]) for key in _EXEC_ENV_KEYS}
    if exec_fd is not None:
        os.execve(exec_fd, argv, env)
    os.execvpe(argv[0], argv, env)


def flush_and_exit(code: int) -> None:
    """Flush the child's stdio and leave at once (no atexit hooks, no interpreter teardown)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):
            stream.flush()
    os._exit(code)
