"""Who is blamed when a math worker goes away, and how suspects are re-sent.

Why apart from the dispatcher: this is the pool's fairness rule, and it is pure. A worker that
dies or is killed while verifying an item blames that item alone. One that dies *between*
items (say, unpickling a poisoned gold) cannot tell which held item killed it, so every held
item counts an attempt and becomes a suspect; a suspect is then sent alone to an idle worker, so
an innocent one is scored on its next try and only the culprit reaches ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from verifiers.math._backlog import PendingItem
from verifiers.math._batch import error_verdict
from verifiers.math.verdict import MathVerdict, Reason

__all__ = ["MAX_ATTEMPTS", "Settlement", "isolate_suspect", "settle"]

MAX_ATTEMPTS = 3  # an item held by this many workers that died between items gets WORKER_ERROR


@dataclass(frozen=True, slots=True)
class Settlement:
    """What becomes of the items a departing worker held."""

    finished: tuple[tuple[PendingItem, MathVerdict], ...]  # answered now, with this verdict
    requeue: tuple[PendingItem, ...]  # back to the head of the backlog, in their order


def settle(
    held: list[tuple[int, PendingItem]],
    blame: MathVerdict | None,
    blame_seq: int | None,
    suspect_all: bool,
    waiting: Callable[[PendingItem], bool],
) -> Settlement:
    """``blame`` goes to the item numbered ``blame_seq`` (or the first held one when that is
    unknown); with ``suspect_all`` each other item counts an attempt. Items nobody waits for are
    dropped."""
    held = list(held)
    finished: list[tuple[PendingItem, MathVerdict]] = []
    if blame is not None and held:
        index = next((i for i, (seq, _) in enumerate(held) if seq == blame_seq), 0)
        finished.append((held.pop(index)[1], blame))
    requeue: list[PendingItem] = []
    for _, item in held:
        item.attempts += int(suspect_all)
        if item.attempts >= MAX_ATTEMPTS:
            finished.append((item, error_verdict(Reason.WORKER_ERROR, "worker_died_repeatedly")))
        elif waiting(item):
            requeue.append(item)
    return Settlement(finished=tuple(finished), requeue=tuple(requeue))


def isolate_suspect(items: list[PendingItem], alone: bool) -> tuple[list[PendingItem], list[PendingItem]]:
    """(items to send, items to put back): the first suspect goes alone, and only to a worker
    holding nothing (``alone``); a chunk without suspects goes whole."""
    first = next((n for n, item in enumerate(items) if item.attempts), None)
    if first is None:
        return items, []
    if not alone:
        return [], items
    return [items[first]], items[:first] + items[first + 1 :]
