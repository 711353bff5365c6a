"""A warm pool's settings (``PoolConfig``) and counters (``PoolStats``), the same for every backend.

Why apart from the pool: these are the values the service's settings fill in and its metrics
read; the pool's machinery (``pool.WarmPool``) needs neither to be read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["PoolConfig", "PoolStats"]


@dataclass(frozen=True, slots=True)
class PoolConfig:
    """How many warm instances, how long each lives, how long to wait for one.

    ``max_running``: at most this many jobs run at once however many instances are warm (None: the
    host's CPU count). Time is judged on CPU time, but a program that waits for a core still
    runs into its wall limit; more programs than cores would also slow every one of them down.
    ``compile_cache_mb``: host memory for compiled C++ binaries (0: no cache).
    """

    size: int = 2
    jobs_per_instance: int = 200
    acquire_timeout_s: float = 120.0
    start_timeout_s: float = 30.0
    job_retries: int = 1  # a job hit by an infrastructure failure is retried on a fresh instance
    max_running: int | None = None
    compile_cache_mb: int = 256

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError("PoolConfig.size must be >= 1")
        if self.max_running is not None and self.max_running < 1:
            raise ValueError("PoolConfig.max_running must be >= 1")
        if self.compile_cache_mb < 0:
            raise ValueError("PoolConfig.compile_cache_mb must be >= 0")

    @property
    def running_limit(self) -> int:
        """Jobs that may run at once."""
        return self.max_running if self.max_running is not None else max(os.cpu_count() or 1, 1)


@dataclass(frozen=True, slots=True)
class PoolStats:
    """Counters for metrics and health checks."""

    size: int
    idle: int
    live: int
    spawned: int
    recycled: int
    jobs: int
    protocol_errors: int
    spawn_failures: int
    last_error: str
