"""``python -m trainer_client.grpo``: GRPO with TRL, rewarded by the Arbiter service.

The only module of ``trainer_client`` that imports torch, transformers, datasets and TRL. It
shows the few lines a TRL user changes: build a ``RewardSuite`` and pass its ``reward_funcs``
and ``reward_weights`` to ``GRPOTrainer``/``GRPOConfig``. Everything else is ordinary TRL:
a model (local path or hub name), a dataset (a local JSON/JSONL/parquet/arrow/CSV file, a
``save_to_disk`` folder, or a hub name with config and split), a prompt template.

Per logged step it prints and appends to ``<output_dir>/metrics.jsonl`` the mean of each reward,
accuracy, format rate and completion length; at the end it writes ``reward_curves.png``. Under
``torchrun``/``accelerate launch`` only the main process writes them. A setup problem (a model or
dataset that cannot be loaded, a batch shape TRL refuses) is one ``error:`` line and exit code 2.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import datasets
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
from trl import GRPOConfig, GRPOTrainer

from trainer_client.client import ClientConfig
from trainer_client.curves import StepMetrics, plot_curves
from trainer_client.grpo_config import (
    R1_ZERO_TEMPLATE,
    ConfigError,
    GRPORunConfig,
    check_batch_shape,
    dataset_source,
    load_config,
)
from trainer_client.suite import RewardSuite

__all__ = ["RunSummary", "main", "run"]

_log = logging.getLogger("trainer_client.grpo")


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What a run produced: per-step metrics, where they were written, and the service load."""

    metrics: tuple[StepMetrics, ...]
    metrics_path: Path
    plot_path: Path | None
    reward_requests: int
    main_process: bool = True  # False on the other ranks of a multi-process launch (they write nothing)


class _CurvesCallback(TrainerCallback):
    """Collects TRL's per-step logs as ``StepMetrics``; on the main process only, prints them and
    appends them to a JSONL file (TRL logs the metrics gathered over all processes)."""

    def __init__(self, path: Path, main_process: bool) -> None:
        self.path = path
        self.main_process = main_process
        self.metrics: list[StepMetrics] = []
        if main_process:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("", encoding="utf-8")

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **_: Any
    ) -> None:
        step = StepMetrics.from_log(int(state.global_step), logs or {})
        if step is None:
            return
        self.metrics.append(step)
        if not (self.main_process and state.is_world_process_zero):
            return
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(step.to_json()) + "\n")
        print(step.line(), flush=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _saved_split(loaded: Any, path: str, split: str) -> datasets.Dataset:
    """One split of a ``save_to_disk`` folder, sliced like ``load_dataset`` slices (``train[:100]``)."""
    name = split.split("[", 1)[0]
    splits = list(loaded) if isinstance(loaded, datasets.DatasetDict) else [str(loaded.split or "train")]
    if name not in splits:
        raise ConfigError("dataset_split", f"{name!r} not in {path}; splits: {splits}")
    data = loaded[name] if isinstance(loaded, datasets.DatasetDict) else loaded
    if "[" in split:
        (part,) = datasets.ReadInstruction.from_spec(split).to_absolute({name: len(data)})
        data = data.select(range(part.from_, part.to))
    return data


def _load_rows(config: GRPORunConfig) -> datasets.Dataset:
    source = dataset_source(config)
    split = config.dataset_split
    try:
        if source.kind == "saved":
            data = _saved_split(datasets.load_from_disk(source.path), source.path, split)
        elif (
            source.kind == "hub" or source.kind == "folder"
        ):  # needs a reachable hub (or a cached copy with HF_DATASETS_OFFLINE=1)
            data = datasets.load_dataset(source.path, config.dataset_config, split=split)
        else:  # one local file is the "train" split; a slice of it (train[:100]) works too
            if not split.startswith("train"):
                raise ConfigError("dataset_split", f"a single file has only the 'train' split, not {split!r}")
            data = datasets.load_dataset(source.kind, data_files={"train": source.path}, split=split)
    except ConfigError:
        raise
    except Exception as exc:  # missing, unreachable, unreadable: one line, not a traceback
        where = f"{config.dataset}" + (f" (config {config.dataset_config})" if config.dataset_config else "")
        raise ConfigError("dataset", f"cannot load {where}, split {split!r}: {_first_line(exc)}") from None
    if not isinstance(data, datasets.Dataset):
        raise ConfigError("dataset", f"{config.dataset} did not give one split; set --dataset-split")
    for column in (config.prompt_column, config.answer_column):
        if column not in data.column_names:
            raise ConfigError("dataset", f"no column {column!r}; columns: {data.column_names}")
    if config.max_samples is not None:
        data = data.select(range(min(config.max_samples, len(data))))
    return data


def _prompt(config: GRPORunConfig, problem: str) -> Any:
    if config.prompt_template == "chat":
        messages = [{"role": "system", "content": config.system_prompt}] if config.system_prompt else []
        return [*messages, {"role": "user", "content": problem}]
    template = R1_ZERO_TEMPLATE if config.prompt_template == "r1_zero" else config.prompt_template
    return template.replace("{problem}", problem)


def build_dataset(
    config: GRPORunConfig, tokenizer: Any, rows: datasets.Dataset | None = None
) -> datasets.Dataset:
    """Rows with ``prompt`` and ``ground_truth``; prompts over ``max_prompt_length`` tokens dropped."""
    data = _load_rows(config) if rows is None else rows

    def to_prompt(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "prompt": _prompt(config, str(row[config.prompt_column])),
            "ground_truth": str(row[config.answer_column]),
        }

    data = data.map(to_prompt, remove_columns=data.column_names)

    def short_enough(row: dict[str, Any]) -> bool:
        prompt = row["prompt"]
        if isinstance(prompt, str):
            ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        else:
            ids = tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True)
            ids = ids["input_ids"] if isinstance(ids, dict) or hasattr(ids, "keys") else ids
        return len(ids) <= config.max_prompt_length

    kept = data.filter(short_enough)
    if len(kept) == 0:
        raise ConfigError(
            "max_prompt_length", f"every prompt is longer than {config.max_prompt_length} tokens"
        )
    return kept


def _use_cpu(config: GRPORunConfig) -> bool:
    if config.device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device", "cuda requested but no GPU is visible")
    return config.device == "cpu" or not torch.cuda.is_available()


def _peft_config(config: GRPORunConfig) -> Any:
    if config.lora_r <= 0:
        return None
    try:
        from peft import LoraConfig
    except ImportError:
        raise ConfigError("lora_r", "LoRA needs the 'peft' package (pip install peft)") from None
    return LoraConfig(
        r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout, task_type="CAUSAL_LM"
    )


def _load_model(config: GRPORunConfig, use_cpu: bool) -> tuple[Any, Any]:
    try:
        tokenizer = AutoTokenizer.from_pretrained(config.model)
        model = AutoModelForCausalLM.from_pretrained(config.model, dtype=torch.float32 if use_cpu else "auto")
    except (OSError, ValueError) as exc:  # no such folder or repo, no hub, not a causal LM
        raise ConfigError("model", f"cannot load {config.model!r}: {_first_line(exc)}") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer, model


def _num_processes(use_cpu: bool) -> int:
    """Processes of this launch (1 without torchrun/accelerate), as TRL will see them."""
    from accelerate import PartialState

    return int(PartialState(cpu=use_cpu).num_processes)


def run(config: GRPORunConfig) -> RunSummary:
    """Train, log the curves, plot them; returns what was measured."""
    out = Path(config.output_dir)
    use_cpu = _use_cpu(config)
    if config.use_vllm:
        import importlib.util

        if use_cpu:
            raise ConfigError("use_vllm", "vLLM generation needs a GPU (this run is on the CPU)")
        if importlib.util.find_spec("vllm") is None:
            raise ConfigError("use_vllm", "vLLM generation needs the 'vllm' package (pip install vllm)")
    check_batch_shape(config, _num_processes(use_cpu))
    rows = _load_rows(config)  # before the model: a bad dataset should not wait for a download
    tokenizer, model = _load_model(config, use_cpu)
    train_dataset = build_dataset(config, tokenizer, rows)
    suite = RewardSuite(
        config.rewards,
        config=ClientConfig(
            base_url=config.service_url, api_key=config.api_key, deadline_s=config.reward_deadline_s
        ),
        ground_truth_column="ground_truth",
        include_raw_accuracy=True,
    )
    bf16 = not use_cpu and torch.cuda.is_bf16_supported()
    vllm: dict[str, Any] = {"use_vllm": True, "vllm_mode": config.vllm_mode} if config.use_vllm else {}
    try:
        args = _grpo_args(config, suite, out, use_cpu, bf16, vllm)
    except (ValueError, TypeError) as exc:  # a shape or argument TRL refuses
        raise ConfigError(
            "extra_trl_args", f"TRL's GRPOConfig refused the settings: {_first_line(exc)}"
        ) from None
    main_process = bool(args.process_index == 0)
    curves = _CurvesCallback(out / "metrics.jsonl", main_process)
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=cast(Any, suite.reward_funcs),  # async callables; TRL's hint names only sync ones
        args=args,
        train_dataset=train_dataset,
        processing_class=tokenizer,
        callbacks=[curves],
        peft_config=_peft_config(config),
    )
    trainer.train()
    if config.save_model:
        trainer.save_model(str(out / "final"))  # every rank takes part; the main one writes
    plot_path = None
    if config.plot and curves.metrics and main_process:
        plot_path = plot_curves(curves.metrics, out / "reward_curves.png")
    return RunSummary(tuple(curves.metrics), curves.path, plot_path, suite.requests_sent, main_process)


def _grpo_args(
    config: GRPORunConfig, suite: RewardSuite, out: Path, use_cpu: bool, bf16: bool, vllm: dict[str, Any]
) -> GRPOConfig:
    return GRPOConfig(
        output_dir=str(out),
        per_device_train_batch_size=config.per_device_train_batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        num_generations=config.num_generations,
        max_completion_length=config.max_completion_length,
        loss_type=config.loss_type,
        beta=config.beta,
        learning_rate=config.learning_rate,
        max_steps=config.max_steps,
        temperature=config.temperature,
        seed=config.seed,
        reward_weights=suite.reward_weights,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        use_cpu=use_cpu,
        bf16=bf16,
        **vllm,
        **dict(config.extra_trl_args),
    )


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request drowns the curves
    try:
        summary = run(load_config(argv))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not summary.main_process:
        return 0
    print(
        json.dumps(
            {
                "steps": len(summary.metrics),
                "reward_requests": summary.reward_requests,
                "metrics": str(summary.metrics_path),
                "plot": str(summary.plot_path) if summary.plot_path else None,
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
