"""Per-step training curves: which trainer log keys matter, one summary line, and the PNG plot.

Why apart from the script: the summary and the plot read plain dicts (TRL's log history), so
they are testable without torch, and the plot works on any saved ``metrics.jsonl``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["StepMetrics", "plot_curves", "read_metrics"]

_REWARD_PREFIX = "rewards/"
_MEAN_SUFFIX = "/mean"


@dataclass(frozen=True, slots=True)
class StepMetrics:
    """What we track per logged step; ``accuracy``/``format_rate`` are ``None`` without such a reward.

    ``accuracy`` is the raw-accuracy column when present, else the ``accuracy`` reward;
    ``format_rate`` is the mean of ``format_strict`` (a 0/1 reward, so its mean is a rate).
    """

    step: int
    reward: float | None
    rewards: Mapping[str, float]
    accuracy: float | None
    format_rate: float | None
    completion_length: float | None

    @classmethod
    def from_log(cls, step: int, logs: Mapping[str, Any]) -> StepMetrics | None:
        """Parse one TRL log entry; ``None`` for entries without reward keys (e.g. the final summary)."""
        rewards = {
            key[len(_REWARD_PREFIX) : -len(_MEAN_SUFFIX)]: float(value)
            for key, value in logs.items()
            if key.startswith(_REWARD_PREFIX)
            and key.endswith(_MEAN_SUFFIX)
            and isinstance(value, int | float)
        }
        if not rewards and "reward" not in logs:
            return None
        accuracy = rewards.get("raw_accuracy", rewards.get("accuracy"))
        length = logs.get("completions/mean_length")
        return cls(
            step=step,
            reward=_num(logs.get("reward")),
            rewards=rewards,
            accuracy=accuracy,
            format_rate=rewards.get("format_strict"),
            completion_length=_num(length),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "reward": self.reward,
            "rewards": dict(self.rewards),
            "accuracy": self.accuracy,
            "format_rate": self.format_rate,
            "completion_length": self.completion_length,
        }

    def line(self) -> str:
        """One human-readable log line."""
        parts = [f"step {self.step}", f"reward {_fmt(self.reward)}"]
        parts += [f"accuracy {_fmt(self.accuracy)}", f"format {_fmt(self.format_rate)}"]
        parts += [f"len {_fmt(self.completion_length)}"]
        parts += [f"{name} {_fmt(value)}" for name, value in sorted(self.rewards.items())]
        return " | ".join(parts)


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def read_metrics(path: Path) -> list[StepMetrics]:
    """Load a ``metrics.jsonl`` written by the GRPO script."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        rows.append(
            StepMetrics(
                step=data["step"],
                reward=data["reward"],
                rewards=data["rewards"],
                accuracy=data["accuracy"],
                format_rate=data["format_rate"],
                completion_length=data["completion_length"],
            )
        )
    return rows


def plot_curves(metrics: Sequence[StepMetrics], path: Path, title: str = "GRPO rewards") -> Path:
    """A PNG with one line per reward mean (and the total), plus completion length below."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [m.step for m in metrics]
    names = sorted({name for m in metrics for name in m.rewards})
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    for name, values in _series(metrics, names):
        top.plot(steps, values, label=name)
    top.plot(
        steps, [m.reward if m.reward is not None else float("nan") for m in metrics], "k--", label="total"
    )
    top.set_ylabel("mean reward")
    top.set_title(title)
    top.legend(fontsize="small")
    bottom.plot(steps, [m.completion_length or float("nan") for m in metrics])
    bottom.set_ylabel("completion length (tokens)")
    bottom.set_xlabel("step")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _series(metrics: Sequence[StepMetrics], names: Iterable[str]) -> list[tuple[str, list[float]]]:
    return [(name, [m.rewards.get(name, float("nan")) for m in metrics]) for name in names]
