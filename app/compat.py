"""Drop-in request/response shapes of other tools: OpenRLHF's remote RM and SandboxFusion.

Why: a trainer already wired to ``--remote_rm_url`` (OpenRLHF) or to a SandboxFusion server
(verl) can point at Arbiter without code changes. Pure translation functions, no I/O.

OpenRLHF wants one float per sample, so an unscorable item (``total`` null) is sent as 0.0 there;
``extra_logs["scorable"]`` (1.0/0.0 per sample) says which ones, so the loss can mask them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.schemas import GetRewardRequest
from app.scoring import ItemResult
from sandbox.job import Job, Language, Limits, TestCase, TestKind
from sandbox.result import JobResult, Verdict
from verifiers.registry import Sample

__all__ = ["openrlhf_response", "openrlhf_samples", "run_code_job", "run_code_response"]


def openrlhf_samples(req: GetRewardRequest) -> list[Sample]:
    """``query`` is prompt + response as one string; the completion is what follows the prompt."""
    samples = []
    for i, query in enumerate(req.query):
        prompt = req.prompts[i] if i < len(req.prompts) else ""
        completion = query[len(prompt) :] if prompt and query.startswith(prompt) else query
        label = req.labels[i] if i < len(req.labels) else None
        samples.append(Sample(id=str(i), completion=completion, prompt=prompt, ground_truth=label))
    return samples


def openrlhf_response(results: Sequence[ItemResult]) -> dict[str, Any]:
    """OpenRLHF wants a float per sample: an unscorable item is 0.0 there, flagged in ``extra_logs``."""
    rewards = [r.total if r.total is not None else 0.0 for r in results]
    scores = [r.accuracy if r.accuracy is not None else 0.0 for r in results]
    extra: dict[str, list[float]] = {"scorable": [0.0 if r.total is None else 1.0 for r in results]}
    for r in results:
        for name in r.rewards:
            extra.setdefault(name, [])
    for name in list(extra):
        if name == "scorable":
            continue
        extra[name] = [float(r.rewards.get(name) or 0.0) for r in results]
    return {"rewards": rewards, "scores": scores, "extra_logs": extra}


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
        # wall time: derived from the CPU limit (Limits.wall_limit_s), never above the service's
        wall_time_s=None
        if base.wall_time_s is None
        else min(base.wall_time_s, Limits(cpu_time_s=cpu_time_s).wall_limit_s),
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
