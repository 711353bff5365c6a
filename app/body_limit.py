"""A request body size limit enforced before any parsing, declared or streamed.

Why an ASGI middleware and not a check in the route: the body must be refused before FastAPI
reads it into memory and parses it; a chunked upload (no Content-Length) is counted as it
arrives and cut off at the limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi.responses import JSONResponse

from app.errors import RequestTooLargeError

__all__ = ["BodyLimit"]


class BodyLimit:
    """ASGI middleware: 413 as soon as a body passes ``max_bytes`` (declared or streamed).

    ``path_max_bytes`` gives some path prefixes their own limit (``/get_reward`` takes a whole
    OpenRLHF rollout batch in one body).
    """

    def __init__(self, app: Any, *, max_bytes: int, path_max_bytes: Mapping[str, int] | None = None) -> None:
        self._app = app
        self._default_max_bytes = max_bytes
        self._path_max_bytes = dict(path_max_bytes or {})

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        max_bytes = next(
            (n for prefix, n in self._path_max_bytes.items() if path.startswith(prefix)),
            self._default_max_bytes,
        )
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await self._refuse(send, int(declared), max_bytes)
            return
        if declared is not None:
            await self._app(scope, receive, send)  # the server holds the body to its declared length
            return
        # A streamed (chunked) body: read it here, bounded, then replay it to the app.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > max_bytes:
                await self._refuse(send, seen, max_bytes)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self._app(scope, replay, send)

    async def _refuse(self, send: Any, size: int, max_bytes: int) -> None:
        err = RequestTooLargeError("request body (bytes)", size, max_bytes)
        body = JSONResponse({"detail": err.message}, status_code=413).body
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
