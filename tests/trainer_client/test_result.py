from typing import Any

import pytest

from trainer_client.errors import MalformedResponseError
from trainer_client.result import BatchResult, ItemResult


def test_item_result_from_contract_json() -> None:
    result = ItemResult.from_json(
        {
            "id": "s0",
            "total": 1.5,
            "rewards": {"accuracy": 1, "format_strict": None},
            "accuracy": 1.0,
            "details": {"accuracy": {"extracted": "1/2", "reason": "equal"}},
            "errors": {"format_strict": "timeout"},
            "error": None,
        }
    )
    assert result.rewards == {"accuracy": 1.0, "format_strict": None}
    assert result.errors == {"format_strict": "timeout"}
    assert result.details["accuracy"]["reason"] == "equal"
    assert result.total == 1.5
    assert result.error is None


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"rewards": []},
        {"rewards": {"a": "1"}},
        {"rewards": {"a": True}},
        {"rewards": {}, "total": "x"},
    ],
)
def test_item_result_rejects_bad_shapes(data: Any) -> None:
    with pytest.raises(MalformedResponseError):
        ItemResult.from_json(data)


def test_parse_results_checks_the_count() -> None:
    with pytest.raises(MalformedResponseError):
        BatchResult.parse_results({"results": [{"rewards": {}}]}, expected=2)
    assert len(BatchResult.parse_results({"results": [{"rewards": {}}]}, expected=1)) == 1
