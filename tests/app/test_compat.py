"""SandboxFusion shapes (OpenRLHF's: test_openrlhf.py)."""

from __future__ import annotations

import pytest

from app.compat import run_code_job, run_code_response
from sandbox.job import Language, Limits
from sandbox.result import CompileResult, JobResult, TestResult, Verdict


@pytest.mark.parametrize(
    ("test", "compile_ok", "status", "run_status"),
    [
        (TestResult(Verdict.ACCEPTED, exit_code=0, stdout="hi"), True, "Success", "Finished"),
        (TestResult(Verdict.RUNTIME_ERROR, exit_code=1, stderr="boom"), True, "Failed", "Finished"),
        (TestResult(Verdict.TIME_LIMIT), True, "Failed", "TimeLimitExceeded"),
        (TestResult(Verdict.MEMORY_LIMIT), True, "Failed", "Error"),
    ],
)
def test_run_code_response(test, compile_ok, status, run_status):
    out = run_code_response(JobResult(CompileResult(ok=compile_ok), (test,), total=1))
    assert out["status"] == status and out["run_result"]["status"] == run_status
    assert out["run_result"]["stdout"] == test.stdout


def test_run_code_sandbox_error_and_job():
    out = run_code_response(JobResult.infrastructure_failure(1, "no sandbox"))
    assert out["status"] == "SandboxError" and out["message"] == "no sandbox"
    job = run_code_job("print(1)", "Python3", "x", Limits(), 3.0, 128)
    assert job.language is Language.PYTHON and job.limits.cpu_time_s == 3.0 and job.limits.memory_mb == 128
    with pytest.raises(ValueError):
        run_code_job("x", "cobol", "", Limits(), None, None)


@pytest.mark.parametrize(
    ("run_timeout_s", "memory_mb", "cpu_s", "wall_s", "mem"),
    [
        (None, None, 5.0, 10.0, 256),  # the service's limits
        (2.0, 64, 2.0, 4.0, 64),  # a request may lower them
        (1e6, 10**6, 5.0, 10.0, 256),  # but never raise them
    ],
)
def test_run_code_limits_are_capped_by_the_service(run_timeout_s, memory_mb, cpu_s, wall_s, mem):
    base = Limits(cpu_time_s=5.0, wall_time_s=10.0, memory_mb=256)
    limits = run_code_job("print(1)", "python", "", base, run_timeout_s, memory_mb).limits
    assert (limits.cpu_time_s, limits.wall_time_s, limits.memory_mb) == (cpu_s, wall_s, mem)
