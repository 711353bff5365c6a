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
    "GRPORunConfig",
    "load_config",
    "parse_rewards",
]

BUNDLED_DATASET = str(Path(__file__).resolve().parent / "data" / "math_small.jsonl")

# The DeepSeek-R1-Zero prompt (DeepSeek-AI, 2025, Table 1), for base models without a chat template.
R1_ZERO_TEMPLATE = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
    "The assistant first thinks about the reasoning process in the mind and then provides the user with "
    "the answer. The reasoning process and answer are enclosed within <think> </think> and <answer> "
    "</answer> tags, respectively, i.e., <think> reasoning process here </think> <answer> answer here "
    "</answer>. User: {problem}. Assistant:"
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
    save_model: bool = True
    plot: bool = True
    extra_trl_args: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.rewards:
            raise ConfigError("rewards", "at least one reward is needed")
        if self.num_generations < 2:
            raise ConfigError("num_generations", "GRPO needs at least 2 generations per prompt")
        batch = self.per_device_train_batch_size * self.gradient_accumulation_steps
        if batch % self.num_generations:
            raise ConfigError(
                "per_device_train_batch_size",
                f"batch of {batch} completions is not a multiple of num_generations={self.num_generations}",
            )
        if self.prompt_template not in ("r1_zero", "chat") and "{problem}" not in self.prompt_template:
            raise ConfigError("prompt_template", "use 'r1_zero', 'chat' or a string containing {problem}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ConfigError("device", "use 'auto', 'cpu' or 'cuda'")
        for name in ("max_steps", "max_completion_length", "max_prompt_length"):
            if getattr(self, name) < 1:
                raise ConfigError(name, "must be at least 1")


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m trainer_client.grpo", description="GRPO with Arbiter rewards"
    )
    parser.add_argument("--config", help="YAML file with any of the fields below")
    parser.add_argument("--reward-param", action="append", default=[], metavar="REWARD.PARAM=VALUE")
    for f in dataclasses.fields(GRPORunConfig):
        flag = "--" + f.name.replace("_", "-")
        if f.name == "extra_trl_args":
            parser.add_argument(flag, type=json.loads, default=None, help="JSON object passed to GRPOConfig")
        elif f.name == "rewards":
            parser.add_argument(
                flag, default=None, help="NAME[:WEIGHT],... (default accuracy:1,format_strict:0.5)"
            )
        elif f.type in ("bool",):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None)
        else:
            kind = {"int": int, "float": float, "int | None": int}.get(str(f.type), str)
            parser.add_argument(flag, type=kind, default=None)
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
