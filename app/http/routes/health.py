"""``/healthz`` (the process answers), ``/readyz`` (every dependency is up) and ``/metrics``
(Prometheus): what an orchestrator and a dashboard ask, never behind the API key."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from app.http.responses import HealthBody
from app.http.schemas import ReadyBody
from app.metrics import CONTENT_TYPE
from app.service import Service

__all__ = ["router"]


def router(service: Service) -> APIRouter:
    """The health and metrics routes over ``service``."""
    r = APIRouter()

    @r.get("/healthz", responses={200: {"model": HealthBody}})
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @r.get(
        "/readyz",
        response_model=ReadyBody,
        responses={503: {"model": ReadyBody, "description": "a dependency is down (see checks)"}},
    )
    async def readyz() -> JSONResponse:
        checks = await service.ready()
        ok = all(checks.values())
        return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)

    @r.get(
        "/metrics",
        response_class=PlainTextResponse,
        responses={200: {"description": "Prometheus text exposition format", "content": {"text/plain": {}}}},
    )
    async def metrics() -> Response:
        await service.ready()
        return Response(service.metrics.render(), media_type=CONTENT_TYPE)

    return r
