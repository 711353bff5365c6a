"""The worker process: math pool + sandbox + chunk executor, consuming the Redis task stream.

Why a separate process: the API stays light and responsive while the CPU-heavy verification and
the untrusted code run here; any number of workers on any number of machines share one Redis,
and one that dies loses nothing (its pending tasks are claimed by the others). SIGTERM/SIGINT
drain: no new task is read, the running ones finish (bounded by ``drain_timeout_s``), then the
pools close.

Run it as ``arbiter worker`` or ``python -m app.worker``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.queue.base import Handler
from app.queue.redis_streams import RedisTaskWorker
from app.settings import Settings

__all__ = ["WorkerOptions", "WorkerResources", "build_executor", "main", "run_worker", "serve"]

_log = logging.getLogger(__name__)


_DEFAULT_VISIBILITY_TIMEOUT_S = 30.0
_DEFAULT_MAX_DELIVERIES = 3
_DEFAULT_DRAIN_TIMEOUT_S = 60.0
_DEFAULT_PREFIX = "arbiter"


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """Queue-consumer knobs of one worker process, each with its unit and default."""

    concurrency: int = 4  # chunks handled at the same time
    visibility_timeout_s: float = _DEFAULT_VISIBILITY_TIMEOUT_S  # a dead worker's task is re-run after this
    max_deliveries: int = _DEFAULT_MAX_DELIVERIES  # failed or worker-killing deliveries before dead-lettering
    drain_timeout_s: float = _DEFAULT_DRAIN_TIMEOUT_S  # on SIGTERM, how long running tasks may still take
    heartbeat_interval_s: float = 2.0
    prefix: str = _DEFAULT_PREFIX  # Redis key prefix shared with the API

    @staticmethod
    def from_settings(settings: Settings, **overrides: Any) -> WorkerOptions:
        """Concurrency follows ``embedded_workers`` and deliveries ``max_deliveries``: the same
        per-process parallelism and retry budget as the embedded queue."""
        base = {"concurrency": settings.embedded_workers, "max_deliveries": settings.max_deliveries}
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
    from app.executor import ChunkExecutor
    from app.service import service_registry, start_code_backend, start_math_pool
    from verifiers.registry import RewardContext

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
        asyncio.run(serve(worker))
    finally:
        resources.close()
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m app.worker", description=__doc__.splitlines()[0])
    p.add_argument("--redis-url", help="Redis URL (default: ARBITER_REDIS_URL)")
    p.add_argument("--concurrency", type=int, help="chunks at once (default: ARBITER_EMBEDDED_WORKERS)")
    p.add_argument(
        "--visibility-timeout-s",
        type=float,
        default=_DEFAULT_VISIBILITY_TIMEOUT_S,
        help="a dead worker's chunk is re-run after this (default %(default)s)",
    )
    p.add_argument(
        "--max-deliveries",
        type=int,
        help="deliveries before a failing or worker-killing chunk is dead-lettered "
        "(default: ARBITER_MAX_DELIVERIES)",
    )
    p.add_argument(
        "--drain-timeout-s",
        type=float,
        default=_DEFAULT_DRAIN_TIMEOUT_S,
        help="on SIGTERM, how long running chunks may still take (default %(default)s)",
    )
    p.add_argument("--prefix", default=_DEFAULT_PREFIX, help="Redis key prefix shared with the API")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings(**({"redis_url": args.redis_url} if args.redis_url else {}))
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    overrides: dict[str, Any] = {
        "visibility_timeout_s": args.visibility_timeout_s,
        "drain_timeout_s": args.drain_timeout_s,
        "prefix": args.prefix,
    }
    if args.concurrency:
        overrides["concurrency"] = args.concurrency
    if args.max_deliveries:
        overrides["max_deliveries"] = args.max_deliveries
    if not settings.redis_url:
        print("app.worker: error: needs a Redis URL (--redis-url or ARBITER_REDIS_URL)", file=sys.stderr)
        return 2
    return run_worker(settings, WorkerOptions.from_settings(settings, **overrides))


if __name__ == "__main__":
    sys.exit(main())
