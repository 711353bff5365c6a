"""Sync and async HTTP clients for the reward service.

Why a client and not a bare ``httpx.post``: a trainer sends thousands of completions per step and
must survive a restarting or overloaded service. The clients reuse connections, split large
batches on group boundaries and send the pieces concurrently (bounded by a semaphore), retry
only what can succeed later (``retry.RetryPolicy``), and give up at an overall deadline.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from trainer_client.batch import Item, RewardSpec, split_on_groups
from trainer_client.errors import (
    DeadlineExceededError,
    MalformedResponseError,
    RequestRejectedError,
    ServiceUnavailableError,
)
from trainer_client.result import BatchResult, ItemResult
from trainer_client.retry import RetryPolicy, is_retryable_status, parse_retry_after_s

__all__ = ["AsyncRewardClient", "ClientConfig", "RewardClient"]

_REWARDS_PATH = "/v1/rewards"
_RETRY = object()  # what ``_Attempts.accept`` returns for a retryable status


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Where the service is and every limit the client applies, with defaults.

    ``request_timeout_s`` bounds one HTTP attempt; ``deadline_s`` bounds a whole ``score`` call,
    retries and backoff included. ``server_timeout_s`` is sent as the request's ``timeout_s``.
    """

    base_url: str = "http://127.0.0.1:8000"
    api_key: str | None = None
    request_timeout_s: float = 120.0
    deadline_s: float = 300.0
    server_timeout_s: float | None = 60.0
    max_items_per_request: int = 256
    max_concurrency: int = 8
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}


class _Attempts:
    """The retry bookkeeping of one request, shared by the sync and async loops."""

    def __init__(self, config: ClientConfig, deadline_at: float, rng: random.Random | None) -> None:
        self._config = config
        self._deadline_at = deadline_at
        self._rng = rng
        self.count = 0
        self.last_error = "no attempt made"
        self._retry_after_s: float | None = None

    def next_timeout_s(self) -> float:
        """The timeout of the next attempt, or raise if the deadline has passed."""
        remaining_s = self._deadline_at - time.monotonic()
        if remaining_s <= 0:
            raise DeadlineExceededError(self._config.deadline_s, self.count, self.last_error)
        self.count += 1
        return min(self._config.request_timeout_s, remaining_s)

    def accept(self, response: httpx.Response) -> Any:
        """The JSON body of a 2xx; ``_RETRY`` for a retryable status (recorded); raises on other 4xx."""
        if 200 <= response.status_code < 300:
            try:
                return response.json()
            except ValueError as exc:
                raise MalformedResponseError(f"body is not JSON ({exc})") from None
        detail = _detail(response)
        if not is_retryable_status(response.status_code):
            raise RequestRejectedError(response.status_code, detail)
        self.last_error = f"HTTP {response.status_code}: {detail}"
        self._retry_after_s = parse_retry_after_s(response.headers.get("Retry-After"))
        return _RETRY

    def transport_failed(self, exc: Exception) -> None:
        self.last_error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        self._retry_after_s = None

    def backoff_s(self) -> float:
        """Seconds to wait before the next attempt, or raise if no attempt is left in time."""
        if self.count >= self._config.retry.max_attempts:
            raise ServiceUnavailableError(self.count, self.last_error)
        delay_s = self._config.retry.delay_s(self.count, self._retry_after_s, self._rng)
        if time.monotonic() + delay_s >= self._deadline_at:
            raise DeadlineExceededError(self._config.deadline_s, self.count, self.last_error)
        return delay_s


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    if isinstance(body, dict) and "detail" in body:
        return str(body["detail"])[:500]
    return str(body)[:500]


def _body(
    items: Sequence[Item], chunk: range, rewards: Sequence[RewardSpec], config: ClientConfig
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "items": [items[i].to_json(default_id=str(i)) for i in chunk],
        "rewards": [r.to_json() for r in rewards],
    }
    if config.server_timeout_s is not None:
        body["timeout_s"] = config.server_timeout_s
    return body


class AsyncRewardClient:
    """An asyncio client. Create and use it inside one event loop; close it with ``aclose``."""

    def __init__(
        self,
        config: ClientConfig | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config or ClientConfig()
        self._rng = rng
        limits = httpx.Limits(max_connections=self.config.max_concurrency)
        self._http = httpx.AsyncClient(
            base_url=self.config.base_url, headers=self.config.headers(), transport=transport, limits=limits
        )
        self._semaphore = asyncio.Semaphore(self.config.max_concurrency)

    async def __aenter__(self) -> AsyncRewardClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def post_json(self, path: str, body: Any, *, deadline_s: float | None = None) -> Any:
        """POST ``body`` to ``path`` with retries; the decoded JSON answer."""
        deadline_at = time.monotonic() + (deadline_s if deadline_s is not None else self.config.deadline_s)
        return await self._post(path, body, deadline_at)

    async def score(
        self, items: Sequence[Item], rewards: Sequence[RewardSpec], *, deadline_s: float | None = None
    ) -> BatchResult:
        """Score ``items`` with ``rewards``; raises a ``ClientError`` if any piece fails."""
        started = time.monotonic()
        deadline_at = started + (deadline_s if deadline_s is not None else self.config.deadline_s)
        chunks = split_on_groups(items, self.config.max_items_per_request)

        async def one(chunk: range) -> list[ItemResult]:
            data = await self._post(_REWARDS_PATH, _body(items, chunk, rewards, self.config), deadline_at)
            return BatchResult.parse_results(data, len(chunk))

        parts = await asyncio.gather(*(one(c) for c in chunks))
        return BatchResult(tuple(r for part in parts for r in part), time.monotonic() - started)

    async def _post(self, path: str, body: Any, deadline_at: float) -> Any:
        attempts = _Attempts(self.config, deadline_at, self._rng)
        while True:
            async with self._semaphore:  # an attempt's timeout starts once it holds a slot
                timeout_s = attempts.next_timeout_s()
                try:
                    # wait_for bounds the whole attempt; httpx's timeouts bound each read only.
                    response = await asyncio.wait_for(
                        self._http.post(path, json=body, timeout=timeout_s), timeout_s
                    )
                except (httpx.TransportError, TimeoutError) as exc:
                    attempts.transport_failed(exc)
                else:
                    data = attempts.accept(response)
                    if data is not _RETRY:
                        return data
            await asyncio.sleep(attempts.backoff_s())


class RewardClient:
    """A thread-safe blocking client (for verl, scripts, notebooks); close it with ``close``."""

    def __init__(
        self,
        config: ClientConfig | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config or ClientConfig()
        self._rng = rng
        limits = httpx.Limits(max_connections=self.config.max_concurrency)
        self._http = httpx.Client(
            base_url=self.config.base_url, headers=self.config.headers(), transport=transport, limits=limits
        )
        self._semaphore = threading.BoundedSemaphore(self.config.max_concurrency)

    def __enter__(self) -> RewardClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def post_json(self, path: str, body: Any, *, deadline_s: float | None = None) -> Any:
        """POST ``body`` to ``path`` with retries; the decoded JSON answer."""
        deadline_at = time.monotonic() + (deadline_s if deadline_s is not None else self.config.deadline_s)
        return self._post(path, body, deadline_at)

    def score(
        self, items: Sequence[Item], rewards: Sequence[RewardSpec], *, deadline_s: float | None = None
    ) -> BatchResult:
        """Score ``items`` with ``rewards``; raises a ``ClientError`` if any piece fails."""
        started = time.monotonic()
        deadline_at = started + (deadline_s if deadline_s is not None else self.config.deadline_s)
        chunks = split_on_groups(items, self.config.max_items_per_request)

        def one(chunk: range) -> list[ItemResult]:
            data = self._post(_REWARDS_PATH, _body(items, chunk, rewards, self.config), deadline_at)
            return BatchResult.parse_results(data, len(chunk))

        if len(chunks) <= 1:
            parts = [one(c) for c in chunks]
        else:
            with ThreadPoolExecutor(max_workers=min(len(chunks), self.config.max_concurrency)) as pool:
                parts = list(pool.map(one, chunks))
        return BatchResult(tuple(r for part in parts for r in part), time.monotonic() - started)

    def _post(self, path: str, body: Any, deadline_at: float) -> Any:
        attempts = _Attempts(self.config, deadline_at, self._rng)
        while True:
            with self._semaphore:  # an attempt's timeout starts once it holds a slot
                timeout_s = attempts.next_timeout_s()
                try:
                    response = self._http.post(path, json=body, timeout=timeout_s)
                except httpx.TransportError as exc:
                    attempts.transport_failed(exc)
                else:
                    data = attempts.accept(response)
                    if data is not _RETRY:
                        return data
            time.sleep(attempts.backoff_s())
