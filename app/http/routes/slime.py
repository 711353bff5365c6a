"""slime's drop-in: ``/slime/reward`` (one prompt/response/label, a scalar or a dict back; the
shapes are in ``app.http.slime``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.params import Depends

from app.deadline import Deadline
from app.errors import InvalidRequestError, RequestTooLargeError
from app.http.api_doc import WORK_ERRORS, error_responses
from app.http.items import score_items
from app.http.schemas import ItemIn, SlimeRewardRequest
from app.http.slime import SlimeShape, parse_reward_list, slime_item, slime_response
from app.service import Service

__all__ = ["router"]


def router(service: Service, auth: Depends) -> APIRouter:
    """The slime route over ``service``, guarded by ``auth``."""
    settings = service.settings
    r = APIRouter()

    @r.post("/slime/reward", dependencies=[auth], responses=error_responses(*WORK_ERRORS, 404))
    async def slime_reward(
        req: SlimeRewardRequest, shape: SlimeShape = SlimeShape.SCALAR, rewards: str | None = None
    ) -> Any:
        deadline = Deadline.after(settings.request_timeout_s)
        try:
            raw = (
                parse_reward_list(rewards)
                if rewards
                else list(zip(settings.openrlhf_rewards, settings.openrlhf_weights, strict=True))
            )
            item = ItemIn.model_validate(slime_item(req.prompt, req.response, req.label))
        except ValueError as exc:
            raise InvalidRequestError(str(exc)) from None
        if len(raw) > settings.max_rewards_per_request:
            raise RequestTooLargeError("number of rewards", len(raw), settings.max_rewards_per_request)
        resolved = service.scorer.resolve([(n, w, None) for n, w in raw])
        (result,) = await score_items(service, [item], resolved, deadline)
        return slime_response(result, shape)

    return r
