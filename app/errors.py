"""Request errors the service raises; turned into HTTP responses only at the edge (``app.main``).

Why a hierarchy with fields: the core says *what* is wrong (too big, unknown reward, busy); the
edge alone decides the status code and headers. Bad model output is never one of these: it is a
reward value ``None`` with a reason code.
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
    "UnknownRewardNameError",
]


class ServiceError(Exception):
    """Base: a request the service refuses, with its HTTP status."""

    status_code: int = 400

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class RequestTooLargeError(ServiceError):
    """A body, batch, completion or test list over its limit."""

    status_code = 413

    def __init__(self, what: str, size: int, limit: int, *, at_least: bool = False) -> None:
        self.what = what
        self.size = size  # with ``at_least``: counting stopped there, the real size is larger
        self.limit = limit
        self.at_least = at_least
        super().__init__(f"{what} is {'at least ' if at_least else ''}{size}, over the limit of {limit}")


class RequestTimeoutError(ServiceError):
    """A client too slow to send its request (body past ``http_body_timeout_s``)."""

    status_code = 408


class InvalidRequestError(ServiceError):
    """A request that is well-formed JSON but cannot be served (bad parameter value...)."""

    status_code = 422


class UnknownRewardNameError(ServiceError):
    """A reward or parameter name that is not registered; the message lists the known ones."""

    status_code = 400


class UnauthorizedError(ServiceError):
    """Missing or wrong API key when ``ARBITER_API_KEY`` is set."""

    status_code = 401


class NotFoundError(ServiceError):
    """An unknown or expired job id."""

    status_code = 404


class BackpressureError(ServiceError):
    """The queue is full (429) or unreachable (503); the client should retry after a pause."""

    def __init__(self, message: str, *, retry_after_s: float, unavailable: bool) -> None:
        self.retry_after_s = retry_after_s
        self.unavailable = unavailable
        self.status_code = 503 if unavailable else 429
        super().__init__(message)
