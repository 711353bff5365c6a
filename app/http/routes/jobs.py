"""``/v1/jobs``: submit a batch too big for one request, then poll it; the runner and the store
behind it are in ``app.jobs``."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter
from fastapi.params import Depends

from app.errors import NotFoundError, RequestTooLargeError
from app.http.api_doc import WORK_ERRORS, error_responses
from app.http.items import checked_specs, samples
from app.http.schemas import RewardsRequest
from app.service import Service

__all__ = ["router"]


def router(service: Service, auth: Depends) -> APIRouter:
    """The job routes over ``service``'s job runner, guarded by ``auth``."""
    settings = service.settings
    r = APIRouter()

    @r.post(
        "/v1/jobs",
        dependencies=[auth],
        status_code=202,
        responses=error_responses(*WORK_ERRORS),
    )
    async def submit_job(req: RewardsRequest) -> dict[str, Any]:
        specs = checked_specs(service, req, settings.max_job_items)
        valid, rejected = samples(settings, req.items)
        if rejected:
            raise RequestTooLargeError(
                "a completion's length",
                max(len(i.completion) for i in req.items),
                settings.max_completion_chars,
            )
        jobs = service.jobs
        assert jobs is not None
        state = await jobs.submit(valid, specs)
        return {"job_id": state.job_id, "status": state.status.value, "total": state.total}

    @r.get("/v1/jobs/{job_id}", dependencies=[auth], responses=error_responses(401, 404, 422, 503))
    async def get_job(job_id: str) -> dict[str, Any]:
        jobs = service.jobs
        assert jobs is not None
        state = await jobs.get(job_id)
        if state is None:
            raise NotFoundError(f"no job {job_id!r} (unknown or expired)")
        body = dataclasses.asdict(state)
        body["status"] = state.status.value
        body["progress"] = state.done / state.total if state.total else 1.0
        return body

    return r
