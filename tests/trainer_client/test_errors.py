"""The client's errors: one base class to catch, fields to act on, messages that say what to do."""

from __future__ import annotations

import pytest

from trainer_client.errors import (
    ClientError,
    DeadlineExceededError,
    IncompleteGroupError,
    MalformedResponseError,
    RequestRejectedError,
    ServiceUnavailableError,
)

ERRORS: list[tuple[ClientError, dict[str, object], list[str]]] = [
    (RequestRejectedError(422, "bad gold"), {"status_code": 422, "detail": "bad gold"}, ["422", "bad gold"]),
    (
        ServiceUnavailableError(3, "connection refused"),
        {"attempts": 3, "last_error": "connection refused"},
        ["3 attempt(s)", "connection refused"],
    ),
    (
        DeadlineExceededError(12.0, 2, "timeout"),
        {"deadline_s": 12.0, "attempts": 2, "last_error": "timeout"},
        ["12.0s", "2 attempt(s)", "timeout"],
    ),
    (MalformedResponseError("no results"), {"problem": "no results"}, ["no results"]),
    (
        IncompleteGroupError(["rloo"], 8, [4, 4]),
        {"rewards": ["rloo"], "num_generations": 8, "partial_sizes": [4, 4]},
        ["['rloo']", "groups of 8", "[4, 4]", "per_device_train_batch_size"],
    ),
]


@pytest.mark.parametrize(("error", "fields", "said"), ERRORS)
def test_error_fields_and_message(error: ClientError, fields: dict[str, object], said: list[str]) -> None:
    assert isinstance(error, ClientError)
    assert {name: getattr(error, name) for name in fields} == fields
    for part in said:
        assert part in str(error)
