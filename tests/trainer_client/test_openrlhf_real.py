"""OpenRLHF 0.9's released remote-RM client (``request_api_wrapper``) against the real service.

OpenRLHF is installed with ``--no-deps`` (its pinned transformers conflicts with TRL's); the
client module needs only ray and requests. The payloads are what OpenRLHF builds: queries decoded
with the chat template's special tokens kept, the prompt text, and the dataset's labels.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from tests.trainer_client.conftest import serve

pytestmark = pytest.mark.timeout(300)

_KEY = "k3y-for-tests"
_GOOD = "<think>8*9=72</think> <answer>72</answer>"
_WRONG = "<think>8*9=71</think> <answer>71</answer>"
_CODE = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
# The same prompt as three chat templates render it (Qwen, Llama 3, DeepSeek-R1), and how OpenRLHF's
# decode (skip_special_tokens=False) renders prompt + response: BOS first, end-of-turn and padding after.
_TEMPLATES = [
    (
        "<|im_start|>user\nWhat is 8*9?<|im_end|>\n<|im_start|>assistant\n",
        "{p}{r}<|im_end|><|endoftext|><|endoftext|>",
    ),
    (
        "<|start_header_id|>user<|end_header_id|>\n\nWhat is 8*9?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n",
        "<|begin_of_text|>{p}{r}<|eot_id|>",
    ),
    ("User: What is 8*9?\nAssistant:", "<｜begin▁of▁sentence｜>{p}{r}<｜end▁of▁sentence｜>"),
]


@pytest.fixture(scope="module")
def keyed_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARBITER_")}
    env["ARBITER_API_KEY"] = _KEY
    env["ARBITER_OPENRLHF_PROFILES"] = json.dumps({"code": {"code_accuracy": 1.0}, "acc": {"accuracy": 1.0}})
    yield from serve(tmp_path_factory, env=env)


def _call(url: str, queries: list[str], prompts: list[str], labels: list[object]) -> dict:
    from openrlhf.utils.remote_rm_utils import request_api_wrapper

    return request_api_wrapper(url, {"query": queries, "prompts": prompts, "labels": labels}, try_max_times=1)


@pytest.mark.parametrize(("prompt", "rendered"), _TEMPLATES)
def test_special_tokens_of_common_templates(keyed_service: str, prompt: str, rendered: str) -> None:
    queries = [rendered.format(p=prompt, r=_GOOD), rendered.format(p=prompt, r=_WRONG)]
    out = _call(f"{keyed_service}/get_reward?api_key={_KEY}", queries, [prompt, prompt], ["72", "72"])
    assert out["rewards"] == [1.5, 0.5]  # accuracy 1 + 0.5 * format_strict, despite the special tokens
    assert out["extra_logs"]["format_strict"] == [1.0, 1.0]
    assert out["extra_logs"]["scorable"] == [1.0, 1.0]


def test_profiles_json_labels_and_a_plain_answer(keyed_service: str) -> None:
    prompt, rendered = _TEMPLATES[0]
    tests = json.dumps({"inputs": ["1 2\n"], "outputs": ["3\n"]})
    code = _call(
        f"{keyed_service}/get_reward/code?api_key={_KEY}",
        [rendered.format(p=prompt, r=_CODE)],
        [prompt],
        [tests],
    )
    assert code["rewards"] == [1.0] and list(code["extra_logs"]) == ["scorable", "code_accuracy"]
    plain = "The answer is 72"
    acc = _call(
        f"{keyed_service}/get_reward/acc?api_key={_KEY}",
        [rendered.format(p=prompt, r=plain)],
        [prompt],
        [{"gold": 72}],
    )
    assert acc["rewards"] == [1.0]


def test_without_the_key_openrlhf_gets_an_error_not_rewards(keyed_service: str) -> None:
    with pytest.raises(Exception, match="Request error"):
        _call(f"{keyed_service}/get_reward", ["x"], [""], ["1"])
