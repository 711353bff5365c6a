import pytest

from sandbox.job import Limits
from sandbox.result import CompileResult, JobResult, TestResult, Verdict

_OK = TestResult(status=Verdict.ACCEPTED)
_WA = TestResult(status=Verdict.WRONG_ANSWER)
_TLE = TestResult(status=Verdict.TIME_LIMIT)


@pytest.mark.parametrize(
    ("result", "status", "passed", "accuracy"),
    [
        (JobResult(CompileResult(), (_OK, _OK), total=2), Verdict.ACCEPTED, 2, 1.0),
        (JobResult(CompileResult(), (_OK, _WA, _TLE), total=3), Verdict.WRONG_ANSWER, 1, 1 / 3),
        (JobResult(CompileResult(), (_TLE, _WA), total=2), Verdict.TIME_LIMIT, 0, 0.0),
        (JobResult(CompileResult(), (_OK, _WA), total=5), Verdict.WRONG_ANSWER, 1, 0.2),  # stopped early
        (JobResult(CompileResult(), (_OK,), total=2), Verdict.SANDBOX_ERROR, 1, 0.5),  # tests went missing
        (JobResult(CompileResult(ok=False, stderr="x"), (), total=2), Verdict.COMPILE_ERROR, 0, 0.0),
        (JobResult(CompileResult(), (), total=0), Verdict.ACCEPTED, 0, 0.0),
        (JobResult.infrastructure_failure(3, "runner died"), Verdict.SANDBOX_ERROR, 0, 0.0),
        (JobResult.infrastructure_failure(3, "late", Verdict.QUEUE_TIMEOUT), Verdict.QUEUE_TIMEOUT, 0, 0.0),
    ],
)
def test_job_summary(result: JobResult, status: Verdict, passed: int, accuracy: float) -> None:
    assert result.status is status
    assert result.passed == passed
    assert result.accuracy == pytest.approx(accuracy)


@pytest.mark.parametrize(
    ("verdict", "infrastructure"),
    [(v, v in (Verdict.SANDBOX_ERROR, Verdict.QUEUE_TIMEOUT)) for v in Verdict],
)
def test_only_infrastructure_verdicts_are_infrastructure(verdict: Verdict, infrastructure: bool) -> None:
    assert verdict.is_infrastructure is infrastructure


@pytest.mark.parametrize(
    "bad",
    [
        {"cpu_time_s": 0},
        {"wall_time_s": -1},
        {"cpu_time_s": 5.0, "wall_time_s": 4.0},  # time is judged on CPU time
        {"stack_mb": 0},
        {"memory_mb": 128, "stack_mb": 256},  # the stack fits in memory
        {"memory_mb": 0},
        {"max_processes": 0},
        {"output_limit_bytes": 0},
        {"max_open_files": 3},
        {"report_bytes": -1},
    ],
)
def test_limits_reject_nonsense(bad: dict) -> None:
    with pytest.raises(ValueError, match="Limits"):
        Limits(**bad)


def test_limit_defaults_are_judge_like() -> None:
    limits = Limits()
    assert (limits.cpu_time_s, limits.wall_time_s, limits.memory_mb) == (5.0, None, 256)
    # wall time: a generous multiple of the CPU limit plus a constant (issue 9), or as given
    assert limits.wall_limit_s == 3 * 5.0 + 5.0
    assert Limits(cpu_time_s=1.0).wall_limit_s == 8.0
    assert Limits(cpu_time_s=1.0, wall_time_s=1.5).wall_limit_s == 1.5
    assert limits.stack_mb == 64 < limits.memory_mb
    assert (limits.max_processes, limits.output_limit_bytes, limits.file_size_mb) == (64, 1_000_000, 16)
