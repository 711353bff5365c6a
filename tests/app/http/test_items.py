"""Request items to ``Sample`` s: every field kept (through the wire codec), ids defaulted to the
position, and an item over the completion limit refused on its own."""

from __future__ import annotations

from app.http.items import ITEM_TOO_LARGE, samples
from app.http.schemas import ItemIn
from app.settings import Settings
from verifiers import Sample


def test_every_field_reaches_the_sample() -> None:
    item = ItemIn.model_validate(
        {
            "id": "q1",
            "prompt": "p",
            "completion": "c",
            "ground_truth": "4",
            "tests": [{"input": "1", "output": "2"}],
            "group_id": "g",
            "num_tokens": 7,
            "token_ids": [1, 2, 3],
            "metadata": {"k": "v"},
        }
    )
    (sample,), rejected = samples(Settings(), [item])
    assert rejected == {}
    assert sample == Sample(
        id="q1",
        completion="c",
        prompt="p",
        ground_truth="4",
        tests=[{"input": "1", "output": "2"}],
        group_id="g",
        num_tokens=7,
        token_ids=(1, 2, 3),
        metadata={"k": "v"},
    )


def test_ids_default_to_positions_and_a_too_long_completion_is_refused_alone() -> None:
    settings = Settings(max_completion_chars=5)
    items = [ItemIn(completion="ok"), ItemIn(completion="x" * 6), ItemIn(id="mine", completion="fine")]
    valid, rejected = samples(settings, items)
    assert [s.id for s in valid] == ["0", "mine"]
    assert rejected == {1: ITEM_TOO_LARGE}
