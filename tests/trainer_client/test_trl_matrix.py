"""Real ``GRPOTrainer`` steps, with the installed TRL, against a real service (``trl_matrix``).

``scripts/test-trl-matrix`` runs this file under the oldest TRL we claim (pyproject's lower bound,
in ``.venv-trl-old``) and the newest (the main venv); ``scripts/test`` runs both. What each TRL
must show: it awaits the coroutine columns (TRL < 1.14 decides with
``inspect.iscoroutinefunction``), it calls the blocking columns, a sample with an unparseable
gold comes back ``None`` in every column (so TRL leaves it out instead of summing the rest), and
a group-relative reward sees whole groups.
"""

from __future__ import annotations

import asyncio
import atexit
import inspect
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.trainer_client.tiny_model import build_tiny_model
from trainer_client import ClientConfig, RewardSuite

pytestmark = [pytest.mark.trl_matrix, pytest.mark.timeout(900)]

_NUM_GENERATIONS = 4
_UNPARSEABLE_GOLD = "}{"  # the service answers unparseable_gold: accuracy None, total null


def _recording(column: Callable[..., Any], seen: list[list[float | None]]) -> Callable[..., Any]:
    """The column, still a coroutine function (or still sync), writing down what TRL received."""
    if inspect.iscoroutinefunction(column):

        async def async_wrapper(**kwargs: Any) -> list[float | None]:
            out = await column(**kwargs)
            seen.append(out)
            return out

        async_wrapper.__name__ = column.__name__
        return async_wrapper

    def sync_wrapper(**kwargs: Any) -> list[float | None]:
        out = column(**kwargs)
        seen.append(out)
        return out

    sync_wrapper.__name__ = column.__name__
    return sync_wrapper


def _requests(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    found = re.findall(r'arbiter_requests_total\{route="/v1/rewards",status="200"\} ([0-9.]+)', text)
    return float(found[0]) if found else 0.0


def _close_reward_loop(trainer: Any, suite: RewardSuite) -> None:
    """Newer TRL runs async reward columns on its own loop thread and only stops it at exit, never
    closing it (an unclosed loop, its sockets and our client's connection on it): close our client
    on that loop, then stop and close the loop here. Older TRL has no such loop."""
    loop: asyncio.AbstractEventLoop | None = getattr(trainer, "async_loop", None)
    thread = getattr(trainer, "async_loop_thread", None)
    if loop is None or thread is None or loop.is_closed():
        return
    asyncio.run_coroutine_threadsafe(suite.aclose(), loop).result(timeout=30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=30)
    if not thread.is_alive():
        from trl.trainer.utils import shutdown_event_loop_in_daemon

        atexit.unregister(shutdown_event_loop_in_daemon)  # it would call into the closed loop
        loop.close()


def test_grpo_steps_with_async_and_sync_columns(arbiter_service: str, tmp_path: Path) -> None:
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    model_dir = build_tiny_model(tmp_path / "tiny", ["0123456789+-=?{} "])
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    config = ClientConfig(base_url=arbiter_service, deadline_s=120.0)
    main = RewardSuite(
        ["accuracy", "format_strict", "kimi_length"],
        config=config,
        include_raw_accuracy=True,
        num_generations=_NUM_GENERATIONS,
    )
    blocking = RewardSuite(["tag_count"], config=config)
    seen: dict[str, list[list[float | None]]] = {}
    columns = [*main.reward_funcs, *blocking.sync_reward_funcs]
    funcs: list[Any] = [_recording(c, seen.setdefault(c.__name__, [])) for c in columns]
    assert [inspect.iscoroutinefunction(f) for f in funcs] == [True, True, True, True, False]
    dataset = Dataset.from_list(
        [
            {"prompt": "2+2=? ", "answer": "4"},
            {"prompt": "3+3=? ", "answer": "6"},
            {"prompt": "1+1=? ", "answer": _UNPARSEABLE_GOLD},
            {"prompt": "4+4=? ", "answer": "8"},
        ]
    )
    args = GRPOConfig(
        output_dir=str(tmp_path / "out"),
        per_device_train_batch_size=8,
        num_generations=_NUM_GENERATIONS,
        max_completion_length=8,
        max_steps=2,
        learning_rate=1e-3,
        reward_weights=[*main.reward_weights, *blocking.reward_weights],
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        bf16=False,
        seed=0,
    )
    before = _requests(arbiter_service)
    trainer = GRPOTrainer(
        model=model, reward_funcs=funcs, args=args, train_dataset=dataset, processing_class=tokenizer
    )
    try:
        trainer.train()
    finally:
        _close_reward_loop(trainer, main)
        blocking.run_blocking(blocking.aclose())  # the sync columns' client, on the suite's own loop

    assert trainer.state.global_step == 2
    names = ["accuracy", "format_strict", "kimi_length", "raw_accuracy", "tag_count"]
    assert all(len(seen[n]) == 2 for n in names)  # every column called once per step, lists came back
    # one request per batch for the async suite (shared by its four columns), one for the sync one
    assert _requests(arbiter_service) - before == 4
    steps = [h for h in trainer.state.log_history if "rewards/tag_count/mean" in h]
    assert len(steps) == 2
    for h in steps:
        for name in names:
            assert math.isfinite(h[f"rewards/{name}/mean"])
    # the unparseable-gold prompt: None in every column of the async suite for its whole group
    main_rows = [list(zip(*(seen[n][step] for n in names[:4]), strict=True)) for step in range(2)]
    unscorable = [row for step in main_rows for row in step if all(v is None for v in row)]
    scorable = [row for step in main_rows for row in step if all(v is not None for v in row)]
    assert len(unscorable) == _NUM_GENERATIONS
    assert len(unscorable) + len(scorable) == 16  # never a mix of None and numbers in one row
