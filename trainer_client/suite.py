"""TRL reward functions backed by the service: one HTTP request per generation batch.

TRL calls every reward function separately with the same batch. A ``RewardSuite`` owns several
reward columns and shares one in-flight request between them (keyed by a fingerprint of the
batch), so adding a reward column never multiplies the load on the service.

How TRL tells an async reward function from a sync one differs by version: TRL < 1.14 asks
``inspect.iscoroutinefunction(func)``, which is false for an object with ``async def __call__``
(TRL then calls it without awaiting and crashes on the coroutine). So the columns are plain
``async def`` functions, which every version from 1.13 on detects and awaits concurrently on its
own event loop; ``sync_reward_funcs`` gives blocking columns for callers that never await.

Training must never die because the service hiccupped: a column never raises on a service
failure. When the service cannot answer, it logs a warning and returns ``None`` for every
completion. A sample the service cannot score (``total`` null) is ``None`` in *every* column:
TRL sums the columns that are not ``None``, so a lone ``None`` would hand the sample its other
rewards as if it had scored 0 there; a row that is ``None`` everywhere TRL leaves out of the group
statistics (advantage 0). ``skip_unscorable=False`` keeps the per-column values instead.

Group-relative rewards (``kimi_length``) need the whole GRPO group in one request. With several
processes TRL splits a group across ranks, so when ``num_generations`` is given the suite refuses
(``IncompleteGroupError``, raised into the trainer on purpose) a batch whose groups are not whole;
a silently half-group reward would train on the wrong signal.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Collection, Coroutine, Mapping, Sequence
from typing import Any, TypeVar

import httpx

from trainer_client.batch import Item, RewardSpec
from trainer_client.chat import completion_text, prompt_text
from trainer_client.client import AsyncRewardClient, ClientConfig
from trainer_client.errors import IncompleteGroupError
from trainer_client.result import BatchResult, ItemResult

__all__ = ["GROUP_RELATIVE_REWARDS", "RAW_ACCURACY", "RewardColumn", "RewardSuite", "SyncRewardColumn"]

_log = logging.getLogger("trainer_client")

RAW_ACCURACY = "raw_accuracy"  # the name of the optional column that reports the raw accuracy
_GROUND_TRUTH_COLUMNS = ("ground_truth", "answer", "solution")
_MAX_RECENT = 8
_UNUSABLE = "unusable_completion"  # a completion that is neither text nor chat messages
# Rewards normalised within a group_id (the service's catalogue: kimi_length's λ uses the group's
# min/max length); a suite that knows num_generations refuses them on a partial group.
GROUP_RELATIVE_REWARDS = frozenset({"kimi_length"})
_T = TypeVar("_T")

# A column as TRL sees it: ``await column(prompts=..., completions=..., **dataset_columns)``.
RewardColumn = Callable[..., Awaitable[list[float | None]]]
SyncRewardColumn = Callable[..., list[float | None]]


def _async_column(suite: RewardSuite, name: str, pick: Callable[[ItemResult], float | None]) -> RewardColumn:
    async def column(
        prompts: Sequence[Any] | None = None, completions: Sequence[Any] | None = None, **kwargs: Any
    ) -> list[float | None]:
        return await suite.column_values(name, pick, prompts, completions, kwargs)

    column.__name__ = column.__qualname__ = name  # what TRL logs it under
    return column


def _sync_column(
    suite: RewardSuite, name: str, pick: Callable[[ItemResult], float | None]
) -> SyncRewardColumn:
    def column(
        prompts: Sequence[Any] | None = None, completions: Sequence[Any] | None = None, **kwargs: Any
    ) -> list[float | None]:
        return suite.run_blocking(suite.column_values(name, pick, prompts, completions, kwargs))

    column.__name__ = column.__qualname__ = name
    return column


class RewardSuite:
    """Several reward columns that share one request per batch.

    ``ground_truth_column``: the dataset column holding the reference answer (default: the
    first of ``ground_truth``, ``answer``, ``solution`` present). ``tests_column``: the column
    with code tests. ``share_window_s``: how long a successful answer is reused for a column
    that asks about the same batch after the request finished. ``skip_unscorable``: a sample
    whose total is null is ``None`` in every column (``False``: each column keeps its own value).
    ``num_generations``: the GRPO group size; with it, a batch holding a partial group is refused
    when a group-relative reward is asked for.
    """

    def __init__(
        self,
        rewards: Sequence[RewardSpec | str],
        *,
        config: ClientConfig | None = None,
        ground_truth_column: str | None = None,
        tests_column: str | None = "tests",
        include_raw_accuracy: bool = False,
        share_window_s: float = 30.0,
        skip_unscorable: bool = True,
        num_generations: int | None = None,
        group_relative_rewards: Collection[str] = GROUP_RELATIVE_REWARDS,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.rewards = tuple(RewardSpec(r) if isinstance(r, str) else r for r in rewards)
        if not self.rewards:
            raise ValueError("a suite needs at least one reward")
        names = [r.name for r in self.rewards]
        if len(set(names)) != len(names) or (include_raw_accuracy and RAW_ACCURACY in names):
            raise ValueError(f"reward names must be unique: {names}")
        self.config = config or ClientConfig()
        self.ground_truth_column = ground_truth_column
        self.tests_column = tests_column
        self.share_window_s = share_window_s
        self.skip_unscorable = skip_unscorable
        if num_generations is not None and num_generations < 1:
            raise ValueError("num_generations must be at least 1")
        self.num_generations = num_generations
        self._group_rewards = sorted(set(names) & set(group_relative_rewards))
        if self._group_rewards and num_generations is None:
            _log.warning(
                "reward(s) %s are group-relative: pass num_generations= so that a batch holding only "
                "part of a GRPO group (several processes) is refused instead of scored",
                self._group_rewards,
            )
        self.requests_sent = 0  # distinct batches sent (a batch split into several HTTP requests counts once)
        self._include_raw_accuracy = include_raw_accuracy
        self._transport = transport
        self._client: AsyncRewardClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._inflight: dict[tuple[int, str], asyncio.Task[BatchResult | None]] = {}
        self._recent: OrderedDict[str, tuple[float, BatchResult]] = OrderedDict()
        self._blocking_loop: asyncio.AbstractEventLoop | None = None
        self._blocking_lock = threading.Lock()

    def _pickers(self) -> list[tuple[str, Callable[[ItemResult], float | None]]]:
        pickers = [(r.name, _reward_picker(r.name)) for r in self.rewards]
        if self._include_raw_accuracy:
            pickers.append((RAW_ACCURACY, lambda r: r.accuracy))
        return pickers

    @property
    def reward_funcs(self) -> list[RewardColumn]:
        """The columns to pass as ``GRPOTrainer(reward_funcs=...)``, in ``rewards`` order.

        Plain ``async def`` functions: ``inspect.iscoroutinefunction`` is true for them, which is
        how every supported TRL (>= 1.13) decides to await a reward function.
        """
        return [_async_column(self, name, pick) for name, pick in self._pickers()]

    @property
    def sync_reward_funcs(self) -> list[SyncRewardColumn]:
        """Blocking columns (same names, same shared request) for callers that never await.

        The request runs on a private event-loop thread, so a call is safe from any thread,
        including one that runs its own event loop.
        """
        return [_sync_column(self, name, pick) for name, pick in self._pickers()]

    @property
    def reward_weights(self) -> list[float]:
        """Weights for ``GRPOConfig(reward_weights=...)``; the raw-accuracy column weighs 0."""
        return [r.weight for r in self.rewards] + ([0.0] if self._include_raw_accuracy else [])

    async def column_values(
        self,
        name: str,
        pick: Callable[[ItemResult], float | None],
        prompts: Sequence[Any] | None,
        completions: Sequence[Any] | None,
        kwargs: Mapping[str, Any],
    ) -> list[float | None]:
        """One column for this batch: ``None`` where the sample (or the whole request) failed."""
        n = len(completions or ())
        try:
            batch = await self.score(prompts, completions, **kwargs)
            if batch is None:
                return [None] * n
            return [None if self.skip_unscorable and r.total is None else pick(r) for r in batch.results]
        except IncompleteGroupError:
            raise  # a configuration error: training on half-group rewards must not go on silently
        except Exception as exc:  # never raise into the trainer: an exception stops training
            _log.warning("reward %s: failed (%s: %s); returning None", name, type(exc).__name__, exc)
            return [None] * n

    async def score(
        self, prompts: Sequence[Any] | None, completions: Sequence[Any] | None, **kwargs: Any
    ) -> BatchResult | None:
        """The service's answer for this batch, shared with concurrent callers; ``None`` on failure."""
        items = self._items(prompts, completions or (), kwargs)
        self._check_groups(items)
        key = _fingerprint(items)
        recent = self._recent.get(key)
        if recent is not None and time.monotonic() - recent[0] <= self.share_window_s:
            return recent[1]
        slot = (id(asyncio.get_running_loop()), key)  # a task is awaited only on its own loop
        task = self._inflight.get(slot)
        if task is None:
            task = asyncio.ensure_future(self._request(slot, items))
            self._inflight[slot] = task
        return await asyncio.shield(task)

    def run_blocking(self, coro: Coroutine[Any, Any, _T]) -> _T:
        """Run ``coro`` on the suite's private loop thread and wait for it (the sync columns)."""
        with self._blocking_lock:
            if self._blocking_loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="arbiter-rewards", daemon=True).start()
                self._blocking_loop = loop
        return asyncio.run_coroutine_threadsafe(coro, self._blocking_loop).result()

    async def aclose(self) -> None:
        if self._client is not None and self._client_loop is asyncio.get_running_loop():
            await self._client.aclose()
        self._client = None

    def _check_groups(self, items: Sequence[Item]) -> None:
        if self.num_generations is None or not self._group_rewards:
            return
        sizes = Counter(item.group_id for item in items)
        partial = {g: c for g, c in sizes.items() if c % self.num_generations}
        if partial:
            raise IncompleteGroupError(self._group_rewards, self.num_generations, sorted(partial.values()))

    async def _request(self, slot: tuple[int, str], items: list[Item]) -> BatchResult | None:
        key = slot[1]
        try:
            self.requests_sent += 1
            batch = await self._http().score(items, self.rewards)
        except Exception as exc:
            _log.warning(
                "reward service: batch of %d failed (%s: %s); rewards are None",
                len(items),
                type(exc).__name__,
                exc,
            )
            return None
        finally:
            self._inflight.pop(slot, None)
        if any(item.metadata.get(_UNUSABLE) for item in items):
            batch = _drop_unusable(batch, items)
        self._recent[key] = (time.monotonic(), batch)
        while len(self._recent) > _MAX_RECENT:
            self._recent.popitem(last=False)
        return batch

    def _http(self) -> AsyncRewardClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            # An httpx client is tied to the loop it first ran on; trainers may use several.
            self._client = AsyncRewardClient(self.config, transport=self._transport)
            self._client_loop = loop
        return self._client

    def _items(
        self, prompts: Sequence[Any] | None, completions: Sequence[Any], kwargs: Mapping[str, Any]
    ) -> list[Item]:
        n = len(completions)
        prompt_texts = [prompt_text(p) for p in prompts] if prompts is not None else [""] * n
        gt_column = self.ground_truth_column or next((c for c in _GROUND_TRUTH_COLUMNS if c in kwargs), None)
        golds = _column(kwargs, gt_column, n)
        tests = _column(kwargs, self.tests_column, n)
        ids = kwargs.get("completion_ids")
        items = []
        for i, completion in enumerate(completions):
            text = completion_text(completion)
            items.append(
                Item(
                    completion=text if text is not None else "",
                    prompt=prompt_texts[i],
                    ground_truth=_gold(golds[i]),
                    tests=tests[i],
                    group_id=hashlib.sha1(prompt_texts[i].encode()).hexdigest()[:16],
                    num_tokens=len(ids[i]) if ids is not None and i < len(ids) else None,
                    metadata={} if text is not None else {_UNUSABLE: True},
                )
            )
        return items


def _drop_unusable(batch: BatchResult, items: Sequence[Item]) -> BatchResult:
    results = tuple(
        ItemResult(id=r.id, total=None, rewards={}, error=_UNUSABLE) if item.metadata.get(_UNUSABLE) else r
        for r, item in zip(batch.results, items, strict=True)
    )
    return BatchResult(results, batch.elapsed_s)


def _reward_picker(name: str) -> Callable[[ItemResult], float | None]:
    return lambda result: result.rewards.get(name)


def _column(kwargs: Mapping[str, Any], name: str | None, n: int) -> list[Any]:
    values = kwargs.get(name) if name else None
    if values is None or isinstance(values, str) or len(values) != n:
        return [None] * n
    return list(values)


def _gold(value: Any) -> str | int | float | None:
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)


def _fingerprint(items: Sequence[Item]) -> str:
    digest = hashlib.sha256()
    for item in items:
        payload = [item.prompt, item.completion, item.ground_truth, item.tests, item.num_tokens]
        digest.update(json.dumps(payload, default=str, sort_keys=True).encode())
        digest.update(b"\x00")
    return digest.hexdigest()
