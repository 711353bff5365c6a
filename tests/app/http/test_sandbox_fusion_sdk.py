"""``/run_code`` of a real running service (subprocess, bwrap sandbox) read by the ``sandbox-fusion``
SDK's own models, status by status.

Each response is parsed by the SDK's ``RunCodeResponse`` and summarized by its
``summary_run_code_result``; the status must also be what SandboxFusion's server would derive with
``parse_run_status`` from the same command results (re-stated in ``_sandbox_fusion_status``).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from typing import Any
from unittest import mock

import httpx
import pytest

sandbox_fusion = pytest.importorskip("sandbox_fusion")

from sandbox.bwrap import bwrap_available  # noqa: E402
from tests.trainer_client.servers import free_port, start_server, stop_server  # noqa: E402

pytestmark = pytest.mark.skipif(not bwrap_available(), reason="bwrap is not installed")

_TIME_LIMIT_S = 2.0  # the service's per-run CPU limit (wall: 3x that + 5 s, Limits.wall_limit_s)
_MEMORY_MB = 256
_MAPPING = sandbox_fusion.SummaryMapping(
    CompileFailed="CompileFailed",
    CompileTimeout="CompileTimeout",
    RunFailed="RunFailed",
    RunTimeout="RunTimeout",
)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("sf") / "serve.log"
    env = {
        "ARBITER_SANDBOX_TIME_LIMIT_S": str(_TIME_LIMIT_S),
        "ARBITER_SANDBOX_MEMORY_MB": str(_MEMORY_MB),
        "ARBITER_SANDBOX_POOL_SIZE": "1",
        "ARBITER_MATH_WORKERS": "1",
        "ARBITER_EMBEDDED_WORKERS": "1",
    }
    with mock.patch.dict(os.environ, env):
        proc = start_server(["-m", "app.cli", "serve", "--port", str(port)], port, "/readyz", log, 180.0)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(proc)


def _sandbox_fusion_status(resp: Any) -> str:
    """SandboxFusion's server rule (``parse_run_status``): Error -> SandboxError; a time limit or a
    non-zero return code -> Failed; else Success."""
    outcomes = [r for r in (resp.compile_result, resp.run_result) if r is not None]
    if any(r.status == "Error" for r in outcomes):
        return "SandboxError"
    if any(r.status == "TimeLimitExceeded" for r in outcomes):
        return "Failed"
    if any(r.return_code not in (None, 0) for r in outcomes):
        return "Failed"
    return "Success"


def _post(url: str, **body: Any) -> tuple[Any, dict[str, Any]]:
    """POST as verl does (plain JSON, memory_limit_MB included); parse with the SDK's model."""
    r = httpx.post(f"{url}/run_code", json=body, timeout=60)
    assert r.status_code == 200, r.text
    raw = r.json()
    resp = sandbox_fusion.RunCodeResponse(**raw)
    assert resp.status.value == _sandbox_fusion_status(resp), raw
    return resp, raw


def _sdk(url: str, **fields: Any) -> Any:
    """Through the SDK's own client (its request model and its error handling)."""
    request = sandbox_fusion.RunCodeRequest(**fields)
    resp = sandbox_fusion.run_code(request, endpoint=url, max_attempts=1, client_timeout=60)
    assert resp.status.value == _sandbox_fusion_status(resp)
    return resp


def test_success_python_through_the_sdk_client(url: str) -> None:
    resp = _sdk(url, code="print(int(input()) * 2)", language="python", stdin="21")
    assert resp.status == "Success" and resp.compile_result is None
    assert resp.run_result.status == "Finished" and resp.run_result.return_code == 0
    assert resp.run_result.stdout == "42\n"
    assert sandbox_fusion.summary_run_code_result(resp, _MAPPING) == "Success"


def test_success_cpp_has_a_compile_result(url: str) -> None:
    code = "#include <iostream>\nint main(){int a;std::cin>>a;std::cout<<a*3<<std::endl;}"
    resp = _sdk(url, code=code, language="cpp", stdin="5")
    assert resp.status == "Success"
    assert resp.compile_result.status == "Finished" and resp.compile_result.return_code == 0
    assert resp.run_result.stdout == "15\n"


@pytest.mark.parametrize(
    ("language", "code", "stdout"),
    [
        ("bash", 'read x; echo "got $x"', "got 7\n"),
        ("c", '#include <stdio.h>\nint main(){int x;scanf("%d",&x);printf("%d\\n",x+1);return 0;}', "8\n"),
    ],
)
def test_more_languages(url: str, language: str, code: str, stdout: str) -> None:
    resp, _ = _post(url, code=code, language=language, stdin="7")
    assert resp.status == "Success" and resp.run_result.stdout == stdout


def test_python_syntax_error_is_a_run_that_exits_1(url: str) -> None:
    resp, raw = _post(url, code="def f(:\n  pass", language="python")
    assert resp.status == "Failed" and resp.compile_result is None
    assert resp.run_result.status == "Finished" and resp.run_result.return_code == 1
    assert "SyntaxError" in resp.run_result.stderr
    assert sandbox_fusion.summary_run_code_result(resp, _MAPPING) == "RunFailed"
    assert raw["verdict"] == "compile_error"


def test_cpp_compile_error(url: str) -> None:
    resp, _ = _post(url, code="int main(){ return undefined_name; }", language="cpp")
    assert resp.status == "Failed" and resp.run_result is None
    assert resp.compile_result.status == "Finished" and resp.compile_result.return_code not in (None, 0)
    assert "undefined_name" in resp.compile_result.stderr
    assert sandbox_fusion.summary_run_code_result(resp, _MAPPING) == "CompileFailed"


def test_compile_timeout_is_honoured(url: str) -> None:
    slow = (
        "constexpr long f(){long s=0; for(long i=0;i<60000;i++) for(long j=0;j<60000;j++) s+=(i^j)%7; return s;}\n"
        "static_assert(f() > 0);\nint main(){}"
    )
    resp, raw = _post(url, code=slow, language="cpp", compile_timeout=1)
    assert raw["limits"]["compile_timeout"] == 1
    assert resp.status == "Failed" and resp.run_result is None
    assert resp.compile_result.status == "TimeLimitExceeded"
    assert sandbox_fusion.summary_run_code_result(resp, _MAPPING) == "CompileTimeout"


def test_runtime_error(url: str) -> None:
    resp, raw = _post(url, code="import sys\nprint('x')\nsys.exit(3)", language="python")
    assert resp.status == "Failed" and resp.run_result.return_code == 3 and resp.run_result.stdout == "x\n"
    assert sandbox_fusion.summary_run_code_result(resp, _MAPPING) == "RunFailed"
    assert raw["verdict"] == "runtime_error"


def test_time_limit(url: str) -> None:
    resp, raw = _post(url, code="while True: pass", language="python", run_timeout=1)
    assert resp.status == "Failed" and resp.run_result.status == "TimeLimitExceeded"
    assert resp.run_result.return_code is None
    assert raw["limits"]["run_timeout"] == 1 and raw["verdict"] == "time_limit"
    assert sandbox_fusion.summary_run_code_result(resp, _MAPPING) == "RunTimeout"


@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("python", "x = bytearray(200 * 1024 * 1024)\nprint(len(x))"),
        (
            "cpp",
            '#include <vector>\n#include <cstdio>\nint main(){std::vector<char> v(200u<<20, 1);printf("%d",v[7]);}',
        ),
    ],
)
def test_memory_limit_is_a_failed_run_with_a_nonzero_code(url: str, language: str, code: str) -> None:
    resp, raw = _post(url, code=code, language=language, memory_limit_MB=64)
    assert raw["limits"]["memory_limit_MB"] == 64
    assert resp.status == "Failed" and resp.run_result.status == "Finished"
    assert resp.run_result.return_code not in (None, 0)
    assert raw["verdict"] == "memory_limit" and "memory limit" in resp.message
    assert sandbox_fusion.summary_run_code_result(resp, _MAPPING) == "RunFailed"


def test_large_output_comes_back_whole(url: str) -> None:
    """600 kB of stdout (was cut at 64 KiB and still reported a success)."""
    resp, _ = _post(url, code="import sys\nsys.stdout.write('ab' * 300_000)", language="python")
    assert resp.status == "Success" and resp.run_result.stdout == "ab" * 300_000


def test_output_over_the_cap_is_never_a_success(url: str) -> None:
    resp, raw = _post(url, code="print('y' * 3_000_000)", language="python")
    assert raw["limits"]["output_limit_bytes"] == 1024 * 1024
    assert resp.status == "Failed" and resp.run_result.return_code not in (None, 0)
    assert len(resp.run_result.stdout) == 1024 * 1024 and raw["verdict"] == "output_limit"
    assert sandbox_fusion.summary_run_code_result(resp, _MAPPING) == "RunFailed"


def test_files_in_and_fetch_files_out(url: str) -> None:
    code = "data = open('data/in.txt').read()\nopen('out.txt', 'w').write(data.upper())\nprint(len(data))"
    files = {"data/in.txt": base64.b64encode(b"hello files").decode()}
    resp = _sdk(url, code=code, language="python", files=files, fetch_files=["out.txt", "absent.txt"])
    assert resp.status == "Success" and resp.run_result.stdout == "11\n"
    assert resp.files == {"out.txt": base64.b64encode(b"HELLO FILES").decode()}


def test_fetch_does_not_follow_links_out_of_the_work_dir(url: str) -> None:
    code = (
        "import os\nos.symlink('/etc/passwd', 'leak')\nos.mkfifo('pipe')\nos.mkdir('d')\n"
        "open('big', 'w').write('x' * (1024 * 1024 + 1))\nopen('ok', 'w').write('fine')"
    )
    resp, _ = _post(url, code=code, language="python", fetch_files=["leak", "pipe", "d", "big", "ok"])
    assert resp.status == "Success" and resp.files == {"ok": base64.b64encode(b"fine").decode()}


def test_limits_above_the_service_max_are_clamped_and_reported(url: str) -> None:
    resp, raw = _post(url, code="print(1)", language="python", run_timeout=600, memory_limit_MB=10**6)
    assert resp.status == "Success"
    assert (
        raw["limits"]["run_timeout"] == 3 * _TIME_LIMIT_S + 5
        and raw["limits"]["memory_limit_MB"] == _MEMORY_MB
    )
    assert "run_timeout 600 s is above" in resp.message and "memory_limit_MB" in resp.message


def test_minus_one_means_the_service_limit(url: str) -> None:
    resp, raw = _post(url, code="print(1)", language="python", run_timeout=-1, memory_limit_MB=-1)
    assert resp.status == "Success" and resp.message == ""
    assert raw["limits"]["memory_limit_MB"] == _MEMORY_MB and raw["limits"]["clamped"] == []


def test_a_sandbox_fusion_language_we_do_not_run_is_a_sandbox_error(url: str) -> None:
    with pytest.raises(Exception, match="language 'go' is not supported"):
        _sdk(url, code="package main", language="go")
    # SandboxFusion's exception path (its runner cannot run it): no command results at all.
    raw = httpx.post(f"{url}/run_code", json={"code": "package main", "language": "go"}, timeout=30).json()
    resp = sandbox_fusion.RunCodeResponse(**raw)
    assert resp.status == "SandboxError" and "python" in resp.message
    assert resp.compile_result is None and resp.run_result is None


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"code": "x", "language": "cobol"}, "cobol"),
        ({"code": "x", "language": "python", "run_timeout": 0}, "run_timeout"),
        ({"code": "x", "language": "python", "files": {"../x": "aGk="}}, "inside it"),
        ({"code": "x", "language": "python", "files": {"/etc/x": "aGk="}}, "relative"),
        ({"code": "x", "language": "python", "files": {"a": "not base64!"}}, "base64"),
        ({"code": "x", "language": "cpp", "fetch_files": ["main"]}, "main"),
    ],
)
def test_bad_requests_are_clear_4xx(url: str, body: dict[str, Any], needle: str) -> None:
    r = httpx.post(f"{url}/run_code", json=body, timeout=30)
    assert r.status_code == 422 and needle in r.json()["detail"]
