"""Gathering concurrent one-item reward calls into batched requests.

Why: verl 0.9's reward loop calls the reward function once per sample, all samples of a batch at
once as concurrent tasks on one event loop. One HTTP request per sample would cost a round trip
and a scheduling slot each; the coalescer collects items until none has arrived for ``window_s``
(verl's calls trickle in while its executor decodes each response), at most ``max_wait_s`` after
the first or until ``max_items``, sends them as one ``score`` call, then hands each caller its
own result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from trainer_client.batch import Item, RewardSpec
from trainer_client.client import AsyncRewardClient, ClientConfig
from trainer_client.result import ItemResult

__all__ = ["Coalescer", "coalescer_for"]


@dataclass
class _Pending:
    items: list[Item]
    futures: list[asyncio.Future[ItemResult]]
    flush_by: float  # loop time: the first item's arrival + max_wait_s
    last_at: float  # loop time of the latest arrival


class Coalescer:
    """Batches ``score_one`` calls made on one event loop for one service and reward list."""

    def __init__(
        self,
        config: ClientConfig,
        rewards: Sequence[RewardSpec],
        window_s: float,
        max_items: int,
        max_wait_s: float | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if window_s < 0 or max_items < 1:
            raise ValueError("window_s must be >= 0 and max_items >= 1")
        self.config = config
        self.rewards = tuple(rewards)
        self.window_s = window_s
        self.max_wait_s = max(max_wait_s if max_wait_s is not None else 10 * window_s, window_s)
        self.max_items = max_items
        self.requests_sent = 0  # batches sent (each may be split into several HTTP requests)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Future[None]] = set()
        self._transport = transport
        self._client: AsyncRewardClient | None = None
        self._pending: _Pending | None = None
        self._timer: asyncio.TimerHandle | None = None

    async def score_one(self, item: Item) -> ItemResult:
        """This item's result; raises the batch's ``ClientError`` if its request failed."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        pending = self._pending
        if pending is None:
            pending = self._pending = _Pending([], [], now + self.max_wait_s, now)
            self._timer = loop.call_at(min(now + self.window_s, pending.flush_by), self._on_timer)
        future: asyncio.Future[ItemResult] = loop.create_future()
        pending.items.append(item)
        pending.futures.append(future)
        pending.last_at = now
        if len(pending.items) >= self.max_items:
            self._flush()
        return await future

    def _on_timer(self) -> None:
        # One timer per batch, pushed back while items keep arriving (cheaper than one per item).
        pending = self._pending
        if pending is None:
            return
        loop = asyncio.get_running_loop()
        due = min(pending.last_at + self.window_s, pending.flush_by)
        if due > loop.time():
            self._timer = loop.call_at(due, self._on_timer)
        else:
            self._timer = None
            self._flush()

    def _flush(self) -> None:
        pending, self._pending = self._pending, None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if pending is not None and pending.items:
            self.requests_sent += 1
            task = asyncio.ensure_future(self._send(pending))
            self._tasks.add(task)  # a task nobody references may be collected mid-flight
            task.add_done_callback(self._tasks.discard)

    async def _send(self, pending: _Pending) -> None:
        if self._client is None:
            self._client = AsyncRewardClient(self.config, transport=self._transport)
        try:
            batch = await self._client.score(pending.items, self.rewards)
        except Exception as exc:
            for future in pending.futures:
                if not future.done():
                    future.set_exception(exc)
            return
        for future, result in zip(pending.futures, batch.results, strict=True):
            if not future.done():
                future.set_result(result)


# One coalescer per (event loop, service, API key, rewards, limits): an httpx client and its
# futures belong to the loop they were made on.
_coalescers: dict[tuple[Any, ...], Coalescer] = {}


def coalescer_for(key: tuple[Any, ...], make: Callable[[], Coalescer]) -> Coalescer:
    """The running loop's coalescer for ``key`` (hashable settings), made by ``make`` on first use.

    The caller builds the key from its raw arguments, so a call that finds its coalescer costs a
    dict lookup (verl calls once per sample)."""
    loop = asyncio.get_running_loop()
    full_key = (id(loop), *key)
    coalescer = _coalescers.get(full_key)
    if coalescer is None or coalescer.loop is not loop:  # an id can be reused by a later loop
        if len(_coalescers) > 64:  # loops come and go (asyncio.run in scripts): forget old ones
            _coalescers.clear()
        coalescer = make()
        coalescer.loop = loop
        _coalescers[full_key] = coalescer
    return coalescer
