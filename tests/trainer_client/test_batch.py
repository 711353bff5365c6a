import json

import pytest

from trainer_client.batch import Item, RewardSpec, split_on_groups


def _items(groups: str) -> list[Item]:
    return [Item(completion="c", group_id=None if g == "." else g) for g in groups]


@pytest.mark.parametrize(
    ("groups", "max_items", "expected"),
    [
        ("", 4, []),
        ("aabb", 4, [(0, 4)]),
        ("aabbcc", 4, [(0, 4), (4, 6)]),
        ("aaabbb", 4, [(0, 3), (3, 6)]),  # never cut a group
        ("aaaaaab", 4, [(0, 6), (6, 7)]),  # an oversized group stays whole
        ("....", 3, [(0, 3), (3, 4)]),  # no group ids: plain chunks
        ("abab", 2, [(0, 2), (2, 4)]),  # only consecutive runs are groups
    ],
)
def test_split_on_groups(groups: str, max_items: int, expected: list[tuple[int, int]]) -> None:
    chunks = split_on_groups(_items(groups), max_items)
    assert [(c.start, c.stop) for c in chunks] == expected


def test_split_rejects_zero() -> None:
    with pytest.raises(ValueError):
        split_on_groups(_items("a"), 0)


def test_item_json_uses_default_id_and_lists() -> None:
    data = Item(completion="x", ground_truth=3, token_ids=(1, 2)).to_json(default_id="7")
    assert data["id"] == "7"
    assert data["token_ids"] == [1, 2]
    assert data["ground_truth"] == 3
    assert Item(completion="x", id="s0").to_json(default_id="7")["id"] == "s0"
    assert RewardSpec("format_strict", 0.5, {"think_prefilled": True}).to_json() == {
        "name": "format_strict",
        "weight": 0.5,
        "params": {"think_prefilled": True},
    }


def test_item_encoding_is_the_services_sample_codec_field_by_field() -> None:
    # Contract: the client (which must not import verifiers) encodes an item with the same field
    # list the service's codec decodes; every field, token_ids included, survives the trip.
    from verifiers import SAMPLE_FIELDS, Sample, sample_from_json, sample_to_json

    item = Item(
        completion="<answer>2</answer>",
        prompt="1+1?",
        ground_truth="2",
        tests=[{"input": "1", "output": "2"}],
        id="s9",
        group_id="g1",
        num_tokens=5,
        token_ids=(7, 8, 9),
        metadata={"source": "dev", "n": [1, 2]},
    )
    wire = json.loads(json.dumps(item.to_json(default_id="0")))
    assert set(wire) == set(SAMPLE_FIELDS)
    sample = sample_from_json(wire)
    for name in SAMPLE_FIELDS:
        got = getattr(sample, name)
        want = getattr(item, name)
        if name == "token_ids":
            assert got == want and isinstance(got, tuple), name
        else:
            assert got == want, name
    assert sample == Sample(
        id="s9",
        completion="<answer>2</answer>",
        prompt="1+1?",
        ground_truth="2",
        tests=[{"input": "1", "output": "2"}],
        group_id="g1",
        num_tokens=5,
        token_ids=(7, 8, 9),
        metadata={"source": "dev", "n": [1, 2]},
    )
    assert json.loads(json.dumps(sample_to_json(sample))) == wire
    assert sample_from_json(json.loads(json.dumps(Item(completion="x").to_json("3")))) == Sample(
        id="3", completion="x"
    )
