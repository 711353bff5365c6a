"""verl 0.9's released reward loop (``RewardLoopWorker`` + ``NaiveRewardManager``) against the real service.

verl is installed with ``--no-deps`` plus what its reward code imports (ray, tensordict,
omegaconf...; ``tests/trainer_client/requirements-trainers.txt`` and ``requirements-verl.txt``): its
full dependency set (vLLM, flash-attn, a pinned transformers) cannot install on this CPU machine,
and the reward path needs none of it. The worker is built from a Hydra-shaped config exactly as verl builds it, with
``custom_reward_function.path=pkg://trainer_client.verl_score``, and scores math and code samples
decoded by a real tokenizer.

Run in ``.venv-verl`` by ``test_verl_real.py`` (verl's omegaconf/hydra need ANTLR 4.9, which the
main venv cannot hold; see ``scripts/verl-venv``), against a service that the runner starts in the
main venv and names in ``VERL_CASES_SERVICE_URL``: the service must score with the main venv's
ANTLR 4.13.2, not with this process's 4.9.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import re
import string
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.trainer_client.tiny_model import build_tiny_model

pytestmark = pytest.mark.timeout(600)

_GOOD_MATH = "<think>8*9</think><answer>72</answer>"
_BAD_MATH = "<think>8*9</think><answer>71</answer>"
_STDIN_OK = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
_STDIN_BAD = "```python\na, b = map(int, input().split())\nprint(a - b)\n```"
_FN_OK = "```python\ndef add(a, b):\n    return a + b\n```"
_IO = json.dumps({"inputs": ["1 2\n", "5 5\n"], "outputs": ["3\n", "10\n"]})
_FN = json.dumps({"fn_name": "add", "inputs": [[1, 2], [0, 0]], "outputs": [3, 0]})
_ASSERTS = json.dumps(["assert add(1, 2) == 3", "assert add(2, 2) == 4"])

# (response, ground_truth, expected score, expected reward_ok)
_SAMPLES: list[tuple[str, Any, float, float]] = [
    (_GOOD_MATH, "72", 1.0, 1.0),
    (_BAD_MATH, "72", 0.0, 1.0),
    (_STDIN_OK, _IO, 1.0, 1.0),  # a code dataset's tests in reward_model.ground_truth
    (_STDIN_BAD, _IO, 0.0, 1.0),
    (_FN_OK, _FN, 1.0, 1.0),
    (_FN_OK, _ASSERTS, 1.0, 1.0),
    (_GOOD_MATH, None, 0.0, 0.0),  # nothing applies: not scorable, flagged, not a fake 1 or 0
]


SERVICE_URL_ENV = "VERL_CASES_SERVICE_URL"


@pytest.fixture(scope="module")
def arbiter_service() -> str:
    """The runner's service (overrides the conftest one, which would serve from this venv)."""
    url = os.environ.get(SERVICE_URL_ENV)
    if not url:
        pytest.fail(f"run these through tests/trainer_client/test_verl_real.py (no {SERVICE_URL_ENV})")
    return url


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tok") / "tiny", [string.printable])


def _requests(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    found = re.findall(r'arbiter_requests_total\{route="/v1/rewards",status="200"\} ([0-9.]+)', text)
    return float(found[0]) if found else 0.0


def _config(tokenizer_dir: Path, reward_kwargs: dict[str, Any]) -> Any:
    from omegaconf import OmegaConf

    return OmegaConf.create(
        {
            "actor_rollout_ref": {"model": {"path": str(tokenizer_dir), "tokenizer_path": None}},
            "reward": {
                "reward_model": {"enable": False, "model_path": None},
                "reward_manager": {"name": "naive", "source": "register"},
                "custom_reward_function": {
                    "path": "pkg://trainer_client.verl_score",
                    "name": "compute_score",
                    "reward_kwargs": reward_kwargs,
                },
                "sandbox_fusion": None,
            },
        }
    )


def _data(tokenizer: Any, samples: list[tuple[str, Any, float, float]]) -> Any:
    """A DataProto as verl's rollout hands it over: left-padded prompts, right-padded responses."""
    import numpy as np
    import torch
    from verl import DataProto

    pad = tokenizer.pad_token_id
    prompt_ids = tokenizer("Q: ", add_special_tokens=False)["input_ids"]
    responses = [
        tokenizer(r, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id] for r, *_ in samples
    ]
    width = max(len(r) for r in responses)
    resp = torch.tensor([r + [pad] * (width - len(r)) for r in responses])
    prompts = torch.tensor([prompt_ids] * len(samples))
    mask = torch.cat(
        [torch.ones_like(prompts), torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in responses])],
        dim=1,
    )
    reward_model = np.array([{"ground_truth": gt, "style": "rule"} for _, gt, *_ in samples], dtype=object)
    return DataProto.from_dict(
        tensors={"prompts": prompts, "responses": resp, "attention_mask": mask},
        non_tensors={
            "data_source": np.array(["mixed"] * len(samples), dtype=object),
            "reward_model": reward_model,
            "extra_info": np.array([{} for _ in samples], dtype=object),
        },
    )


def _run_worker(
    tokenizer_dir: Path, reward_kwargs: dict[str, Any], samples: list[Any]
) -> tuple[Any, list[Any]]:
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # verl's worker binds the loop it finds at construction
    try:
        worker = RewardLoopWorker(_config(tokenizer_dir, reward_kwargs))
        data = _data(worker.input_tokenizer, samples)
        outputs = loop.run_until_complete(worker.compute_score_batch(data))
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    return worker, outputs


def test_verl_detects_the_async_compute_score(tokenizer_dir: Path, arbiter_service: str) -> None:
    from verl.trainer.ppo.reward import get_custom_reward_fn

    fn = get_custom_reward_fn(_config(tokenizer_dir, {"url": arbiter_service}))
    assert inspect.iscoroutinefunction(fn)  # verl's managers await it instead of using a thread


def test_reward_loop_scores_math_and_code_in_one_request(tokenizer_dir: Path, arbiter_service: str) -> None:
    before = _requests(arbiter_service)
    worker, outputs = _run_worker(tokenizer_dir, {"url": arbiter_service}, _SAMPLES)
    assert worker.reward_manager.is_async_reward_score
    assert [o["reward_score"] for o in outputs] == [s[2] for s in _SAMPLES]
    assert [o["reward_extra_info"]["reward_ok"] for o in outputs] == [s[3] for s in _SAMPLES]
    assert _requests(arbiter_service) - before == 1  # 7 concurrent calls coalesced into one request
    # verl's own assembly of the per-token reward tensor takes these scores
    from verl.experimental.reward_loop.reward_manager.naive import NaiveRewardManager

    data = _data(worker.input_tokenizer, _SAMPLES)
    tensor = NaiveRewardManager.assemble_rm_scores(data, [o["reward_score"] for o in outputs])
    assert tensor.sum(dim=1).tolist() == [s[2] for s in _SAMPLES]


def _readme_overrides(url: str) -> list[str]:
    """The Hydra lines of the README's verl section, as written there (URL and key swapped in)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```text\n(\s*custom_reward_function\.path=.*?)```", readme, re.S)
    assert block, "README lost its verl override block"
    lines = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    lines = [line for line in lines if line and "api_key" not in line]  # this service has no key
    return [line.replace("http://reward-host:8000", url).replace("'", "") for line in lines]


def test_readme_hydra_lines_compose_verls_config_and_score(tokenizer_dir: Path, arbiter_service: str) -> None:
    import verl
    from hydra import compose, initialize_config_dir
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker, migrate_legacy_reward_impl

    overrides = [*_readme_overrides(arbiter_service), f"actor_rollout_ref.model.path={tokenizer_dir}"]
    config_dir = str(Path(verl.__file__).parent / "trainer" / "config")
    with initialize_config_dir(config_dir=config_dir, version_base=None):
        config = migrate_legacy_reward_impl(compose("ppo_trainer", overrides=overrides))
        with pytest.raises(Exception, match=r"\+custom_reward_function"):  # why the README has the +
            compose("ppo_trainer", overrides=[o.lstrip("+") for o in overrides])
    assert config.reward.custom_reward_function.reward_kwargs.url == arbiter_service
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        worker = RewardLoopWorker(config)
        outputs = loop.run_until_complete(worker.compute_score_batch(_data(worker.input_tokenizer, _SAMPLES)))
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    assert [o["reward_score"] for o in outputs] == [s[2] for s in _SAMPLES]


def test_service_down_gives_flagged_fallback_not_a_crash(tokenizer_dir: Path) -> None:
    kwargs = {"url": "http://127.0.0.1:9", "deadline_s": 1.0, "fallback_score": -1.0}
    _, outputs = _run_worker(tokenizer_dir, kwargs, _SAMPLES[:2])
    assert [o["reward_score"] for o in outputs] == [-1.0, -1.0]
    assert [o["reward_extra_info"]["reward_ok"] for o in outputs] == [0.0, 0.0]
