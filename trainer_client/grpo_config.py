"""The configuration of the bundled GRPO script, from a YAML file and/or command-line flags.

Kept apart from ``grpo`` (which imports torch and TRL) so a config can be built, checked and
tested without them. Every field has a default; flags override the YAML file, which overrides
the defaults. Flags are the field names with dashes (``--max-completion-length 256``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer_client.batch import RewardSpec

__all__ = [
    "BUNDLED_DATASET",
    "R1_ZERO_TEMPLATE",
    "ConfigError",
    "DatasetSource",
    "GRPORunConfig",
    "check_batch_shape",
    "dataset_source",
    "load_config",
    "parse_rewards",
]

BUNDLED_DATASET = str(Path(__file__).resolve().parent / "data" / "math_small.jsonl")

# The DeepSeek-R1-Zero prompt (DeepSeek-AI, 2025, Table 1), for base models without a chat template,
# with the exact reply format spelled out (what ``format_strict`` checks: one think block, then one
# answer block, nothing outside them), so the format is asked for, not earned by accident.
R1_ZERO_TEMPLATE = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
    "The assistant first thinks about the reasoning process in the mind and then provides the user with "
    "the answer. The reasoning process and answer are enclosed within <think> </think> and <answer> "
    "</answer> tags, respectively, i.e., <think> reasoning process here </think> <answer> answer here "
    "</answer>. The reply is exactly one <think>...</think> block followed by exactly one "
    "<answer>...</answer> block holding only the final answer, with nothing before, between or after "
    "them. User: {problem}. Assistant:"
)
_DEFAULT_REWARDS = (RewardSpec("accuracy", 1.0), RewardSpec("format_strict", 0.5))


class ConfigError(ValueError):
    """A configuration value that cannot work; ``field`` names it."""

    def __init__(self, field_name: str, problem: str) -> None:
        self.field = field_name
        self.problem = problem
        super().__init__(f"config {field_name}: {problem}")


@dataclass(frozen=True, slots=True)
class GRPORunConfig:
    """One GRPO run: model, data, prompt, rewards (by service name), service and GRPO knobs.

    ``prompt_template``: ``r1_zero`` (plain-text R1-Zero prompt), ``chat`` (the tokenizer's chat
    template, with ``system_prompt`` if set) or a format string containing ``{problem}``.
    ``max_prompt_length`` drops longer prompts (in tokens). ``lora_r`` > 0 trains a LoRA adapter
    (needs ``peft``). ``device``: ``auto`` (GPU when present), ``cpu`` or ``cuda``.
    """

    model: str = "Qwen/Qwen2.5-0.5B-Instruct"
    dataset: str = BUNDLED_DATASET
    dataset_config: str | None = None
    dataset_split: str = "train"
    prompt_column: str = "problem"
    answer_column: str = "answer"
    max_samples: int | None = None
    prompt_template: str = "r1_zero"
    system_prompt: str | None = None
    rewards: tuple[RewardSpec, ...] = _DEFAULT_REWARDS
    service_url: str = "http://127.0.0.1:8000"
    api_key: str | None = None
    reward_deadline_s: float = 300.0
    output_dir: str = "out/grpo"
    num_generations: int = 8
    per_device_train_batch_size: int = 8
    gradient_accumulation_steps: int = 1
    max_prompt_length: int = 512
    max_completion_length: int = 256
    loss_type: str = "dapo"
    beta: float = 0.0
    learning_rate: float = 1e-6
    max_steps: int = 100
    temperature: float = 1.0
    seed: int = 0
    lora_r: int = 0
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    device: str = "auto"
    use_vllm: bool = False
    vllm_mode: str = "colocate"
    save_model: bool = True
    plot: bool = True
    extra_trl_args: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.rewards:
            raise ConfigError("rewards", "at least one reward is needed")
        if self.num_generations < 2:
            raise ConfigError("num_generations", "GRPO needs at least 2 generations per prompt")
        for name in ("per_device_train_batch_size", "gradient_accumulation_steps"):
            if getattr(self, name) < 1:
                raise ConfigError(name, "must be at least 1")
        if self.prompt_template not in ("r1_zero", "chat") and "{problem}" not in self.prompt_template:
            raise ConfigError("prompt_template", "use 'r1_zero', 'chat' or a string containing {problem}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ConfigError("device", "use 'auto', 'cpu' or 'cuda'")
        if self.vllm_mode not in ("colocate", "server"):
            raise ConfigError("vllm_mode", "use 'colocate' (vLLM inside each training process) or 'server'")
        if self.max_samples is not None and self.max_samples < 1:
            raise ConfigError("max_samples", "must be at least 1 (or unset for all rows)")
        for name in ("max_steps", "max_completion_length", "max_prompt_length"):
            if getattr(self, name) < 1:
                raise ConfigError(name, "must be at least 1")


def check_batch_shape(config: GRPORunConfig, num_processes: int) -> int:
    """The generation batch (completions generated per optimizer cycle, over all processes), checked
    as TRL checks it: a whole number of groups of ``num_generations``. Returns its size.

    Why at run time: with several processes (torchrun, accelerate launch) a group may span ranks,
    so ``per_device_train_batch_size`` alone need not be a multiple of ``num_generations``."""
    extra = dict(config.extra_trl_args)
    steps = int(extra.get("steps_per_generation") or config.gradient_accumulation_steps)
    generation_batch = int(
        extra.get("generation_batch_size") or config.per_device_train_batch_size * num_processes * steps
    )
    if generation_batch % config.num_generations:
        raise ConfigError(
            "per_device_train_batch_size",
            f"the generation batch is {generation_batch} completions (per_device_train_batch_size "
            f"{config.per_device_train_batch_size} x {num_processes} process(es) x {steps} step(s) per "
            f"generation), not a multiple of num_generations={config.num_generations}",
        )
    return generation_batch


@dataclass(frozen=True, slots=True)
class DatasetSource:
    """Where the rows come from. ``kind``: a ``datasets`` builder for local files (``json``,
    ``parquet``, ``arrow``, ``csv``), ``saved`` (a ``save_to_disk`` folder), ``folder`` (a folder
    of data files) or ``hub`` (a dataset name)."""

    kind: str
    path: str


_FILE_KINDS = {".json": "json", ".jsonl": "json", ".parquet": "parquet", ".arrow": "arrow", ".csv": "csv"}


def dataset_source(config: GRPORunConfig) -> DatasetSource:
    """Decide by what is on disk: a file by its extension, a folder by its contents, else the hub."""
    path = Path(config.dataset).expanduser()
    if path.is_file():
        kind = _FILE_KINDS.get(path.suffix.lower()) or _FILE_KINDS.get("".join(path.suffixes[-2:-1]).lower())
        if kind is None:
            raise ConfigError(
                "dataset", f"{path}: unknown file type; use one of {', '.join(sorted(_FILE_KINDS))}"
            )
        return DatasetSource(kind, str(path))
    if path.is_dir():
        if (path / "dataset_info.json").is_file() or (path / "dataset_dict.json").is_file():
            return DatasetSource("saved", str(path))
        return DatasetSource("folder", str(path))
    looks_local = config.dataset.startswith((".", "/", "~")) or path.suffix.lower() in _FILE_KINDS
    if looks_local:
        raise ConfigError("dataset", f"{config.dataset}: no such file or folder")
    return DatasetSource("hub", config.dataset)


def parse_rewards(value: Any) -> tuple[RewardSpec, ...]:
    """Rewards from ``"accuracy:1,format_strict:0.5"``, a list of such strings, or of mappings."""
    entries = value.split(",") if isinstance(value, str) else list(value)
    specs = []
    for entry in entries:
        if isinstance(entry, RewardSpec):
            specs.append(entry)
        elif isinstance(entry, Mapping):
            specs.append(
                RewardSpec(
                    str(entry["name"]), float(entry.get("weight", 1.0)), dict(entry.get("params") or {})
                )
            )
        else:
            name, _, weight = str(entry).strip().partition(":")
            try:
                specs.append(RewardSpec(name, float(weight) if weight else 1.0))
            except ValueError:
                raise ConfigError("rewards", f"bad weight in {entry!r}") from None
    return tuple(specs)


def _with_params(rewards: tuple[RewardSpec, ...], params: Sequence[str]) -> tuple[RewardSpec, ...]:
    by_name = {r.name: dict(r.params) for r in rewards}
    for text in params:
        key, sep, raw = text.partition("=")
        name, dot, param = key.partition(".")
        if not sep or not dot or name not in by_name:
            raise ConfigError(
                "reward_param", f"{text!r}: expected REWARD.PARAM=VALUE for a configured reward"
            )
        try:
            by_name[name][param] = json.loads(raw)
        except json.JSONDecodeError:
            by_name[name][param] = raw
    return tuple(RewardSpec(r.name, r.weight, by_name[r.name]) for r in rewards)


_HELP = {
    "model": "hub name or local folder of a causal LM",
    "dataset": "a local .json/.jsonl/.parquet/.arrow/.csv file, a save_to_disk folder, a folder of "
    "data files, or a hub dataset name",
    "dataset_config": "the hub dataset's config (subset) name",
    "dataset_split": "split to train on (slices like train[:1000] work)",
    "prompt_column": "column holding the problem",
    "answer_column": "column holding the gold answer",
    "max_samples": "use at most this many rows",
    "prompt_template": "r1_zero, chat (the tokenizer's chat template) or a string with {problem}",
    "system_prompt": "system message for --prompt-template chat",
    "service_url": "Arbiter service URL",
    "api_key": "Arbiter API key",
    "reward_deadline_s": "seconds one reward request may take, retries included",
    "output_dir": "metrics.jsonl, reward_curves.png and the model go here",
    "num_generations": "completions per prompt (the GRPO group)",
    "per_device_train_batch_size": "completions per process per step",
    "gradient_accumulation_steps": "steps accumulated per optimizer update",
    "max_prompt_length": "prompts longer than this (tokens) are dropped",
    "max_completion_length": "tokens generated per completion",
    "loss_type": "TRL loss type (grpo, dapo, dr_grpo, ...)",
    "beta": "KL coefficient (0 = no reference model)",
    "learning_rate": "optimizer learning rate",
    "max_steps": "optimizer steps to train",
    "temperature": "sampling temperature of the generations",
    "seed": "random seed",
    "lora_r": "LoRA rank (0 = full fine-tuning; needs peft)",
    "lora_alpha": "LoRA alpha",
    "lora_dropout": "LoRA dropout",
    "device": "auto (GPU when present), cpu or cuda",
    "use_vllm": "generate with vLLM (pip install vllm; see the README's recipe)",
    "vllm_mode": "colocate (vLLM in each training process) or server (trl vllm-serve)",
    "save_model": "save the trained model to OUTPUT_DIR/final",
    "plot": "write reward_curves.png",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m trainer_client.grpo",
        description="GRPO with Arbiter rewards (TRL). Flags override --config, which overrides the defaults.",
    )
    parser.add_argument("--config", help="YAML file with any of the fields below")
    parser.add_argument(
        "--reward-param",
        action="append",
        default=[],
        metavar="REWARD.PARAM=VALUE",
        help="a reward parameter (JSON value), repeatable",
    )
    for f in dataclasses.fields(GRPORunConfig):
        flag = "--" + f.name.replace("_", "-")
        factory: Any = f.default_factory
        default = f.default if f.default is not dataclasses.MISSING else factory()
        doc = _HELP.get(f.name, "")
        shown = "unset" if default is None else default
        if f.name == "extra_trl_args":
            parser.add_argument(
                flag,
                type=json.loads,
                default=None,
                help="JSON object passed to TRL's GRPOConfig (default: {})",
            )
        elif f.name == "rewards":
            parser.add_argument(
                flag, default=None, help="NAME[:WEIGHT],... (default: accuracy:1,format_strict:0.5)"
            )
        elif f.type in ("bool",):
            parser.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=None, help=f"{doc} (default: {shown})"
            )
        else:
            kind = {"int": int, "float": float, "int | None": int}.get(str(f.type), str)
            help_text = f"{doc} (default: {shown})" if doc else f"(default: {shown})"
            parser.add_argument(flag, type=kind, default=None, help=help_text.replace("%", "%%"))
    return parser


def load_config(argv: Sequence[str] | None = None) -> GRPORunConfig:
    """Defaults, overlaid with the ``--config`` YAML file, overlaid with the flags given."""
    args = _parser().parse_args(argv)
    values: dict[str, Any] = {}
    if args.config:
        import yaml

        loaded = yaml.safe_load(Path(args.config).read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, Mapping):
            raise ConfigError("config", f"{args.config} does not hold a mapping")
        known = {f.name for f in dataclasses.fields(GRPORunConfig)}
        unknown = sorted(set(loaded) - known)
        if unknown:
            raise ConfigError("config", f"unknown fields {unknown}; known: {sorted(known)}")
        values.update(loaded)
    for f in dataclasses.fields(GRPORunConfig):
        given = getattr(args, f.name)
        if given is not None:
            values[f.name] = given
    if "rewards" in values:
        values["rewards"] = parse_rewards(values["rewards"])
    config = GRPORunConfig(**values)
    if args.reward_param:
        config = dataclasses.replace(config, rewards=_with_params(config.rewards, args.reward_param))
    return config
