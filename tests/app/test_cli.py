"""The ``arbiter`` command, run as a user runs it: a subprocess, real files, real pools."""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.cli import build_parser

_SUBCOMMANDS = ["serve", "worker", "score", "explain", "check-data", "audit", "bench"]
_GOOD = "<think>add them</think><answer>\\boxed{4}</answer>"


def arbiter(*args: str, cwd: Path | None = None, timeout_s: float = 240) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "arbiter"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "app.cli"]
    return subprocess.run(
        [*cmd, *args], capture_output=True, text=True, timeout=timeout_s, cwd=cwd, stdin=subprocess.DEVNULL
    )


def _write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def _rows(n: int) -> list[object]:
    return [
        {
            "id": f"r{i}",
            "prompt": f"What is {i} + 2?",
            "completion": f"<think>sum</think><answer>\\boxed{{{i + 2}}}</answer>"
            if i % 2 == 0
            else f"{i + 3}",
            "answer": str(i + 2),
            "data_source": "even" if i % 2 == 0 else "odd",
        }
        for i in range(n)
    ]


def _read_out(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("command", _SUBCOMMANDS)
def test_every_subcommand_has_help_with_examples(command: str) -> None:
    proc = arbiter(command, "--help")
    assert proc.returncode == 0, proc.stderr
    assert "examples:" in proc.stdout
    assert f"arbiter {command}" in proc.stdout


def test_parser_names_exactly_the_documented_subcommands() -> None:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert sorted(sub.choices) == sorted(_SUBCOMMANDS)  # type: ignore[attr-defined]


def test_score_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    proc = arbiter(
        "score", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "o.jsonl"), "--rewards", "format_strict"
    )
    assert proc.returncode == 2
    assert "input file not found" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_score_unknown_reward_lists_known_ones(tmp_path: Path) -> None:
    inp = _write_jsonl(tmp_path / "in.jsonl", _rows(2))
    proc = arbiter("score", str(inp), "-o", str(tmp_path / "o.jsonl"), "--rewards", "acuracy")
    assert proc.returncode == 2
    assert "unknown reward 'acuracy'" in proc.stderr
    assert "format_strict" in proc.stderr and "accuracy" in proc.stderr


def test_score_reports_malformed_line_and_scores_the_rest(tmp_path: Path) -> None:
    rows = _rows(4)
    rows.insert(2, '{"id": "broken", "completion": ')  # line 3
    inp = _write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    proc = arbiter("score", str(inp), "-o", str(out), "--rewards", "accuracy,format_strict:0.5", "-q")
    assert proc.returncode == 0, proc.stderr
    assert f"{inp}:3: skipped: malformed JSON" in proc.stderr
    results = {r["id"]: r for r in _read_out(out)}
    assert set(results) == {"r0", "r1", "r2", "r3"}
    # even rows: boxed correct answer in the R1 format; odd rows: a bare wrong number
    assert results["r0"]["rewards"] == {"accuracy": 1.0, "format_strict": 1.0}
    assert results["r0"]["total"] == pytest.approx(1.5)
    assert results["r1"]["rewards"]["format_strict"] == 0.0
    assert results["r1"]["accuracy"] == 0.0
    assert "rows with input errors: 1" in proc.stdout


def test_interrupted_run_resumes_without_rescoring(tmp_path: Path) -> None:
    inp = _write_jsonl(tmp_path / "in.jsonl", _rows(6))
    out = tmp_path / "out.jsonl"
    first = arbiter(
        "score", str(inp), "-o", str(out), "--rewards", "format_strict", "--batch-size", "2", "-q"
    )
    assert first.returncode == 0, first.stderr
    lines = out.read_text().splitlines()
    assert len(lines) == 6
    # Simulate a run killed mid-write: two whole lines survive, the third is torn.
    out.write_text(lines[0] + "\n" + lines[1] + "\n" + lines[2][:15])
    again = arbiter(
        "score", str(inp), "-o", str(out), "--rewards", "format_strict", "--batch-size", "2", "-q"
    )
    assert again.returncode == 0, again.stderr
    assert "scored 4 rows, skipped 2" in again.stdout
    results = _read_out(out)
    assert sorted(r["line"] for r in results) == [1, 2, 3, 4, 5, 6]


def test_score_by_field_and_html_report(tmp_path: Path) -> None:
    inp = _write_jsonl(tmp_path / "in.jsonl", _rows(8))
    out, report = tmp_path / "out.jsonl", tmp_path / "report.html"
    proc = arbiter(
        "score", str(inp), "-o", str(out), "--rewards", "accuracy,format_strict", "--by", "data_source",
        "--report", str(report), "-q",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "even: 1.0000 (n=4)" in proc.stdout
    assert "odd: 0.0000 (n=4)" in proc.stdout

    class _Collect(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[tuple[str, dict[str, str | None]]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags.append((tag, dict(attrs)))

    parser = _Collect()
    parser.feed(report.read_text())
    parser.close()
    svgs = [a for t, a in parser.tags if t == "svg"]
    assert len(svgs) == 4  # a histogram and a length-vs-reward plot per reward
    bars = [a for t, a in parser.tags if t == "rect"]
    assert any(float(a["height"] or 0) > 0 for a in bars)
    dots = [a for t, a in parser.tags if t == "circle"]
    assert len(dots) == 16  # 8 rows x 2 rewards


def test_explain_math_shows_steps_and_verdict() -> None:
    proc = arbiter("explain", "--gold", "\\frac{1}{2}", "--completion", "so the answer is \\boxed{0.5}")
    assert proc.returncode == 0, proc.stderr
    assert "extracted answer: '0.5'" in proc.stdout
    assert "verdict:          CORRECT (equal)" in proc.stdout
    wrong = arbiter("explain", "--gold", "7", "--completion", "first 7, then \\boxed{8}")
    assert "verdict:          WRONG (not_equal)" in wrong.stdout


def test_explain_code_shows_per_test_verdicts_and_diff(tmp_path: Path) -> None:
    prog = tmp_path / "sol.py"
    prog.write_text("a, b = map(int, input().split())\nprint(a * b)\n")
    tests = json.dumps({"inputs": ["2 2\n", "2 3\n"], "outputs": ["4\n", "5\n"]})
    proc = arbiter("explain", "--code", f"@{prog}", "--tests", tests)
    assert proc.returncode == 0, proc.stderr
    assert "test 1: accepted" in proc.stdout
    assert "test 2: wrong_answer" in proc.stdout
    assert "-5" in proc.stdout and "+6" in proc.stdout
    assert "verdict: wrong_answer" in proc.stdout


def test_explain_without_inputs_is_a_usage_error() -> None:
    proc = arbiter("explain", "--gold", "1")
    assert proc.returncode == 2
    assert "give --gold and --completion" in proc.stderr


def test_check_data_finds_the_problems(tmp_path: Path) -> None:
    rows: list[object] = [
        {"prompt": "What is 1+1?", "answer": "2", "completion": ""},
        {"prompt": "Broken gold", "answer": "\\sqrt{", "completion": ""},
        {"prompt": "what is  1+1?", "answer": "2", "completion": ""},
        {
            "prompt": "double it",
            "completion": "print(int(input()) * 3)",
            "tests": {"inputs": ["2\n"], "outputs": ["4\n"]},
        },
        {
            "prompt": "add one",
            "completion": "print(int(input()) + 1)",
            "tests": {"inputs": ["2\n"], "outputs": ["3\n"]},
        },
        "not json",
    ]
    inp = _write_jsonl(tmp_path / "data.jsonl", rows)
    proc = arbiter("check-data", str(inp))
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    assert f"{inp}:2: gold_unparseable" in out
    assert f"{inp}:3: duplicate_prompt: same prompt as line 1" in out
    assert f"{inp}:4: reference_fails" in out
    assert f"{inp}:6: malformed_row" in out
    assert f"{inp}:1:" not in out and f"{inp}:5:" not in out
    assert "4 problem(s) found" in out


def test_worker_flags_are_the_settings_and_python_m_app_worker_is_the_same_command() -> None:
    from app.setting_flags import SERVICE_FLAGS, WORKER_FLAGS

    proc = arbiter("worker", "--help")
    assert proc.returncode == 0, proc.stderr
    for field in (*SERVICE_FLAGS, *WORKER_FLAGS):
        assert "--" + field.replace("_", "-") in proc.stdout
        assert f"ARBITER_{field.upper()}" in proc.stdout
    assert "ARBITER_MAX_DELIVERIES, else 2)" in proc.stdout  # the default the README states
    alias = subprocess.run(
        [sys.executable, "-m", "app.worker", "--help"], capture_output=True, text=True, timeout=60
    )
    assert alias.returncode == 0 and alias.stdout == proc.stdout


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({"ARBITER_API_KEY": ""}, ["serve"], "ARBITER_API_KEY is set but empty"),
        ({"ARBITER_API_KEY": "  "}, ["worker", "--redis-url", "redis://127.0.0.1:1/0"], "set but empty"),
        (
            {},
            ["worker", "--redis-url", "redis://127.0.0.1:1/0", "--visibility-timeout-s", "1"],
            "must be below visibility_timeout_s",
        ),
        ({}, ["worker", "--max-deliveries", "0", "--redis-url", "redis://x"], "max_deliveries"),
        ({}, ["worker"], "needs a Redis URL"),
    ],
)
def test_bad_settings_stop_the_process_with_one_clear_line(env, args, message) -> None:
    import os

    exe = Path(sys.executable).parent / "arbiter"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ARBITER_")}
    proc = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=60, env={**clean, **env})
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.timeout(120)
def test_worker_logs_json_lines_with_a_start_line(redis_server) -> None:
    import os
    import signal

    exe = Path(sys.executable).parent / "arbiter"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ARBITER_")},
        "ARBITER_MATH_WORKERS": "1",
        "ARBITER_SANDBOX_POOL_SIZE": "1",
    }
    proc = subprocess.Popen(
        [str(exe), "worker", "--redis-url", redis_server.url, "--concurrency", "3", "--queue-prefix", "logt"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    lines: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if "consuming" in line:  # after the start line, once SIGTERM drains
                break
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=60)
        lines += rest.splitlines()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    records = [json.loads(line) for line in lines if line.strip()]  # every line is JSON
    start = next(r for r in records if r["msg"] == "arbiter worker started")
    assert start["level"] == "INFO" and start["concurrency"] == 3 and start["prefix"] == "logt"
    assert start["max_deliveries"] == 2 and start["visibility_timeout_s"] == 30.0
    assert any("stopped" in r["msg"] for r in records)
    assert proc.returncode == 0
