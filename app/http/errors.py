"""The HTTP edge's one table from error classes to status codes, and the handlers that answer them.

Why a table at the edge: the core's errors (``app.errors``) say what is wrong and carry no status;
this table is the only place that knows HTTP. A class is looked up along its MRO, the way
starlette finds an exception handler, so a subclass without a row answers as its base.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import (
    BackpressureError,
    InvalidRequestError,
    NotFoundError,
    RequestTimeoutError,
    RequestTooLargeError,
    ServiceError,
    UnauthorizedError,
    UnavailableError,
    UnknownRewardNameError,
)

__all__ = ["STATUS_BY_ERROR", "error_headers", "install_handlers", "status_for"]

STATUS_BY_ERROR: Mapping[type[ServiceError], int] = MappingProxyType(
    {
        ServiceError: 400,
        UnknownRewardNameError: 400,
        UnauthorizedError: 401,
        NotFoundError: 404,
        RequestTimeoutError: 408,
        RequestTooLargeError: 413,
        InvalidRequestError: 422,
        BackpressureError: 429,
        UnavailableError: 503,
    }
)


def status_for(exc: ServiceError) -> int:
    """The status of ``exc``: the row of its nearest class in the MRO."""
    for cls in type(exc).__mro__:
        status = STATUS_BY_ERROR.get(cls)
        if status is not None:
            return status
    raise TypeError(f"{type(exc).__name__} is not a ServiceError")


def error_headers(exc: ServiceError) -> dict[str, str]:
    """``Retry-After`` (whole seconds, at least 1) for errors the client should retry."""
    if isinstance(exc, BackpressureError):
        return {"Retry-After": str(max(1, round(exc.retry_after_s)))}
    return {}


def install_handlers(app: FastAPI) -> None:
    """Every error answers ``{"detail": str}``: the core's through the table, routing's 404/405
    and validation's 422 in the same body."""

    @app.exception_handler(ServiceError)
    async def service_error(_: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=status_for(exc), headers=error_headers(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Response:
        # 404/405 from routing, with the same body as every other error.
        return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors()[:10]:
            loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
            parts.append(f"{loc}: {err.get('msg')}" if loc else str(err.get("msg")))
        return JSONResponse({"detail": "invalid request: " + "; ".join(parts)}, status_code=422)
