"""A worker subprocess for the end-to-end fault tests: ``app.worker.serve`` around the API tests'
executor (test registry, fake sandbox), so a test controls how long a chunk takes.

A chunk whose payload contains ``POISON_KILL`` kills the process, like a native crash in a
parser; every chunk start touches ``<started_dir>/<n>.<pid>`` so a test knows whom to kill.

Usage: python -m tests.app.fault_worker URL VISIBILITY_TIMEOUT_S MAX_DELIVERIES STARTED_DIR
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

from app.deadline import Deadline
from app.queue.redis_streams import RedisTaskWorker
from app.worker import serve
from app.worker.executor import ChunkExecutor
from tests.app.conftest import CallLog, UnusedMath, make_code_backend, make_test_registry
from verifiers import RewardContext


def main() -> None:
    url, visibility_s, max_deliveries, started_dir = sys.argv[1:5]
    executor = ChunkExecutor(
        make_test_registry(CallLog()), RewardContext(math=UnusedMath(), code=make_code_backend())
    )

    async def handler(payload: bytes, deadline: Deadline | None) -> bytes:
        Path(started_dir, f"{uuid.uuid4().hex[:8]}.{os.getpid()}").touch()
        if b"POISON_KILL" in payload:
            os._exit(17)
        return await executor(payload, deadline)

    worker = RedisTaskWorker(
        url,
        handler,
        concurrency=2,
        visibility_timeout_s=float(visibility_s),
        max_deliveries=int(max_deliveries),
        block_s=0.2,
        heartbeat_interval_s=0.25,
        reconnect_backoff_s=0.2,
    )
    asyncio.run(serve(worker))


if __name__ == "__main__":
    main()
