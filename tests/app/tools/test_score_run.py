"""``arbiter score --url``: the remote scorer sends each sample in the one wire shape the API takes."""

from __future__ import annotations

import json

import httpx
import pytest

from app.tools.score_run import RemoteScorer
from tests.app.conftest import AppClient
from verifiers import Sample, sample_to_json

SAMPLES = [
    Sample(id="a", completion="\\boxed{4}", prompt="2+2?", ground_truth="4", group_id="g", num_tokens=3),
    Sample(id="b", completion="\\boxed{5}", ground_truth="4", token_ids=(1, 2, 3), metadata={"src": "dev"}),
]


@pytest.mark.parametrize("queue_kind", ["memory"])
async def test_remote_scorer_sends_every_field_and_the_api_accepts_it(app_client: AppClient) -> None:
    sent: list[dict[str, object]] = []

    async def record(request: httpx.Request) -> None:
        sent.append(json.loads(request.content))

    async with app_client() as (_client, app):
        scorer = RemoteScorer("http://arbiter", timeout_s=30)
        await scorer.aclose()
        scorer._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://arbiter",
            event_hooks={"request": [record]},
        )
        try:
            results = await scorer(SAMPLES, [("accuracy", 1.0, {})])
        finally:
            await scorer.aclose()
    assert [r["id"] for r in results] == ["a", "b"]
    assert [r["rewards"]["accuracy"] for r in results] == [1.0, 0.0]
    (body,) = sent
    assert body["items"] == [json.loads(json.dumps(sample_to_json(s))) for s in SAMPLES]
    assert body["items"][1]["token_ids"] == [1, 2, 3]  # the copy this replaced dropped them
