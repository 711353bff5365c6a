"""``code_accuracy`` as a reward: parameter checks before any sample, and what it hands the backend.

The sandbox adapter behind it is tested in ``tests/app/test_code_backend.py``; here a recording
``CodeBackend`` stands in, because the reward depends only on that protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from verifiers import (
    CodeLanguage,
    CodeRewardError,
    InvalidParameterError,
    RewardContext,
    RewardKind,
    RewardOutput,
    Sample,
    default_registry,
)

SAMPLES = [Sample(id="0", completion="```python\nprint(1)\n```", tests=["assert True"])]


class RecordingBackend:
    """A ``CodeBackend`` that records what the reward passed it and answers a fixed value."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[Sample], dict[str, Any]]] = []

    def score_many(self, samples: Sequence[Sample], **params: Any) -> list[RewardOutput]:
        self.calls.append((list(samples), params))
        return [RewardOutput(0.25, accuracy=0.0) for _ in samples]


def test_is_in_the_catalogue_as_a_code_reward() -> None:
    assert default_registry().get("code_accuracy").kind is RewardKind.CODE


@pytest.mark.parametrize(
    ("params", "sent"),
    [
        ({}, {"partial": False, "language": "python", "stop_on_first_failure": True}),
        (
            {"partial": True, "language": "cpp"},
            {"partial": True, "language": "cpp", "stop_on_first_failure": True},
        ),
        ({"language": "bash"}, {"partial": False, "language": "bash", "stop_on_first_failure": True}),
    ],
)
def test_hands_the_batch_and_resolved_params_to_the_backend(
    params: dict[str, Any], sent: dict[str, Any]
) -> None:
    backend = RecordingBackend()
    (out,) = default_registry().compute("code_accuracy", SAMPLES, RewardContext(code=backend), params)
    assert out == RewardOutput(0.25, accuracy=0.0)
    assert backend.calls == [(SAMPLES, sent)]


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"language": "cobol"}, "must be one of: python, cpp, c, bash"),
        ({"language": ""}, "must be one of"),
        ({"partial": 1}, "must be true or false"),
        ({"partial": "yes"}, "must be true or false"),
        ({"stop_on_first_failure": None}, "must be true or false"),
    ],
)
def test_a_bad_parameter_is_the_callers_error_even_without_a_backend(
    params: dict[str, Any], needle: str
) -> None:
    for ctx in (RewardContext(), RewardContext(code=RecordingBackend())):
        with pytest.raises(InvalidParameterError, match=needle):
            default_registry().compute("code_accuracy", SAMPLES, ctx, params)


def test_without_a_backend_every_sample_is_none_with_a_reason() -> None:
    outs = default_registry().compute("code_accuracy", SAMPLES * 3, RewardContext())
    assert [(o.value, o.error) for o in outs] == [(None, CodeRewardError.BACKEND_UNAVAILABLE)] * 3


def test_languages_are_plain_strings_for_the_wire() -> None:
    assert [lang.value for lang in CodeLanguage] == ["python", "cpp", "c", "bash"]
