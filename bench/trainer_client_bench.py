"""What the trainer client's shared request and batch splitting buy, against a naive integration.

Why: TRL calls every reward function separately, so a naive remote reward sends the same
generation batch once per reward column. The baseline, measured in the same run against the
same service, is that: one ``/v1/rewards`` request per column, each scoring the whole batch.
Compared with it: a ``RewardSuite`` (one request for all columns), and the suite with the batch
split into concurrent requests. Every variant scores fresh completions (a nonce in the think
block) so the service's result cache cannot flatter a later variant.

    .venv/bin/python bench/trainer_client_bench.py [--items 1024] [--url http://127.0.0.1:8000]

Each variant runs ``--repeats`` times, interleaved; medians are reported. Without ``--url`` it starts ``arbiter serve`` (embedded defaults) on a free port.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from trainer_client.batch import RewardSpec
from trainer_client.client import ClientConfig
from trainer_client.suite import RewardSuite

_ROOT = Path(__file__).resolve().parents[1]
_DATA = _ROOT / "trainer_client" / "data" / "math_small.jsonl"
_REWARDS = (RewardSpec("accuracy"), RewardSpec("format_strict", 0.5), RewardSpec("tag_count", 0.25))


def _batch(items: int, nonce: str) -> dict[str, list[str]]:
    rows = [json.loads(line) for line in _DATA.read_text().splitlines()]
    prompts, completions, answers = [], [], []
    for i in range(items):
        row = rows[(i // 8) % len(rows)]  # GRPO shape: 8 completions per prompt
        answer = row["answer"] if i % 3 else "0"
        prompts.append(row["problem"])
        completions.append(f"<think>{nonce} {i}: working it out</think><answer>{answer}</answer>")
        answers.append(row["answer"])
    return {"prompts": prompts, "completions": completions, "answer": answers}


async def _suite_step(url: str, batch: dict[str, list[str]], max_items: int, concurrency: int) -> float:
    config = ClientConfig(base_url=url, max_items_per_request=max_items, max_concurrency=concurrency)
    suite = RewardSuite(_REWARDS, config=config)
    started = time.perf_counter()
    columns = await asyncio.gather(*(f(**batch) for f in suite.reward_funcs))
    elapsed_s = time.perf_counter() - started
    await suite.aclose()
    assert all(v is not None for column in columns for v in column), "the service failed to score"
    return elapsed_s


async def _naive_step(url: str, batch: dict[str, list[str]]) -> float:
    started = time.perf_counter()
    for spec in _REWARDS:  # one reward function = one request over the whole batch
        suite = RewardSuite([spec], config=ClientConfig(base_url=url, max_items_per_request=1_000_000))
        (column,) = suite.reward_funcs
        values = await column(**batch)
        await suite.aclose()
        assert all(v is not None for v in values), "the service failed to score"
    return time.perf_counter() - started


def _start_service() -> tuple[str, subprocess.Popen[bytes]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return url, proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("service did not become ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1024)
    parser.add_argument("--url")
    parser.add_argument("--repeats", type=int, default=5, help="runs per variant; the median is reported")
    args = parser.parse_args()
    url, proc = (args.url, None) if args.url else _start_service()
    try:
        asyncio.run(_suite_step(url, _batch(64, "warm-up"), 64, 1))  # start the pools
        naive, shared, split = [], [], []
        for r in range(args.repeats):  # interleaved, so a load spike hits every variant alike
            naive.append(asyncio.run(_naive_step(url, _batch(args.items, f"naive{r}"))))
            shared.append(asyncio.run(_suite_step(url, _batch(args.items, f"shared{r}"), 1_000_000, 1)))
            split.append(asyncio.run(_suite_step(url, _batch(args.items, f"split{r}"), 128, 4)))
        naive_s, shared_s, split_s = (statistics.median(v) for v in (naive, shared, split))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"{args.items} completions, {len(_REWARDS)} reward columns, median of {args.repeats} runs")
    print(f"baseline: one request per column        {naive_s:7.3f} s  1.00x")
    print(f"suite: one shared request                {shared_s:7.3f} s  {naive_s / shared_s:.2f}x faster")
    print(f"suite: split into 128-item requests, x4  {split_s:7.3f} s  {naive_s / split_s:.2f}x faster")


if __name__ == "__main__":
    main()
