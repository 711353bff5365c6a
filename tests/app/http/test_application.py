"""The HTTP API through the real app, scorer, in-process queue, cache and executor."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.app.conftest import FakeSandbox, make_code_backend

GOOD = "<think>2+2</think> <answer>\\boxed{4}</answer>"
WRONG = "<think>2+2</think> <answer>\\boxed{5}</answer>"
UNFORMATTED = "the answer is \\boxed{4}"
ADD_OK = "```python\ndef add(a, b):\n    return a + b\n```"
ADD_BAD = "```python\ndef add(a, b):\n    return a - b\n```"
ADD_TESTS = ["assert add(1, 2) == 3", "assert add(2, 2) == 4"]


def item(i: int, completion: str, **kw: Any) -> dict[str, Any]:
    return {"id": f"s{i}", "completion": completion, **kw}


def body(
    items: list[dict[str, Any]], *rewards: tuple[str, float, dict[str, Any]], **kw: Any
) -> dict[str, Any]:
    return {"items": items, "rewards": [{"name": n, "weight": w, "params": p} for n, w, p in rewards], **kw}


ACC = ("accuracy", 1.0, {})
FMT = ("format_strict", 0.5, {})
CODE = ("code_accuracy", 1.0, {})


@pytest.mark.parametrize(
    ("completion", "extra", "rewards", "expected_total", "expected_accuracy"),
    [
        (GOOD, {"ground_truth": "4"}, [ACC, FMT], 1.5, 1.0),
        (WRONG, {"ground_truth": "4"}, [ACC, FMT], 0.5, 0.0),
        (UNFORMATTED, {"ground_truth": "4"}, [ACC, FMT], 1.0, 1.0),
        (ADD_OK, {"tests": ADD_TESTS}, [CODE, FMT], 1.0, 1.0),
        (ADD_BAD, {"tests": ADD_TESTS}, [CODE], 0.0, 0.0),
        (ADD_OK, {"tests": ADD_TESTS}, [CODE], 1.0, 1.0),
        # mixed: the math reward does not apply to a code item and is left out of the total
        (ADD_OK, {"tests": ADD_TESTS}, [ACC, CODE], 1.0, 1.0),
        (GOOD, {"ground_truth": "4"}, [ACC, CODE], 1.0, 1.0),
    ],
)
async def test_single_item_scores(app_client, completion, extra, rewards, expected_total, expected_accuracy):
    async with app_client() as (client, _):
        r = await client.post("/v1/rewards", json=body([item(0, completion, **extra)], *rewards))
    assert r.status_code == 200, r.text
    (res,) = r.json()["results"]
    assert res["total"] == pytest.approx(expected_total)
    assert res["accuracy"] == expected_accuracy
    assert set(res["rewards"]) == {name for name, _, _ in rewards}


async def test_mixed_batch_scored_in_order(app_client):
    items = [
        item(0, GOOD, ground_truth="4"),
        item(1, WRONG, ground_truth="4"),
        item(2, ADD_OK, tests=ADD_TESTS),
        item(3, ADD_BAD, tests=ADD_TESTS),
        item(4, GOOD, ground_truth="4"),
    ]
    async with app_client(chunk_items=2) as (client, _):
        r = await client.post("/v1/rewards", json=body(items, ACC, FMT, CODE))
    results = r.json()["results"]
    assert [x["id"] for x in results] == ["s0", "s1", "s2", "s3", "s4"]
    assert [x["accuracy"] for x in results] == [1.0, 0.0, 1.0, 0.0, 1.0]
    assert [x["total"] for x in results] == [1.5, 0.5, 1.0, 0.0, 1.5]
    assert results[2]["errors"] == {"accuracy": "not_applicable"}
    assert results[0]["errors"] == {"code_accuracy": "not_applicable"}
    assert results[0]["details"]["accuracy"] == {"extracted": "4", "reason": "equal"}
    assert results[3]["details"]["code_accuracy"]["tests"] == ["wrong_answer"]


async def test_ids_default_to_index(app_client):
    async with app_client() as (client, _):
        r = await client.post("/v1/rewards", json=body([{"completion": GOOD, "ground_truth": "4"}] * 2, ACC))
    assert [x["id"] for x in r.json()["results"]] == ["0", "1"]


async def test_bad_items_do_not_fail_the_batch(app_client):
    items = [
        item(0, GOOD, ground_truth="4"),
        item(1, GOOD, ground_truth=None),  # reward cannot score: null, not 0
        item(2, "x" * 101, ground_truth="4"),  # over max_completion_chars
        item(3, ADD_OK, tests={"weird": "shape"}),  # tests we cannot adapt
        item(4, "```python\nSANDBOX_BOOM = 1\n```", tests=ADD_TESTS),  # sandbox failure
        item(5, GOOD, ground_truth="4"),
    ]
    async with app_client(max_completion_chars=100) as (client, _):
        r = await client.post("/v1/rewards", json=body(items, ACC, CODE))
    assert r.status_code == 200
    res = r.json()["results"]
    assert res[0]["total"] == 1.0 and res[5]["total"] == 1.0
    assert res[1]["total"] is None and res[1]["errors"]["accuracy"] == "invalid_input"
    assert res[2]["error"] == "completion_too_large" and res[2]["rewards"] == {
        "accuracy": None,
        "code_accuracy": None,
    }
    assert res[3]["rewards"]["code_accuracy"] is None and res[3]["errors"]["code_accuracy"] == "invalid_tests"
    assert res[4]["rewards"]["code_accuracy"] is None and res[4]["errors"]["code_accuracy"] == "sandbox_error"


async def test_reward_bug_is_an_error_code_not_a_failed_batch(app_client):
    async with app_client() as (client, _):
        r = await client.post(
            "/v1/rewards", json=body([item(0, GOOD, ground_truth="4")], ACC, ("broken", 1.0, {}))
        )
    (res,) = r.json()["results"]
    assert res["rewards"] == {"accuracy": 1.0, "broken": None}
    assert res["errors"] == {"broken": "reward_error"}
    assert res["total"] is None


async def test_queue_timeout_is_null_with_reason(app_client):
    async with app_client() as (client, _):
        started = time.monotonic()
        r = await client.post(
            "/v1/rewards",
            json=body(
                [item(0, GOOD, ground_truth="4")], ACC, ("sleepy", 1.0, {"sleep_s": 2.0}), timeout_s=0.3
            ),
        )
        elapsed = time.monotonic() - started
    (res,) = r.json()["results"]
    assert res["rewards"]["accuracy"] == 1.0
    assert res["rewards"]["sleepy"] is None and res["errors"]["sleepy"] == "queue_timeout"
    assert elapsed < 1.5


async def test_accuracy_feeds_correctness_dependent_rewards(app_client):
    items = [item(0, GOOD, ground_truth="4"), item(1, WRONG, ground_truth="4"), item(2, GOOD)]
    async with app_client() as (client, _):
        r = await client.post("/v1/rewards", json=body(items, ACC, ("correct_bonus", 1.0, {})))
        alone = await client.post("/v1/rewards", json=body(items[:1], ("correct_bonus", 1.0, {})))
    res = r.json()["results"]
    assert [x["rewards"]["correct_bonus"] for x in res] == [2.0, 0.0, None]
    assert alone.json()["results"][0]["errors"] == {"correct_bonus": "unknown_correctness"}


async def test_cache_hits_skip_the_queue(app_client, call_log):
    items = [item(i, GOOD, ground_truth="4") for i in range(4)] + [item(9, WRONG, ground_truth="4")]
    async with app_client() as (client, _):
        first = await client.post("/v1/rewards", json=body(items, ACC))
        assert call_log.counts["accuracy"] == 2  # the 4 identical completions are verified once
        second = await client.post("/v1/rewards", json=body(items, ACC))
        assert call_log.counts["accuracy"] == 2
        other_gold = await client.post("/v1/rewards", json=body([item(0, GOOD, ground_truth="5")], ACC))
        assert call_log.counts["accuracy"] == 3
        metrics = (await client.get("/metrics")).text
    assert first.json()["results"] == second.json()["results"]
    assert other_gold.json()["results"][0]["accuracy"] == 0.0
    assert "arbiter_cache_hits_total 5.0" in metrics


async def test_cache_disabled_with_zero_ttl(app_client, call_log):
    async with app_client(result_cache_ttl_s=0) as (client, _):
        for _ in range(2):
            r = await client.post("/v1/rewards", json=body([item(0, GOOD, ground_truth="4")] * 3, ACC))
            assert [x["total"] for x in r.json()["results"]] == [1.0, 1.0, 1.0]
    assert call_log.counts["accuracy"] == 2  # once per request: duplicates within one are still shared


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        ({"items": [], "rewards": [{"name": "nope"}]}, 400, "known rewards: accuracy, broken, code_accuracy"),
        ({"items": [], "rewards": [{"name": "accuracy", "params": {"bogus": 1}}]}, 400, "bogus"),
        ({"items": [], "rewards": []}, 422, "no rewards requested"),
        ({"items": [{"prompt": "no completion"}], "rewards": [{"name": "accuracy"}]}, 422, "completion"),
        ({"items": "nope", "rewards": [{"name": "accuracy"}]}, 422, "items"),
        (
            {"items": [{"completion": "x"}] * 11, "rewards": [{"name": "accuracy"}]},
            413,
            "number of items is at least 11, over the limit of 10",
        ),
        ({"items": [], "rewards": [{"name": "accuracy"}, {"name": "accuracy"}]}, 422, "twice"),
        ({"items": [], "rewards": [{"name": "accuracy"}], "timeout_s": -1}, 422, "timeout_s"),
        (
            {"items": [], "rewards": [{"name": "code_accuracy", "params": {"language": "rust"}}]},
            422,
            "'language'='rust' is invalid",
        ),
        ({"items": [], "rewards": [{"name": "code_accuracy", "params": {"partial": "yes"}}]}, 422, "partial"),
    ],
)
async def test_bad_requests(app_client, payload, status, message):
    async with app_client(max_batch_items=10) as (client, _):
        r = await client.post("/v1/rewards", json=payload)
    assert r.status_code == status, r.text
    assert isinstance(r.json()["detail"], str)
    assert message in r.json()["detail"]


async def test_malformed_json_and_oversized_body(app_client):
    async with app_client(max_request_bytes=2000) as (client, _):
        broken = await client.post(
            "/v1/rewards", content=b"{not json", headers={"content-type": "application/json"}
        )
        big = await client.post("/v1/rewards", json=body([item(0, "x" * 5000, ground_truth="1")], ACC))

        async def stream():
            for _ in range(10):
                yield b" " * 500

        streamed = await client.post(
            "/v1/rewards", content=stream(), headers={"content-type": "application/json"}
        )
    assert broken.status_code == 422 and "JSON" in broken.json()["detail"]
    assert big.status_code == 413 and "request body" in big.json()["detail"]
    assert streamed.status_code == 413


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"authorization": "Bearer wrong"}, 401),
        ({"authorization": "Bearer s3cret"}, 200),
        ({"x-api-key": "s3cret"}, 200),
    ],
)
async def test_auth(app_client, headers, status):
    async with app_client(api_key="s3cret") as (client, _):
        r = await client.post(
            "/v1/rewards", json=body([item(0, GOOD, ground_truth="4")], ACC), headers=headers
        )
        health = await client.get("/healthz")
    assert r.status_code == status
    assert health.status_code == 200


_ITEM = {"completion": "<think>x</think><answer>\\boxed{4}</answer>", "ground_truth": "4"}
_ACC = [{"name": "accuracy"}]


@pytest.mark.parametrize(
    ("path", "raw", "field", "why"),
    [
        (
            "/v1/rewards",
            {"items": [{**_ITEM, "ground_truth": True}], "rewards": _ACC},
            "ground_truth",
            "boolean",
        ),
        (
            "/v1/rewards",
            {"items": [{**_ITEM, "ground_truth": False}], "rewards": _ACC},
            "ground_truth",
            "boolean",
        ),
        (
            "/v1/rewards",
            '{"items": [], "rewards": [{"name": "accuracy", "weight": NaN}]}',
            "weight",
            "finite",
        ),
        (
            "/v1/rewards",
            '{"items": [], "rewards": [{"name": "accuracy", "weight": Infinity}]}',
            "weight",
            "finite",
        ),
        (
            "/v1/rewards",
            '{"items": [], "rewards": [{"name": "accuracy", "weight": 1e999}]}',
            "weight",
            "finite",
        ),
        ("/v1/rewards", {"items": [], "rewards": [{"name": "accuracy", "weight": True}]}, "weight", "number"),
        ("/v1/rewards", {"items": [], "rewards": [{"name": "accuracy", "weight": "2"}]}, "weight", "number"),
        (
            "/v1/rewards",
            '{"items": [{"completion": "x", "ground_truth": NaN}], "rewards": [{"name": "accuracy"}]}',
            "ground_truth",
            "finite",
        ),
        (
            "/v1/rewards",
            '{"items": [{"completion": "x", "metadata": {"correct": NaN}}], "rewards": [{"name": "accuracy"}]}',
            "metadata",
            "NaN",
        ),
        (
            "/v1/rewards",
            '{"items": [], "rewards": [{"name": "accuracy", "params": {"rel_tol": -Infinity}}]}',
            "params",
            "NaN",
        ),
        ("/v1/rewards", {"items": [], "rewards": _ACC, "timeout_s": True}, "timeout_s", "number"),
        ("/v1/rewards", {"items": [], "rewards": _ACC, "timeout_s": "5"}, "timeout_s", "number"),
        ("/v1/rewards", {"items": [{**_ITEM, "num_tokens": True}], "rewards": _ACC}, "num_tokens", "integer"),
        (
            "/v1/rewards",
            {"items": [{**_ITEM, "token_ids": [1, True]}], "rewards": _ACC},
            "token_ids",
            "integer",
        ),
        ("/v1/rewards", {"items": [{**_ITEM, "completion": 5}], "rewards": _ACC}, "completion", "string"),
        ("/v1/rewards", {"items": [{**_ITEM, "id": 5}], "rewards": _ACC}, "id", "string"),
        (
            "/v1/jobs",
            {"items": [{**_ITEM, "ground_truth": True}], "rewards": _ACC},
            "ground_truth",
            "boolean",
        ),
        ("/v1/verify/math", {"gold": True, "completion": "\\boxed{1}"}, "gold", "boolean"),
        ("/get_reward", {"query": ["q"], "labels": [True]}, "labels", "boolean"),
        ("/get_reward", {"query": [1]}, "query", "string"),
        (
            "/v1/execute",
            {"code": "x = 1", "tests": ["assert x"], "stop_on_first_failure": "yes"},
            "stop_on_first_failure",
            "boolean",
        ),
        ("/run_code", {"code": "print(1)", "run_timeout": True}, "run_timeout", "number"),
        ("/run_code", {"code": "print(1)", "memory_limit_MB": 1.5}, "memory_limit_MB", "integer"),
        ("/run_code", {"code": "print(1)", "memory_limit_MB": False}, "memory_limit_MB", "integer"),
    ],
)
async def test_hostile_values_are_a_clear_422_naming_the_field(app_client, path, raw, field, why):
    content = raw if isinstance(raw, str) else json.dumps(raw)
    async with app_client() as (client, _):
        r = await client.post(path, content=content, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert field in detail and why in detail, detail


async def test_backpressure_429_with_retry_after(app_client):
    items = [item(i, GOOD, ground_truth=str(i)) for i in range(5)]
    async with app_client(queue_max_depth=2, chunk_items=1, retry_after_s=3) as (client, _):
        r = await client.post("/v1/rewards", json=body(items, ACC))
        small = await client.post("/v1/rewards", json=body(items[:2], ACC))
        metrics = (await client.get("/metrics")).text
    assert r.status_code == 429
    assert r.headers["retry-after"] == "3"
    assert "queue full" in r.json()["detail"]
    assert small.status_code == 200
    assert 'arbiter_backpressure_total{reason="queue_full"} 1.0' in metrics


async def test_catalog_lists_params_with_defaults(app_client):
    async with app_client() as (client, _):
        r = await client.get("/v1/rewards/catalog")
    by_name = {x["name"]: x for x in r.json()["rewards"]}
    assert by_name["code_accuracy"]["kind"] == "code"
    assert by_name["code_accuracy"]["params"]["partial"]["default"] is False
    assert by_name["code_accuracy"]["params"]["partial"]["doc"]
    assert by_name["sleepy"]["params"] == {"sleep_s": {"default": 0.0, "doc": ""}}


async def test_verify_math(app_client):
    async with app_client() as (client, _):
        ok = await client.post("/v1/verify/math", json={"gold": "4", "completion": GOOD})
        bad = await client.post(
            "/v1/verify/math", json={"gold": 4, "completion": WRONG, "params": {"mode": "strict"}}
        )
        none = await client.post("/v1/verify/math", json={"gold": None, "completion": WRONG})
    assert ok.json()["correct"] is True and ok.json()["reason"] == "equal"
    assert "extracted answer '4'" in ok.json()["explanation"]
    assert bad.json()["correct"] is False and bad.json()["reward"] == 0.0
    assert none.json()["correct"] is None and none.json()["error"] == "invalid_input"


async def test_execute_reports_per_test_verdicts(app_client):
    async with app_client() as (client, _):
        r = await client.post(
            "/v1/execute",
            json={"code": "def add(a, b):\n    return a + b", "tests": [*ADD_TESTS, "assert add(1, 1) == 3"]},
        )
        bad = await client.post("/v1/execute", json={"code": "x = 1", "tests": 42})
    assert r.status_code == 200
    assert [t["status"] for t in r.json()["tests"]] == ["accepted", "accepted", "wrong_answer"]
    assert r.json()["passed"] == 2 and r.json()["total"] == 3 and r.json()["status"] == "wrong_answer"
    assert bad.status_code == 422


async def test_openrlhf_get_reward(app_client):
    prompts = ["Q1: ", "Q2: "]
    payload = {"query": [prompts[0] + GOOD, prompts[1] + WRONG], "prompts": prompts, "labels": ["4", "4"]}
    async with app_client(openrlhf_rewards=("accuracy", "format_strict"), openrlhf_weights=(1.0, 0.5)) as (
        client,
        _,
    ):
        r = await client.post("/get_reward", json=payload)
    out = r.json()
    assert out["rewards"] == [1.5, 0.5]
    assert out["scores"] == [1.0, 0.0]
    assert out["extra_logs"]["scorable"] == [1.0, 1.0]
    assert out["extra_logs"]["format_strict"] == [1.0, 1.0]


async def test_run_code_sandboxfusion_shape(app_client):
    sandbox = FakeSandbox()
    async with app_client(code_backend=make_code_backend(sandbox)) as (client, _):
        r = await client.post(
            "/run_code", json={"code": "x = 1", "language": "python", "stdin": "5", "run_timeout": 3}
        )
        bad = await client.post("/run_code", json={"code": "x", "language": "cobol"})
    out = r.json()
    assert out["status"] == "Success"
    assert out["run_result"]["status"] == "Finished"
    assert set(out["run_result"]) >= {"stdout", "stderr", "return_code", "execution_time"}
    assert sandbox.jobs[-1].tests[0].stdin == "5"
    assert sandbox.jobs[-1].limits.cpu_time_s == 3
    assert bad.status_code == 422 and "cobol" in bad.json()["detail"]


async def test_async_job_runs_to_completion(app_client):
    items = [item(i, GOOD if i % 2 else WRONG, ground_truth="4") for i in range(7)]
    async with app_client(job_chunk_items=3) as (client, _):
        r = await client.post("/v1/jobs", json=body(items, ACC, FMT))
        assert r.status_code == 202
        job_id = r.json()["job_id"]
        state: dict[str, Any] = {}
        for _ in range(100):
            state = (await client.get(f"/v1/jobs/{job_id}")).json()
            if state["status"] in ("done", "failed"):
                break
            await _sleep(0.02)
        missing = await client.get("/v1/jobs/nope")
    assert state["status"] == "done" and state["progress"] == 1.0 and state["done"] == 7
    assert [x["accuracy"] for x in state["results"]] == [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    assert missing.status_code == 404


async def test_health_ready_and_metrics(app_client, queue_kind):
    async with app_client() as (client, _):
        await client.post("/v1/rewards", json=body([item(0, GOOD, ground_truth="4")], ACC, FMT))
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
        metrics = await client.get("/metrics")
    assert health.json() == {"status": "ok"}
    expected = {"queue": True, "math": True, "sandbox": True}
    if queue_kind == "redis":
        expected["workers"] = True  # a worker heartbeat is live
    assert ready.status_code == 200 and ready.json()["checks"] == expected
    text = metrics.text
    for series in (
        'arbiter_requests_total{route="/v1/rewards",status="200"} 1.0',
        'arbiter_verdicts_total{outcome="correct",reward="accuracy"} 1.0',
        'arbiter_reward_seconds_count{reward="accuracy"} 1.0',
        "arbiter_queue_depth 0.0",
        'arbiter_worker_up{component="queue"} 1.0',
        "arbiter_items_total 1.0",
        "arbiter_cache_misses_total 1.0",
        *(["arbiter_workers_live 1.0"] if queue_kind == "redis" else []),
    ):
        assert series in text, series


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


def test_responses_are_plain_json_numbers():
    # the contract's example body round-trips through our request model
    from app.http.schemas import RewardsRequest

    example = json.loads(
        '{"items": [{"id": "s0", "prompt": "p", "completion": "c", "ground_truth": "\\\\frac12", "tests": null,'
        ' "group_id": "p0", "num_tokens": 312, "token_ids": null, "metadata": {}}],'
        ' "rewards": [{"name": "accuracy", "weight": 1.0, "params": {}}], "timeout_s": 60}'
    )
    req = RewardsRequest.model_validate(example)
    assert req.items[0].ground_truth == "\\frac12" and req.timeout_s == 60


class _DownQueue:
    """A queue whose backing store is gone: every submit fails."""

    async def submit(self, tasks):
        from app.queue.base import QueueUnavailableError

        raise QueueUnavailableError("redis is down")

    async def results(self, task_ids, timeout_s):
        return {}

    async def depth(self):
        return 0

    async def ping(self):
        return False

    async def close(self):
        return None


async def test_queue_unavailable_is_503_and_not_ready(call_log):
    import httpx

    from app.http.application import create_app
    from app.service import Components
    from app.settings import Settings
    from tests.app.conftest import UnusedMath, make_test_registry

    components = Components(
        registry=make_test_registry(call_log),
        math=UnusedMath(),
        code=make_code_backend(),
        queue_factory=lambda handler: _DownQueue(),
    )
    app = create_app(Settings(retry_after_s=5, log_json=False), components)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://a") as client,
    ):
        math = await client.post("/v1/rewards", json=body([item(0, GOOD, ground_truth="4")], ACC))
        inline_only = await client.post("/v1/rewards", json=body([item(0, GOOD)], FMT))
        ready = await client.get("/readyz")
    assert math.status_code == 503 and math.headers["retry-after"] == "5"
    assert "queue unavailable" in math.json()["detail"]
    assert inline_only.status_code == 200  # inline rewards never touch the queue
    assert ready.status_code == 503 and ready.json()["checks"]["queue"] is False


async def test_redis_mode_not_ready_without_workers(app_client, queue_kind):
    if queue_kind != "redis":
        pytest.skip("worker heartbeats exist only in Redis mode")
    async with app_client(start_worker=False) as (client, _):
        ready = await client.get("/readyz")
        metrics = (await client.get("/metrics")).text
    assert ready.status_code == 503 and ready.json()["checks"]["workers"] is False
    assert "arbiter_workers_live 0.0" in metrics


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/v1/execute", {"tests": ["assert x == 1"]}),
        ("/run_code", {"language": "python"}),
    ],
)
async def test_program_over_the_size_limit_is_413(app_client, path, extra):
    async with app_client(max_program_chars=100) as (client, _):
        big = await client.post(path, json={"code": "x = 1\n" * 50, **extra})
        small = await client.post(path, json={"code": "x = 1\n", **extra})
    assert big.status_code == 413 and "program length is 300" in big.json()["detail"]
    assert small.status_code == 200, small.text
