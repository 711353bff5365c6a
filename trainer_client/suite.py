"""TRL reward functions backed by the service: one HTTP request per generation batch.

TRL calls every reward function separately with the same batch. A ``RewardSuite`` owns several
reward columns and shares one in-flight request between them (keyed by a fingerprint of the
batch), so adding a reward column never multiplies the load on the service. The columns are
``async`` callables, which TRL (>= 0.20) awaits concurrently on its own event loop.

Training must never die because the service hiccupped: a column never raises. When the service
cannot answer, it logs a warning and returns ``None`` for every completion (TRL treats ``None``
as NaN and leaves it out of the group statistics).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from trainer_client.batch import Item, RewardSpec
from trainer_client.chat import completion_text, prompt_text
from trainer_client.client import AsyncRewardClient, ClientConfig
from trainer_client.result import BatchResult, ItemResult

__all__ = ["RAW_ACCURACY", "RewardColumn", "RewardSuite"]

_log = logging.getLogger("trainer_client")

RAW_ACCURACY = "raw_accuracy"  # the name of the optional column that reports the raw accuracy
_GROUND_TRUTH_COLUMNS = ("ground_truth", "answer", "solution")
_MAX_RECENT = 8
_UNUSABLE = "unusable_completion"  # a completion that is neither text nor chat messages


class RewardColumn:
    """One reward as a TRL reward function; ``__name__`` is what TRL logs it under."""

    def __init__(self, suite: RewardSuite, name: str, pick: Callable[[ItemResult], float | None]) -> None:
        self.__name__ = name
        self._suite = suite
        self._pick = pick

    async def __call__(
        self, prompts: Sequence[Any] | None = None, completions: Sequence[Any] | None = None, **kwargs: Any
    ) -> list[float | None]:
        try:
            n = len(completions or ())
            batch = await self._suite.score(prompts, completions, **kwargs)
            if batch is None:
                return [None] * n
            return [self._pick(r) for r in batch.results]
        except Exception as exc:  # never raise into the trainer: an exception stops training
            _log.warning("reward %s: failed (%s: %s); returning None", self.__name__, type(exc).__name__, exc)
            return [None] * len(completions or ())


class RewardSuite:
    """Several reward columns that share one request per batch.

    ``ground_truth_column``: the dataset column holding the reference answer (default: the
    first of ``ground_truth``, ``answer``, ``solution`` present). ``tests_column``: the column
    with code tests. ``share_window_s``: how long a successful answer is reused for a column
    that asks about the same batch after the request finished.
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
        self.requests_sent = 0  # distinct batches sent (a batch split into several HTTP requests counts once)
        self._include_raw_accuracy = include_raw_accuracy
        self._transport = transport
        self._client: AsyncRewardClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._inflight: dict[str, asyncio.Task[BatchResult | None]] = {}
        self._recent: OrderedDict[str, tuple[float, BatchResult]] = OrderedDict()

    @property
    def reward_funcs(self) -> list[RewardColumn]:
        """The columns to pass as ``GRPOTrainer(reward_funcs=...)``, in ``rewards`` order."""
        columns = [RewardColumn(self, r.name, _reward_picker(r.name)) for r in self.rewards]
        if self._include_raw_accuracy:
            columns.append(RewardColumn(self, RAW_ACCURACY, lambda r: r.accuracy))
        return columns

    @property
    def reward_weights(self) -> list[float]:
        """Weights for ``GRPOConfig(reward_weights=...)``; the raw-accuracy column weighs 0."""
        return [r.weight for r in self.rewards] + ([0.0] if self._include_raw_accuracy else [])

    async def score(
        self, prompts: Sequence[Any] | None, completions: Sequence[Any] | None, **kwargs: Any
    ) -> BatchResult | None:
        """The service's answer for this batch, shared with concurrent callers; ``None`` on failure."""
        items = self._items(prompts, completions or (), kwargs)
        key = _fingerprint(items)
        recent = self._recent.get(key)
        if recent is not None and time.monotonic() - recent[0] <= self.share_window_s:
            return recent[1]
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._request(key, items))
            self._inflight[key] = task
        return await asyncio.shield(task)

    async def aclose(self) -> None:
        if self._client is not None and self._client_loop is asyncio.get_running_loop():
            await self._client.aclose()
        self._client = None

    async def _request(self, key: str, items: list[Item]) -> BatchResult | None:
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
            self._inflight.pop(key, None)
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
