"""Schemathesis against a real ``arbiter serve`` process (real rewards, math pool and sandbox):
a bounded number of generated cases per operation, in every phase (examples from the schema's
coverage, fuzzing, stateful links such as POST /v1/jobs -> GET /v1/jobs/{job_id}); no 5xx, no
answer outside the document (status, content type, body, headers), no invalid request accepted.

Bounded for CI: ``_EXAMPLES`` cases per operation per phase, one worker, a fixed seed (a failure
reproduces with the printed ``st replay``/curl line); about half a minute on two cores.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.server_process import ServerProcess, server_process

_EXAMPLES = 20
_SEED = 20261130
_CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "unsupported_method",
]
# A request over a documented limit is refused with 413 (the gate answers before validation).
_REJECTIONS = ["400", "401", "404", "405", "406", "409", "413", "415", "422", "428"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with server_process(tmp_path_factory.mktemp("fuzz")) as s:
        yield s


@pytest.mark.timeout(600)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    server: ServerProcess, tmp_path: Path
) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        "[checks.negative_data_rejection]\nexpected-statuses = ["
        + ", ".join(f'"{s}"' for s in _REJECTIONS)
        + "]\n"
    )
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "--no-color", "run"]
    command += [server.url + "/openapi.json", "--max-examples", str(_EXAMPLES), "--seed", str(_SEED)]
    command += ["--workers", "1", "--checks", ",".join(_CHECKS), "--generation-database", "none"]
    command += ["--request-timeout", "60", "--suppress-health-check", "too_slow,filter_too_much"]
    proc = subprocess.run(
        command,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=540,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-8000:]
    m = re.search(r"(\d+) generated, (\d+) passed", out)
    assert m, out[-3000:]
    generated, passed = int(m.group(1)), int(m.group(2))
    print(f"schemathesis: {generated} cases, {passed} passed, seed {_SEED}")
    assert generated == passed and generated >= 300  # every operation was really exercised
    ops = re.search(r"Selected: (\d+)/(\d+)\s+Tested: (\d+)", out)
    assert ops and int(ops.group(3)) == int(ops.group(2)) >= 10, out[-3000:]  # every operation tested
    assert server.proc.poll() is None  # the server survived all of it
