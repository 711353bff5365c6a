"""slime's remote reward shape: translation tables, then a real service posted to as slime's
``remote_rm`` does (aiohttp, ``{prompt, response, label}``, the JSON body is the reward)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest

from app.http.slime import SlimeShape, parse_reward_list, slime_item, slime_response
from app.results import ItemResult
from tests.trainer_client.servers import free_port, start_server, stop_server

GOOD = "<think>2+2 is 4</think>\n<answer>\\boxed{4}</answer>"
WRONG = "<think>2+2 is 5</think>\n<answer>\\boxed{5}</answer>"


@pytest.mark.parametrize(
    ("label", "gold", "tests"),
    [
        ("4", "4", None),
        (4, 4, None),
        (None, None, None),
        ({"ground_truth": "\\frac12"}, "\\frac12", None),
        ({"answer": "7"}, "7", None),
        ({"tests": {"inputs": ["1\n"], "outputs": ["1\n"]}}, None, {"inputs": ["1\n"], "outputs": ["1\n"]}),
    ],
)
def test_label_shapes(label, gold, tests):
    item = slime_item("Q?", "A", label)
    assert item.get("ground_truth") == gold and item.get("tests") == tests
    assert item["prompt"] == "Q?" and item["completion"] == "A"


@pytest.mark.parametrize(
    ("label", "needle"),
    [
        (True, "label must be"),
        ([1, 2], "label must be"),
        ({"answer": "1", "gold": "1"}, "twice"),
        ({"solution": "x"}, "unknown keys"),
        ({"answer": {"x": 1}}, "string or a number"),
    ],
)
def test_bad_labels(label, needle):
    with pytest.raises(ValueError, match=needle):
        slime_item("", "A", label)


def test_chat_prompt_and_reward_list():
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "2+2?"}]
    assert slime_item(messages, "A", "4")["prompt"] == "be brief\n2+2?"
    assert parse_reward_list("accuracy, format_strict:0.5") == [("accuracy", 1.0), ("format_strict", 0.5)]
    for bad in ("accuracy:x", ",accuracy"):
        with pytest.raises(ValueError):
            parse_reward_list(bad)


def test_response_shapes():
    ok = ItemResult("0", 1.5, {"accuracy": 1.0, "format_strict": 1.0}, 1.0, {}, {})
    lost = ItemResult("0", None, {"accuracy": None, "format_strict": 1.0}, None, {}, {"accuracy": "timeout"})
    assert slime_response(ok, SlimeShape.SCALAR) == 1.5
    assert slime_response(lost, SlimeShape.SCALAR) == 0.0
    out = slime_response(lost, SlimeShape.DICT)
    assert isinstance(out, dict)
    assert out["reward"] == 0.0 and out["scorable"] is False and out["errors"] == {"accuracy": "timeout"}


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("slime") / "serve.log"
    env = {"ARBITER_SANDBOX_POOL_SIZE": "1", "ARBITER_MATH_WORKERS": "1", "ARBITER_EMBEDDED_WORKERS": "1"}
    with mock.patch.dict(os.environ, env):
        proc = start_server(["-m", "app.cli", "serve", "--port", str(port)], port, "/readyz", log, 180.0)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(proc)


async def _remote_rm(rm_url: str, prompt: Any, response: str, label: Any) -> tuple[int, Any]:
    """What slime's ``remote_rm`` sends and keeps (aiohttp, the whole JSON body is the reward)."""
    import aiohttp

    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session,
        session.post(rm_url, json={"prompt": prompt, "response": response, "label": label}) as resp,
    ):
        return resp.status, await resp.json()


def _post(url: str, path: str, prompt: Any, response: str, label: Any) -> tuple[int, Any]:
    return asyncio.run(_remote_rm(f"{url}{path}", prompt, response, label))


def test_scalar_rewards_from_a_running_service(url: str) -> None:
    # the default profile: accuracy (1.0) + format_strict (0.5)
    assert _post(url, "/slime/reward", "What is 2+2?", GOOD, "4") == (200, 1.5)
    assert _post(url, "/slime/reward", "What is 2+2?", WRONG, "4") == (200, 0.5)
    status, reward = _post(
        url, "/slime/reward?rewards=accuracy", [{"role": "user", "content": "2+2?"}], GOOD, 4
    )
    assert (status, reward) == (200, 1.0)


def test_dict_shape_flags_an_unscorable_gold(url: str) -> None:
    status, body = _post(url, "/slime/reward?shape=dict", "Q", GOOD, {"ground_truth": "\\frac{"})
    assert status == 200 and body["scorable"] is False and body["rewards"]["accuracy"] is None
    status, body = _post(url, "/slime/reward?shape=dict", "Q", GOOD, {"answer": "4"})
    assert status == 200 and body["scorable"] is True and body["reward"] == 1.5 and body["accuracy"] == 1.0


def test_code_tests_in_the_label(url: str) -> None:
    program = "```python\nprint(sum(map(int, input().split())))\n```"
    label = {"tests": {"inputs": ["1 2\n", "5 7\n"], "outputs": ["3\n", "12\n"]}}
    assert _post(url, "/slime/reward?rewards=code_accuracy", "sum", program, label) == (200, 1.0)


@pytest.mark.parametrize(
    ("path", "label", "status", "needle"),
    [
        ("/slime/reward?rewards=nonsense", "4", 400, "nonsense"),
        ("/slime/reward?shape=list", "4", 422, "shape"),
        ("/slime/reward", {"solution": "4"}, 422, "unknown keys"),
    ],
)
def test_bad_requests(url: str, path: str, label: Any, status: int, needle: str) -> None:
    got, body = _post(url, path, "Q", GOOD, label)
    assert got == status and needle in body["detail"]
