"""PoolConfig: nonsense settings refused at construction, the running limit's default."""

from __future__ import annotations

import os

import pytest

from sandbox.pool_config import PoolConfig


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"size": 0}, "size must be >= 1"),
        ({"max_running": 0}, "max_running must be >= 1"),
        ({"compile_cache_mb": -1}, "compile_cache_mb must be >= 0"),
    ],
)
def test_nonsense_is_refused(fields: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PoolConfig(**fields)


def test_running_limit() -> None:
    assert PoolConfig(max_running=3).running_limit == 3
    assert PoolConfig().running_limit == max(os.cpu_count() or 1, 1)  # default: one job per core
    assert PoolConfig(compile_cache_mb=0).compile_cache_mb == 0  # 0 is allowed: no cache
