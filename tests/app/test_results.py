"""An item's result as JSON (the same for ``/v1/rewards``, jobs and ``arbiter score``), and the
guarded reward call both the API and the worker run."""

from __future__ import annotations

import json

from app.queue.payload import Spec
from app.results import ItemResult, ScoreError, compute_guarded, result_to_json
from tests.app.conftest import CallLog, make_test_registry
from verifiers import RewardContext, Sample


def test_result_to_json_is_plain_json_with_every_field() -> None:
    r = ItemResult(
        id="a",
        total=None,
        rewards={"accuracy": None, "format_strict": 1.0},
        accuracy=None,
        details={"accuracy": {"reason": "timeout"}, "format_strict": {}},
        errors={"accuracy": ScoreError.TIMEOUT},
    )
    body = result_to_json(r)
    assert json.loads(json.dumps(body)) == {
        "id": "a",
        "total": None,
        "rewards": {"accuracy": None, "format_strict": 1.0},
        "accuracy": None,
        "details": {"accuracy": {"reason": "timeout"}, "format_strict": {}},
        "errors": {"accuracy": "timeout"},
        "error": None,
    }
    assert type(body["rewards"]) is dict and type(body["details"]["accuracy"]) is dict


def test_compute_guarded_scores_through_the_registry() -> None:
    registry = make_test_registry(CallLog())
    samples = [
        Sample(id="0", completion="\\boxed{4}", ground_truth="4"),
        Sample(id="1", completion="x", ground_truth="4"),
    ]
    outs = compute_guarded(registry, Spec("accuracy", 1.0, {}), samples, RewardContext())
    assert [o.value for o in outs] == [1.0, 0.0]


def test_a_reward_that_raises_gives_every_sample_reward_error() -> None:
    registry = make_test_registry(CallLog())
    samples = [Sample(id=str(i), completion="c", ground_truth="1") for i in range(3)]
    outs = compute_guarded(registry, Spec("broken", 1.0, {}), samples, RewardContext())
    assert [(o.value, o.error) for o in outs] == [(None, ScoreError.REWARD_ERROR)] * 3
    assert outs[0].details["exception"]
