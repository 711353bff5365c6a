"""A content-addressed cache of expensive reward outputs, with a time to live.

Why: a GRPO group often holds identical completions (and trainers re-send them), and a math or
code verdict depends only on (reward, parameters, reference, completion). Hits skip the queue.
Only MATH/CODE rewards are cached: inline rewards are cheaper to recompute than to look up, and
group-relative ones depend on the whole group.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from app.payload import output_from_json, output_to_json
from verifiers.registry import RewardOutput, Sample

__all__ = ["MemoryResultCache", "RedisResultCache", "ResultCache", "cache_key"]

_KEY_PREFIX = "arbiter:rc:"


def cache_key(reward: str, params: Mapping[str, Any], sample: Sample, salt: str = "") -> str:
    """A hash of everything an expensive reward's output depends on.

    ``salt`` stands for what lies outside the request: the service version and its limits (a
    program cached as ``time_limit`` under a 2 s limit must run again under 5 s)."""
    body = json.dumps(
        [salt, reward, dict(params), sample.ground_truth, sample.tests, sample.completion],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.blake2b(body.encode(), digest_size=20).hexdigest()


class ResultCache(Protocol):
    """Where expensive outputs are remembered: in process (embedded) or in Redis (shared)."""

    async def get_many(self, keys: Sequence[str]) -> dict[str, RewardOutput]: ...

    async def put_many(self, entries: Mapping[str, RewardOutput]) -> None: ...


def _cacheable(o: RewardOutput) -> bool:
    # Infrastructure failures (timeouts, sandbox errors) are retried next time, never remembered.
    return o.value is not None


class MemoryResultCache:
    """LRU with TTL, for the embedded (single-process) mode."""

    def __init__(self, *, max_entries: int, ttl_s: float) -> None:
        self._max_entries = max_entries
        self._ttl_s = ttl_s
        self._data: OrderedDict[str, tuple[float, RewardOutput]] = OrderedDict()

    async def get_many(self, keys: Sequence[str]) -> dict[str, RewardOutput]:
        now = time.monotonic()
        found: dict[str, RewardOutput] = {}
        for key in keys:
            entry = self._data.get(key)
            if entry is None:
                continue
            expires, output = entry
            if expires < now:
                del self._data[key]
                continue
            self._data.move_to_end(key)
            found[key] = output
        return found

    async def put_many(self, entries: Mapping[str, RewardOutput]) -> None:
        if self._ttl_s <= 0:
            return
        expires = time.monotonic() + self._ttl_s
        for key, output in entries.items():
            if not _cacheable(output):
                continue
            self._data[key] = (expires, output)
            self._data.move_to_end(key)
        while len(self._data) > self._max_entries:
            self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


class RedisResultCache:
    """Shared by every API replica: values are JSON strings with a Redis TTL."""

    def __init__(self, client: Any, *, ttl_s: float) -> None:
        self._client = client  # a redis.asyncio.Redis
        self._ttl_ms = int(ttl_s * 1000)

    async def get_many(self, keys: Sequence[str]) -> dict[str, RewardOutput]:
        if not keys:
            return {}
        values = await self._client.mget([_KEY_PREFIX + k for k in keys])
        return {
            k: output_from_json(json.loads(v)) for k, v in zip(keys, values, strict=True) if v is not None
        }

    async def put_many(self, entries: Mapping[str, RewardOutput]) -> None:
        if self._ttl_ms <= 0:
            return
        pipe = self._client.pipeline(transaction=False)
        n = 0
        for key, output in entries.items():
            if _cacheable(output):
                pipe.set(_KEY_PREFIX + key, json.dumps(output_to_json(output), default=str), px=self._ttl_ms)
                n += 1
        if n:
            await pipe.execute()
