"""The math pool's backlog: items waiting for a worker, grouped by gold for cache affinity.

Why grouped: a GRPO group sends many completions with one gold. Handing a worker items of a gold
it has already seen lets its gold cache hit; handing the items out in small chunks cuts the
per-item pipe round trips. Within a gold, and across golds, the order is first in, first out.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from verifiers.math.config import MathConfig

__all__ = ["Backlog", "PendingItem"]


@dataclass(slots=True, eq=False)
class PendingItem:
    """One pair on its way to a worker; ``owner`` is the caller's batch, ``index`` its place there."""

    owner: Any
    index: int
    gold: Any
    completion: str
    config: MathConfig
    key: Hashable  # groups items that share a gold and config (the worker's gold cache hits)
    attempts: int = 0  # times a worker died or was killed while holding it


class Backlog:
    """Pending items by key, oldest key first. Not thread-safe: the pool's dispatcher owns it."""

    def __init__(self) -> None:
        self._by_key: OrderedDict[Hashable, deque[PendingItem]] = OrderedDict()
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def push(self, item: PendingItem) -> None:
        """Queue a new item behind everything already waiting."""
        queue = self._by_key.get(item.key)
        if queue is None:
            queue = self._by_key[item.key] = deque()
        queue.append(item)
        self._count += 1

    def push_front(self, items: Iterable[PendingItem]) -> None:
        """Put items back at the head (a worker died holding them): they were first in line."""
        for item in reversed(list(items)):
            queue = self._by_key.get(item.key)
            if queue is None:
                queue = self._by_key[item.key] = deque()
            queue.appendleft(item)
            self._by_key.move_to_end(item.key, last=False)
            self._count += 1

    def take(
        self, limit: int, preferred: Iterable[Hashable], alive: Callable[[PendingItem], bool]
    ) -> tuple[list[PendingItem], bool]:
        """Up to ``limit`` live items, starting with the first preferred key that has any.

        Returns the items and whether a preferred key was used (an affinity hit). Items whose
        owner is no longer waiting (``alive`` false) are dropped on the way.
        """
        start = next((k for k in preferred if k in self._by_key), None)
        taken: list[PendingItem] = []
        if start is not None:
            self._take_from(start, limit, alive, taken)
        while len(taken) < limit and self._by_key:
            self._take_from(next(iter(self._by_key)), limit, alive, taken)
        return taken, start is not None

    def _take_from(
        self, key: Hashable, limit: int, alive: Callable[[PendingItem], bool], taken: list[PendingItem]
    ) -> None:
        queue = self._by_key[key]
        while queue and len(taken) < limit:
            item = queue.popleft()
            self._count -= 1
            if alive(item):
                taken.append(item)
        if not queue:
            del self._by_key[key]

    def drain(self) -> list[PendingItem]:
        """Remove and return everything (the pool is closing or cannot run workers)."""
        items = [item for queue in self._by_key.values() for item in queue]
        self._by_key.clear()
        self._count = 0
        return items
