"""Load benchmark of the reward service on loopback, against in-process baselines of the same run.

What it measures (every ratio's baseline is measured in this same run, on this machine):

1. Per-item overhead at batch 1024 (math only, cache off): the service with ONE math worker (the
   same compute as the baseline) vs the raw verifier called in a loop in this process.
   ``(service batch time - raw loop time) / 1024``; target < 1 ms/item.
2. Service vs in-process serial at batch 256 (mixed math/code/format, cache off, default
   workers): the serial baseline computes the same rewards one item after another in this
   process, as open-r1 and TRL reward functions do today; target: service faster (ratio > 1).
3. Load: GRPO-shaped batches (prompts x group, default 64 x 16 = 1024 items) at rising
   concurrency (1, 2, 4 batches in flight); items/s, p50/p99 batch latency, errors.

The service runs as ``uvicorn --factory app.http.application:create_app`` in a subprocess on a free
127.0.0.1 port, configured through ``ARBITER_*`` variables. Bounded: a fixed number of batches
per level and ``--max-seconds`` overall (levels not started in time are skipped and reported).

Run: ``.venv/bin/python bench/service_bench.py`` (``--help`` for sizes).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(_ROOT))

REWARDS = [
    {"name": "accuracy", "weight": 1.0},
    {"name": "code_accuracy", "weight": 1.0},
    {"name": "format_strict", "weight": 0.5},
]
_STARTUP_TIMEOUT_S = 180.0
_REQUEST_TIMEOUT_S = 600.0


# --------------------------------------------------------------------------------- workload
def _math_item(rng: random.Random, i: int) -> dict[str, Any]:
    kind = rng.randrange(4)
    if kind == 0:
        gold, right, wrong = str(i), f"{i}", f"{i + 1}"
    elif kind == 1:
        gold, right, wrong = (
            f"\\frac{{{i}}}{{{i + 7}}}",
            f"\\frac{{{2 * i}}}{{{2 * i + 14}}}",
            f"\\frac{{{i}}}{{{i + 8}}}",
        )
    elif kind == 2:
        gold, right, wrong = f"{i}.5", f"\\frac{{{2 * i + 1}}}{{2}}", f"{i}.25"
    else:
        gold, right, wrong = f"\\sqrt{{{i + 2}}}", f"\\sqrt{{{i + 2}}}", f"\\sqrt{{{i + 3}}}"
    pred = right if rng.random() < 0.6 else wrong
    think = f"Step {i}: let us compute carefully. " * rng.randint(1, 6)
    return {
        "completion": f"<think>{think}</think> <answer>The answer is \\boxed{{{pred}}}</answer>",
        "ground_truth": gold,
    }


def _code_item(rng: random.Random, i: int) -> dict[str, Any]:
    op = "+" if rng.random() < 0.7 else "-"
    program = f"def add(a, b):\n    # variant {i}\n    return a {op} b\n"
    return {
        "completion": f"<think>write add</think> <answer>\n```python\n{program}```\n</answer>",
        "tests": {"test_list": [f"assert add({i}, 2) == {i + 2}", "assert add(-1, 1) == 0"]},
    }


def make_items(n: int, *, code_share: float, seed: int) -> list[dict[str, Any]]:
    """``n`` distinct GRPO-like items (groups of identical prompts, distinct completions)."""
    rng = random.Random(seed)
    items = []
    for i in range(n):
        item = (
            _code_item(rng, seed * 100_000 + i)
            if rng.random() < code_share
            else _math_item(rng, seed * 100_000 + i)
        )
        items.append({"id": str(i), "prompt": f"problem {i // 16}", "group_id": f"p{i // 16}", **item})
    return items


# --------------------------------------------------------------------------------- baselines
@dataclass(frozen=True, slots=True)
class _SerialMath:
    """The math verifier called in this process, one pair after another."""

    def verify_many(self, pairs: Sequence[tuple[Any, str]], **options: Any) -> list[Any]:
        from verifiers.math import MathConfig, verify

        config = options.get("config") or MathConfig()
        return [verify(gold, completion, config) for gold, completion in pairs]


def raw_verify_seconds(items: Sequence[dict[str, Any]]) -> float:
    from verifiers.math import MathConfig, verify

    config = MathConfig()
    started = time.perf_counter()
    for it in items:
        verify(it["ground_truth"], it["completion"], config)
    return time.perf_counter() - started


@contextlib.contextmanager
def serial_scorer() -> Iterator[Any]:
    """A function scoring one item at a time with every reward, all in this process."""
    from app.code_backend import SandboxCodeBackend
    from app.composition import sandbox_limits, service_registry
    from app.settings import Settings
    from sandbox.backend import make_sandbox
    from sandbox.extraction import extract_code
    from sandbox.pool import PoolConfig
    from sandbox.testsuite import adapt_tests
    from verifiers import RewardContext, Sample

    settings = Settings()
    sandbox = make_sandbox(settings.sandbox_backend.value, pool=PoolConfig(size=1))
    sandbox.start()
    code = SandboxCodeBackend(
        sandbox,
        extract=extract_code,
        adapt_tests=adapt_tests,
        limits=sandbox_limits(settings),
        pool_size=1,
        max_tests=settings.max_tests_per_item,
        max_program_chars=settings.max_program_chars,
    )
    registry = service_registry()
    ctx = RewardContext(math=_SerialMath(), code=code)

    def score(item: dict[str, Any]) -> float | None:
        """The item's weighted total, skipping rewards that do not apply (as the service does)."""
        sample = Sample(
            id=item["id"],
            completion=item["completion"],
            ground_truth=item.get("ground_truth"),
            tests=item.get("tests"),
        )
        total: float | None = 0.0
        for spec in REWARDS:
            name = spec["name"]
            if name == "accuracy" and sample.ground_truth is None:
                continue  # open-r1 style: each reward function skips items it does not apply to
            if name == "code_accuracy" and sample.tests is None:
                continue
            (out,) = registry.compute(name, [sample], ctx)
            total = None if total is None or out.value is None else total + spec["weight"] * out.value
        return total

    try:
        score(make_items(1, code_share=1.0, seed=999)[0])  # warm the sandbox and the imports
        yield score
    finally:
        code.close()
        sandbox.close()


# --------------------------------------------------------------------------------- service
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def service(env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """``uvicorn --factory app.http.application:create_app`` on a free loopback port; yields (base URL, pid)."""
    port = _free_port()
    full_env = {**os.environ, "PYTHONPATH": str(_ROOT), "ARBITER_LOG_LEVEL": "WARNING", **env}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "app.http.application:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=_ROOT,
        env=full_env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + _STARTUP_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"service exited with status {proc.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("service did not become ready")
            time.sleep(0.2)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def post_batch(
    client: httpx.Client, url: str, items: Sequence[dict[str, Any]], rewards: Sequence[dict[str, Any]]
) -> tuple[float, int, int, list[float | None]]:
    """(seconds, HTTP status, items whose total is null, the totals)."""
    started = time.perf_counter()
    r = client.post(
        f"{url}/v1/rewards", json={"items": list(items), "rewards": list(rewards), "timeout_s": 300}
    )
    elapsed = time.perf_counter() - started
    if r.status_code != 200:
        return elapsed, r.status_code, len(items), []
    totals = [x["total"] for x in r.json()["results"]]
    return elapsed, 200, sum(1 for t in totals if t is None), totals


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# --------------------------------------------------------------------------------- main
def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prompts", type=int, default=64)
    ap.add_argument("--group", type=int, default=16)
    ap.add_argument("--code-share", type=float, default=0.2, help="share of code items in the mixed batches")
    ap.add_argument("--levels", default="1,2,4", help="batches in flight at each load level")
    ap.add_argument("--batches-per-level", type=int, default=2)
    ap.add_argument("--overhead-items", type=int, default=1024)
    ap.add_argument("--compare-items", type=int, default=256)
    ap.add_argument("--math-workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--sandbox-pool", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--max-seconds", type=float, default=600.0)
    args = ap.parse_args(argv)
    started = time.monotonic()
    cache_off = {"ARBITER_RESULT_CACHE_TTL_S": "0", "ARBITER_MAX_BATCH_ITEMS": "100000"}
    print(f"# service_bench: {os.cpu_count()} cpus; every baseline below measured in this run")

    # 1. per-item overhead over the raw verifier, equal compute (one math worker)
    math_items = make_items(args.overhead_items, code_share=0.0, seed=1)
    raw_verify_seconds(make_items(64, code_share=0.0, seed=5))  # warm the verifier's imports
    raw_s = raw_verify_seconds(math_items)
    with (
        service({**cache_off, "ARBITER_MATH_WORKERS": "1", "ARBITER_SANDBOX_POOL_SIZE": "1"}) as (url, pid),
        httpx.Client(timeout=_REQUEST_TIMEOUT_S) as client,
    ):
        post_batch(client, url, make_items(64, code_share=0.0, seed=2), REWARDS[:1])  # warm-up
        api = psutil.Process(pid)
        cpu0 = sum(api.cpu_times()[:2])
        svc_s, status, _, _ = post_batch(client, url, math_items, REWARDS[:1])
        api_cpu_s = sum(api.cpu_times()[:2]) - cpu0
    n = len(math_items)
    overhead_ms = (svc_s - raw_s) / n * 1000
    print(f"\n## per-item overhead, batch {n}, math only, 1 math worker (status {status})")
    print(f"raw verifier loop     {raw_s:8.3f} s  ({raw_s / n * 1000:.3f} ms/item)")
    print(f"service batch         {svc_s:8.3f} s  ({svc_s / n * 1000:.3f} ms/item)")
    print(
        f"overhead              {overhead_ms:8.3f} ms/item  (target < 1 ms/item: {'PASS' if overhead_ms < 1 else 'FAIL'})"
    )
    print(f"ratio service/raw     {svc_s / raw_s:8.2f}x")
    print(
        f"API process CPU       {api_cpu_s / n * 1000:8.3f} ms/item  (HTTP, validation, queue, JSON; pool workers excluded)"
    )

    # 2 and 3 on one service with the default pools
    env = {
        **cache_off,
        "ARBITER_MATH_WORKERS": str(args.math_workers),
        "ARBITER_SANDBOX_POOL_SIZE": str(args.sandbox_pool),
    }
    mixed = make_items(args.compare_items, code_share=args.code_share, seed=3)
    with serial_scorer() as score:
        t0 = time.perf_counter()
        serial_totals = [score(it) for it in mixed]
        serial_s = time.perf_counter() - t0
    with service(env) as (url, _), httpx.Client(timeout=_REQUEST_TIMEOUT_S) as client:
        post_batch(client, url, make_items(64, code_share=args.code_share, seed=4), REWARDS)  # warm-up
        svc_mixed_s, status, nulls, svc_totals = post_batch(client, url, mixed, REWARDS)
        agree = sum(1 for a, b in zip(serial_totals, svc_totals, strict=False) if a == b)
        print(
            f"\n## service vs in-process serial, batch {len(mixed)}, mixed ({args.code_share:.0%} code), status {status}"
        )
        print(f"in-process serial     {serial_s:8.3f} s  ({len(mixed) / serial_s:8.1f} items/s)")
        print(
            f"service               {svc_mixed_s:8.3f} s  ({len(mixed) / svc_mixed_s:8.1f} items/s), null totals: {nulls}"
        )
        print(
            f"same totals as serial {agree}/{len(mixed)}; mean total {statistics.fmean(t or 0 for t in svc_totals):.3f}"
        )
        speedup = serial_s / svc_mixed_s
        print(f"speed-up              {speedup:8.2f}x  (target > 1: {'PASS' if speedup > 1 else 'FAIL'})")

        batch_items = args.prompts * args.group
        print(
            f"\n## load: GRPO batches of {args.prompts} x {args.group} = {batch_items} items, rising concurrency"
        )
        print("in_flight  batches   items/s   p50_s   p99_s   http_errors  null_totals")
        seed = 10
        for level in (int(x) for x in args.levels.split(",")):
            if time.monotonic() - started > args.max_seconds:
                print(f"{level:9d}  skipped: --max-seconds {args.max_seconds:.0f} reached")
                continue
            batches = []
            for _ in range(level * args.batches_per_level):
                seed += 1
                batches.append(make_items(batch_items, code_share=args.code_share, seed=seed))
            t0 = time.perf_counter()
            with ThreadPoolExecutor(max_workers=level) as pool:
                outcomes = list(pool.map(lambda b: post_batch(client, url, b, REWARDS), batches))
            wall = time.perf_counter() - t0
            latencies = [o[0] for o in outcomes]
            errors = sum(1 for o in outcomes if o[1] != 200)
            nulls = sum(o[2] for o in outcomes if o[1] == 200)
            print(
                f"{level:9d}  {len(batches):7d}  {len(batches) * batch_items / wall:8.1f}  "
                f"{statistics.median(latencies):6.2f}  {_percentile(latencies, 0.99):6.2f}  {errors:11d}  {nulls:11d}"
            )
    print(f"\n# total {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
