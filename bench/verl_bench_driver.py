"""The trainer side of ``bench/verl_bench.py``: every timed variant, run in ``.venv-verl``.

Why a separate module: verl's config stack (omegaconf, hydra-core) needs ANTLR 4.9, while the
service's LaTeX parser pins 4.13.2, so verl cannot live in the service's interpreter.
``verl_bench.py`` starts the service in ``.venv`` and runs this module under ``.venv-verl``'s
Python against it; the batched baseline is measured here too, by the same process and event
loop as the per-sample variants, so the ratios compare like with like. The medians and ratios
are computed and printed by ``verl_bench.py``; this module writes its raw timings (seconds per
run, per variant) as one JSON object to ``--out``.

Variants, interleaved, fresh completions each run (a nonce) so the result cache cannot help:
- ``batched``: one ``AsyncRewardClient.score`` request with all samples (the baseline);
- ``calls``: ``compute_score`` awaited once per sample, all concurrently, which is how verl's
  reward loop calls it (the target applies here);
- ``worker``: verl's released ``RewardLoopWorker.compute_score_batch`` (naive manager, our
  ``compute_score`` by ``pkg://`` path), end to end; ``noop``: the same worker with a no-op
  reward function, which is verl's own per-sample cost (slicing its ``DataProto``, decoding in
  its executor) that no reward function can remove;
- ``legacy``: ``compute_score_sync`` per sample in executor threads (one request each), for
  context: what a sync function costs in the same loop.

    .venv-verl/bin/python bench/verl_bench_driver.py --url URL --out runs.json [--samples N] [--repeats N]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import importlib.metadata as md
import json
import string
import sys
import tempfile
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(_ROOT))  # trainer_client, tests.trainer_client.tiny_model (verl's tokenizer)

from trainer_client import verl_score  # noqa: E402
from trainer_client.client import AsyncRewardClient, ClientConfig  # noqa: E402

_DATA = _ROOT / "trainer_client" / "data" / "math_small.jsonl"
_WARM_UP_SAMPLES = 64
VARIANTS = ("batched", "calls", "worker", "noop", "legacy")


def _samples(n: int, nonce: str) -> list[tuple[str, str]]:
    """``n`` (completion, gold) pairs; two in three correct, groups of 8 per problem as in GRPO."""
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
                None, functools.partial(verl_score.compute_score_sync, "bench", r, gt, {}, url=url)
            )
            for r, gt in samples
        )
    )
    elapsed_s = time.perf_counter() - started
    assert all(isinstance(o, dict) and o["reward_ok"] == 1.0 for o in out), "the service failed to score"
    return elapsed_s


class _VerlWorker:
    """verl's released reward-loop worker, built as verl builds it, on the bench's event loop."""

    def __init__(self, url: str, tokenizer_dir: Path, loop: asyncio.AbstractEventLoop) -> None:
        try:
            from omegaconf import OmegaConf
            from verl.experimental.reward_loop.reward_loop import RewardLoopWorker
        except Exception as exc:  # omegaconf under ANTLR 4.13 raises a plain Exception, not ImportError
            raise SystemExit(
                f"verl does not load in {sys.executable} ({type(exc).__name__}: {exc}); "
                "run this under .venv-verl (built by scripts/verl-venv)"
            ) from exc

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
        self.loop = loop  # verl binds the loop it finds at construction: the bench's own
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


def measure(url: str, samples: int, repeats: int) -> dict[str, Any]:
    """Every variant ``repeats`` times, interleaved; the raw seconds and what ran them."""
    # One long-lived loop for every variant, as in a verl reward worker: clients and connections
    # are made once (in the warm-up), not inside a timed run.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    client = AsyncRewardClient(ClientConfig(base_url=url, max_items_per_request=1_000_000))
    runs: dict[str, list[float]] = {k: [] for k in VARIANTS}
    try:
        with tempfile.TemporaryDirectory(prefix="verl-bench-") as tmp:
            from tests.trainer_client.tiny_model import build_tiny_model

            tok_dir = build_tiny_model(Path(tmp) / "tok", [string.printable])
            worker = _VerlWorker(url, tok_dir, loop)
            loop.run_until_complete(_batched(client, _samples(_WARM_UP_SAMPLES, "warm-up")))
            loop.run_until_complete(_gathered(url, _samples(_WARM_UP_SAMPLES, "warm-up2")))
            worker.run(_samples(_WARM_UP_SAMPLES, "warm-up3"))  # verl's executor and our coalescer
            for r in range(repeats):  # interleaved, so a load spike hits every variant alike
                pair: list[tuple[str, Coroutine[Any, Any, float]]] = [
                    ("batched", _batched(client, _samples(samples, f"b{r}"))),
                    ("calls", _gathered(url, _samples(samples, f"c{r}"))),
                ]
                for name, timed in pair if r % 2 == 0 else pair[::-1]:  # alternate the order: no order bias
                    runs[name].append(loop.run_until_complete(timed))
                runs["worker"].append(worker.run(_samples(samples, f"worker{r}")))
                runs["noop"].append(worker.run_noop(_samples(samples, f"noop{r}")))
                runs["legacy"].append(
                    loop.run_until_complete(_legacy_sync(url, _samples(samples, f"legacy{r}")))
                )
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()
    return {
        "samples": samples,
        "repeats": repeats,
        "runs_s": runs,
        "python": sys.executable,
        "verl": md.version("verl"),
        "antlr": md.version("antlr4-python3-runtime"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a running Arbiter service")
    parser.add_argument("--out", required=True, type=Path, help="where the JSON timings go")
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    result = measure(args.url, args.samples, args.repeats)
    args.out.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
