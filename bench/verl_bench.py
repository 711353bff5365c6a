"""verl's per-sample reward path against one batched request, on the same service in the same run.

Why: verl 0.9's reward loop calls the reward function once per sample (all samples of a batch as
concurrent tasks). Without coalescing that is one HTTP request per sample. The target: 256
samples through verl's per-sample path in at most 1.5x the time of one batched ``/v1/rewards``
request for the same 256 samples (the baseline).

Variants, interleaved, fresh completions each run (a nonce) so the result cache cannot help:
- baseline: one ``AsyncRewardClient.score`` request with all samples;
- per-sample calls: ``compute_score`` awaited once per sample, all concurrently, which is how
  verl's reward loop calls it (the target applies here);
- verl worker: verl's released ``RewardLoopWorker.compute_score_batch`` (naive manager, our
  ``compute_score`` by ``pkg://`` path), end to end; and the same worker with a no-op reward
  function, which is verl's own per-sample cost (slicing its ``DataProto``, decoding in its
  executor) that no reward function can remove;
- legacy sync: ``compute_score_sync`` per sample in executor threads (one request each), for
  context: what a sync function costs in the same loop.

    .venv/bin/python bench/verl_bench.py [--samples 256] [--repeats 3] [--url http://127.0.0.1:8000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(_ROOT))  # tests.trainer_client.tiny_model (a local tokenizer for verl)

from trainer_client import verl_score  # noqa: E402
from trainer_client.client import AsyncRewardClient, ClientConfig  # noqa: E402

_DATA = _ROOT / "trainer_client" / "data" / "math_small.jsonl"


def _samples(n: int, nonce: str) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in _DATA.read_text().splitlines()]
    out = []
    for i in range(n):
        row = rows[(i // 8) % len(rows)]
        answer = row["answer"] if i % 3 else "0"
        out.append((f"<think>{nonce} {i}: working</think><answer>{answer}</answer>", str(row["answer"])))
    return out


async def _batched(client: AsyncRewardClient, samples: list[tuple[str, str]]) -> float:
    items = [verl_score._item("bench", r, gt, None) for r, gt in samples]
    specs = verl_score._specs(None)
    started = time.perf_counter()
    batch = await client.score(items, specs)
    elapsed_s = time.perf_counter() - started
    assert all(r.total is not None for r in batch.results), "the service failed to score"
    return elapsed_s


async def _gathered(url: str, samples: list[tuple[str, str]]) -> float:
    started = time.perf_counter()
    out = await asyncio.gather(*(verl_score.compute_score("bench", r, gt, {}, url=url) for r, gt in samples))
    elapsed_s = time.perf_counter() - started
    assert all(o["reward_ok"] == 1.0 for o in out), "the service failed to score"
    return elapsed_s


async def _legacy_sync(url: str, samples: list[tuple[str, str]]) -> float:
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    out = await asyncio.gather(
        *(
            loop.run_in_executor(
                None, lambda r=r, gt=gt: verl_score.compute_score_sync("bench", r, gt, {}, url=url)
            )
            for r, gt in samples
        )
    )
    elapsed_s = time.perf_counter() - started
    assert all(isinstance(o, dict) and o["reward_ok"] == 1.0 for o in out), "the service failed to score"
    return elapsed_s


class _VerlWorker:
    """verl's released reward-loop worker, built as verl builds it, on its own event loop."""

    def __init__(self, url: str, tokenizer_dir: Path) -> None:
        from omegaconf import OmegaConf
        from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

        config = OmegaConf.create(
            {
                "actor_rollout_ref": {"model": {"path": str(tokenizer_dir), "tokenizer_path": None}},
                "reward": {
                    "reward_model": {"enable": False, "model_path": None},
                    "reward_manager": {"name": "naive", "source": "register"},
                    "custom_reward_function": {
                        "path": "pkg://trainer_client.verl_score",
                        "name": "compute_score",
                        "reward_kwargs": {"url": url},
                    },
                    "sandbox_fusion": None,
                },
            }
        )
        self.loop = asyncio.get_event_loop()  # the bench's loop: verl binds the loop it finds
        self.worker = RewardLoopWorker(config)

    def data(self, samples: list[tuple[str, str]]) -> Any:
        import numpy as np
        import torch
        from verl import DataProto

        tok = self.worker.input_tokenizer
        responses = [tok(r, add_special_tokens=False)["input_ids"] + [tok.eos_token_id] for r, _ in samples]
        width = max(len(r) for r in responses)
        resp = torch.tensor([r + [tok.pad_token_id] * (width - len(r)) for r in responses])
        prompts = torch.tensor([tok("Q: ", add_special_tokens=False)["input_ids"]] * len(samples))
        mask = torch.cat(
            [
                torch.ones_like(prompts),
                torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in responses]),
            ],
            dim=1,
        )
        return DataProto.from_dict(
            tensors={"prompts": prompts, "responses": resp, "attention_mask": mask},
            non_tensors={
                "data_source": np.array(["bench"] * len(samples), dtype=object),
                "reward_model": np.array([{"ground_truth": gt} for _, gt in samples], dtype=object),
                "extra_info": np.array([{} for _ in samples], dtype=object),
            },
        )

    def run_noop(self, samples: list[tuple[str, str]]) -> float:
        """verl's own cost: the same worker with a reward function that does nothing."""
        manager = self.worker.reward_manager
        real = manager.compute_score

        async def noop(**_: Any) -> dict[str, float]:
            return {"score": 0.0, "acc": 0.0, "reward_ok": 1.0}

        manager.compute_score = noop
        try:
            return self.run(samples)
        finally:
            manager.compute_score = real

    def run(self, samples: list[tuple[str, str]]) -> float:
        data = self.data(samples)  # tokenising is the rollout's work, not the reward path's
        started = time.perf_counter()
        out = self.loop.run_until_complete(self.worker.compute_score_batch(data))
        elapsed_s = time.perf_counter() - started
        assert all(o["reward_extra_info"]["reward_ok"] == 1.0 for o in out), "the service failed to score"
        return elapsed_s


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
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3, help="runs per variant; the median is reported")
    parser.add_argument("--url")
    args = parser.parse_args()
    url, proc = (args.url, None) if args.url else _start_service()
    worker: _VerlWorker | None = None
    # One long-lived loop for every variant, as in a verl reward worker: clients and connections
    # are made once (in the warm-up), not inside a timed run.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    client = AsyncRewardClient(ClientConfig(base_url=url, max_items_per_request=1_000_000))
    try:
        try:
            from tests.trainer_client.tiny_model import build_tiny_model

            tok_dir = build_tiny_model(Path(tempfile.mkdtemp()) / "tok", [string.printable])
            worker = _VerlWorker(url, tok_dir)
            how = "verl importable"
        except ImportError as exc:
            how = f"verl not importable: {exc}"
        loop.run_until_complete(_batched(client, _samples(64, "warm-up")))  # start the pools
        loop.run_until_complete(_gathered(url, _samples(64, "warm-up2")))
        runs: dict[str, list[float]] = {k: [] for k in ("batched", "calls", "worker", "noop", "legacy")}
        for r in range(args.repeats):  # interleaved, so a load spike hits every variant alike
            pair = [
                (
                    "batched",
                    lambda r=r: loop.run_until_complete(_batched(client, _samples(args.samples, f"b{r}"))),
                ),
                (
                    "calls",
                    lambda r=r: loop.run_until_complete(_gathered(url, _samples(args.samples, f"calls{r}"))),
                ),
            ]
            for name, run in pair if r % 2 == 0 else pair[::-1]:  # alternate the order: no order bias
                runs[name].append(run())
            if worker is not None:
                runs["worker"].append(worker.run(_samples(args.samples, f"worker{r}")))
                runs["noop"].append(worker.run_noop(_samples(args.samples, f"noop{r}")))
            runs["legacy"].append(
                loop.run_until_complete(_legacy_sync(url, _samples(args.samples, f"legacy{r}")))
            )
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    med = {k: statistics.median(v) for k, v in runs.items() if v}
    base_s = med["batched"]
    # the ratio of each adjacent (batched, calls) pair: a load spike on the shared machine hits
    # both runs of a pair, so the median of these is steadier than the ratio of the medians
    paired = statistics.median(c / b for b, c in zip(runs["batched"], runs["calls"], strict=True))
    calls_s = med["calls"]
    print(f"{args.samples} math samples, median of {args.repeats} runs")
    print(f"baseline: one batched request                 {base_s:7.3f} s  1.00x")
    print(f"compute_score per sample, concurrent (verl's   {calls_s:7.3f} s  {calls_s / base_s:.2f}x")
    print(f"  call shape, coalesced): median paired ratio {paired:.2f}x (target <= 1.5x)")
    if worker is not None:
        ours_s = med["worker"] - med["noop"]
        print(
            f"verl RewardLoopWorker end to end              {med['worker']:7.3f} s  {med['worker'] / base_s:.2f}x"
        )
        print(f"  of which verl's own per-sample cost (no-op)  {med['noop']:7.3f} s")
        print(f"  the rest: the reward path inside verl        {ours_s:7.3f} s  {ours_s / base_s:.2f}x")
    else:
        print(f"verl RewardLoopWorker: not run ({how})")
    print(
        f"legacy sync, one request per sample           {med['legacy']:7.3f} s  {med['legacy'] / base_s:.2f}x"
    )


if __name__ == "__main__":
    main()
