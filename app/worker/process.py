"""The worker process: math pool + sandbox + chunk executor, consuming the Redis task stream.

Why a separate process: the API stays light and responsive while the CPU-heavy verification and
the untrusted code run here; any number of workers on any number of machines share one Redis,
and one that dies loses nothing (its pending tasks are claimed by the others). SIGTERM/SIGINT
drain: no new task is read, the running ones finish (bounded by ``drain_timeout_s``), then the
pools close.

Run it as ``arbiter worker`` (``python -m app.worker`` is the same command); every knob is a field
of the one settings class, as a flag or an ``ARBITER_*`` variable.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from app.json_log import configure_logging
from app.queue.base import Handler
from app.queue.redis_streams import RedisTaskWorker
from app.settings import Settings

__all__ = ["WorkerOptions", "WorkerResources", "build_executor", "main", "run_worker", "serve"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """Queue-consumer knobs of one worker process, each with its unit (from ``Settings``)."""

    concurrency: int  # chunks handled at the same time
    visibility_timeout_s: float  # a dead worker's task is re-run after this
    max_deliveries: int  # failed or worker-killing deliveries before dead-lettering
    drain_timeout_s: float  # on SIGTERM, how long running tasks may still take
    heartbeat_interval_s: float
    prefix: str  # Redis key prefix shared with the API

    @staticmethod
    def from_settings(settings: Settings, **overrides: Any) -> WorkerOptions:
        """The settings' worker fields; ``overrides`` replace some (tests)."""
        base = {
            "concurrency": settings.worker_concurrency,
            "visibility_timeout_s": settings.visibility_timeout_s,
            "max_deliveries": settings.max_deliveries,
            "drain_timeout_s": settings.drain_timeout_s,
            "heartbeat_interval_s": settings.heartbeat_interval_s,
            "prefix": settings.queue_prefix,
        }
        return WorkerOptions(**{**base, **overrides})


@dataclass(slots=True)
class WorkerResources:
    """The handler and what must be closed after it (pools, sandbox)."""

    handler: Handler
    closers: list[Callable[[], Any]] = field(default_factory=list)

    def close(self) -> None:
        while self.closers:
            closer = self.closers.pop()
            try:
                closer()
            except Exception:
                _log.exception("closing a worker resource failed")


def build_executor(settings: Settings, threads: int | None = None) -> WorkerResources:
    """The executor the API would run in embedded mode, around a fresh math pool and sandbox;
    ``threads`` (default ``embedded_workers``): chunks computing at once."""
    from app.composition import service_registry, start_code_backend, start_math_pool
    from app.worker.executor import ChunkExecutor
    from verifiers import RewardContext

    resources = WorkerResources(handler=_unset_handler)
    try:
        math = start_math_pool(settings, resources.closers)
        code = start_code_backend(settings, resources.closers)
    except BaseException:
        resources.close()
        raise
    executor = ChunkExecutor(
        service_registry(), RewardContext(math=math, code=code), threads=threads or settings.embedded_workers
    )
    resources.closers.append(executor.close)
    resources.handler = executor
    return resources


async def _unset_handler(payload: bytes, deadline: Any = None) -> bytes:
    raise RuntimeError("worker resources not built")


async def serve(worker: RedisTaskWorker) -> None:
    """Run ``worker`` until SIGTERM or SIGINT, then let it drain."""
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, worker.stop)
            installed.append(sig)
    try:
        _log.info("worker %s consuming", worker.consumer)
        await worker.run()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
    _log.info("worker %s stopped", worker.consumer)


def run_worker(settings: Settings, options: WorkerOptions | None = None) -> int:
    """Block until SIGTERM: build the pools, consume, drain, close. Returns an exit status."""
    if not settings.redis_url:
        raise ValueError("a worker needs settings.redis_url")
    if settings.log_json:
        configure_logging(settings.log_level, repeat_interval_s=settings.log_repeat_interval_s)
    opts = options or WorkerOptions.from_settings(settings)
    resources = build_executor(settings, threads=opts.concurrency)
    try:
        worker = RedisTaskWorker(
            settings.redis_url,
            resources.handler,
            prefix=opts.prefix,
            concurrency=opts.concurrency,
            visibility_timeout_s=opts.visibility_timeout_s,
            max_deliveries=opts.max_deliveries,
            heartbeat_interval_s=opts.heartbeat_interval_s,
            drain_timeout_s=opts.drain_timeout_s,
        )
        _log.info(
            "arbiter worker started",
            extra={
                "consumer": worker.consumer,
                "redis": _redacted(settings.redis_url),
                "sandbox": settings.sandbox_backend.value,
                "math_workers": settings.math_workers,
                **dataclasses.asdict(opts),
            },
        )
        asyncio.run(serve(worker))
    finally:
        resources.close()
    return 0


def _redacted(url: str) -> str:
    """A Redis URL without its password, fit for a log line."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m app.worker ARGS`` is ``arbiter worker ARGS`` (one command, one set of flags)."""
    from app.cli import main as cli_main

    return cli_main(["worker", *(sys.argv[1:] if argv is None else argv)])
