"""The HTTP API: ``create_app(settings)`` builds a FastAPI app whose lifespan owns the service.

Why a factory and no module-level app: nothing starts on import; the CLI, uvicorn
(``--factory app.http.application:create_app``) and each test build their own app from explicit
settings. The routes live in ``app.http.routes``, one module per endpoint family; they only
validate, call the core (``Service``/``Scorer``) and shape JSON; errors from the core become HTTP
responses in ``app.http.errors`` and nowhere else.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response

from app.http.api_doc import install_openapi
from app.http.auth import auth_dependency
from app.http.errors import install_handlers
from app.http.request_gate import GateConfig, RequestGate
from app.http.routes import execute, health, jobs, openrlhf, rewards, sandbox_fusion, slime
from app.json_log import configure_logging
from app.service import Components, Service
from app.settings import Settings
from sandbox import Language

__all__ = ["create_app"]

_log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, components: Components | None = None) -> FastAPI:
    """The API app; ``components`` replaces parts built from settings (tests, benchmarks)."""
    settings = settings or Settings()
    service = Service(settings, components)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.log_json:
            configure_logging(settings.log_level, repeat_interval_s=settings.log_repeat_interval_s)
        await service.start()
        _log.info(
            "arbiter started",
            extra={"redis": bool(settings.redis_url), "sandbox": settings.sandbox_backend.value},
        )
        try:
            yield
        finally:
            await service.close()

    app = FastAPI(title="Arbiter", version="0.1.0", lifespan=lifespan)
    app.state.service = service
    app.add_middleware(RequestGate, config=GateConfig.from_settings(settings))
    install_handlers(app)
    _count_requests(app, service)
    install_openapi(
        app,
        reward_names=lambda: service.registry.names(),
        languages=[lang.value for lang in Language],
        api_key=settings.api_key is not None,
    )
    auth = Depends(auth_dependency(settings.api_key))
    # OpenRLHF posts without headers: its key may come as ?api_key= (see the README for the risk)
    query_auth = Depends(
        auth_dependency(settings.api_key, "api_key" if settings.openrlhf_query_key else None)
    )
    # In this order: it is the order of the paths in the OpenAPI document.
    app.include_router(rewards.router(service, auth))
    app.include_router(execute.router(service, auth))
    app.include_router(openrlhf.router(service, query_auth))
    app.include_router(sandbox_fusion.router(service, auth))
    app.include_router(slime.router(service, auth))
    app.include_router(jobs.router(service, auth))
    app.include_router(health.router(service))
    return app


def _count_requests(app: FastAPI, service: Service) -> None:
    @app.middleware("http")
    async def count(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        service.metrics.requests.labels(path, str(response.status_code)).inc()
        service.metrics.request_latency.labels(path).observe(time.perf_counter() - started)
        return response
