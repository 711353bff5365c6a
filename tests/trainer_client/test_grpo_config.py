from pathlib import Path

import pytest

from trainer_client.batch import RewardSpec
from trainer_client.grpo_config import BUNDLED_DATASET, ConfigError, GRPORunConfig, load_config, parse_rewards


def test_defaults_use_the_bundled_dataset_and_r1_rewards() -> None:
    config = load_config([])
    assert config.dataset == BUNDLED_DATASET
    assert Path(BUNDLED_DATASET).exists()
    assert [r.name for r in config.rewards] == ["accuracy", "format_strict"]
    assert config.prompt_template == "r1_zero"


def test_flags_override_yaml_which_overrides_defaults(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(
        "model: /models/tiny\n"
        "learning_rate: 0.001\n"
        "max_steps: 7\n"
        "rewards:\n  - {name: accuracy, weight: 1.0}\n  - {name: tag_count, weight: 0.25, params: {extra_penalty: 0}}\n"
        "extra_trl_args: {top_k: 5}\n"
    )
    config = load_config(
        ["--config", str(path), "--max-steps", "3", "--no-plot", "--service-url", "http://svc:9"]
    )
    assert config.model == "/models/tiny"
    assert config.learning_rate == 0.001
    assert config.max_steps == 3
    assert config.plot is False
    assert config.service_url == "http://svc:9"
    assert config.rewards == (
        RewardSpec("accuracy", 1.0),
        RewardSpec("tag_count", 0.25, {"extra_penalty": 0}),
    )
    assert config.extra_trl_args == {"top_k": 5}


def test_reward_flags_and_params() -> None:
    config = load_config(
        ["--rewards", "accuracy:1,format_strict:0.5", "--reward-param", "format_strict.think_prefilled=true"]
    )
    assert config.rewards[1] == RewardSpec("format_strict", 0.5, {"think_prefilled": True})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("accuracy", (RewardSpec("accuracy"),)),
        ("a:2, b:0.5", (RewardSpec("a", 2.0), RewardSpec("b", 0.5))),
        (["a:1", {"name": "b", "params": {"x": 1}}], (RewardSpec("a"), RewardSpec("b", 1.0, {"x": 1}))),
    ],
)
def test_parse_rewards(value: object, expected: tuple[RewardSpec, ...]) -> None:
    assert parse_rewards(value) == expected


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["--num-generations", "1"], "num_generations"),
        (["--num-generations", "3", "--per-device-train-batch-size", "8"], "per_device_train_batch_size"),
        (["--prompt-template", "no placeholder"], "prompt_template"),
        (["--device", "tpu"], "device"),
        (["--max-steps", "0"], "max_steps"),
        (["--rewards", "a:heavy"], "rewards"),
        (["--reward-param", "nope.x=1"], "reward_param"),
    ],
)
def test_bad_configs_are_named_errors(argv: list[str], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(argv)
    assert info.value.field == field


def test_unknown_yaml_fields_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("learning_rat: 0.1\n")
    with pytest.raises(ConfigError, match="learning_rat"):
        load_config(["--config", str(path)])


def test_empty_rewards_are_refused() -> None:
    with pytest.raises(ConfigError):
        GRPORunConfig(rewards=())
