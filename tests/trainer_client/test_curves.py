from pathlib import Path

from trainer_client.curves import StepMetrics, plot_curves, read_metrics

_LOG = {
    "loss": 0.1,
    "reward": 0.75,
    "rewards/accuracy/mean": 0.5,
    "rewards/accuracy/std": 0.5,
    "rewards/format_strict/mean": 0.5,
    "rewards/raw_accuracy/mean": 0.25,
    "completions/mean_length": 12.5,
}


def test_from_log_picks_reward_means_accuracy_format_and_length() -> None:
    step = StepMetrics.from_log(3, _LOG)
    assert step is not None
    assert step.rewards == {"accuracy": 0.5, "format_strict": 0.5, "raw_accuracy": 0.25}
    assert step.accuracy == 0.25  # the raw accuracy wins over the shaped reward
    assert step.format_rate == 0.5
    assert step.completion_length == 12.5
    assert step.reward == 0.75
    assert "accuracy 0.250" in step.line()


def test_from_log_without_rewards_is_skipped() -> None:
    assert StepMetrics.from_log(5, {"train_runtime": 3.0, "train_loss": 0.2}) is None


def test_accuracy_falls_back_to_the_accuracy_reward_and_format_may_be_missing() -> None:
    step = StepMetrics.from_log(1, {"rewards/accuracy/mean": 1.0, "reward": 1.0})
    assert step is not None
    assert step.accuracy == 1.0
    assert step.format_rate is None
    assert "format n/a" in step.line()


def test_round_trip_and_plot(tmp_path: Path) -> None:
    steps = [StepMetrics.from_log(i, {**_LOG, "reward": 0.1 * i}) for i in range(1, 6)]
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(__import__("json").dumps(s.to_json()) + "\n" for s in steps if s))
    loaded = read_metrics(path)
    assert loaded == [s for s in steps if s]
    png = plot_curves(loaded, tmp_path / "plots" / "curves.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
