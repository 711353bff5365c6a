"""The host side of the runner protocol (see ``sandbox/inside/runner.py``), over any pair of byte streams.

Why judging happens here and not in the runner: expected outputs never enter the sandbox, so a
program cannot dig them out of its parent's memory; the runner only reports what the program did,
and this side applies the one comparison policy (``sandbox.comparison``).

Every read has a deadline: a runner that hangs or dies is a ``RunnerProtocolError`` (the backend
recycles the instance and reports ``sandbox_error``), never a hung worker.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import select
import time
from pathlib import Path
from typing import Any, Protocol

from sandbox.comparison import Comparison, outputs_match, values_match
from sandbox.compile_cache import CompileCache, compile_key
from sandbox.errors import RunnerProtocolError
from sandbox.job import Job, JobFile, Language, Limits, TestCase, TestKind
from sandbox.result import CompileResult, JobResult, TestResult, Verdict

__all__ = [
    "RUNNER_FILES",
    "RUNNER_PATH",
    "ByteReader",
    "ByteWriter",
    "RunnerClient",
    "runner_command",
    "runner_file_destination",
]


class ByteReader(Protocol):
    """The runner's output: a pipe, a socket file, anything with ``readline`` (and ideally ``fileno``)."""

    def readline(self) -> bytes: ...


class ByteWriter(Protocol):
    """The runner's input."""

    def write(self, data: bytes, /) -> object: ...

    def flush(self) -> object: ...


_SANDBOX_DIR = Path(__file__).resolve().parent
_INSIDE_DIR = _SANDBOX_DIR / "inside"
# Files the runner needs inside the sandbox (all of ``inside/``, the runner first), bound with the
# layout they have under ``sandbox/`` (``runner_file_destination``).
RUNNER_FILES: tuple[Path, ...] = (
    _INSIDE_DIR / "runner.py",
    *sorted(path for path in _INSIDE_DIR.glob("*.py") if path.name != "runner.py"),
)
RUNNER_PATH = "/opt/arbiter/inside/runner.py"
"""Where the runner is inside either backend's sandbox."""


def runner_file_destination(path: Path) -> str:
    """Where a runner file goes, relative to the runner's directory in the sandbox
    (``inside/runner.py``): the layout of ``sandbox/`` itself."""
    return path.relative_to(_SANDBOX_DIR).as_posix()


_MAX_LINE_BYTES = 64 * 1024 * 1024
_HARNESS_READY_S = 30.0  # the runner's own wait for the harness to read an assert test's code
_READ_CHUNK = 1 << 20
# Beyond a test's wall limit: the runner's own wipe after the test. A program may leave a million
# files behind; removing them costs about what making them did, which its wall limit bounds (a few
# times over on a loaded host). A runner silent past this is broken.
_WIPE_ALLOWANCE_S = 25.0
_WIPE_PER_WALL_S = 4.0


def _wipe_allowance_s(limits: Limits) -> float:
    return _WIPE_ALLOWANCE_S + _WIPE_PER_WALL_S * limits.wall_limit_s


def runner_command(python: str = "python3", runner_path: str = RUNNER_PATH) -> list[str]:
    """The argv that starts a runner inside a sandbox (isolated mode: no site, no env)."""
    return [python, "-I", runner_path]


def _cut(text: str, limit: int) -> tuple[str, bool]:
    return (text, False) if len(text) <= limit else (text[:limit], True)


class _LineReader:
    """Newline-delimited reads with a deadline (select on the raw fd when there is one)."""

    def __init__(self, stream: ByteReader) -> None:
        self._stream = stream
        try:
            self._fd: int | None = stream.fileno()  # type: ignore[attr-defined]
        except (OSError, AttributeError, ValueError):
            self._fd = None
        self._buffer = bytearray()

    def readline(self, timeout_s: float) -> bytes:
        if self._fd is None:
            return self._stream.readline()
        deadline = time.monotonic() + timeout_s
        while True:
            newline = self._buffer.find(b"\n")
            if newline >= 0:
                line = bytes(self._buffer[: newline + 1])
                del self._buffer[: newline + 1]
                return line
            if len(self._buffer) > _MAX_LINE_BYTES:
                raise RunnerProtocolError("runner response too large")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self._fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self._fd, _READ_CHUNK)
            if not chunk:
                return b""
            self._buffer += chunk


class RunnerClient:
    """Talks to one runner process. Not thread-safe: one job at a time per runner."""

    def __init__(
        self, reader: ByteReader, writer: ByteWriter, *, backend: str = "", margin_s: float = 5.0
    ) -> None:
        self._reader = _LineReader(reader)
        self._writer = writer
        self._backend = backend
        self._margin_s = margin_s
        self._cpp_flags: tuple[str, ...] = ()
        self._c_flags: tuple[str, ...] = ()
        self.dirty = False  # the runner could not wipe a job's leftovers: retire this instance

    # -- raw protocol ----------------------------------------------------------------
    def _request(self, message: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        op = str(message.get("op", ""))
        try:
            self._writer.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
            self._writer.flush()
        except (OSError, ValueError) as exc:
            raise RunnerProtocolError(f"cannot write to runner: {exc}", backend=self._backend, op=op) from exc
        return self._read(op, timeout_s)

    def _read(self, op: str, timeout_s: float) -> dict[str, Any]:
        try:
            line = self._reader.readline(timeout_s)
        except TimeoutError as exc:
            raise RunnerProtocolError(
                f"runner did not answer {op!r} within {timeout_s:.1f}s", backend=self._backend, op=op
            ) from exc
        except OSError as exc:
            raise RunnerProtocolError(
                f"cannot read from runner: {exc}", backend=self._backend, op=op
            ) from exc
        if not line:
            raise RunnerProtocolError("runner closed its output", backend=self._backend, op=op)
        try:
            response = json.loads(line)
        except ValueError as exc:
            raise RunnerProtocolError(
                f"runner sent non-JSON: {line[:200]!r}", backend=self._backend, op=op
            ) from exc
        if not isinstance(response, dict) or not response.get("ok"):
            error = response.get("error") if isinstance(response, dict) else response
            raise RunnerProtocolError(f"runner refused {op!r}: {error}", backend=self._backend, op=op)
        return response

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Wait for the runner's hello line (it is warm after that)."""
        hello = self._read("hello", timeout_s)
        self._cpp_flags = tuple(str(flag) for flag in hello.get("cpp_flags") or ())
        self._c_flags = tuple(str(flag) for flag in hello.get("c_flags") or ())

    def ping(self, timeout_s: float = 5.0) -> bool:
        """True when the runner answers a ping in time."""
        try:
            self._request({"op": "ping"}, timeout_s)
        except RunnerProtocolError:
            return False
        return True

    # -- a whole job -----------------------------------------------------------------
    def run_job(self, job: Job, cache: CompileCache | None = None, runtime: str = "") -> JobResult:
        """Compile once (or take the binary from ``cache``), run and judge every test (or up to
        the first failure), wipe. ``runtime`` names the backend's root in the cache key.

        Raises ``RunnerProtocolError`` on any infrastructure failure.
        """
        limits = job.limits
        if job.language is not Language.PYTHON and any(t.kind is not TestKind.STDIO for t in job.tests):
            return JobResult.infrastructure_failure(
                len(job.tests), f"{job.language} jobs take stdin/stdout tests only"
            )
        message: dict[str, Any] = {
            "op": "prepare",
            "language": str(job.language),
            "source": job.source,
            "limits": limits.payload(),
        }
        if job.files:
            message["files"] = [
                {"path": f.path, "b64": base64.b64encode(f.content).decode("ascii")} for f in job.files
            ]
        key = ""
        flags = self._compile_flags(job)
        if flags and cache is not None and cache.enabled:
            key = compile_key(job.source, flags, f"{self._backend}:{runtime}")
            binary = cache.get(key)
            if binary is not None:
                message["binary_b64"] = base64.b64encode(binary).decode("ascii")
            else:
                message["return_binary"] = True
        prepared = self._request(
            message,
            _bounded(limits.compile_time_s * 2 + self._margin_s, job.deadline_unix_s),
        )
        compile_raw = prepared["compile"]
        if key and compile_raw.get("binary_b64") and cache is not None:
            with contextlib.suppress(binascii.Error, ValueError):
                cache.put(key, base64.b64decode(str(compile_raw["binary_b64"]), validate=True))
        compile_result = CompileResult(
            ok=bool(compile_raw["ok"]),
            time_s=float(compile_raw.get("time_s", 0.0)),
            stderr=str(compile_raw.get("stderr", "")),
            exit_code=compile_raw.get("exit_code"),
        )
        results: list[TestResult] = []
        fetched: tuple[JobFile, ...] = ()
        if compile_result.ok:
            for test in job.tests:
                result, fetched = self._run_test(
                    test, limits, job.comparison, job.deadline_unix_s, job.fetch_files
                )
                results.append(result)
                if job.stop_on_first_failure and result.status is not Verdict.ACCEPTED:
                    break
        finished = self._request({"op": "finish"}, self._margin_s + _wipe_allowance_s(limits))
        if finished.get("clean") is False:
            self.dirty = True
        if not compile_result.ok:
            results = [
                TestResult(status=Verdict.COMPILE_ERROR, stderr=compile_result.stderr[: limits.report_bytes])
                for _ in job.tests
            ]
        return JobResult(compile=compile_result, tests=tuple(results), total=len(job.tests), files=fetched)

    def _compile_flags(self, job: Job) -> tuple[str, ...]:
        """The compile-cache key's command line, or () when the job's binary is not cached: not
        compiled, the runner named no flags, or input files are there while compiling (a header
        in them would change the binary without changing the source)."""
        if job.files:
            return ()
        if job.language is Language.CPP and self._cpp_flags:
            return self._cpp_flags
        if job.language is Language.C and self._c_flags:
            return ("c", *self._c_flags)
        return ()

    def _run_test(
        self,
        test: TestCase,
        limits: Limits,
        comparison: Comparison,
        deadline_unix_s: float | None = None,
        fetch_files: tuple[str, ...] = (),
    ) -> tuple[TestResult, tuple[JobFile, ...]]:
        message: dict[str, Any] = {
            "op": "test",
            "kind": str(test.kind),
            "stdin": test.stdin,
            "entry_point": test.entry_point,
            "args_json": test.args_json,
            "prelude": test.prelude,
        }
        if fetch_files:
            message["fetch_files"] = list(fetch_files)
        timeout_s = limits.wall_limit_s + self._margin_s + _wipe_allowance_s(limits)
        if test.kind is TestKind.ASSERT:
            # The test code goes raw, after the runner's ``send_code``, straight to the harness:
            # it never sits in the runner's memory, which the program inherits (runner.py). Both
            # reads are cut to the job's deadline like every other.
            payload = json.dumps(
                {"code": test.code, "prelude": test.prelude, "entry_point": test.entry_point}
            ).encode("utf-8", "surrogatepass")
            message["code_bytes"] = len(payload)
            if self._request(message, _bounded(timeout_s, deadline_unix_s)).get("op") != "send_code":
                raise RunnerProtocolError(
                    "runner did not ask for the test code", backend=self._backend, op="test"
                )
            try:
                self._writer.write(payload)
                self._writer.flush()
            except (OSError, ValueError) as exc:
                raise RunnerProtocolError(
                    f"cannot write to runner: {exc}", backend=self._backend, op="test"
                ) from exc
            response = self._read("test", _bounded(timeout_s + _HARNESS_READY_S, deadline_unix_s))
        else:
            response = self._request(message, _bounded(timeout_s, deadline_unix_s))
        raw = response["result"]
        try:
            fetched = tuple(
                JobFile(str(f["path"]), base64.b64decode(str(f["b64"]), validate=True))
                for f in raw.get("files") or ()
            )
        except (binascii.Error, KeyError, TypeError) as exc:
            raise RunnerProtocolError(f"runner sent bad files: {exc}", backend=self._backend) from exc
        return _judge(test, raw, limits, comparison), fetched


def _bounded(timeout_s: float, deadline_unix_s: float | None) -> float:
    """A read's timeout cut to the job's deadline. Past it the read fails (a protocol error), and
    the pool kills the runner with whatever it was running: an abandoned job holds nothing."""
    if deadline_unix_s is None:
        return timeout_s
    left_s = deadline_unix_s - time.time()
    if left_s <= 0:
        raise RunnerProtocolError("job deadline passed", op="deadline")
    return min(timeout_s, left_s)


def _judge(
    test: TestCase, raw: dict[str, Any], limits: Limits, comparison: Comparison | None = None
) -> TestResult:
    """Turn the runner's report into a verdict, comparing outputs here on the host."""
    status_text = str(raw.get("status", ""))
    stdout = str(raw.get("stdout", ""))
    detail = str(raw.get("detail", ""))
    comparison = comparison or Comparison()
    if status_text == "ok":
        if test.kind is TestKind.STDIO:
            accepted = outputs_match(test.expected_stdout, stdout, comparison)
        elif test.kind is TestKind.CALL:
            value_json = raw.get("value_json")
            accepted = any(
                values_match(expected, value_json, comparison)
                for expected in (test.expected_json, *test.expected_json_alternatives)
            )
        else:
            accepted = not raw.get("assertion_failed")
        status = Verdict.ACCEPTED if accepted else Verdict.WRONG_ANSWER
        if not accepted:
            detail = detail or ("output differs" if test.kind is TestKind.STDIO else "return value differs")
    else:
        try:
            status = Verdict(status_text)
        except ValueError as exc:
            raise RunnerProtocolError(f"unknown runner status {status_text!r}") from exc
        if status in (Verdict.ACCEPTED, Verdict.WRONG_ANSWER) or status.is_infrastructure:
            raise RunnerProtocolError(f"runner may not report {status_text!r}")
    shown_stdout, cut = _cut(stdout, limits.report_bytes)
    if test.kind is TestKind.CALL and raw.get("value_json") is not None and not stdout:
        shown_stdout, cut = _cut(str(raw["value_json"]), limits.report_bytes)
    return TestResult(
        status=status,
        time_s=float(raw.get("time_s", 0.0)),
        wall_time_s=float(raw.get("wall_time_s", 0.0)),
        memory_mb=float(raw.get("memory_mb", 0.0)),
        exit_code=raw.get("exit_code"),
        signal=raw.get("signal"),
        stdout=shown_stdout,
        stderr=str(raw.get("stderr", "")),
        stdout_truncated=cut or bool(raw.get("stdout_truncated")),
        stderr_truncated=bool(raw.get("stderr_truncated")),
        detail=detail,
    )
