"""Request errors the service raises: what is wrong, never how HTTP says it.

Why a hierarchy with fields and no status codes: the core (scorer, queue, pools, job runner) says
*what* is wrong (too big, unknown reward, busy, a dependency down); the HTTP edge alone decides
the status code and headers, from one table (``app.http.errors.STATUS_BY_ERROR``). Bad model
output is never one of these: it is a reward value ``None`` with a reason code.
"""

from __future__ import annotations

__all__ = [
    "BackpressureError",
    "InvalidRequestError",
    "NotFoundError",
    "RequestTimeoutError",
    "RequestTooLargeError",
    "ServiceError",
    "UnauthorizedError",
    "UnavailableError",
    "UnknownRewardNameError",
]


class ServiceError(Exception):
    """Base: a request the service refuses, with a message for the caller."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class RequestTooLargeError(ServiceError):
    """A body, batch, completion or test list over its limit."""

    def __init__(self, what: str, size: int, limit: int, *, at_least: bool = False) -> None:
        self.what = what
        self.size = size  # with ``at_least``: counting stopped there, the real size is larger
        self.limit = limit
        self.at_least = at_least
        super().__init__(f"{what} is {'at least ' if at_least else ''}{size}, over the limit of {limit}")


class RequestTimeoutError(ServiceError):
    """A client too slow to send its request (body past ``http_body_timeout_s``)."""


class InvalidRequestError(ServiceError):
    """A request that is well-formed JSON but cannot be served (bad parameter value...)."""


class UnknownRewardNameError(ServiceError):
    """A reward or parameter name that is not registered; the message lists the known ones."""


class UnauthorizedError(ServiceError):
    """Missing or wrong API key when ``ARBITER_API_KEY`` is set."""


class NotFoundError(ServiceError):
    """An unknown or expired job id."""


class BackpressureError(ServiceError):
    """The service is saturated (a full queue or pool); the client should retry after a pause."""

    def __init__(self, message: str, *, retry_after_s: float) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message)


class UnavailableError(BackpressureError):
    """A dependency is down or shut (queue, job store, a closed pool); retry after a pause."""
