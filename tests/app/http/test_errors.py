"""The edge's table from error classes to HTTP statuses; the core errors know nothing of HTTP."""

from __future__ import annotations

import inspect

import pytest

import app.errors as errors
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
from app.http.errors import STATUS_BY_ERROR, error_headers, status_for

CORE_ERRORS = [cls for _, cls in inspect.getmembers(errors, inspect.isclass) if issubclass(cls, ServiceError)]


@pytest.mark.parametrize(
    ("error", "status", "headers"),
    [
        (ServiceError("this instance has no sandbox"), 400, {}),
        (UnknownRewardNameError("unknown reward 'x'"), 400, {}),
        (UnauthorizedError("missing or wrong API key"), 401, {}),
        (NotFoundError("unknown job"), 404, {}),
        (RequestTimeoutError("too slow"), 408, {}),
        (RequestTooLargeError("items", 9, 8), 413, {}),
        (InvalidRequestError("bad value"), 422, {}),
        (BackpressureError("queue full", retry_after_s=2.4), 429, {"Retry-After": "2"}),
        (BackpressureError("queue full", retry_after_s=0.05), 429, {"Retry-After": "1"}),
        (UnavailableError("queue unavailable", retry_after_s=3.0), 503, {"Retry-After": "3"}),
    ],
)
def test_status_and_headers_by_class(error: ServiceError, status: int, headers: dict[str, str]) -> None:
    assert (status_for(error), error_headers(error)) == (status, headers)


def test_every_core_error_has_a_row_and_no_status_of_its_own() -> None:
    assert set(CORE_ERRORS) == set(STATUS_BY_ERROR)
    for cls in CORE_ERRORS:
        assert not any("status" in name for name in vars(cls)), cls


def test_a_subclass_without_a_row_answers_as_its_nearest_base() -> None:
    class QueueGone(UnavailableError):
        pass

    class Odd(InvalidRequestError):
        pass

    assert status_for(QueueGone("x", retry_after_s=1.0)) == 503
    assert status_for(Odd("x")) == 422
