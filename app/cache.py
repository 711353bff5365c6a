"""A content-addressed cache of expensive reward outputs, with a time to live and a size bound.

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

from verifiers import RewardOutput, Sample, output_from_json, output_to_json

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


# One atomic step per write batch: store the entries with their TTL, note their use time in the
# index (a sorted set scored by last use), forget index entries past the TTL, and evict the least
# recently used entries beyond the bound. The evicted keys are not in KEYS (they are found in the
# index), so this needs a single Redis, not a cluster; the API's queue already does.
_PUT_SCRIPT = """
local idx = KEYS[1]
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local cap = tonumber(ARGV[3])
for i = 4, #ARGV, 2 do
  redis.call('SET', ARGV[i], ARGV[i + 1], 'PX', ttl)
  redis.call('ZADD', idx, now, ARGV[i])
end
redis.call('ZREMRANGEBYSCORE', idx, '-inf', now - ttl)
local excess = redis.call('ZCARD', idx) - cap
local evicted = 0
while excess > 0 do
  local batch = math.min(excess, 1000)
  local old = redis.call('ZRANGE', idx, 0, batch - 1)
  redis.call('ZREMRANGEBYRANK', idx, 0, batch - 1)
  redis.call('DEL', unpack(old))
  excess = excess - batch
  evicted = evicted + batch
end
redis.call('PEXPIRE', idx, ttl)
return evicted
"""


class RedisResultCache:
    """Shared by every API replica: JSON values with a Redis TTL, at most ``max_entries`` of them.

    Why an explicit bound: one key per scored item grows Redis without limit under a steady
    training load (the TTL alone only caps it at an hour of traffic). An index of last-use times
    evicts the least recently used entries past the bound, whatever Redis' ``maxmemory-policy``.
    """

    def __init__(self, client: Any, *, ttl_s: float, max_entries: int, prefix: str = "arbiter") -> None:
        if max_entries <= 0:
            raise ValueError("max_entries must be positive")
        self._client = client  # a redis.asyncio.Redis
        self._ttl_ms = int(ttl_s * 1000)
        self._max_entries = max_entries
        self._key_prefix = f"{prefix}:rc:"
        self._index = f"{prefix}:rc-index"
        self._put = client.register_script(_PUT_SCRIPT)

    async def get_many(self, keys: Sequence[str]) -> dict[str, RewardOutput]:
        if not keys:
            return {}
        values = await self._client.mget([self._key_prefix + k for k in keys])
        found = {
            k: output_from_json(json.loads(v)) for k, v in zip(keys, values, strict=True) if v is not None
        }
        if found:  # a hit is a use: it moves to the young end of the eviction order
            now_ms = int(time.time() * 1000)
            await self._client.zadd(self._index, {self._key_prefix + k: now_ms for k in found}, xx=True)
        return found

    async def put_many(self, entries: Mapping[str, RewardOutput]) -> None:
        if self._ttl_ms <= 0:
            return
        args: list[Any] = [int(time.time() * 1000), self._ttl_ms, self._max_entries]
        for key, output in entries.items():
            if _cacheable(output):
                args += [self._key_prefix + key, json.dumps(output_to_json(output), default=str)]
        if len(args) > 3:
            await self._put(keys=[self._index], args=args)

    async def size(self) -> int:
        """Entries the index holds (an upper bound on the live ones: expired keys leave within a TTL)."""
        return int(await self._client.zcard(self._index))
