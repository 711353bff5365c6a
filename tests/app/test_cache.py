"""The result cache: keys cover everything a verdict depends on; LRU + TTL; Redis shares entries."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from app.cache import MemoryResultCache, RedisResultCache, cache_key
from app.composition import cache_salt
from app.settings import Settings
from verifiers import RewardOutput, Sample

BASE = Sample(id="a", completion="\\boxed{1}", ground_truth="1")
OK = RewardOutput(1.0, accuracy=1.0, details={"reason": "equal"})


@pytest.mark.parametrize(
    ("reward", "params", "sample", "same"),
    [
        (
            "accuracy",
            {},
            Sample(id="other-id", completion="\\boxed{1}", ground_truth="1", group_id="g"),
            True,
        ),
        (
            "accuracy",
            {},
            Sample(id="a", completion="\\boxed{1}", ground_truth="1", prompt="other prompt"),
            True,
        ),
        ("accuracy", {}, Sample(id="a", completion="\\boxed{2}", ground_truth="1"), False),
        ("accuracy", {}, Sample(id="a", completion="\\boxed{1}", ground_truth="2"), False),
        ("accuracy", {}, Sample(id="a", completion="\\boxed{1}", ground_truth=1), False),
        ("accuracy", {"mode": "lenient"}, BASE, False),
        ("code_accuracy", {}, BASE, False),
        (
            "accuracy",
            {},
            Sample(id="a", completion="\\boxed{1}", ground_truth="1", tests=["assert 1"]),
            False,
        ),
    ],
)
def test_cache_key_depends_on_verdict_inputs_only(reward, params, sample, same):
    assert (cache_key(reward, params, sample) == cache_key("accuracy", {}, BASE)) is same


@pytest.mark.parametrize(
    ("changed", "same"),
    [
        ({}, True),
        ({"sandbox_time_limit_s": 9.0}, False),
        ({"sandbox_memory_mb": 1024}, False),
        ({"math_timeout_s": 1.0}, False),
        ({"max_batch_items": 3}, True),  # an edge limit does not change a verdict
    ],
)
def test_cache_key_depends_on_the_limits_a_verdict_was_reached_under(changed, same):
    base = cache_key("code_accuracy", {}, BASE, cache_salt(Settings()))
    assert (cache_key("code_accuracy", {}, BASE, cache_salt(Settings(**changed))) == base) is same


async def test_memory_cache_lru_and_ttl():
    cache = MemoryResultCache(max_entries=2, ttl_s=0.2)
    await cache.put_many({"a": OK, "b": OK})
    assert set(await cache.get_many(["a"])) == {"a"}  # touch a: b is now the oldest
    await cache.put_many({"c": OK})
    assert set(await cache.get_many(["a", "b", "c"])) == {"a", "c"}
    await asyncio.sleep(0.25)
    assert await cache.get_many(["a", "c"]) == {}
    assert len(cache) == 0


async def test_failures_are_not_cached():
    cache = MemoryResultCache(max_entries=10, ttl_s=60)
    await cache.put_many({"t": RewardOutput(None, error="timeout"), "ok": OK})
    assert set(await cache.get_many(["t", "ok"])) == {"ok"}


async def test_zero_ttl_disables():
    cache = MemoryResultCache(max_entries=10, ttl_s=0)
    await cache.put_many({"ok": OK})
    assert await cache.get_many(["ok"]) == {}


async def test_redis_cache_round_trip(redis_server):
    redis_server.flush()
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        cache = RedisResultCache(client, ttl_s=60, max_entries=100)
        await cache.put_many({"k1": OK, "k2": RewardOutput(None, error="sandbox_error")})
        got = await cache.get_many(["k1", "k2", "k3"])
        assert got == {"k1": OK}
        assert 0 < await client.pttl("arbiter:rc:k1") <= 60_000
    finally:
        await client.aclose()


async def test_redis_cache_is_bounded_and_evicts_the_least_recently_used(redis_server):
    redis_server.flush()
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        cache = RedisResultCache(client, ttl_s=60, max_entries=50, prefix="bound")
        await cache.put_many({f"old{i}": OK for i in range(10)})
        await asyncio.sleep(0.01)
        await cache.put_many({f"mid{i}": OK for i in range(40)})
        await asyncio.sleep(0.01)
        assert set(await cache.get_many(["old0", "old1"])) == {"old0", "old1"}  # used again: young
        await asyncio.sleep(0.01)
        for step in range(20):  # a steady load far past the bound
            await cache.put_many({f"new{step}-{i}": OK for i in range(30)})
        keys = [k async for k in client.scan_iter("bound:rc:*")]
        assert len(keys) <= 50
        assert await cache.size() <= 50
        latest = await cache.get_many([f"new19-{i}" for i in range(30)])
        assert len(latest) == 30  # the newest entries survive
        assert await cache.get_many([f"mid{i}" for i in range(40)]) == {}  # the oldest went first
    finally:
        await client.aclose()


async def test_redis_cache_touch_keeps_a_hot_entry(redis_server):
    redis_server.flush()
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        cache = RedisResultCache(client, ttl_s=60, max_entries=5, prefix="hot")
        await cache.put_many({"hot": OK})
        for i in range(20):
            await asyncio.sleep(0.002)
            assert "hot" in await cache.get_many(["hot"])
            await cache.put_many({f"cold{i}": OK})
        assert len([k async for k in client.scan_iter("hot:rc:*")]) == 5
    finally:
        await client.aclose()
