"""End to end: the bundled GRPO script on CPU, a tiny local model, the real service (and a fake one).

No download: the model and tokenizer are built locally (``tiny_model``), everything runs with
HF_HUB_OFFLINE=1. One 30-step run against the real service serves two checks: the plumbing
(requests, logged curves, plot) and learning (the format reward rises).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.trainer_client.servers import free_port, start_server, stop_server
from tests.trainer_client.tiny_model import build_tiny_model

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

_ROOT = Path(__file__).resolve().parents[2]
_STEPS = 30
_WINDOW = 5  # steps averaged at each end of the learning curve
_OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "MPLBACKEND": "Agg",
}


@dataclass(frozen=True)
class _Run:
    out: Path
    stdout: str
    summary: dict[str, Any]
    metrics: list[dict[str, Any]]
    service_requests: float


@pytest.fixture(scope="module")
def real_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("service") / "serve.log"
    proc = start_server(
        ["-m", "app.cli", "serve", "--port", str(port)], port, "/readyz", log, timeout_s=180.0
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(proc)


def _rewards_requests(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    found = re.findall(r'arbiter_requests_total\{route="/v1/rewards",status="200"\} ([0-9.]+)', text)
    return float(found[0]) if found else 0.0


@pytest.fixture(scope="module")
def learning_run(real_service: str, tmp_path_factory: pytest.TempPathFactory) -> _Run:
    tmp = tmp_path_factory.mktemp("grpo")
    # A 24-token vocabulary (digits, operators, the four tags as single tokens): learnable on CPU.
    model = build_tiny_model(tmp / "tiny", ["0123456789+-=? "])
    out = tmp / "run"
    before = _rewards_requests(real_service)
    argv = [
        "-m", "trainer_client.grpo",
        "--model", str(model),
        "--service-url", real_service,
        "--prompt-template", "{problem} ",
        # R1-distill format (the chat template put <think> in the prompt): learnable by a tiny model.
        "--rewards", "tag_count:1,format_strict:1,accuracy:0",
        "--reward-param", "tag_count.mode=r1_distill",
        "--reward-param", "tag_count.think_prefilled=true",
        "--reward-param", "format_strict.mode=r1_distill",
        "--reward-param", "format_strict.think_prefilled=true",
        "--max-steps", str(_STEPS),
        "--num-generations", "8",
        "--per-device-train-batch-size", "16",
        "--max-completion-length", "8",
        "--learning-rate", "1e-2",
        "--extra-trl-args", '{"lr_scheduler_type": "constant"}',
        "--output-dir", str(out),
        "--no-save-model",
    ]  # fmt: skip
    env = {**os.environ, **_OFFLINE, "HF_HOME": str(tmp / "hf")}
    done = subprocess.run(
        [sys.executable, *argv], cwd=_ROOT, env=env, capture_output=True, text=True, timeout=840, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return _Run(out, done.stdout, summary, metrics, _rewards_requests(real_service) - before)


def test_script_trains_against_the_real_service(learning_run: _Run) -> None:
    run = learning_run
    assert run.summary["steps"] == _STEPS
    assert run.summary["reward_requests"] == _STEPS  # one request per generation batch, all columns
    assert run.service_requests == _STEPS  # and the service answered each with 200
    assert [m["step"] for m in run.metrics] == list(range(1, _STEPS + 1))
    for m in run.metrics:  # every reward came back and TRL logged it
        assert set(m["rewards"]) == {"tag_count", "format_strict", "accuracy", "raw_accuracy"}
        assert all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in m["rewards"].values())
        assert m["format_rate"] == m["rewards"]["format_strict"]
        assert 0 < m["completion_length"] <= 8
    assert "step 1 | reward" in run.stdout
    assert (run.out / "reward_curves.png").read_bytes()[:4] == b"\x89PNG"


def test_format_reward_rises(learning_run: _Run) -> None:
    # Measured on the 2-core dev machine: tag_count 0.34 -> 0.63, format_strict 0.04 -> 0.19
    # (means of the first and last 5 of 30 steps).
    means = {}
    for name in ("tag_count", "format_strict"):
        curve = [m["rewards"][name] for m in learning_run.metrics]
        means[name] = (sum(curve[:_WINDOW]) / _WINDOW, sum(curve[-_WINDOW:]) / _WINDOW)
        print(
            f"{name}: first {_WINDOW} steps {means[name][0]:.3f}, last {_WINDOW} steps {means[name][1]:.3f}"
        )
    start, end = means["tag_count"]
    assert end >= start + 0.15, means
    assert means["format_strict"][1] > means["format_strict"][0], means


def test_chat_template_run_survives_a_failing_service_and_sends_flattened_groups(tmp_path: Path) -> None:
    from trainer_client.batch import RewardSpec
    from trainer_client.grpo import run
    from trainer_client.grpo_config import GRPORunConfig

    port = free_port()
    record = tmp_path / "bodies.jsonl"
    # The service fails every attempt of the first step (6 = the default RetryPolicy.max_attempts).
    fake = [
        "-m",
        "tests.trainer_client.fake_server",
        "--port",
        str(port),
        "--record",
        str(record),
        "--fail-first",
        "6",
    ]
    server = start_server(fake, port, "/healthz", tmp_path / "fake.log")
    try:
        model = build_tiny_model(tmp_path / "tiny", ["0123456789+-=?$ abcdefghijklmnopqrstuvwxyzCGW:.\\{}\n"])
        config = GRPORunConfig(
            model=str(model),
            service_url=f"http://127.0.0.1:{port}",
            prompt_template="chat",
            rewards=(RewardSpec("format", 0.5), RewardSpec("accuracy")),
            max_samples=16,
            max_steps=3,
            num_generations=4,
            per_device_train_batch_size=8,
            max_completion_length=8,
            learning_rate=1e-3,
            output_dir=str(tmp_path / "run"),
            save_model=False,
            plot=False,
            device="cpu",
        )
        summary = run(config)
    finally:
        stop_server(server)
    bodies = [json.loads(line)["body"] for line in record.read_text().splitlines()]
    assert summary.reward_requests == 3  # one per step; step 1's was retried, then given up
    assert len(bodies) == 2  # steps 2 and 3 reached the scorer
    gold = {json.loads(line)["answer"] for line in Path(config.dataset).read_text().splitlines()}
    for body in bodies:
        items = body["items"]
        assert len(items) == 8
        assert all(i["prompt"].startswith("user: ") and i["ground_truth"] in gold for i in items)
        groups = [i["group_id"] for i in items]
        assert groups[:4] == [groups[0]] * 4 and groups[4:] == [groups[4]] * 4 and groups[0] != groups[4]
        assert all(isinstance(i["completion"], str) for i in items)
        assert [r["name"] for r in body["rewards"]] == ["format", "accuracy"]
    assert [m.step for m in summary.metrics] == [1, 2, 3]  # training went on through the failure
    assert summary.metrics[0].rewards == {}  # step 1: every reward None, nothing logged as 0
    assert all(set(m.rewards) == {"format", "accuracy", "raw_accuracy"} for m in summary.metrics[1:])


def test_lora_needs_peft_or_is_a_named_config_error() -> None:
    import importlib.util

    from trainer_client.grpo import _peft_config
    from trainer_client.grpo_config import ConfigError, GRPORunConfig

    assert _peft_config(GRPORunConfig(lora_r=0)) is None
    if importlib.util.find_spec("peft") is None:
        with pytest.raises(ConfigError) as info:
            _peft_config(GRPORunConfig(lora_r=8))
        assert info.value.field == "lora_r"
    else:
        assert _peft_config(GRPORunConfig(lora_r=8)).r == 8
