"""The pool's backlog: first in, first out, with a preferred gold taken first."""

from __future__ import annotations

import pytest

from verifiers.math._backlog import Backlog, PendingItem
from verifiers.math.verdict import MathConfig


def _item(key: str, index: int, owner: object = "live") -> PendingItem:
    return PendingItem(owner, index, key, f"c{index}", MathConfig(), key)


def _alive(item: PendingItem) -> bool:
    return item.owner == "live"


def _filled() -> Backlog:
    backlog = Backlog()
    for index, key in enumerate(["a", "a", "b", "b", "c"]):
        backlog.push(_item(key, index))
    return backlog


@pytest.mark.parametrize(
    ("limit", "preferred", "taken", "hit"),
    [
        (2, [], [0, 1], False),  # oldest gold first
        (3, [], [0, 1, 2], False),  # fills the chunk from the next gold
        (2, ["b"], [2, 3], True),  # the worker's cached gold first
        (3, ["z", "c"], [4, 0, 1], True),  # first preferred gold that is waiting, then the oldest
        (10, [], [0, 1, 2, 3, 4], False),
    ],
)
def test_take(limit: int, preferred: list[str], taken: list[int], hit: bool) -> None:
    backlog = _filled()
    items, was_hit = backlog.take(limit, preferred, _alive)
    assert [i.index for i in items] == taken
    assert was_hit is hit
    assert len(backlog) == 5 - len(taken)


def test_push_front_keeps_order_and_goes_first() -> None:
    backlog = _filled()
    first, _ = backlog.take(2, [], _alive)
    backlog.push_front(first)
    items, _ = backlog.take(5, [], _alive)
    assert [i.index for i in items] == [0, 1, 2, 3, 4]


def test_dead_items_are_dropped() -> None:
    backlog = Backlog()
    backlog.push(_item("a", 0, owner="gone"))
    backlog.push(_item("a", 1))
    items, _ = backlog.take(5, [], _alive)
    assert [i.index for i in items] == [1]
    assert len(backlog) == 0


def test_drain_empties() -> None:
    backlog = _filled()
    assert len(backlog.drain()) == 5
    assert len(backlog) == 0
    assert backlog.take(3, [], _alive) == ([], False)
