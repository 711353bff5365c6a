"""The HTTP edge's one table from error classes to status codes, and the response they make.

Why a table at the edge: the core's errors (``app.errors``) say what is wrong and carry no status;
this table is the only place that knows HTTP. A class is looked up along its MRO, the way
starlette finds an exception handler, so a subclass without a row answers as its base.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

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

__all__ = ["STATUS_BY_ERROR", "error_headers", "status_for"]

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
