"""``python -m trainer_client.grpo``: GRPO with TRL, rewarded by the Arbiter service.

The only module of ``trainer_client`` that imports torch, transformers, datasets and TRL. It
shows the few lines a TRL user changes: build a ``RewardSuite`` and pass its ``reward_funcs``
and ``reward_weights`` to ``GRPOTrainer``/``GRPOConfig``. Everything else is ordinary TRL:
a model (local path or hub name), a dataset (local JSONL or a hub name), a prompt template.

Per logged step it prints and appends to ``<output_dir>/metrics.jsonl`` the mean of each reward,
accuracy, format rate and completion length; at the end it writes ``reward_curves.png``.
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
from trainer_client.grpo_config import R1_ZERO_TEMPLATE, ConfigError, GRPORunConfig, load_config
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


class _CurvesCallback(TrainerCallback):  # type: ignore[misc]
    """Collects TRL's per-step logs as ``StepMetrics``; prints and appends them to a JSONL file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.metrics: list[StepMetrics] = []
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("", encoding="utf-8")

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **_: Any
    ) -> None:
        step = StepMetrics.from_log(int(state.global_step), logs or {})
        if step is None:
            return
        self.metrics.append(step)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(step.to_json()) + "\n")
        print(step.line(), flush=True)


def _load_rows(config: GRPORunConfig) -> datasets.Dataset:
    path = Path(config.dataset)
    if path.exists():
        data = datasets.load_dataset("json", data_files=str(path), split="train")
    else:  # a hub dataset name; needs a reachable hub
        data = datasets.load_dataset(config.dataset, split=config.dataset_split)
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


def build_dataset(config: GRPORunConfig, tokenizer: Any) -> datasets.Dataset:
    """Rows with ``prompt`` and ``ground_truth``; prompts over ``max_prompt_length`` tokens dropped."""
    data = _load_rows(config)

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


def run(config: GRPORunConfig) -> RunSummary:
    """Train, log the curves, plot them; returns what was measured."""
    out = Path(config.output_dir)
    use_cpu = _use_cpu(config)
    tokenizer = AutoTokenizer.from_pretrained(config.model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(config.model, dtype=torch.float32 if use_cpu else "auto")
    suite = RewardSuite(
        config.rewards,
        config=ClientConfig(
            base_url=config.service_url, api_key=config.api_key, deadline_s=config.reward_deadline_s
        ),
        ground_truth_column="ground_truth",
        include_raw_accuracy=True,
    )
    bf16 = not use_cpu and torch.cuda.is_bf16_supported()
    args = GRPOConfig(
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
        **dict(config.extra_trl_args),
    )
    curves = _CurvesCallback(out / "metrics.jsonl")
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=cast(Any, suite.reward_funcs),  # async callables; TRL's hint names only sync ones
        args=args,
        train_dataset=build_dataset(config, tokenizer),
        processing_class=tokenizer,
        callbacks=[curves],
        peft_config=_peft_config(config),
    )
    trainer.train()
    if config.save_model:
        trainer.save_model(str(out / "final"))
    plot_path = (
        plot_curves(curves.metrics, out / "reward_curves.png") if config.plot and curves.metrics else None
    )
    return RunSummary(tuple(curves.metrics), curves.path, plot_path, suite.requests_sent)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request drowns the curves
    try:
        config = load_config(argv)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    summary = run(config)
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
