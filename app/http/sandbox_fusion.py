"""SandboxFusion's ``/run_code``: its request and response models, field by field, over our sandbox.

Why: verl's sandbox client and the ``sandbox-fusion`` SDK post ``RunCodeRequest`` and read
``RunCodeResponse``; whatever they read must mean what SandboxFusion means by it. SandboxFusion's
server derives ``status`` with ``parse_run_status``: any ``Error`` command status is a
``SandboxError``, a ``TimeLimitExceeded`` or a non-zero ``return_code`` is ``Failed``. So:

- interpreted languages (Python, Bash) have no compile step: ``compile_result`` is null and a
  Python syntax error is a *run* that exits with code 1 (SandboxFusion runs ``python file.py``);
- a C/C++ compile failure is ``compile_result`` ``Finished`` with a non-zero ``return_code`` and no
  ``run_result``; a compile timeout is ``compile_result`` ``TimeLimitExceeded``;
- memory and output limits are ``Finished`` runs with a non-zero ``return_code`` (the program was
  stopped), never ``Error`` (which the SDK treats as the sandbox's own failure and retries);
- output is cut at the output cap (1 MiB by default, SandboxFusion's own capture size), and a cut
  output is never a ``Success``.

Limits are the service's own at most: a larger request is clamped and the applied values are
reported (``limits``, and a line in ``message``); ``-1`` or absent means the service's limit.
Pure translation, no I/O. Response fields beyond SandboxFusion's (``limits``, ``verdict``) are
ignored by its pydantic models.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
from dataclasses import dataclass
from typing import Any

from sandbox import Job, JobFile, JobResult, Language, Limits, TestCase, TestKind, TestResult, Verdict

__all__ = [
    "LANGUAGES",
    "MAX_FETCH_FILES",
    "MAX_INPUT_FILES",
    "AppliedLimits",
    "RunCodeError",
    "UnsupportedLanguageError",
    "run_code_job",
    "run_code_response",
    "unsupported_language_response",
]

# SandboxFusion's request language -> ours. "python3", "c++" and "c" are our own extras.
LANGUAGES: dict[str, Language] = {
    "python": Language.PYTHON,
    "python3": Language.PYTHON,
    "cpp": Language.CPP,
    "c++": Language.CPP,
    "c": Language.C,
    "bash": Language.BASH,
}
# SandboxFusion's ``Language`` literal: a name from it that we do not run is the sandbox's
# "cannot run this" (``SandboxError``); any other name is a bad request (SandboxFusion: 422).
SANDBOX_FUSION_LANGUAGES = frozenset(
    [
        "python",
        "python2",
        "cpp",
        "nodejs",
        "go",
        "go_test",
        "java",
        "php",
        "csharp",
        "bash",
        "typescript",
        "sql",
        "rust",
        "cuda",
        "lua",
        "R",
        "perl",
        "D_ut",
        "ruby",
        "scala",
        "julia",
        "pytest",
        "junit",
        "kotlin_script",
        "jest",
        "verilog",
        "python_gpu",
        "lean",
        "swift",
        "racket",
        "gtest",
        "react",
    ]
)
MAX_INPUT_FILES = 64
MAX_FETCH_FILES = 64
_RESERVED_NAMES = ("main", "main.cpp", "main.c", "main.sh")  # the sandbox's own files in the work dir
_MIB = 1024 * 1024
_COMPILED = (Language.CPP, Language.C)


class RunCodeError(ValueError):
    """A request we refuse before any work; ``message`` says which field and why."""


class UnsupportedLanguageError(RunCodeError):
    """A language this service does not run; ``known`` when SandboxFusion knows the name."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.known = language in SANDBOX_FUSION_LANGUAGES
        super().__init__(
            f"language {language!r} is not supported by this service; supported: "
            + ", ".join(sorted(LANGUAGES))
        )


@dataclass(frozen=True, slots=True)
class AppliedLimits:
    """The limits a run actually had, in SandboxFusion's units, and what was clamped (why: a
    caller asking for 60 s must learn it ran with 10 s, not find out from a timeout)."""

    run_timeout: float  # seconds, wall clock (SandboxFusion's run_timeout)
    cpu_time_limit: float  # seconds of CPU
    compile_timeout: float  # seconds
    memory_limit_MB: int
    output_limit_bytes: int  # per stream (stdout, stderr)
    clamped: tuple[str, ...] = ()  # one sentence per clamped field

    def as_json(self) -> dict[str, Any]:
        return {
            "run_timeout": self.run_timeout,
            "cpu_time_limit": self.cpu_time_limit,
            "compile_timeout": self.compile_timeout,
            "memory_limit_MB": self.memory_limit_MB,
            "output_limit_bytes": self.output_limit_bytes,
            "clamped": list(self.clamped),
        }


def _limit(name: str, requested: float | None, service_max: float, unit: str, notes: list[str]) -> float:
    """``requested`` within ``(0, service_max]``; absent or -1 -> ``service_max``."""
    if requested is None or requested == -1:
        return service_max
    if not requested > 0:
        raise RunCodeError(f"{name} must be > 0 {unit}, or -1 for this service's limit; got {requested}")
    if requested > service_max:
        notes.append(
            f"{name} {requested:g} {unit} is above this service's max: ran with {service_max:g} {unit}"
        )
        return service_max
    return requested


def run_code_limits(
    base: Limits, run_timeout: float | None, compile_timeout: float | None, memory_limit_mb: int | None
) -> tuple[Limits, AppliedLimits]:
    """The job's limits: the request may lower the service's limits (``base``), never raise them
    (an unbounded run would hold a sandbox slot or the host's memory)."""
    notes: list[str] = []
    # run_timeout is a wall-clock limit (SandboxFusion's meaning). The service's own wall limit is
    # the one its jobs get (Limits.wall_limit_s: derived from the CPU limit unless set), so a
    # request that names no run_timeout runs like any other job; CPU stays the judged limit.
    wall_s = _limit("run_timeout", run_timeout, base.wall_limit_s, "s", notes)
    compile_s = _limit("compile_timeout", compile_timeout, base.compile_time_s, "s", notes)
    memory_mb = int(_limit("memory_limit_MB", memory_limit_mb, base.memory_mb, "MB", notes))
    cpu_s = min(wall_s, base.cpu_time_s)
    limits = Limits(
        cpu_time_s=cpu_s,
        wall_time_s=wall_s,
        memory_mb=max(memory_mb, 1),
        stack_mb=min(base.stack_mb, max(memory_mb, 1)),  # the stack must fit in the memory limit
        max_processes=base.max_processes,
        output_limit_bytes=base.output_limit_bytes,
        file_size_mb=base.file_size_mb,
        max_open_files=base.max_open_files,
        max_files=base.max_files,
        compile_time_s=compile_s,
        compile_memory_mb=base.compile_memory_mb,
        # Everything up to the cap comes back: a cut stdout would be judged as the program's output.
        report_bytes=base.output_limit_bytes,
    )
    applied = AppliedLimits(
        wall_s, cpu_s, compile_s, limits.memory_mb, limits.output_limit_bytes, tuple(notes)
    )
    return limits, applied


_MAX_NAME_BYTES = 255  # one path component (NAME_MAX)
_MAX_PATH_BYTES = 1024


def _file_path(path: str, field: str) -> str:
    """A normalized relative path inside the work dir; anything the sandbox could not create or
    that would leave the work dir is the caller's 422 here, not a sandbox error later."""
    norm = posixpath.normpath(path) if path else ""
    if not norm or norm == "." or path.startswith("/") or norm.split("/")[0] in ("..", *_RESERVED_NAMES):
        raise RunCodeError(
            f"{field} path {path!r} must be relative to the working directory, stay inside it, and not "
            f"be one of {', '.join(_RESERVED_NAMES)}"
        )
    encoded = norm.encode("utf-8", "surrogatepass")
    if "\x00" in norm or len(encoded) > _MAX_PATH_BYTES:
        raise RunCodeError(f"{field} path {path[:80]!r}: no NUL bytes, at most {_MAX_PATH_BYTES} bytes")
    if any(len(part.encode("utf-8", "surrogatepass")) > _MAX_NAME_BYTES for part in norm.split("/")):
        raise RunCodeError(f"{field} path {path[:80]!r}: a name is longer than {_MAX_NAME_BYTES} bytes")
    return norm


def _input_files(files: dict[str, str | None], base: Limits) -> tuple[JobFile, ...]:
    if len(files) > MAX_INPUT_FILES:
        raise RunCodeError(f"files has {len(files)} entries; at most {MAX_INPUT_FILES}")
    max_bytes = base.file_size_mb * _MIB
    out: dict[str, JobFile] = {}
    for path, content in files.items():
        if content is None:  # SandboxFusion skips files without content
            continue
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise RunCodeError(f"files[{path!r}] is not valid base64") from None
        if len(data) > max_bytes:
            raise RunCodeError(f"files[{path!r}] has {len(data)} bytes; at most {max_bytes} (file_size_mb)")
        norm = _file_path(path, "files")
        if norm in out:
            raise RunCodeError(f"files names {norm!r} twice")
        out[norm] = JobFile(norm, data)
    for norm in out:  # a file cannot also be a folder of another file
        parts = norm.split("/")
        for depth in range(1, len(parts)):
            if "/".join(parts[:depth]) in out:
                raise RunCodeError(f"files: {'/'.join(parts[:depth])!r} is a file and a folder of {norm!r}")
    return tuple(out.values())


def run_code_job(
    *,
    code: str,
    language: str,
    stdin: str | None,
    base: Limits,
    run_timeout: float | None = None,
    compile_timeout: float | None = None,
    memory_limit_mb: int | None = None,
    files: dict[str, str | None] | None = None,
    fetch_files: list[str] | None = None,
) -> tuple[Job, AppliedLimits]:
    """One stdio run of ``code``. Raises ``UnsupportedLanguageError`` / ``RunCodeError``."""
    lang = LANGUAGES.get(language) or LANGUAGES.get(language.lower())
    if lang is None:
        raise UnsupportedLanguageError(language)
    limits, applied = run_code_limits(base, run_timeout, compile_timeout, memory_limit_mb)
    fetch = list(fetch_files or ())
    if len(fetch) > MAX_FETCH_FILES:
        raise RunCodeError(f"fetch_files has {len(fetch)} entries; at most {MAX_FETCH_FILES}")
    job = Job(
        language=lang,
        source=code,
        tests=(TestCase(kind=TestKind.STDIO, stdin=stdin or ""),),
        limits=limits,
        files=_input_files(files or {}, base),
        fetch_files=tuple(_file_path(p, "fetch_files") for p in fetch),
    )
    return job, applied


def unsupported_language_response(exc: UnsupportedLanguageError) -> dict[str, Any]:
    """What SandboxFusion answers when it cannot run a language it knows: ``SandboxError``."""
    return _response("SandboxError", str(exc), None, None, {})


def _response(
    status: str,
    message: str,
    compile_result: dict[str, Any] | None,
    run_result: dict[str, Any] | None,
    files: dict[str, str],
    **extra: Any,
) -> dict[str, Any]:
    return {
        "status": status,
        "message": message,
        "compile_result": compile_result,
        "run_result": run_result,
        "executor_pod_name": None,
        "files": files,
        **extra,
    }


def _command(
    status: str,
    time_s: float,
    return_code: int | None,
    stdout: str = "",
    stderr: str = "",
    cpu_s: float | None = None,
) -> dict[str, Any]:
    """SandboxFusion's ``CommandRunResult``."""
    return {
        "status": status,
        "execution_time": time_s,
        "cpu_time": cpu_s,
        "return_code": return_code,
        "stdout": stdout,
        "stderr": stderr,
    }


def _stopped_code(t: TestResult) -> int:
    """A stopped program's code, never 0 or null (the SDK reads 0 as success, null as invalid)."""
    if t.exit_code not in (None, 0):
        return int(t.exit_code)
    return -t.signal if t.signal else 1


def _run_result(t: TestResult, applied: AppliedLimits) -> tuple[dict[str, Any], str]:
    """The run's ``CommandRunResult`` and why it failed (empty for a clean run)."""
    times = {"time_s": t.wall_time_s, "cpu_s": t.time_s}
    if t.status is Verdict.TIME_LIMIT:
        why = f"time limit ({t.detail or 'time'}; run_timeout {applied.run_timeout:g} s, cpu {applied.cpu_time_limit:g} s)"
        return _command("TimeLimitExceeded", return_code=None, stdout=t.stdout, stderr=t.stderr, **times), why
    if t.status is Verdict.MEMORY_LIMIT:
        why = f"memory limit ({applied.memory_limit_MB} MB) exceeded: {t.detail}"
    elif t.status is Verdict.OUTPUT_LIMIT:
        why = f"output over {applied.output_limit_bytes} bytes ({t.detail}): cut there and the run stopped"
    elif t.status is Verdict.RUNTIME_ERROR:
        why = f"runtime error: {t.detail}" if t.detail else "runtime error"
    elif t.stdout_truncated or t.stderr_truncated:
        why = "output cut at the report limit"
    else:  # ran to the end with exit code 0 (the job's expected stdout is empty, so no judging)
        return _command(
            "Finished", return_code=t.exit_code or 0, stdout=t.stdout, stderr=t.stderr, **times
        ), ""
    return _command("Finished", return_code=_stopped_code(t), stdout=t.stdout, stderr=t.stderr, **times), why


def run_code_response(result: JobResult, language: Language, applied: AppliedLimits) -> dict[str, Any]:
    """SandboxFusion's ``RunCodeResponse`` (plus ``limits`` and our ``verdict``)."""
    extra = {"limits": applied.as_json(), "verdict": result.status.value}
    notes = list(applied.clamped)
    if result.error or result.status.is_infrastructure:
        return _response(
            "SandboxError", "; ".join([result.error or "sandbox error", *notes]), None, None, {}, **extra
        )
    files = {f.path: base64.b64encode(f.content).decode("ascii") for f in result.files}
    compiled = language in _COMPILED
    c = result.compile
    compile_result = None
    if not c.ok:
        if compiled:
            # Over the wall limit the runner says so; over the CPU limit (SIGXCPU) gcc does.
            timed_out = c.stderr.startswith("compilation timed out") or (
                "CPU time limit exceeded" in c.stderr and c.time_s >= applied.compile_timeout
            )
            compile_result = (
                _command("TimeLimitExceeded", c.time_s, None, stderr=c.stderr)
                if timed_out
                else _command(
                    "Finished", c.time_s, c.exit_code if c.exit_code not in (None, 0) else 1, stderr=c.stderr
                )
            )
            why = "compile timeout" if timed_out else "compile error"
            return _response("Failed", "; ".join([why, *notes]), compile_result, None, files, **extra)
        # An interpreted program that does not parse: SandboxFusion ran it and it exited 1.
        run_result = _command("Finished", c.time_s, 1, stderr=c.stderr)
        return _response("Failed", "; ".join(["syntax error", *notes]), None, run_result, files, **extra)
    if compiled:
        compile_result = _command("Finished", c.time_s, 0, stderr=c.stderr)
    if not result.tests:
        return _response(
            "SandboxError", "; ".join(["the program was not run", *notes]), compile_result, None, {}, **extra
        )
    run_result, why = _run_result(result.tests[0], applied)
    status = "Failed" if why or run_result["return_code"] != 0 else "Success"
    return _response(
        status, "; ".join(x for x in [why, *notes] if x), compile_result, run_result, files, **extra
    )
