"""OpenRLHF and SandboxFusion shapes."""

from __future__ import annotations

import pytest

from app.compat import openrlhf_response, openrlhf_samples, run_code_job, run_code_response
from app.schemas import GetRewardRequest
from app.scoring import ItemResult
from sandbox.job import Language, Limits
from sandbox.result import CompileResult, JobResult, TestResult, Verdict


@pytest.mark.parametrize(
    ("query", "prompt", "completion"),
    [
        ("Q: 1+1? A: 2", "Q: 1+1? ", "A: 2"),
        ("no prompt given", "", "no prompt given"),
        ("mismatch", "other", "mismatch"),
    ],
)
def test_openrlhf_completion_is_what_follows_the_prompt(query, prompt, completion):
    (s,) = openrlhf_samples(GetRewardRequest(query=[query], prompts=[prompt], labels=["2"]))
    assert s.completion == completion and s.ground_truth == "2"


def test_openrlhf_response_marks_unscorable():
    results = [
        ItemResult("0", 1.5, {"accuracy": 1.0, "format": 0.5}, 1.0, {}, {}),
        ItemResult("1", None, {"accuracy": None, "format": 1.0}, None, {}, {"accuracy": "timeout"}),
    ]
    out = openrlhf_response(results)
    assert out == {
        "rewards": [1.5, 0.0],
        "scores": [1.0, 0.0],
        "extra_logs": {"scorable": [1.0, 0.0], "accuracy": [1.0, 0.0], "format": [0.5, 1.0]},
    }


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
        (2.0, 64, 2.0, 10.0, 64),  # a request may lower them (wall: min(10, 3 x 2 + 5))
        (1e6, 10**6, 5.0, 10.0, 256),  # but never raise them
    ],
)
def test_run_code_limits_are_capped_by_the_service(run_timeout_s, memory_mb, cpu_s, wall_s, mem):
    base = Limits(cpu_time_s=5.0, wall_time_s=10.0, memory_mb=256)
    limits = run_code_job("print(1)", "python", "", base, run_timeout_s, memory_mb).limits
    assert (limits.cpu_time_s, limits.wall_limit_s, limits.memory_mb) == (cpu_s, wall_s, mem)
    derived = run_code_job("print(1)", "python", "", Limits(cpu_time_s=5.0), run_timeout_s, memory_mb).limits
    assert derived.wall_limit_s == 3 * cpu_s + 5  # a generous multiple of the CPU limit
