"""The host side of the runner protocol, against scripted runners (no sandbox needed)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time

import pytest

from sandbox.errors import RunnerProtocolError
from sandbox.job import Job, Language, Limits, TestCase, TestKind
from sandbox.result import Verdict
from sandbox.runner_client import RunnerClient

_SECRET = "expected-output-7f3a"


def _lines(*messages: dict) -> io.BytesIO:
    return io.BytesIO(b"".join(json.dumps(m).encode() + b"\n" for m in messages))


def _ok_run(stdout: str, **extra: object) -> dict:
    return {"ok": True, "result": {"status": "ok", "stdout": stdout, "time_s": 0.01, **extra}}


def _scripted(*test_responses: dict) -> tuple[RunnerClient, io.BytesIO]:
    reader = _lines({"ok": True, "compile": {"ok": True}}, *test_responses, {"ok": True})
    writer = io.BytesIO()
    return RunnerClient(reader, writer), writer


def test_expected_outputs_never_reach_the_runner() -> None:
    client, writer = _scripted(_ok_run(_SECRET + "\n"), _ok_run("nope\n"))
    tests = (
        TestCase(stdin="1\n", expected_stdout=_SECRET + "\n"),
        TestCase(stdin="2\n", expected_stdout=_SECRET),
    )
    result = client.run_job(Job(Language.PYTHON, "print()", tests))
    assert [t.status for t in result.tests] == [Verdict.ACCEPTED, Verdict.WRONG_ANSWER]
    sent = writer.getvalue().decode()
    assert _SECRET not in sent
    assert [json.loads(line)["op"] for line in sent.splitlines()] == ["prepare", "test", "test", "finish"]


def test_assert_test_code_goes_raw_to_the_harness_never_in_a_request() -> None:
    """The runner's requests (kept in the memory every program process inherits) never carry
    assert-style test code: it follows the runner's ``send_code`` as raw bytes, for the harness."""
    client, writer = _scripted({"ok": True, "op": "send_code"}, _ok_run(""))
    test = TestCase(kind=TestKind.ASSERT, code=f"assert f() == '{_SECRET}'", entry_point="f")
    assert client.run_job(Job(Language.PYTHON, "", (test,))).status is Verdict.ACCEPTED
    prepare, test_line, rest = writer.getvalue().split(b"\n", 2)
    request = json.loads(test_line)
    raw, finish = rest[: request["code_bytes"]], rest[request["code_bytes"] :]
    assert [json.loads(line)["op"] for line in (prepare, test_line, finish)] == ["prepare", "test", "finish"]
    assert _SECRET.encode() not in prepare + test_line + finish
    assert json.loads(raw) == {"code": test.code, "prelude": "", "entry_point": "f"}


@pytest.mark.parametrize(
    ("test", "response", "verdict"),
    [
        (
            TestCase(kind=TestKind.CALL, entry_point="f", expected_json="[1, 2]"),
            _ok_run("", value_json="[1, 2]"),
            Verdict.ACCEPTED,
        ),
        (
            TestCase(kind=TestKind.CALL, entry_point="f", expected_json="[1, 2]"),
            _ok_run("", value_json="[2, 1]"),
            Verdict.WRONG_ANSWER,
        ),
        (
            TestCase(kind=TestKind.CALL, entry_point="f", expected_json="1"),
            _ok_run("", value_json=None),
            Verdict.WRONG_ANSWER,
        ),
        (
            TestCase(
                kind=TestKind.CALL, entry_point="f", expected_json="[3]", expected_json_alternatives=("3",)
            ),
            _ok_run("", value_json="3"),
            Verdict.ACCEPTED,
        ),
        (
            TestCase(
                kind=TestKind.CALL, entry_point="f", expected_json="[3]", expected_json_alternatives=("3",)
            ),
            _ok_run("", value_json="4"),
            Verdict.WRONG_ANSWER,
        ),
        (TestCase(kind=TestKind.ASSERT, code="assert 1"), _ok_run(""), Verdict.ACCEPTED),
        (
            TestCase(kind=TestKind.ASSERT, code="assert 0"),
            _ok_run("", assertion_failed=True),
            Verdict.WRONG_ANSWER,
        ),
        (TestCase(), {"ok": True, "result": {"status": "time_limit"}}, Verdict.TIME_LIMIT),
        (TestCase(), {"ok": True, "result": {"status": "memory_limit"}}, Verdict.MEMORY_LIMIT),
    ],
)
def test_judging(test: TestCase, response: dict, verdict: Verdict) -> None:
    # An assert-style test's runner first asks for the test code (sent raw, to its harness).
    asks = [{"ok": True, "op": "send_code"}] if test.kind is TestKind.ASSERT else []
    client, _ = _scripted(*asks, response)
    assert client.run_job(Job(Language.PYTHON, "", (test,))).status is verdict


@pytest.mark.parametrize(
    "response",
    [
        {"ok": True, "result": {"status": "accepted"}},  # only the host may accept
        {"ok": True, "result": {"status": "sandbox_error"}},
        {"ok": True, "result": {"status": "bogus"}},
        {"ok": False, "error": "boom"},
    ],
)
def test_a_runner_cannot_claim_verdicts(response: dict) -> None:
    client, _ = _scripted(response)
    with pytest.raises(RunnerProtocolError):
        client.run_job(Job(Language.PYTHON, "", (TestCase(),)))


def test_garbage_and_eof_are_protocol_errors() -> None:
    client = RunnerClient(io.BytesIO(b"not json\n"), io.BytesIO())
    with pytest.raises(RunnerProtocolError, match="non-JSON"):
        client.run_job(Job(Language.PYTHON, "", (TestCase(),)))
    client = RunnerClient(io.BytesIO(b""), io.BytesIO())
    with pytest.raises(RunnerProtocolError, match="closed"):
        client.run_job(Job(Language.PYTHON, "", (TestCase(),)))


def test_a_hung_runner_times_out() -> None:
    hung = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert hung.stdout is not None and hung.stdin is not None
        client = RunnerClient(hung.stdout, hung.stdin, margin_s=0.2)
        limits = Limits(cpu_time_s=0.1, compile_time_s=0.1, wall_time_s=0.1)
        with pytest.raises(RunnerProtocolError, match="did not answer"):
            client.run_job(Job(Language.PYTHON, "", (TestCase(),), limits))
        assert not client.ping(timeout_s=0.2)
    finally:
        hung.kill()
        hung.wait()
        for pipe in (hung.stdin, hung.stdout):  # kill() leaves our ends open
            if pipe is not None:
                pipe.close()


def test_the_send_code_exchange_is_cut_at_the_job_deadline() -> None:
    """A runner that asks for the code and then goes silent costs the job its deadline, not the
    test's wall limit plus the harness's wait."""
    script = (
        "import sys, time\n"
        "sys.stdin.buffer.readline()\n"
        'print(\'{"ok": true, "compile": {"ok": true}}\', flush=True)\n'
        "sys.stdin.buffer.readline()\n"
        'print(\'{"ok": true, "op": "send_code"}\', flush=True)\n'
        "time.sleep(30)\n"
    )
    hung = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert hung.stdout is not None and hung.stdin is not None
        client = RunnerClient(hung.stdout, hung.stdin)
        test = TestCase(kind=TestKind.ASSERT, code="assert f() == 1", entry_point="f")
        job = Job(Language.PYTHON, "", (test,), Limits(cpu_time_s=10.0), deadline_unix_s=time.time() + 1.0)
        started = time.monotonic()
        with pytest.raises(RunnerProtocolError):
            client.run_job(job)
        assert time.monotonic() - started < 3.0
    finally:
        hung.kill()
        hung.wait()
        for pipe in (hung.stdin, hung.stdout):  # kill() leaves our ends open
            if pipe is not None:
                pipe.close()


def test_cpp_with_function_tests_is_refused_without_running() -> None:
    writer = io.BytesIO()
    client = RunnerClient(io.BytesIO(b""), writer)
    result = client.run_job(
        Job(Language.CPP, "int main(){}", (TestCase(kind=TestKind.ASSERT, code="assert 1"),))
    )
    assert result.status is Verdict.SANDBOX_ERROR and "stdin/stdout" in result.error
    assert writer.getvalue() == b""


def test_limits_travel_whole_and_the_runner_refuses_a_missing_one(tmp_path) -> None:
    """``Limits`` holds the only defaults: the payload carries every key the runner needs, the
    runner reads them without fallbacks and refuses a ``prepare`` that lacks one."""
    from sandbox.inside.runner import LIMIT_KEYS
    from sandbox.runner_client import RUNNER_FILES

    payload = Limits().payload()
    assert set(payload) == LIMIT_KEYS
    assert payload["harness_memory_mb"] == 256 and payload["wall_time_s"] == 20.0
    assert Limits(memory_mb=1024).payload()["harness_memory_mb"] == 1024
    for path in RUNNER_FILES:
        assert "limits.get(" not in path.read_text(), path.name
    runner = subprocess.Popen(
        [sys.executable, "-I", str(RUNNER_FILES[0]), "--workdir", str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert runner.stdin is not None and runner.stdout is not None
        assert json.loads(runner.stdout.readline())["op"] == "hello"

        def prepare(limits: dict) -> dict:
            request = {"op": "prepare", "language": "python", "source": "print(1)", "limits": limits}
            runner.stdin.write(json.dumps(request).encode() + b"\n")  # type: ignore[union-attr]
            runner.stdin.flush()  # type: ignore[union-attr]
            return json.loads(runner.stdout.readline())  # type: ignore[union-attr]

        short = {k: v for k, v in payload.items() if k != "memory_mb"}
        refused = prepare(short)
        assert refused["ok"] is False and "memory_mb" in refused["error"]
        assert prepare(payload)["compile"]["ok"] is True
    finally:
        runner.kill()
        runner.wait()
        for pipe in (runner.stdin, runner.stdout):  # kill() leaves our ends open
            if pipe is not None:
                pipe.close()
