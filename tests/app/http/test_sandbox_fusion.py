"""SandboxFusion translation: limits, files, and the status of every verdict (no sandbox needed)."""

from __future__ import annotations

import base64

import pytest

from app.http.sandbox_fusion import (
    RunCodeError,
    UnsupportedLanguageError,
    run_code_job,
    run_code_limits,
    run_code_response,
)
from sandbox.job import JobFile, Language, Limits
from sandbox.result import CompileResult, JobResult, TestResult, Verdict

_BASE = Limits(
    cpu_time_s=5.0, wall_time_s=10.0, memory_mb=512, output_limit_bytes=1 << 20, compile_time_s=30.0
)


@pytest.mark.parametrize(
    ("run_timeout", "compile_timeout", "memory", "expected", "clamped"),
    [
        (None, None, None, (10.0, 5.0, 30.0, 512), 0),  # the service's limits
        (-1, -1, -1, (10.0, 5.0, 30.0, 512), 0),  # -1: the service's limits too
        (3.0, 2.0, 64, (3.0, 3.0, 2.0, 64), 0),  # a request may lower them
        (7.0, None, None, (7.0, 5.0, 30.0, 512), 0),  # wall 7 s, CPU stays at the service's 5 s
        (1e6, 1e6, 10**6, (10.0, 5.0, 30.0, 512), 3),  # never raise them: clamped, and said so
    ],
)
def test_limits(run_timeout, compile_timeout, memory, expected, clamped):
    limits, applied = run_code_limits(_BASE, run_timeout, compile_timeout, memory)
    assert (limits.wall_time_s, limits.cpu_time_s, limits.compile_time_s, limits.memory_mb) == expected
    assert (
        applied.run_timeout,
        applied.cpu_time_limit,
        applied.compile_timeout,
        applied.memory_limit_MB,
    ) == expected
    assert len(applied.clamped) == clamped
    assert limits.report_bytes == limits.output_limit_bytes == 1 << 20  # nothing cut below the cap


@pytest.mark.parametrize(
    ("run_timeout", "expected_wall", "expected_cpu"),
    [
        (None, 3 * 5.0 + 5, 5.0),  # no wall set: the service's derived wall (3x CPU + 5 s)
        (1e6, 3 * 5.0 + 5, 5.0),  # clamped to that derived wall, never above
        (8.0, 8.0, 5.0),  # a lower wall clock: CPU stays at the service's limit
        (2.0, 2.0, 2.0),  # below the CPU limit: CPU follows (wall >= CPU always)
    ],
)
def test_run_timeout_is_a_wall_clock_under_the_derived_wall(run_timeout, expected_wall, expected_cpu):
    base = Limits(cpu_time_s=5.0, memory_mb=512)  # wall_time_s unset: derived from the CPU limit
    limits, applied = run_code_limits(base, run_timeout, None, None)
    assert (limits.wall_limit_s, limits.cpu_time_s) == (expected_wall, expected_cpu)
    assert (applied.run_timeout, applied.cpu_time_limit) == (expected_wall, expected_cpu)  # reported


def test_small_memory_request_keeps_stack_within_memory_and_file_count():
    limits, _ = run_code_limits(Limits(stack_mb=64, max_files=100), None, None, 16)
    assert (limits.memory_mb, limits.stack_mb, limits.max_files) == (16, 16, 100)


@pytest.mark.parametrize(
    ("field", "value"),
    [("run_timeout", 0), ("run_timeout", -2), ("memory_limit_mb", 0), ("compile_timeout", -0.5)],
)
def test_nonsense_limits_are_refused(field, value):
    with pytest.raises(RunCodeError, match=field.replace("_mb", "_MB")):
        run_code_job(code="x", language="python", stdin=None, base=_BASE, **{field: value})


def test_job_carries_files_and_language_aliases():
    job, _ = run_code_job(
        code="x",
        language="Python3",
        stdin=None,
        base=_BASE,
        files={"d/./a.txt": base64.b64encode(b"hi").decode(), "skipped": None},
        fetch_files=["out.txt"],
    )
    assert job.language is Language.PYTHON and job.tests[0].stdin == ""
    assert job.files == (JobFile("d/a.txt", b"hi"),) and job.fetch_files == ("out.txt",)


@pytest.mark.parametrize(
    "path", ["", ".", "/etc/passwd", "../up", "a/../../up", "main", "main.cpp/x", "main.sh"]
)
def test_file_paths_stay_in_the_work_dir(path):
    with pytest.raises(RunCodeError, match="relative"):
        run_code_job(code="x", language="bash", stdin=None, base=_BASE, files={path: "aGk="})
    with pytest.raises(RunCodeError, match="relative"):
        run_code_job(code="x", language="bash", stdin=None, base=_BASE, fetch_files=[path])


@pytest.mark.parametrize(
    ("files", "needle"),
    [
        ({"a\x00b": "aGk="}, "NUL"),
        ({"x" * 256: "aGk="}, "longer than 255"),
        ({"/".join(["d"] * 600): "aGk="}, "at most 1024 bytes"),
        ({"a": "aGk=", "a/b": "aGk="}, "is a file and a folder"),
        ({"a/b": "aGk=", "a/./b": "aGk="}, "twice"),
    ],
)
def test_input_files_the_sandbox_could_not_create_are_refused(files, needle):
    with pytest.raises(RunCodeError, match=needle):
        run_code_job(code="x", language="python", stdin=None, base=_BASE, files=files)
    if len(files) == 1:
        with pytest.raises(RunCodeError, match=needle):
            run_code_job(code="x", language="python", stdin=None, base=_BASE, fetch_files=list(files))


def test_input_file_limits():
    with pytest.raises(RunCodeError, match="at most 64"):
        run_code_job(code="x", language="c", stdin=None, base=_BASE, files={f"f{i}": "" for i in range(65)})
    too_big = base64.b64encode(b"0" * (_BASE.file_size_mb * 1024 * 1024 + 1)).decode()
    with pytest.raises(RunCodeError, match="file_size_mb"):
        run_code_job(code="x", language="c", stdin=None, base=_BASE, files={"big": too_big})


@pytest.mark.parametrize(("language", "known"), [("go", True), ("java", True), ("cobol", False)])
def test_unsupported_language(language, known):
    with pytest.raises(UnsupportedLanguageError) as info:
        run_code_job(code="x", language=language, stdin=None, base=_BASE)
    assert info.value.known is known and "supported: bash, c" in str(info.value)


def _applied():
    return run_code_limits(_BASE, None, None, None)[1]


def _run(test: TestResult, language=Language.PYTHON, compile_result=None):
    result = JobResult(compile_result or CompileResult(), (test,), total=1)
    return run_code_response(result, language, _applied())


# verdict -> (status, run status, return code) as SandboxFusion's parse_run_status would see it
@pytest.mark.parametrize(
    ("test", "status", "run_status", "code"),
    [
        (TestResult(Verdict.ACCEPTED, exit_code=0), "Success", "Finished", 0),
        (TestResult(Verdict.WRONG_ANSWER, exit_code=0, stdout="hi"), "Success", "Finished", 0),
        (TestResult(Verdict.RUNTIME_ERROR, exit_code=3), "Failed", "Finished", 3),
        (TestResult(Verdict.RUNTIME_ERROR, signal=11), "Failed", "Finished", -11),
        (TestResult(Verdict.TIME_LIMIT, signal=9), "Failed", "TimeLimitExceeded", None),
        (TestResult(Verdict.MEMORY_LIMIT, exit_code=113), "Failed", "Finished", 113),
        (TestResult(Verdict.MEMORY_LIMIT, signal=6), "Failed", "Finished", -6),
        (TestResult(Verdict.OUTPUT_LIMIT, signal=9, stdout_truncated=True), "Failed", "Finished", -9),
        # a cut output with a clean exit is still not a success
        (TestResult(Verdict.WRONG_ANSWER, exit_code=0, stdout_truncated=True), "Failed", "Finished", 1),
    ],
)
def test_run_status(test, status, run_status, code):
    out = _run(test)
    assert (out["status"], out["run_result"]["status"], out["run_result"]["return_code"]) == (
        status,
        run_status,
        code,
    )
    assert out["compile_result"] is None and out["verdict"] == test.status.value
    assert (out["message"] == "") is (status == "Success")


def test_compile_results():
    cpp_ok = _run(TestResult(Verdict.ACCEPTED, exit_code=0), Language.CPP)
    assert cpp_ok["compile_result"]["status"] == "Finished" and cpp_ok["compile_result"]["return_code"] == 0
    failed = CompileResult(ok=False, time_s=0.2, stderr="error: x", exit_code=1)
    cpp_bad = _run(TestResult(Verdict.COMPILE_ERROR), Language.CPP, failed)
    assert cpp_bad["status"] == "Failed" and cpp_bad["run_result"] is None
    assert cpp_bad["compile_result"]["return_code"] == 1 and cpp_bad["compile_result"]["stderr"] == "error: x"
    killed = CompileResult(ok=False, time_s=0.2, stderr="killed", exit_code=None)
    assert _run(TestResult(Verdict.COMPILE_ERROR), Language.C, killed)["compile_result"]["return_code"] == 1
    quick = CompileResult(ok=False, time_s=31.0, stderr="main.cpp:1: error: x", exit_code=1)
    assert (
        _run(TestResult(Verdict.COMPILE_ERROR), Language.CPP, quick)["compile_result"]["status"] == "Finished"
    )
    slow = CompileResult(
        ok=False, time_s=30.5, stderr="g++: internal compiler error: CPU time limit exceeded", exit_code=4
    )
    walled = CompileResult(ok=False, time_s=2.0, stderr="compilation timed out\n", exit_code=None)
    assert (
        _run(TestResult(Verdict.COMPILE_ERROR), Language.C, walled)["compile_result"]["status"]
        == "TimeLimitExceeded"
    )
    timeout = _run(TestResult(Verdict.COMPILE_ERROR), Language.CPP, slow)
    assert (
        timeout["compile_result"]["status"] == "TimeLimitExceeded"
        and timeout["compile_result"]["return_code"] is None
    )
    syntax = _run(
        TestResult(Verdict.COMPILE_ERROR), Language.PYTHON, CompileResult(ok=False, stderr="SyntaxError")
    )
    assert syntax["compile_result"] is None and syntax["run_result"]["return_code"] == 1


def test_sandbox_error_and_fetched_files():
    out = run_code_response(JobResult.infrastructure_failure(1, "no sandbox"), Language.PYTHON, _applied())
    assert out["status"] == "SandboxError" and out["message"] == "no sandbox"
    assert out["compile_result"] is None and out["run_result"] is None
    result = JobResult(
        CompileResult(), (TestResult(Verdict.ACCEPTED, exit_code=0),), 1, files=(JobFile("o", b"\x00\xff"),)
    )
    assert run_code_response(result, Language.PYTHON, _applied())["files"] == {"o": "AP8="}
