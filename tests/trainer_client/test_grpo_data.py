"""The GRPO script's inputs and setup errors: every local dataset form, a dataset with configs and
splits, a model or dataset that cannot be loaded (one ``error:`` line, exit 2, no traceback), and a
two-process ``torchrun`` launch where only rank 0 writes (tiny local model, CPU, no download)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

datasets = pytest.importorskip("datasets")

from tests.trainer_client.servers import free_port, start_server, stop_server  # noqa: E402
from tests.trainer_client.tiny_model import build_tiny_model  # noqa: E402
from trainer_client.grpo_config import ConfigError, GRPORunConfig  # noqa: E402

_ROOT = Path(__file__).resolve().parents[2]
_ROWS = {"problem": ["1+1?", "2+2?", "3+3?"], "answer": ["2", "4", "6"]}
_OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "MPLBACKEND": "Agg",
}


def _rows(config: GRPORunConfig) -> list[tuple[str, str]]:
    from trainer_client.grpo import _load_rows

    data = _load_rows(config)
    return [(str(p), str(a)) for p, a in zip(data["problem"], data["answer"], strict=True)]


def _saved(tmp_path: Path) -> Path:
    folder = tmp_path / "saved"
    datasets.Dataset.from_dict(_ROWS).save_to_disk(str(folder))
    return folder


@pytest.mark.parametrize("form", ["jsonl", "json", "parquet", "csv", "arrow", "saved", "saved_dict"])
def test_every_local_form_loads(tmp_path: Path, form: str) -> None:
    ds = datasets.Dataset.from_dict(_ROWS)
    if form in ("jsonl", "json"):
        path = tmp_path / f"d.{form}"
        ds.to_json(str(path))
    elif form == "parquet":
        path = tmp_path / "d.parquet"
        ds.to_parquet(str(path))
    elif form == "csv":
        path = tmp_path / "d.csv"
        ds.to_csv(str(path), index=False)
    elif form == "arrow":
        (arrow,) = _saved(tmp_path).glob("*.arrow")
        path = tmp_path / "d.arrow"
        shutil.copy(arrow, path)
    elif form == "saved":
        path = _saved(tmp_path)
    else:
        path = tmp_path / "dict"
        datasets.DatasetDict({"train": ds, "test": ds.select([2])}).save_to_disk(str(path))
        assert _rows(GRPORunConfig(dataset=str(path), dataset_split="test")) == [("3+3?", "6")]
    assert _rows(GRPORunConfig(dataset=str(path))) == [("1+1?", "2"), ("2+2?", "4"), ("3+3?", "6")]


def test_a_slice_of_a_file_and_a_wrong_split(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    datasets.Dataset.from_dict(_ROWS).to_parquet(str(path))
    assert _rows(GRPORunConfig(dataset=str(path), dataset_split="train[:2]")) == [
        ("1+1?", "2"),
        ("2+2?", "4"),
    ]
    with pytest.raises(ConfigError, match="only the 'train' split"):
        _rows(GRPORunConfig(dataset=str(path), dataset_split="test"))
    saved = _saved(tmp_path)
    assert _rows(GRPORunConfig(dataset=str(saved), dataset_split="train[1:]")) == [
        ("2+2?", "4"),
        ("3+3?", "6"),
    ]
    with pytest.raises(ConfigError, match="splits: \\['train'\\]"):
        _rows(GRPORunConfig(dataset=str(saved), dataset_split="validation"))


def test_a_dataset_repo_with_configs_and_splits(tmp_path: Path) -> None:
    """The layout of a hub dataset (README configs, one folder per config): config name and split."""
    repo = tmp_path / "repo"
    for config, rows in (("easy", {"problem": ["1+1?"], "answer": ["2"]}), ("hard", _ROWS)):
        (repo / config).mkdir(parents=True)
        datasets.Dataset.from_dict(rows).to_parquet(str(repo / config / "test.parquet"))
    (repo / "README.md").write_text(
        "---\nconfigs:\n"
        "- config_name: easy\n  data_files:\n  - split: test\n    path: easy/test.parquet\n"
        "- config_name: hard\n  data_files:\n  - split: test\n    path: hard/test.parquet\n---\n"
    )
    hard = GRPORunConfig(dataset=str(repo), dataset_config="hard", dataset_split="test")
    assert len(_rows(hard)) == 3
    easy = GRPORunConfig(dataset=str(repo), dataset_config="easy", dataset_split="test")
    assert _rows(easy) == [("1+1?", "2")]
    with pytest.raises(ConfigError, match=r"cannot load .*config nope"):
        _rows(GRPORunConfig(dataset=str(repo), dataset_config="nope", dataset_split="test"))


def test_vllm_without_a_gpu_is_a_named_error() -> None:
    from trainer_client.grpo import run

    with pytest.raises(ConfigError) as info:
        run(GRPORunConfig(use_vllm=True, device="cpu"))
    assert info.value.field == "use_vllm" and "GPU" in str(info.value)


def _script(argv: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **_OFFLINE, "HF_HOME": str(tmp_path / "hf")}
    return subprocess.run(
        [sys.executable, "-m", "trainer_client.grpo", *argv],
        cwd=_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (
            ["--model", "no-such-org/no-such-model"],
            "error: config model: cannot load 'no-such-org/no-such-model'",
        ),
        (
            ["--dataset", "no-such-org/no-such-data", "--dataset-config", "x"],
            "error: config dataset: cannot load",
        ),
        (["--dataset", "./missing.parquet"], "error: config dataset: ./missing.parquet: no such file"),
        (["--per-device-train-batch-size", "4"], "not a multiple of num_generations=8"),
    ],
)
def test_setup_errors_are_one_line(tmp_path: Path, argv: list[str], needle: str) -> None:
    done = _script([*argv, "--output-dir", str(tmp_path / "out")], tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert needle in done.stderr and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert len([line for line in done.stderr.splitlines() if line.startswith("error:")]) == 1


@pytest.fixture
def fake_service(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    server = start_server(
        ["-m", "tests.trainer_client.fake_server", "--port", str(port)], port, "/healthz", tmp_path / "f.log"
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(server)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_torchrun_two_processes_rank_zero_writes(tmp_path: Path, fake_service: str) -> None:
    """4 completions per rank, groups of 8 spanning both ranks (refused before), 2 steps."""
    model = build_tiny_model(tmp_path / "tiny", ["0123456789+-=? "])
    out = tmp_path / "run"
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists():
        pytest.skip("torchrun is not installed next to this Python")
    argv = [
        str(torchrun), "--standalone", "--nproc-per-node", "2", "-m", "trainer_client.grpo",
        "--model", str(model), "--service-url", fake_service, "--device", "cpu",
        "--prompt-template", "{problem} ", "--rewards", "format:1",
        "--num-generations", "8", "--per-device-train-batch-size", "4",
        "--max-completion-length", "4", "--max-steps", "2", "--max-samples", "8",
        "--output-dir", str(out), "--no-save-model",
    ]  # fmt: skip
    env = {**os.environ, **_OFFLINE, "HF_HOME": str(tmp_path / "hf"), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(argv, cwd=_ROOT, env=env, capture_output=True, text=True, timeout=840, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in lines] == [1, 2]  # once, not once per rank
    assert (out / "reward_curves.png").read_bytes()[:4] == b"\x89PNG"
    summaries = [line for line in done.stdout.splitlines() if line.startswith('{"steps"')]
    assert len(summaries) == 1 and json.loads(summaries[0])["steps"] == 2
    assert done.stdout.count("step 1 | reward") == 1
