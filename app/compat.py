"""Drop-in request/response shapes of SandboxFusion (OpenRLHF's are in ``app.openrlhf``).

Why: a trainer already wired to a SandboxFusion server (verl) can point at Arbiter without code
changes. Pure translation functions, no I/O.
"""

from __future__ import annotations

from typing import Any

from sandbox.job import Job, Language, Limits, TestCase, TestKind
from sandbox.result import JobResult, Verdict

__all__ = ["run_code_job", "run_code_response"]


def run_code_job(
    code: str, language: str, stdin: str, base: Limits, run_timeout_s: float | None, memory_mb: int | None
) -> Job:
    """One stdio run of ``code``; raises ValueError for a language we cannot run.

    The request may lower the service's limits (``base``) but never raise them: an unbounded
    ``run_timeout`` or ``memory_limit_MB`` would let one caller hold a sandbox slot or the host's
    memory."""
    lang = Language(
        {"python": "python", "python3": "python", "cpp": "cpp", "c++": "cpp"}.get(language.lower(), "")
    )
    cpu_time_s = min(run_timeout_s, base.cpu_time_s) if run_timeout_s else base.cpu_time_s
    limits = Limits(
        cpu_time_s=cpu_time_s,
        wall_time_s=min(cpu_time_s * 2, base.wall_time_s),
        memory_mb=min(memory_mb, base.memory_mb) if memory_mb else base.memory_mb,
        output_limit_bytes=base.output_limit_bytes,
        report_bytes=max(base.report_bytes, 65536),
    )
    test = TestCase(kind=TestKind.STDIO, stdin=stdin)
    return Job(language=lang, source=code, tests=(test,), limits=limits)


_RUN_STATUS = {
    Verdict.ACCEPTED: "Finished",
    Verdict.WRONG_ANSWER: "Finished",  # the job's expected output is empty: any output "differs"
    Verdict.RUNTIME_ERROR: "Finished",
    Verdict.TIME_LIMIT: "TimeLimitExceeded",
}


def run_code_response(result: JobResult) -> dict[str, Any]:
    """SandboxFusion's ``RunCodeResponse``: status Success/Failed/SandboxError."""
    if result.error:
        return {
            "status": "SandboxError",
            "message": result.error,
            "compile_result": None,
            "run_result": None,
            "files": {},
        }
    compile_result = {
        "status": "Finished" if result.compile.ok else "Error",
        "execution_time": result.compile.time_s,
        "return_code": result.compile.exit_code,
        "stdout": "",
        "stderr": result.compile.stderr,
    }
    run_result = None
    ok = result.compile.ok
    if result.tests:
        t = result.tests[0]
        run_status = _RUN_STATUS.get(t.status, "Error")
        run_result = {
            "status": run_status,
            "execution_time": t.wall_time_s,
            "return_code": t.exit_code,
            "stdout": t.stdout,
            "stderr": t.stderr,
        }
        ok = ok and run_status == "Finished" and (t.exit_code or 0) == 0
    return {
        "status": "Success" if ok else "Failed",
        "message": "",
        "compile_result": compile_result,
        "run_result": run_result,
        "files": {},
    }
