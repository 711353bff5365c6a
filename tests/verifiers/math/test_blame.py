"""Who is blamed when a math worker goes: the running item alone, or every held one as a suspect."""

from __future__ import annotations

from typing import Any

import pytest

from verifiers.math._backlog import PendingItem
from verifiers.math._batch import error_verdict
from verifiers.math._blame import MAX_ATTEMPTS, isolate_suspect, settle
from verifiers.math.verdict import MathConfig, Reason

TIMEOUT = error_verdict(Reason.TIMEOUT, "item_deadline")


def _items(*attempts: int) -> list[PendingItem]:
    return [PendingItem(None, n, str(n), str(n), MathConfig(), n, attempts=a) for n, a in enumerate(attempts)]


def _held(items: list[PendingItem]) -> list[tuple[int, PendingItem]]:
    return [(10 + n, item) for n, item in enumerate(items)]


def _always(_: Any) -> bool:
    return True


@pytest.mark.parametrize(
    ("attempts", "blame", "blame_seq", "suspect_all", "finished", "requeued", "after"),
    [
        # killed inside item 11: it alone gets the verdict, the rest go back untouched
        ((0, 0, 0), TIMEOUT, 11, False, {1: Reason.TIMEOUT}, [0, 2], [0, 0, 0]),
        # running item unknown: the first held one is blamed
        ((0, 0), TIMEOUT, None, False, {0: Reason.TIMEOUT}, [1], [0, 0]),
        # died between items: everyone is a suspect, nobody finished yet
        ((0, 0, 0), None, None, True, {}, [0, 1, 2], [1, 1, 1]),
        # a suspect's last allowed death fails it; the others go back
        ((MAX_ATTEMPTS - 1, 0), None, None, True, {0: Reason.WORKER_ERROR}, [1], [MAX_ATTEMPTS, 1]),
    ],
)
def test_settle(attempts, blame, blame_seq, suspect_all, finished, requeued, after):
    items = _items(*attempts)
    out = settle(_held(items), blame, blame_seq, suspect_all, _always)
    assert {item.index: verdict.reason for item, verdict in out.finished} == finished
    assert [item.index for item in out.requeue] == requeued
    assert [item.attempts for item in items] == after


def test_settle_drops_items_nobody_waits_for():
    items = _items(0, 0)
    out = settle(_held(items), None, None, False, lambda item: item.index == 1)
    assert out.finished == () and [item.index for item in out.requeue] == [1]


@pytest.mark.parametrize(
    ("attempts", "alone", "sent", "back"),
    [
        ((0, 0, 0), True, [0, 1, 2], []),
        ((0, 0, 0), False, [0, 1, 2], []),
        ((0, 1, 0, 1), True, [1], [0, 2, 3]),  # the first suspect alone, the rest back in order
        ((0, 1), False, [], [0, 1]),  # nothing goes behind another chunk while a suspect waits
    ],
)
def test_isolate_suspect(attempts, alone, sent, back):
    send, put_back = isolate_suspect(_items(*attempts), alone)
    assert [i.index for i in send] == sent and [i.index for i in put_back] == back
