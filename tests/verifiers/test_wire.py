"""The one wire codec of ``Sample``/``RewardOutput``: every field survives JSON both ways."""

from __future__ import annotations

import dataclasses
import json

import pytest

from verifiers import (
    SAMPLE_FIELDS,
    RewardOutput,
    Sample,
    output_from_json,
    output_to_json,
    sample_from_json,
    sample_to_json,
)

SAMPLES = [
    Sample(id="0", completion="x"),
    Sample(id="s1", completion="\\boxed{½}", prompt="p", ground_truth=0.5, group_id="g", num_tokens=3),
    Sample(
        id="s2",
        completion="c",
        tests={"inputs": ["1"], "outputs": ["2"]},
        token_ids=(1, 2, 3),
        metadata={"k": [1], "lang": "中文"},
    ),
    Sample(id="s3", completion="", ground_truth="\\frac{1}{2}", tests=["assert f() == 1"], token_ids=()),
]


def test_the_field_list_is_every_field_of_sample() -> None:
    assert tuple(f.name for f in dataclasses.fields(Sample)) == SAMPLE_FIELDS


@pytest.mark.parametrize("sample", SAMPLES)
def test_sample_round_trips_through_json_text(sample: Sample) -> None:
    encoded = sample_to_json(sample)
    assert tuple(encoded) == SAMPLE_FIELDS
    assert sample_from_json(json.loads(json.dumps(encoded))) == sample


def test_only_id_and_completion_are_required() -> None:
    assert sample_from_json({"id": 5, "completion": "c"}) == Sample(id="5", completion="c")
    with pytest.raises(KeyError):
        sample_from_json({"id": "0"})


@pytest.mark.parametrize(
    "output",
    [
        RewardOutput(1.0, accuracy=1.0, details={"reason": "equal"}),
        RewardOutput(None, error="timeout"),
        RewardOutput(0.25, details={"tests": ["accepted", "wrong_answer"]}),
    ],
)
def test_output_round_trips_through_json_text(output: RewardOutput) -> None:
    assert output_from_json(json.loads(json.dumps(output_to_json(output)))) == output
