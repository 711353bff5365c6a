"""The route-level API key check, behind the request gate's.

Why both: the gate answers 401 before reading a body; this dependency makes the requirement part
of each route (and of the OpenAPI document), and lets OpenRLHF's ``/get_reward`` take the key in
the URL, since OpenRLHF posts without headers.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from fastapi import Request

from app.errors import UnauthorizedError
from app.http.request_gate import authorized

__all__ = ["auth_dependency"]


def auth_dependency(
    api_key: str | None, query_param: str | None = None
) -> Callable[[Request], Awaitable[None]]:
    """The check for ``api_key`` (none: every request passes); ``query_param`` also accepts the
    key in the URL (OpenRLHF's ``/get_reward``)."""

    async def check(request: Request) -> None:
        headers = request.headers
        if api_key is None:
            return
        if authorized(headers.get("authorization", ""), headers.get("x-api-key", ""), api_key):
            return
        given = request.query_params.get(query_param, "") if query_param is not None else ""
        if not given or not hmac.compare_digest(given.encode("latin-1", "replace"), api_key.encode()):
            raise UnauthorizedError("missing or wrong API key")

    return check
