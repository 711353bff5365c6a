"""The OpenAPI document tells the truth: real answers of the app (every status a client can meet,
from each layer: gate, validation, routes, handlers) are checked against the document: the status
is declared for that operation, the content type is the declared one, the body fits the declared
schema."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import jsonschema_rs
import pytest

from app.http.application import create_app
from app.settings import Settings
from tests.app.conftest import FakeSandbox, make_code_backend


@pytest.fixture
def queue_kind() -> str:
    return "memory"  # the document does not depend on the queue


_GOOD_ITEM = {"completion": "<think>x</think><answer>\\boxed{4}</answer>", "ground_truth": "4"}
_GOOD = {"items": [_GOOD_ITEM], "rewards": [{"name": "accuracy"}, {"name": "format_strict", "weight": 0.5}]}


def _operation(doc: dict[str, Any], method: str, path: str) -> tuple[str, dict[str, Any]]:
    for template, operations in doc["paths"].items():
        pattern = "^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            return template, operations[method.lower()]
    raise AssertionError(f"{method} {path} is not in the document")


def check_against_document(doc: dict[str, Any], r: httpx.Response) -> None:
    """Fail unless ``r`` is an answer the document declares for its operation, in type and body."""
    template, op = _operation(doc, r.request.method, r.request.url.path)
    declared = op["responses"]
    assert str(r.status_code) in declared, (
        f"{r.request.method} {template} answered {r.status_code}, declared: {sorted(declared)}: {r.text[:200]}"
    )
    content = declared[str(r.status_code)].get("content", {})
    media = r.headers.get("content-type", "").split(";")[0].strip()
    assert media in content, f"{template} {r.status_code}: content type {media!r}, declared {list(content)}"
    schema = content[media].get("schema")
    if schema and media == "application/json":
        root = {**schema, "components": doc.get("components", {})}
        errors = [e.message for e in jsonschema_rs.validator_for(root).iter_errors(r.json())]
        assert not errors, f"{template} {r.status_code}: body does not fit the document: {errors[:3]}"


class _SickSandbox(FakeSandbox):
    def healthy(self) -> bool:
        return False


async def test_every_kind_of_answer_matches_the_document(app_client) -> None:
    seen: set[tuple[str, int]] = set()

    async def check(
        client: httpx.AsyncClient, doc: dict[str, Any], method: str, path: str, status: int, **kw: Any
    ):
        r = await client.request(method, path, **kw)
        assert r.status_code == status, (method, path, r.status_code, r.text[:300])
        check_against_document(doc, r)
        seen.add((path, status))
        return r

    async with app_client(max_batch_items=2, openrlhf_max_queries=2, http_body_timeout_s=0.3) as (
        client,
        _app,
    ):
        doc = (await client.get("/openapi.json")).json()
        await check(client, doc, "POST", "/v1/rewards", 200, json=_GOOD)
        await check(client, doc, "POST", "/v1/rewards", 400, json={**_GOOD, "rewards": [{"name": "nope"}]})
        await check(client, doc, "POST", "/v1/rewards", 413, json={**_GOOD, "items": [_GOOD_ITEM] * 3})
        for bad in (
            {**_GOOD, "items": [{**_GOOD_ITEM, "ground_truth": True}]},  # a boolean gold
            {**_GOOD, "rewards": [{"name": "accuracy", "weight": "1"}]},  # a string weight
            {**_GOOD, "timeout_s": False},  # a boolean limit
            {"items": "x"},
        ):
            r = await check(client, doc, "POST", "/v1/rewards", 422, json=bad)
            assert isinstance(r.json()["detail"], str)  # the document's 422 body, not a list
        r = await check(client, doc, "POST", "/v1/rewards", 422, content=b'{"items": [], "rewards": [{"name": "accuracy", "weight": NaN}]}', headers={"content-type": "application/json"})  # fmt: skip
        assert "finite" in r.json()["detail"]
        await check(client, doc, "POST", "/v1/rewards", 422, content=b"{not json", headers={"content-type": "application/json"})  # fmt: skip

        async def slow_body():
            yield b'{"items": ['
            await asyncio.sleep(1.0)
            yield b"]}"

        await check(client, doc, "POST", "/v1/rewards", 408, content=slow_body())
        await check(client, doc, "POST", "/v1/jobs", 202, json=_GOOD)
        await check(client, doc, "GET", "/v1/jobs/no-such-job", 404)
        await check(
            client, doc, "POST", "/v1/verify/math", 200, json={"gold": "4", "completion": "\\boxed{4}"}
        )
        await check(client, doc, "POST", "/v1/verify/math", 422, json={"gold": False, "completion": "x"})
        await check(
            client, doc, "POST", "/v1/execute", 200, json={"code": "x = 1", "tests": ["assert x == 1"]}
        )
        await check(client, doc, "POST", "/v1/execute", 422, json={"code": "x = 1", "tests": 5})
        await check(client, doc, "POST", "/get_reward", 200, json={"query": ["\\boxed{4}"], "labels": ["4"]})
        await check(client, doc, "POST", "/get_reward", 422, json={"query": ["q"], "labels": [True]})
        await check(client, doc, "POST", "/get_reward", 413, json={"query": ["q"] * 3})
        await check(client, doc, "POST", "/run_code", 200, json={"code": "print(1)", "language": "python"})
        await check(client, doc, "POST", "/run_code", 422, json={"code": "print(1)", "language": "cobol"})
        await check(client, doc, "GET", "/healthz", 200)
        await check(client, doc, "GET", "/readyz", 200)
        await check(client, doc, "GET", "/v1/rewards/catalog", 200)
        r = await check(client, doc, "GET", "/metrics", 200)
        assert r.headers["content-type"].startswith("text/plain")

    async with app_client(queue_max_depth=2, chunk_items=1) as (client, _app):
        doc = (await client.get("/openapi.json")).json()
        items = [{**_GOOD_ITEM, "ground_truth": str(i)} for i in range(5)]
        r = await check(client, doc, "POST", "/v1/rewards", 429, json={**_GOOD, "items": items})
        assert int(r.headers["retry-after"]) >= 1

    async with app_client(code_backend=make_code_backend(_SickSandbox())) as (client, _app):
        doc = (await client.get("/openapi.json")).json()
        r = await check(client, doc, "GET", "/readyz", 503)
        assert r.json()["checks"]["sandbox"] is False

    async with app_client(api_key="k3y") as (client, _app):
        doc = (await client.get("/openapi.json")).json()
        assert {"bearer", "apiKey"} <= set(doc["components"]["securitySchemes"])
        for method, path in [
            ("POST", "/v1/rewards"),
            ("POST", "/v1/jobs"),
            ("GET", "/v1/jobs/x"),
            ("POST", "/run_code"),
        ]:
            r = await check(client, doc, method, path, 401, json=_GOOD if method == "POST" else None)
            assert r.headers["www-authenticate"] == "Bearer"
        await check(
            client, doc, "POST", "/v1/rewards", 200, json=_GOOD, headers={"authorization": "Bearer k3y"}
        )

    assert len(seen) >= 25


def test_the_document_declares_no_default_validation_list_and_names_the_services_facts() -> None:
    doc = create_app(Settings()).openapi()
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert schemas["ErrorBody"]["properties"]["detail"]["type"] == "string"
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            if method == "post":
                assert {"401", "408", "413", "422"} <= set(op["responses"]), (path, sorted(op["responses"]))
                for code in ("413", "422"):
                    ref = op["responses"][code]["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorBody")
    names = schemas["RewardSpecIn"]["properties"]["name"]["enum"]
    assert {"accuracy", "format_strict", "code_accuracy"} <= set(names)
    assert schemas["ExecuteRequest"]["properties"]["language"]["enum"] == ["bash", "c", "cpp", "python"]
    assert "securitySchemes" not in doc.get("components", {})  # no key configured: none declared
    assert list(doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"]) == ["text/plain"]


@pytest.mark.parametrize(
    ("status", "body", "why"),
    [
        (200, {"results": 5, "elapsed_s": 1.0}, "does not fit"),
        (200, {"results": [{"id": "a"}], "elapsed_s": 1.0}, "does not fit"),  # an item result lacks fields
        (418, {"detail": "x"}, "declared"),
        (422, {"detail": [{"loc": ["body"], "msg": "x"}]}, "does not fit"),  # FastAPI's default list
    ],
)
def test_the_document_check_catches_an_answer_that_is_not_documented(status, body, why) -> None:
    doc = create_app(Settings()).openapi()
    r = httpx.Response(status, json=body, request=httpx.Request("POST", "http://a/v1/rewards"))
    with pytest.raises(AssertionError, match=why):
        check_against_document(doc, r)
