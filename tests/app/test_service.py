"""The service built from settings alone: real catalogue, real math pool, real bwrap sandbox.

One app per module (the pool and the sandbox take seconds to start). Poison items (huge powers,
fork bombs, endless loops, memory hogs, output floods) are mixed into batches of good items:
the good ones must still be scored correctly, and the batch must finish in bounded time.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from app.errors import UnknownRewardNameError
from app.http.application import create_app
from app.queue.base import Task
from app.service import Components, Service
from app.settings import Settings
from tests.app.conftest import CallLog, UnusedMath, make_code_backend, make_test_registry

pytestmark = pytest.mark.asyncio(loop_scope="module")

ADD = "```python\ndef add(a, b):\n    return a + b\n```"
ADD_WRONG = "```python\ndef add(a, b):\n    return a * b\n```"
ECHO_SUM = "```python\nimport sys\nprint(sum(map(int, sys.stdin.read().split())))\n```"
ADD_TESTS = {"test_list": ["assert add(1, 2) == 3", "assert add(-1, 1) == 0"]}
SUM_TESTS = {"inputs": ["1 2\n", "5 7\n"], "outputs": ["3\n", "12\n"]}

HOSTILE_PROGRAMS = [
    "```python\nimport os\nwhile True:\n    os.fork()\n```",  # fork bomb
    "```python\nwhile True:\n    pass\n```",  # endless loop
    "```python\nx = bytearray(1 << 34)\n```",  # 16 GB allocation
    "```python\nimport sys\nwhile True:\n    sys.stdout.write('y' * 65536)\n```",  # output flood
    "```python\nimport os\nos.kill(os.getppid(), 9)\n```",  # tries to kill its runner
]
POISON_MATH = [
    "$10^{10^{10}}$",
    "\\boxed{9^{9^{9^{9}}}}",
    "\\boxed{100000000!}",
    "\\boxed{" + "(" * 5000 + "}",
]


def answer(text: str) -> str:
    return f"<think>working</think><answer>{text}</answer>"


MATH_MEMORY_MB = 1536


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app() -> AsyncIterator[FastAPI]:
    settings = Settings(
        math_workers=2,
        math_timeout_s=3.0,
        math_memory_mb=MATH_MEMORY_MB,
        sandbox_pool_size=2,
        sandbox_time_limit_s=2.0,
    )
    built = create_app(settings)
    async with built.router.lifespan_context(built):
        yield built


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://arbiter", timeout=300) as c:
        yield c


def rewards(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, "weight": 0.5 if n.startswith("format") else 1.0} for n in names]


@pytest.mark.parametrize(
    ("item", "expected_rewards", "expected_total"),
    [
        (
            {"completion": answer("\\boxed{\\frac{1}{2}}"), "ground_truth": "0.5"},
            {"accuracy": 1.0, "format_strict": 1.0},
            1.5,
        ),
        (
            {"completion": answer("\\boxed{3}"), "ground_truth": "\\frac12"},
            {"accuracy": 0.0, "format_strict": 1.0},
            0.5,
        ),
        ({"completion": "\\boxed{2}", "ground_truth": 2}, {"accuracy": 1.0, "format_strict": 0.0}, 1.0),
        ({"completion": ADD, "tests": ADD_TESTS}, {"code_accuracy": 1.0, "format_strict": 0.0}, 1.0),
        ({"completion": ADD_WRONG, "tests": ADD_TESTS}, {"code_accuracy": 0.0}, 0.0),
        ({"completion": ECHO_SUM, "tests": SUM_TESTS}, {"code_accuracy": 1.0}, 1.0),
        ({"completion": "no code at all", "tests": SUM_TESTS}, {"code_accuracy": 0.0}, 0.0),
    ],
)
async def test_real_rewards(client, item, expected_rewards, expected_total):
    r = await client.post(
        "/v1/rewards",
        json={"items": [item], "rewards": rewards("accuracy", "code_accuracy", "format_strict")},
    )
    assert r.status_code == 200, r.text
    (res,) = r.json()["results"]
    for name, value in expected_rewards.items():
        assert res["rewards"][name] == value, (name, res)
    assert res["total"] == pytest.approx(expected_total)


async def test_poison_mixed_into_good_items(client):
    good = [{"completion": answer(f"\\boxed{{{n}}}"), "ground_truth": str(n)} for n in range(12)]
    good += [{"completion": ADD, "tests": ADD_TESTS} for _ in range(5)]
    poison = [{"completion": answer(p), "ground_truth": "1"} for p in POISON_MATH]
    poison += [{"completion": p, "tests": ADD_TESTS} for p in HOSTILE_PROGRAMS]
    # interleave: every other item is poison while poison lasts
    items: list[dict[str, Any]] = []
    for i, it in enumerate(good):
        items.append({**it, "id": f"good{i}"})
        if i < len(poison):
            items.append({**poison[i], "id": f"poison{i}"})
    started = time.monotonic()
    r = await client.post(
        "/v1/rewards", json={"items": items, "rewards": rewards("accuracy", "code_accuracy"), "timeout_s": 90}
    )
    elapsed = time.monotonic() - started
    assert r.status_code == 200
    results = r.json()["results"]
    assert [x["id"] for x in results] == [it["id"] for it in items]
    for res in results:
        if res["id"].startswith("good"):
            assert res["total"] == 1.0, res
        else:  # poison: never counted as correct, and never a failed batch
            assert res["accuracy"] in (0.0, None), res
    assert elapsed < 60


async def test_verify_math_explains(client):
    r = await client.post(
        "/v1/verify/math", json={"gold": "\\frac{1}{2}", "completion": answer("\\boxed{0.5}")}
    )
    out = r.json()
    assert out["correct"] is True and out["reason"] == "equal"
    assert "0.5" in out["explanation"]
    assert out["steps"] and all(set(step) == {"stage", "detail"} for step in out["steps"])


async def test_run_code_and_execute(client):
    run = await client.post(
        "/run_code", json={"code": "print(int(input()) * 2)", "language": "python", "stdin": "21"}
    )
    assert run.json()["status"] == "Success"
    assert run.json()["run_result"]["stdout"].strip() == "42"
    failed = await client.post("/run_code", json={"code": "raise SystemExit(3)", "language": "python"})
    assert failed.json()["status"] == "Failed" and failed.json()["run_result"]["return_code"] == 3
    exe = await client.post(
        "/v1/execute", json={"code": "def add(a, b):\n    return a + b", "tests": ADD_TESTS}
    )
    assert exe.json()["status"] == "accepted" and exe.json()["passed"] == 2


async def test_execute_shows_a_diff_for_a_wrong_stdout(client):
    tests = {"inputs": ["2 2\n", "2 3\n"], "outputs": ["4\n", "5\n"]}
    code = "a, b = map(int, input().split())\nprint(a * b)"
    r = await client.post("/v1/execute", json={"code": code, "tests": tests, "stop_on_first_failure": False})
    first, second = r.json()["tests"]
    assert first["status"] == "accepted" and first["diff"] is None
    assert second["status"] == "wrong_answer"
    assert "-5" in second["diff"] and "+6" in second["diff"]


async def test_math_pool_gets_the_memory_setting(app):
    assert app.state.service.math.memory_mb == MATH_MEMORY_MB


async def test_ready_with_real_components(client):
    r = await client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["checks"] == {"queue": True, "math": True, "sandbox": True}


async def test_accuracy_feeds_real_length_rewards(client):
    items = [
        {"completion": answer("\\boxed{4}"), "ground_truth": "4", "group_id": "g", "num_tokens": 10},
        {"completion": answer("\\boxed{5}"), "ground_truth": "4", "group_id": "g", "num_tokens": 10},
    ]
    with_acc = await client.post(
        "/v1/rewards",
        json={
            "items": items,
            "rewards": [{"name": "accuracy"}, {"name": "cosine_length"}, {"name": "kimi_length"}],
        },
    )
    alone = await client.post("/v1/rewards", json={"items": items, "rewards": [{"name": "cosine_length"}]})
    right, wrong = with_acc.json()["results"]
    assert right["details"]["cosine_length"]["correct"] is True
    assert wrong["details"]["cosine_length"]["correct"] is False
    assert right["rewards"]["cosine_length"] > 0 > wrong["rewards"]["cosine_length"]
    assert right["rewards"]["kimi_length"] is not None and wrong["rewards"]["kimi_length"] is not None
    assert alone.json()["results"][0]["rewards"]["cosine_length"] is None
    assert alone.json()["results"][0]["errors"]["cosine_length"] == "correctness_unknown"


@pytest.mark.parametrize("max_deliveries", [1, 3])
async def test_embedded_queue_takes_max_deliveries_from_settings(max_deliveries):
    service = Service(
        Settings(max_deliveries=max_deliveries),
        Components(registry=make_test_registry(CallLog()), math=UnusedMath(), code=make_code_backend()),
    )
    await service.start()
    try:
        assert service.queue is not None
        await service.queue.submit([Task("garbled", b"not a chunk")])  # the executor cannot decode it
        result = (await service.queue.results(["garbled"], 5.0))["garbled"]
    finally:
        await service.close()
    assert result.error is not None
    assert result.error.startswith(f"dead-lettered after {max_deliveries} deliveries")


@pytest.mark.parametrize(
    "settings",
    [
        {"openrlhf_rewards": ("no_such_reward",), "openrlhf_weights": (1.0,)},
        {"openrlhf_profiles": {"p": {"accuracy": 1.0, "no_such_reward": 1.0}}},
    ],
)
async def test_unknown_openrlhf_reward_fails_at_startup(settings):
    service = Service(
        Settings(**settings),
        Components(registry=make_test_registry(CallLog()), math=UnusedMath(), code=make_code_backend()),
    )
    try:
        with pytest.raises(UnknownRewardNameError, match="no_such_reward"):
            await service.start()
    finally:
        await service.close()


async def test_execute_float_tolerance_is_per_request(client):
    """Issue 9: integers compare exactly; a float tolerance only where the expected token is a float,
    and a request may set it."""
    tests = {"inputs": ["\n"], "outputs": ["0.5\n"]}
    code = "print(0.51)"
    strict = await client.post("/v1/execute", json={"code": code, "tests": tests})
    assert strict.json()["status"] == "wrong_answer"
    loose = await client.post("/v1/execute", json={"code": code, "tests": tests, "float_abs_tol": 0.05})
    assert loose.json()["status"] == "accepted"
    integer = {"inputs": ["\n"], "outputs": ["1000000006\n"]}
    wide = await client.post(
        "/v1/execute", json={"code": "print(1000000000.0)", "tests": integer, "float_rel_tol": 0.5}
    )
    assert wide.json()["status"] == "wrong_answer"  # never a tolerance on an integer
    # strict edge types (app.http.schemas.Number): no negative, above 1, string or bool tolerance
    for value in (-1, 2, "0.05", True):
        bad = await client.post("/v1/execute", json={"code": code, "tests": tests, "float_abs_tol": value})
        assert bad.status_code in (400, 422), (value, bad.text)
        assert "float_abs_tol" in bad.text, bad.text
    zero = await client.post("/v1/execute", json={"code": code, "tests": tests, "float_rel_tol": 0})
    assert zero.status_code == 200 and zero.json()["status"] == "wrong_answer"  # an int 0 is a Number
