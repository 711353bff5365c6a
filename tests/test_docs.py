"""The docs cannot drift: the README's reference tables are generated from the code, and every
documented command (README quickstart, the TRL snippet, every ``--help`` example) is run here."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.cli import build_parser
from app.tools.reference import render_sections, update_text

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _doc_block(name: str) -> str:
    text = README.read_text(encoding="utf-8")
    m = re.search(rf"<!-- doc-test: {re.escape(name)} -->\n```\w*\n(.*?)\n```", text, re.S)
    assert m, f"README has no doc-test block {name!r}"
    return m.group(1)


def _wait_ready(url: str, timeout_s: float = 90.0, path: str = "/readyz") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + path, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"service at {url} not ready within {timeout_s} s")


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def service_url() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [str(BIN / "arbiter"), "serve", "--port", str(port)],
        env=_env(),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url)
        yield url
    finally:
        _stop(proc)


def test_readme_reference_tables_are_current() -> None:
    text = README.read_text(encoding="utf-8")
    assert update_text(text, render_sections()) == text, (
        "run: python -m app.tools.reference --write README.md"
    )


def test_readme_names_the_setup_commands_ci_runs() -> None:
    text = README.read_text(encoding="utf-8")
    assert "scripts/test" in text and "arbiter serve" in text
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.strip().splitlines()[-1] == "scripts/test"


def _fresh_shell_env() -> dict[str, str]:
    """A new login's environment: no virtualenv on PATH, no ARBITER_* settings."""
    keep = ("HOME", "LANG", "LC_ALL", "TMPDIR", "USER")
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", **{k: os.environ[k] for k in keep if k in os.environ}}


def _quickstart(port: int) -> str:
    script = _doc_block("quickstart").replace("8000", str(port))
    if not (ROOT / ".venv" / "bin" / "arbiter").exists():  # scripts/test with ARBITER_VENV elsewhere
        script = script.replace(".venv/bin/", f"{BIN}/")
    return script


def test_quickstart_runs_as_written(tmp_path: Path) -> None:
    """From a fresh shell in the checkout (no activated venv), exactly as the README says."""
    port = _free_port()
    script = _quickstart(port)
    assert ".venv/bin/arbiter serve" in _doc_block("quickstart")
    out_file, err_file = tmp_path / "out", tmp_path / "err"
    with out_file.open("w") as out_fh, err_file.open("w") as err_fh:
        # The block leaves ``arbiter serve`` running in the background, holding the output open:
        # wait for the shell itself, then stop its whole process group.
        proc = subprocess.Popen(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=ROOT,
            env=_fresh_shell_env(),
            start_new_session=True,
            stdout=out_fh,
            stderr=err_fh,
            text=True,
        )
        try:
            rc = proc.wait(timeout=180)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
    out = out_file.read_text()
    assert rc == 0, err_file.read_text()
    results = {r["id"]: r for r in json.loads(out)["results"]}
    assert results["a"]["rewards"] == {"accuracy": 1.0, "format_strict": 1.0}
    assert results["a"]["total"] == pytest.approx(1.5)
    assert results["b"]["rewards"] == {"accuracy": 1.0, "format_strict": 0.0}
    assert results["c"]["rewards"] == {"accuracy": 0.0, "format_strict": 1.0}
    assert results["c"]["details"]["accuracy"]["reason"] == "not_equal"


def test_quickstart_wait_is_bounded_and_says_why(tmp_path: Path) -> None:
    """The readiness loop gives up with a message (nothing listens on this port)."""
    script = _quickstart(_free_port())
    wait = "\n".join(
        line for line in script.splitlines() if "readyz" in line or line.lstrip().startswith("||")
    )
    assert "timeout 120" in wait
    started = time.monotonic()
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", wait.replace("timeout 120", "timeout 2")],
        env=_fresh_shell_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0 and "is not ready after" in proc.stderr
    assert time.monotonic() - started < 10


def test_trl_snippet_runs_as_written(service_url: str) -> None:
    code = _doc_block("trl").replace("http://127.0.0.1:8000", service_url)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[1.0, 0.0]"


def _examples() -> list[tuple[str, str]]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert isinstance(sub.choices, dict)  # a subparsers action maps command names to parsers
    out = []
    for name, p in sub.choices.items():
        epilog = p.epilog or ""
        for line in epilog.splitlines()[1:]:
            cmd = line.split("#", 1)[0].strip()
            if cmd:
                out.append((name, cmd))
    return out


def _fixtures(d: Path) -> None:
    rows = [
        {"id": "1", "prompt": "1+1?", "completion": "<think>x</think><answer>\\boxed{2}</answer>", "answer": "2",
         "data_source": "gsm"},
        {"id": "2", "prompt": "2+2?", "completion": "The answer is 5", "answer": "4", "data_source": "math"},
    ]  # fmt: skip
    for name in ("completions.jsonl", "gen.jsonl", "train.jsonl"):
        (d / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    import pyarrow as pa
    import pyarrow.parquet as pq

    verl = [{"prompt": [{"role": "user", "content": r["prompt"]}], "completion": r["completion"],
             "reward_model": {"ground_truth": r["answer"], "style": "rule"}} for r in rows]  # fmt: skip
    pq.write_table(pa.Table.from_pylist(verl), d / "gen.parquet")
    (d / "solution.py").write_text("a, b = map(int, input().split())\nprint(a + b)\n")
    code = [{"prompt": "add", "canonical_solution": "def add(a, b):\n    return a + b\n",
             "test_list": ["assert add(1, 2) == 3", "assert add(2, 2) == 4"]}]  # fmt: skip
    (d / "code.jsonl").write_text("".join(json.dumps(r) + "\n" for r in code))
    labelled = [
        {"gold": "2", "prediction": "\\boxed{2}", "label": True},
        {"gold": "b \\neq 5", "prediction": "5", "label": False},
    ]
    (d / "labelled.jsonl").write_text("".join(json.dumps(r) + "\n" for r in labelled))


_BACKGROUND = {"serve", "worker"}


@pytest.mark.parametrize(("command", "example"), _examples(), ids=lambda v: v if " " not in v else None)
def test_help_example_runs(command: str, example: str, tmp_path: Path, service_url: str) -> None:
    _fixtures(tmp_path)
    port = _free_port()
    example = example.replace("http://127.0.0.1:8000", service_url).replace("--port 8000", f"--port {port}")
    argv = shlex.split(example)
    assert argv[0] == "arbiter"
    argv[0] = str(BIN / "arbiter")
    if command == "serve" and "--port" not in argv:
        argv += ["--port", str(port)]  # the default 8000 may be taken on a shared machine
    if command in _BACKGROUND:
        proc = subprocess.Popen(argv, cwd=tmp_path, env=_env(), start_new_session=True, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            if command == "serve":
                _wait_ready(f"http://127.0.0.1:{port}", path="/healthz")
            else:
                time.sleep(8)
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        finally:
            _stop(proc)
        return
    proc2 = subprocess.run(argv, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=600)
    if command == "check-data":
        assert proc2.returncode in (0, 1), proc2.stderr
        assert "problem(s) found" in proc2.stdout
    else:
        assert proc2.returncode == 0, proc2.stdout + proc2.stderr


_FENCE = re.compile(r"^```(\w+)\s*$")
_MARKER = re.compile(r"^<!-- doc-test: (?P<name>[\w-]+)(?: \((?P<why>[^)]+)\))? -->$")


def test_every_readme_command_block_is_run_or_says_why_not() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    run_names = set()
    for i, line in enumerate(lines):
        fence = _FENCE.match(line)
        if not fence or fence.group(1) not in {"bash", "sh", "python", "console"}:
            continue
        marker = _MARKER.match(lines[i - 1]) if i else None
        assert marker, f"README line {i + 1}: a {fence.group(1)} block without a doc-test marker"
        if marker.group("name") == "skip":
            assert marker.group("why"), f"README line {i}: a skipped block must say why"
        else:
            run_names.add(marker.group("name"))
    assert run_names == {"quickstart", "trl", "grpo"}  # each has its test in this file


def test_grpo_block_runs_with_a_tiny_local_model(tmp_path: Path) -> None:
    from tests.trainer_client.tiny_model import build_tiny_model

    model = build_tiny_model(tmp_path / "tiny", ["0123456789+-=?$ abcdefghijklmnopqrstuvwxyzCGW:.\\{}\n"])
    port = _free_port()
    script = (
        _doc_block("grpo")
        .replace("8000", str(port))
        .replace("Qwen/Qwen2.5-0.5B-Instruct", str(model))
        .replace("--max-steps 200", "--max-steps 1 --max-samples 16 --max-completion-length 8")
        .replace("out/grpo", str(tmp_path / "run"))
    )
    env = _env() | {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    proc = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", script + "\nkill %1"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        out, _ = proc.communicate(timeout=600)
    finally:
        _stop(proc)
    assert proc.returncode == 0, out[-3000:]
    metrics = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert len(metrics) == 1
    assert (tmp_path / "run" / "reward_curves.png").stat().st_size > 1000
