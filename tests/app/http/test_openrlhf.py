"""OpenRLHF's ``/get_reward``: query splitting, special tokens, labels, chunks, profiles, auth.

The route tests use the app with the test registry (``accuracy``: last ``\\boxed{}`` equals the
gold); OpenRLHF's released client against the real service is in
tests/trainer_client/test_openrlhf_real.py.
"""

from __future__ import annotations

import json

import pytest

from app.http.openrlhf import completion_from_query, openrlhf_response, parse_label, strip_special_tokens
from app.results import ItemResult
from app.settings import Settings

TOKENS = Settings().openrlhf_special_tokens
GOOD = "<think>2+2</think> <answer>\\boxed{4}</answer>"
WRONG = "<think>2+2</think> <answer>\\boxed{5}</answer>"
QWEN_PROMPT = "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"


@pytest.mark.parametrize(
    ("query", "prompt", "completion"),
    [
        ("Q: 1+1? A: 2", "Q: 1+1? ", "A: 2"),
        ("no prompt given", "", "no prompt given"),
        ("mismatch", "other", None),  # prompt not found: unscorable, not scored whole
        (QWEN_PROMPT + GOOD + "<|im_end|>", QWEN_PROMPT, GOOD),
        (QWEN_PROMPT + GOOD + "<|im_end|><|endoftext|><|endoftext|>", QWEN_PROMPT, GOOD),
        ("<s>" + "[INST] 2+2 [/INST]" + GOOD + "</s>", "[INST] 2+2 [/INST]", GOOD),  # BOS in the query only
        (
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n2+2<|eot_id|>"
            + GOOD
            + "<|eot_id|>",
            "<|start_header_id|>user<|end_header_id|>\n\n2+2<|eot_id|>",
            GOOD,
        ),
        (
            "<｜begin▁of▁sentence｜>User: 2+2\nAssistant:" + GOOD + "<｜end▁of▁sentence｜>",
            "User: 2+2\nAssistant:",
            GOOD,
        ),
        ("Q:  1 +\n1?\tA: 2", "Q: 1 + 1? ", "A: 2"),  # whitespace differences
        ("Q: 1+1? The answer is 72<|im_end|>", "Q: 1+1? ", "The answer is 72"),
        ("Q: 1+2? A", "Q: 1+1?", None),  # a different prompt is not half-matched
    ],
)
def test_completion_is_what_follows_the_prompt(query: str, prompt: str, completion: str | None) -> None:
    assert completion_from_query(query, prompt, TOKENS) == completion


def test_special_tokens_are_configurable_and_longest_first() -> None:
    assert strip_special_tokens("a<|im_end|>b</s>", ["</s>"]) == "a<|im_end|>b"
    assert strip_special_tokens("x<s></s>", ["<s>", "</s>"]) == "x"


@pytest.mark.parametrize(
    ("raw", "gold", "tests", "rewards"),
    [
        ("72", "72", None, None),
        (72, 72, None, None),
        (None, None, None, None),
        ("[1, 2]", "[1, 2]", None, None),  # an interval answer stays a gold
        ("{1, 2}", "{1, 2}", None, None),
        ('{"gold": "7"}', "7", None, None),
        ({"answer": "7", "rewards": ["accuracy"]}, "7", None, (("accuracy", 1.0, None),)),
        (
            {"gold": 3, "rewards": [{"name": "accuracy", "weight": 2, "params": {"mode": "lenient"}}]},
            3,
            None,
            (("accuracy", 2.0, {"mode": "lenient"}),),
        ),
        ({"tests": ["assert f() == 1"]}, None, ["assert f() == 1"], None),
        ({"inputs": ["1\n"], "outputs": ["1\n"]}, None, {"inputs": ["1\n"], "outputs": ["1\n"]}, None),
        (
            '{"fn_name": "f", "inputs": [[1]], "outputs": [1]}',
            None,
            {"fn_name": "f", "inputs": [[1]], "outputs": [1]},
            None,
        ),
        (["assert f() == 1"], None, {"test_list": ["assert f() == 1"]}, None),
        ('["assert f() == 1"]', None, {"test_list": ["assert f() == 1"]}, None),
        ([{"input": "1", "output": "2"}], None, [{"input": "1", "output": "2"}], None),
    ],
)
def test_labels(raw: object, gold: object, tests: object, rewards: object) -> None:
    label = parse_label(raw)
    assert (label.gold, label.tests, label.rewards) == (gold, tests, rewards)


@pytest.mark.parametrize("raw", [{"nothing": 1}, {"gold": "1", "rewards": []}, {"gold": "1", "rewards": [3]}])
def test_meaningless_labels_are_refused(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_label(raw)


def test_response_marks_unscorable_and_keeps_the_logged_keys() -> None:
    results = [
        ItemResult("0", 1.5, {"accuracy": 1.0, "format": 0.5}, 1.0, {}, {}),
        ItemResult("1", None, {"accuracy": None, "format": 1.0}, None, {}, {"accuracy": "timeout"}),
        ItemResult("2", 1.0, {"code_accuracy": 1.0}, 1.0, {}, {}),  # a per-sample reward choice
    ]
    out = openrlhf_response(results, ["accuracy", "format"])
    assert out == {
        "rewards": [1.5, 0.0, 1.0],
        "scores": [1.0, 0.0, 1.0],
        "extra_logs": {"scorable": [1.0, 0.0, 1.0], "accuracy": [1.0, 0.0, 0.0], "format": [0.5, 1.0, 0.0]},
    }


# --- the route


async def test_special_tokens_and_bos_do_not_cost_the_reward(app_client) -> None:
    payload = {
        "query": [f"<s>{QWEN_PROMPT}{GOOD}<|im_end|>", f"{QWEN_PROMPT}{WRONG}<|im_end|><|endoftext|>"],
        "prompts": [QWEN_PROMPT, QWEN_PROMPT],
        "labels": ["4", "4"],
    }
    async with app_client() as (client, _):
        out = (await client.post("/get_reward", json=payload)).json()
    assert out["rewards"] == [1.5, 0.5]
    assert out["extra_logs"]["format_strict"] == [1.0, 1.0]


async def test_a_query_without_its_prompt_is_unscorable_not_scored_whole(app_client) -> None:
    # the prompt's worked example carries an answer tag; the completion has none
    prompt = "Example: <answer>\\boxed{4}</answer>\nQ: 2+2? "
    payload = {
        "query": ["Exemple: <answer>\\boxed{4}</answer>\nQ: 2+2? I do not know", prompt + GOOD],
        "prompts": [prompt, prompt],
        "labels": ["4", "4"],
    }
    async with app_client() as (client, _):
        out = (await client.post("/get_reward", json=payload)).json()
    assert out["rewards"] == [0.0, 1.5]
    assert out["extra_logs"]["scorable"] == [0.0, 1.0]


async def test_large_batch_is_chunked_not_refused(app_client, call_log) -> None:
    n = 7  # distinct golds: no cache hit hides a chunk
    good = [GOOD.replace("{4}", f"{{{i}}}") for i in range(n)]
    payload = {
        "query": [f"Q{i}: {good[i]}" for i in range(n)],
        "prompts": [f"Q{i}: " for i in range(n)],
        "labels": [str(i) for i in range(n)],
    }
    async with app_client(max_batch_items=3, chunk_items=100) as (client, _):
        r = await client.post("/get_reward", json=payload)
        assert call_log.counts["accuracy"] == n  # every item scored once, in chunks of max_batch_items
        bigger = await client.post("/get_reward", json={"query": ["x"] * 9})
    assert r.status_code == 200, r.text
    assert r.json()["rewards"] == [1.5] * n
    assert bigger.status_code == 200 and len(bigger.json()["rewards"]) == 9


async def test_query_limit_is_explicit(app_client) -> None:
    async with app_client(openrlhf_max_queries=2) as (client, _):
        r = await client.post("/get_reward", json={"query": ["a", "b", "c"]})
    assert r.status_code == 413 and "number of queries" in r.json()["detail"]


async def test_json_labels_carry_gold_tests_and_reward_choice(app_client) -> None:
    add_ok = "```python\ndef add(a, b):\n    return a + b\n```"
    payload = {
        "query": [f"P: {GOOD}", f"P: {add_ok}", f"P: {GOOD}"],
        "prompts": ["P: "] * 3,
        "labels": [
            json.dumps({"gold": "4"}),
            {
                "tests": ["assert add(1, 2) == 3"],
                "rewards": ["code_accuracy"],
            },  # the fake sandbox reads assert lists
            {"gold": "4", "rewards": [{"name": "accuracy", "weight": 3.0}]},
        ],
    }
    async with app_client() as (client, _):
        r = await client.post("/get_reward", json=payload)
        bad = await client.post("/get_reward", json={"query": ["x"], "labels": [{"what": 1}]})
        mismatch = await client.post("/get_reward", json={"query": ["x", "y"], "labels": ["1"]})
    assert r.status_code == 200, r.text
    assert r.json()["rewards"] == [1.5, 1.0, 3.0]
    assert list(r.json()["extra_logs"]) == ["scorable", "accuracy", "format_strict"]
    assert bad.status_code == 422 and "labels[0]" in bad.json()["detail"]
    assert mismatch.status_code == 422


async def test_profiles_by_path(app_client) -> None:
    payload = {"query": [f"P: {GOOD}"], "prompts": ["P: "], "labels": ["4"]}
    async with app_client(openrlhf_profiles={"acc": {"accuracy": 2.0}}) as (client, _):
        acc = await client.post("/get_reward/acc", json=payload)
        default = await client.post("/get_reward", json=payload)
        unknown = await client.post("/get_reward/nope", json=payload)
    assert acc.json()["rewards"] == [2.0] and list(acc.json()["extra_logs"]) == ["scorable", "accuracy"]
    assert default.json()["rewards"] == [1.5]
    assert unknown.status_code == 404 and "acc" in unknown.json()["detail"]


def test_bad_profiles_fail_at_startup() -> None:
    with pytest.raises(ValueError):
        Settings(openrlhf_profiles={"a/b": {"accuracy": 1.0}})
    with pytest.raises(ValueError):
        Settings(openrlhf_profiles={"empty": {}})


async def test_key_in_the_query_string_only_for_get_reward(app_client) -> None:
    payload = {"query": [f"P: {GOOD}"], "prompts": ["P: "], "labels": ["4"]}
    async with app_client(api_key="s3cret") as (client, _):
        ok = await client.post("/get_reward?api_key=s3cret", json=payload)
        wrong = await client.post("/get_reward?api_key=nope", json=payload)
        missing = await client.post("/get_reward", json=payload)
        header = await client.post("/get_reward", json=payload, headers={"Authorization": "Bearer s3cret"})
        other_route = await client.post("/v1/rewards?api_key=s3cret", json={"items": [], "rewards": []})
    assert ok.status_code == 200 and header.status_code == 200
    assert wrong.status_code == 401 and missing.status_code == 401
    assert other_route.status_code == 401
    async with app_client(api_key="s3cret", openrlhf_query_key=False) as (client, _):
        off = await client.post("/get_reward?api_key=s3cret", json=payload)
    assert off.status_code == 401


async def test_body_limit_is_larger_for_get_reward(app_client) -> None:
    big = "x" * 3000
    async with app_client(max_request_bytes=2000, openrlhf_max_request_bytes=10_000) as (client, _):
        r = await client.post("/get_reward", json={"query": [big], "prompts": [""], "labels": ["1"]})
        other = await client.post("/v1/rewards", json={"items": [{"completion": big}], "rewards": []})
        huge = await client.post("/get_reward", json={"query": ["x" * 20_000]})
    assert r.status_code == 200 and other.status_code == 413 and huge.status_code == 413
