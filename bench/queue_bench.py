"""Task-queue overhead: the Redis Streams queue against the in-process queue, same run, same tasks.

What it measures: batches of ``--tasks`` tasks (payload ``--payload-bytes``, an echo handler, so
only the queue is timed) submitted and awaited, ``--rounds`` times, on
1. the in-process queue (the baseline: the embedded default), and
2. the Redis queue with ``--workers`` RedisTaskWorker consumers in this process, on a private
   ``redis-server`` started on a free port (persistence off).
Printed: per-task time of each, and the ratio Redis / in-process. The Redis figure is the cost a
distributed deployment adds per chunk (a chunk is 64 items by default: divide for per item).

Run: ``.venv/bin/python bench/queue_bench.py`` (``--help`` for sizes).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.queue.base import Task, TaskQueue
from app.queue.memory import InProcessTaskQueue
from app.queue.redis_streams import RedisTaskQueue, RedisTaskWorker


async def _echo(payload: bytes, deadline: object = None) -> bytes:
    return payload


async def _time_rounds(queue: TaskQueue, tasks: int, payload: bytes, rounds: int) -> list[float]:
    """Seconds per task of each round (submit + wait for every result)."""
    per_task_s = []
    for _ in range(rounds):
        batch = [Task(uuid.uuid4().hex, payload) for _ in range(tasks)]
        started = time.perf_counter()
        await queue.submit(batch)
        results = await queue.results([t.task_id for t in batch], timeout_s=120)
        elapsed = time.perf_counter() - started
        if len(results) != tasks or any(r.payload != payload for r in results.values()):
            raise SystemExit("queue_bench: results missing or wrong")
        per_task_s.append(elapsed / tasks)
    return per_task_s


async def _memory(args: argparse.Namespace, payload: bytes) -> list[float]:
    queue = InProcessTaskQueue(_echo, concurrency=args.workers * args.concurrency, max_depth=10 * args.tasks)
    await queue.start()
    try:
        await _time_rounds(queue, args.tasks, payload, 1)  # warm-up
        return await _time_rounds(queue, args.tasks, payload, args.rounds)
    finally:
        await queue.close()


async def _redis(args: argparse.Namespace, payload: bytes, url: str) -> list[float]:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    queue = RedisTaskQueue(url, prefix=prefix, max_depth=10 * args.tasks)
    workers = [
        RedisTaskWorker(url, _echo, prefix=prefix, concurrency=args.concurrency, block_s=0.5)
        for _ in range(args.workers)
    ]
    running = [asyncio.create_task(w.run()) for w in workers]
    try:
        await _time_rounds(queue, args.tasks, payload, 1)  # warm-up
        return await _time_rounds(queue, args.tasks, payload, args.rounds)
    finally:
        for w in workers:
            w.stop()
        await asyncio.gather(*running)
        await queue.close()


def _start_redis(workdir: str) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("queue_bench: redis-server not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_timeout=1)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise SystemExit("queue_bench: redis-server did not start") from None
            time.sleep(0.05)
    client.close()
    return proc, f"redis://127.0.0.1:{port}/0"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", type=int, default=500, help="tasks per round (default 500)")
    p.add_argument("--rounds", type=int, default=5, help="timed rounds (default 5)")
    p.add_argument(
        "--payload-bytes", type=int, default=20_000, help="bytes per task (a 64-item chunk: ~20 KB)"
    )
    p.add_argument("--workers", type=int, default=2, help="Redis consumers (default 2)")
    p.add_argument("--concurrency", type=int, default=4, help="handlers per consumer (default 4)")
    args = p.parse_args()
    payload = b"x" * args.payload_bytes
    with tempfile.TemporaryDirectory() as workdir:
        proc, url = _start_redis(workdir)
        try:
            mem = asyncio.run(_memory(args, payload))
            red = asyncio.run(_redis(args, payload, url))
        finally:
            proc.kill()
            proc.wait()
    mem_us, red_us = statistics.median(mem) * 1e6, statistics.median(red) * 1e6
    print(f"tasks/round={args.tasks} rounds={args.rounds} payload={args.payload_bytes} B")
    print(f"in-process queue : {mem_us:9.1f} us/task (median of rounds)  [baseline]")
    print(f"redis streams    : {red_us:9.1f} us/task (median of rounds)")
    print(f"ratio redis / in-process: {red_us / mem_us:.1f}x")


if __name__ == "__main__":
    main()
