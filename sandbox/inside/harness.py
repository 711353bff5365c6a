"""The trusted side of an assert-style test: the test code and its verdict, out of the program's reach.

Why a separate process: when the test code runs in the program's interpreter, the program can
forge its result without solving anything (walk the frames to the harness, patch ``builtins``,
return an always-equal object, exit 0 early, redefine ``check``). Here the test code runs in a
process of its own, forked from the runner *before* the program, and calls the program only
through a socket that carries data (``codec``): the program never holds an object of the
harness, never sees the test code or its expected values, and cannot write the verdict, which
goes to a pipe only the runner and this process hold.

Why inside the sandbox, as the program's sibling, and not on the host: the test code comes with
the request and is not ours to trust either (a slow or hostile test must stay contained), and
calls between the test and the program are many and small (a host round trip per call would be
slow). Within the sandbox the harness is protected by the kernel: it is non-dumpable (checked,
or it refuses to judge), so the program, although it runs under the same uid, cannot ptrace it,
read or write ``/proc/<pid>/mem`` or open its descriptors. The program *can* signal or kill it;
then no verdict arrives, and a test with no verdict fails (it is never accepted). The test code
itself never passes through the runner's memory, which every program process inherits by fork:
the harness reads it straight from the protocol stream (``read_code``), after which the program is
forked.

Verdict (JSON on the verdict pipe, after a one-byte ``R`` once the code is read): ``status`` is
``passed`` only when the test code ran to its end and every exchange with the program was
well-formed (a closed channel, a malformed message or a ``fatal`` report spoil the verdict even
if the test code swallowed the exception); otherwise ``failed`` (an assertion), ``error``,
``time_limit`` or ``memory_limit`` (the harness's own limits), or ``unsafe`` (it could not make
itself non-dumpable: a host problem).
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import importlib
import importlib.util
import json
import os
import resource
import signal
import site
import sys
import sysconfig
import traceback
from typing import Any

from .entry_point import parse_entry_point
from .link import ChannelBroken, Link

__all__ = ["READY", "Harness", "start"]

READY = b"R"
_MIB = 1024 * 1024
_TRACE_CHARS = 2000
_PR_GET_DUMPABLE = 3
_PR_SET_DUMPABLE = 4


class Harness:
    """The runner's view of a started harness: its pid and its verdict pipe."""

    def __init__(self, pid: int, verdict_fd: int) -> None:
        self.pid = pid
        self._fd = verdict_fd
        self._data = bytearray()

    def wait_ready(self, timeout_s: float) -> bool:
        """True once the harness has read the test code (it says ``R``)."""
        import select

        ready, _, _ = select.select([self._fd], [], [], timeout_s)
        if not ready:
            return False
        first = os.read(self._fd, 1)
        return first == READY

    def collect(self) -> dict[str, Any] | None:
        """Kill the harness if it is still there, reap it, and return its verdict (None: no verdict)."""
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        os.set_blocking(self._fd, False)
        with contextlib.suppress(OSError):
            while chunk := os.read(self._fd, 65536):
                self._data += chunk
                if len(self._data) > 1 << 20:
                    break
        os.close(self._fd)
        try:
            verdict = json.loads(bytes(self._data))
        except ValueError:
            return None
        return verdict if isinstance(verdict, dict) and "status" in verdict else None

    def abandon(self) -> None:
        """Kill and reap without a verdict (the runner gave up on this test)."""
        self.collect()


def start(channel_fd: int, code_fd: int, code_bytes: int, limits: dict[str, Any]) -> Harness:
    """Fork the harness. It reads ``code_bytes`` bytes of JSON (``code``, ``prelude``,
    ``entry_point``) from ``code_fd``, says ``R``, then judges over ``channel_fd``."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            os.close(read_fd)
            _child(channel_fd, code_fd, code_bytes, write_fd, limits)
        except BaseException:
            status = 1
        os._exit(status)
    os.close(write_fd)
    return Harness(pid, read_fd)


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _keep_only(fds: set[int]) -> None:
    top = 65536
    with contextlib.suppress(OSError, ValueError):
        top = os.sysconf("SC_OPEN_MAX")
    low = 3
    for fd in sorted(fds):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, top)


def _non_dumpable() -> bool:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
        return libc.prctl(_PR_GET_DUMPABLE, 0, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _read_code(fd: int, size: int) -> bytearray:
    """Exactly ``size`` bytes from the protocol stream (the runner reads on only after ``R``)."""
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        n = os.readv(fd, [view[got:]])
        if n == 0:
            raise EOFError("the test code ended early")
        got += n
    return buffer


def _parse_code(raw: bytearray) -> dict[str, Any]:
    payload = json.loads(raw.decode("utf-8", "surrogatepass"))
    if not isinstance(payload, dict):
        raise ValueError("test code payload must be an object")
    return payload


def _child(channel_fd: int, code_fd: int, code_bytes: int, verdict_fd: int, limits: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):
        os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for target in (1, 2):
        os.dup2(null, target)
    _keep_only({channel_fd, code_fd, verdict_fd, null} - {0, 1, 2})
    safe = _non_dumpable()
    raw = _read_code(code_fd, code_bytes)
    os.dup2(null, 0)
    if code_fd > 2:
        os.close(code_fd)
    _write(verdict_fd, READY)
    if not safe:
        _write(verdict_fd, json.dumps({"status": "unsafe", "detail": "harness is dumpable"}).encode())
        return
    for signum in (
        signal.SIGINT,
        signal.SIGTERM,
        signal.SIGHUP,
        signal.SIGPIPE,
        signal.SIGUSR1,
        signal.SIGUSR2,
    ):
        signal.signal(signum, signal.SIG_IGN)

    def out_of_cpu(signum: int, frame: object) -> None:
        _write(
            verdict_fd, json.dumps({"status": "time_limit", "detail": "test code cpu time limit"}).encode()
        )
        os._exit(0)

    signal.signal(signal.SIGXCPU, out_of_cpu)
    _apply_limits(limits)
    verdict = _judge(raw, channel_fd, int(limits["message_limit_bytes"]))
    _write(verdict_fd, json.dumps(verdict).encode("utf-8", "surrogatepass"))
    with contextlib.suppress(OSError):
        os.close(channel_fd)


def _apply_limits(limits: dict[str, Any]) -> None:
    """The harness's own limits, ``harness_cpu_time_s`` and ``harness_memory_mb`` (their
    defaults are the host's, ``sandbox.job.Limits``); no processes, no core dumps. Over them the
    verdict is ``time_limit`` or ``memory_limit``, never a pass."""
    cpu_s = float(limits["harness_cpu_time_s"])
    cpu = max(1, int(-(-cpu_s // 1)))
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    memory_mb = int(limits["harness_memory_mb"])
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * _MIB, memory_mb * _MIB))
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _judge(raw: bytearray, channel_fd: int, limit_bytes: int) -> dict[str, Any]:
    link = Link(channel_fd, limit_bytes)
    trace = ""
    try:
        _run(_parse_code(raw), link)
        verdict = {"status": "passed", "detail": ""}
    except AssertionError:
        verdict, trace = {"status": "failed", "detail": "assertion failed"}, _trace()
    except MemoryError:
        return {"status": "memory_limit", "detail": "MemoryError in the test code"}
    except ChannelBroken as exc:
        verdict, trace = {"status": "error", "detail": str(exc)}, _trace()
    except BaseException as exc:
        verdict, trace = {"status": "error", "detail": f"{type(exc).__name__}: {str(exc)[:300]}"}, _trace()
    if link.broken and verdict["status"] in ("passed", "failed"):
        verdict = {"status": "error", "detail": link.broken}
    if trace:
        verdict["trace"] = trace
    return verdict


def _trace() -> str:
    try:
        return traceback.format_exc()[-_TRACE_CHARS:]
    except BaseException:
        return ""


def _run(payload: dict[str, Any], link: Link) -> None:
    code, prelude = str(payload.get("code", "")), str(payload.get("prelude", ""))
    entry_point = str(payload.get("entry_point", ""))
    sys.setrecursionlimit(10000)  # as the program's process: deep recursive helpers in tests
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    if prelude:
        exec(compile(prelude, "prelude.py", "exec"), namespace)
    link.classes = {
        name: value
        for name, value in namespace.items()
        if isinstance(value, type) and value.__module__ == "__main__"
    }
    tree = ast.parse(code, "test.py")
    root = parse_entry_point(entry_point)[0][0] if entry_point else ""
    wanted, attribute_bases = _free_names(tree, namespace)
    if root:
        wanted.add(root)
    for name in sorted(wanted):
        if name != root and name in attribute_bases and name in sys.stdlib_module_names:
            with contextlib.suppress(ImportError):
                namespace[name] = importlib.import_module(name)
                wanted.discard(name)
    for name, answer in link.lookup(sorted(wanted)).items():
        if not isinstance(answer, dict):
            continue
        if "module" in answer:
            module = _trusted_module(str(answer["module"]))
            if module is not None:
                namespace[name] = module
        elif "value" in answer:
            namespace[name] = link.decode(answer["value"])
    exec(compile(tree, "test.py", "exec"), namespace)


def _free_names(tree: ast.AST, namespace: dict[str, Any]) -> tuple[set[str], set[str]]:
    """Names the test reads but neither defines nor gets from builtins or the prelude, and the
    names it uses as ``name.attribute`` (a module, when the name is one of the stdlib's)."""
    loaded: set[str] = set()
    stored: set[str] = set()
    bases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else stored).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stored.add(node.name)
        elif isinstance(node, ast.arg):
            stored.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            stored.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            bases.add(node.value.id)
    free = loaded - stored - set(dir(builtins)) - set(namespace)
    return free, bases


def _trusted_module(name: str) -> object | None:
    """A module the program says a name is, imported here only from the interpreter's own
    read-only library directories (never from a directory the program could write)."""
    if not all(part.isidentifier() for part in name.split(".")) or name == "__main__":
        return None
    roots = {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    with contextlib.suppress(AttributeError):
        roots.update(site.getsitepackages())
    roots.add("/usr/lib/python3/dist-packages")
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    places = [spec.origin] if spec.origin not in (None, "built-in", "frozen") else []
    places += list(spec.submodule_search_locations or [])
    for place in places:
        real = os.path.realpath(str(place))
        if not any(real.startswith(os.path.realpath(root) + os.sep) for root in roots):
            return None
    try:
        return importlib.import_module(name)
    except ImportError:
        return None
