"""A worker subprocess for the fault tests: ``app.worker.serve`` around a scripted handler.

Payload (JSON): ``value`` is echoed back; ``sleep_s`` sleeps first; ``started_dir`` gets a file
``<id>.<pid>`` when the task starts (so a test knows whom to kill); ``exit`` kills the process
(like a native crash in a parser) instead of answering.

Usage: python -m tests.app.queue.worker_proc URL PREFIX VISIBILITY_TIMEOUT_S MAX_DELIVERIES
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from app.queue.redis_streams import RedisTaskWorker
from app.worker import serve


async def scripted(payload: bytes, deadline: object = None) -> bytes:
    spec = json.loads(payload)
    if spec.get("started_dir"):
        Path(spec["started_dir"], f"{spec['id']}.{os.getpid()}").touch()
    if spec.get("exit"):
        os._exit(17)
    if spec.get("sleep_s"):
        await asyncio.sleep(spec["sleep_s"])
    return json.dumps({"echo": spec.get("value"), "pid": os.getpid()}).encode()


def main() -> None:
    url, prefix, visibility_s, max_deliveries = sys.argv[1:5]
    worker = RedisTaskWorker(
        url,
        scripted,
        prefix=prefix,
        concurrency=2,
        visibility_timeout_s=float(visibility_s),
        max_deliveries=int(max_deliveries),
        block_s=0.2,
        heartbeat_interval_s=0.25,
        heartbeat_ttl_s=2.0,
        reconnect_backoff_s=0.2,
        drain_timeout_s=10.0,
    )
    asyncio.run(serve(worker))


if __name__ == "__main__":
    main()
