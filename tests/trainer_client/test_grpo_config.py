from pathlib import Path

import pytest

from trainer_client.batch import RewardSpec
from trainer_client.grpo_config import (
    BUNDLED_DATASET,
    R1_ZERO_TEMPLATE,
    ConfigError,
    GRPORunConfig,
    check_batch_shape,
    dataset_source,
    load_config,
    parse_rewards,
)


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
        (["--per-device-train-batch-size", "0"], "per_device_train_batch_size"),
        (["--vllm-mode", "remote"], "vllm_mode"),
        (["--max-samples", "0"], "max_samples"),
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


@pytest.mark.parametrize(
    ("per_device", "generations", "processes", "accumulation", "extra", "batch"),
    [
        (8, 8, 1, 1, {}, 8),
        (4, 8, 2, 1, {}, 8),  # a group spans two ranks: valid under torchrun, as in TRL
        (2, 8, 2, 2, {}, 8),  # and two accumulation steps
        (3, 4, 1, 4, {}, 12),
        (4, 8, 1, 1, {"steps_per_generation": 2}, 8),
        (1, 8, 1, 1, {"generation_batch_size": 16}, 16),
        (4, 8, 1, 1, {}, None),  # half a group per generation batch
        (3, 4, 3, 1, {}, None),
    ],
)
def test_batch_shape_counts_every_process(per_device, generations, processes, accumulation, extra, batch):
    config = GRPORunConfig(
        per_device_train_batch_size=per_device,
        num_generations=generations,
        gradient_accumulation_steps=accumulation,
        extra_trl_args=extra,
    )
    if batch is None:
        with pytest.raises(ConfigError, match=f"{processes} process"):
            check_batch_shape(config, processes)
    else:
        assert check_batch_shape(config, processes) == batch


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("d.jsonl", "json"),
        ("d.json", "json"),
        ("d.parquet", "parquet"),
        ("d.arrow", "arrow"),
        ("d.csv", "csv"),
        ("saved/dataset_info.json", "saved"),
        ("saved_dict/dataset_dict.json", "saved"),
        ("files/part-0.parquet", "folder"),
    ],
)
def test_dataset_source_by_what_is_on_disk(tmp_path: Path, name: str, kind: str) -> None:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")
    target = path if kind in ("json", "parquet", "arrow", "csv") else path.parent
    assert dataset_source(GRPORunConfig(dataset=str(target))).kind == kind


def test_dataset_source_hub_and_missing(tmp_path: Path) -> None:
    assert dataset_source(GRPORunConfig(dataset="openai/gsm8k")).kind == "hub"
    for missing in (str(tmp_path / "nope.jsonl"), "./data/train.parquet", "nope.parquet"):
        with pytest.raises(ConfigError, match="no such file"):
            dataset_source(GRPORunConfig(dataset=missing))
    odd = tmp_path / "rows.txt"
    odd.write_text("x")
    with pytest.raises(ConfigError, match="unknown file type"):
        dataset_source(GRPORunConfig(dataset=str(odd)))


def test_help_shows_every_default() -> None:
    from trainer_client.grpo_config import _parser

    text = " ".join(_parser().format_help().split())
    for shown in (
        "(default: 8)",
        "(default: Qwen/Qwen2.5-0.5B-Instruct)",
        "(default: r1_zero)",
        "(default: colocate)",
        "(default: accuracy:1,format_strict:0.5)",
        "(default: unset)",
        "(default: True)",
    ):
        assert shown in text, shown
    import dataclasses

    assert text.count("(default:") == len(dataclasses.fields(GRPORunConfig))  # every field shows one


def test_r1_zero_template_states_the_format_format_strict_checks() -> None:
    from verifiers.format import FormatMode, check_format

    assert "{problem}" in R1_ZERO_TEMPLATE
    assert "nothing before, between or after" in R1_ZERO_TEMPLATE
    example = R1_ZERO_TEMPLATE[
        R1_ZERO_TEMPLATE.index("<think> reasoning") : R1_ZERO_TEMPLATE.index("</answer>.") + 9
    ]
    assert all(check_format(example, FormatMode.ANSWER_TAGS, think_prefilled=False).values()), example
