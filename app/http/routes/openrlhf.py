"""OpenRLHF's drop-in: ``/get_reward`` (the configured rewards) and ``/get_reward/{profile}``
(a named set of rewards); the request and answer shapes are in ``app.http.openrlhf``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter
from fastapi.params import Depends

from app.deadline import Deadline
from app.errors import NotFoundError, RequestTooLargeError
from app.http.api_doc import WORK_ERRORS, answers
from app.http.items import score_items
from app.http.openrlhf import RawSpec, score_openrlhf
from app.http.responses import GetRewardResponse
from app.http.schemas import GetRewardRequest, ItemIn
from app.results import ItemResult
from app.service import Service

__all__ = ["router"]


def router(service: Service, query_auth: Depends) -> APIRouter:
    """The OpenRLHF routes; ``query_auth`` may accept the key as ``?api_key=``."""
    settings = service.settings
    r = APIRouter()

    @r.post("/get_reward", dependencies=[query_auth], responses=answers(GetRewardResponse, *WORK_ERRORS))
    async def get_reward(req: GetRewardRequest) -> dict[str, Any]:
        return await _openrlhf(req, None)

    @r.post(
        "/get_reward/{profile}",
        dependencies=[query_auth],
        responses=answers(GetRewardResponse, *WORK_ERRORS, 404),
    )
    async def get_reward_profile(req: GetRewardRequest, profile: str) -> dict[str, Any]:
        return await _openrlhf(req, profile)

    async def _openrlhf(req: GetRewardRequest, profile: str | None) -> dict[str, Any]:
        if len(req.query) > settings.openrlhf_max_queries:
            raise RequestTooLargeError("number of queries", len(req.query), settings.openrlhf_max_queries)
        deadline = Deadline.after(settings.request_timeout_s)
        chosen: list[RawSpec]
        if profile is None:
            chosen = [
                (n, w, None)
                for n, w in zip(settings.openrlhf_rewards, settings.openrlhf_weights, strict=True)
            ]
        elif profile in settings.openrlhf_profiles:
            chosen = [(n, w, None) for n, w in settings.openrlhf_profiles[profile].items()]
        else:
            known = ", ".join(sorted(settings.openrlhf_profiles)) or "none configured"
            raise NotFoundError(f"no reward profile {profile!r} (ARBITER_OPENRLHF_PROFILES: {known})")

        async def score(items: Sequence[ItemIn], raw: Sequence[RawSpec]) -> list[ItemResult]:
            if len(raw) > settings.max_rewards_per_request:
                raise RequestTooLargeError("number of rewards", len(raw), settings.max_rewards_per_request)
            return await score_items(service, items, service.scorer.resolve(raw), deadline)

        return await score_openrlhf(
            req, chosen, settings.openrlhf_special_tokens, settings.max_batch_items, score
        )

    return r
