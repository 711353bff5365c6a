"""The API's front door: every request passes auth, the body size and time limits and the item
counts here, before FastAPI reads, decodes or validates anything.

Why an ASGI middleware and not checks in the routes: a route runs after its body has been read
whole, parsed into Python objects and validated into models, which is the work a limit must
prevent (a 1,000,000-item body is seconds of a blocked event loop and about a gigabyte). Here:

1. auth from the headers alone: 401 before a byte of the body is read;
2. a declared ``Content-Length`` over the limit: 413 at once;
3. the body read with a size limit (streamed bodies are counted as they arrive) and a deadline
   for the whole body (a client sending a byte every few seconds is cut off with 408);
4. the top-level arrays counted element by element (``app.http.json_scan``): 413 at limit + 1.

Refusals close the connection (the unread rest of the body is not waited for). The body that
passes is handed to the app unchanged.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from app.errors import RequestTimeoutError, RequestTooLargeError, ServiceError, UnauthorizedError
from app.http.errors import status_for
from app.http.json_scan import containers_outside_strings, first_array_over_limit
from app.settings import Settings

__all__ = ["PUBLIC_PATHS", "GateConfig", "RequestGate", "authorized", "error_body"]

PUBLIC_PATHS = frozenset(
    {"/healthz", "/readyz", "/metrics", "/v1/rewards/catalog", "/openapi.json", "/docs", "/redoc"}
)
"""Paths answered without an API key: probes, metrics, the catalogue and the API's own document."""


@dataclass(frozen=True, slots=True)
class GateConfig:
    """What the gate enforces; ``array_limits`` maps a path to its top-level arrays' limits."""

    max_body_bytes: int
    body_timeout_s: float
    api_key: str | None = None
    public_paths: frozenset[str] = frozenset()
    array_limits: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    max_json_containers: int | None = None
    # a path (and the paths below it) with its own body size limit
    path_max_body_bytes: Mapping[str, int] = field(default_factory=dict)
    # paths whose clients cannot send headers (OpenRLHF): the key may come as ``?api_key=``
    query_key_paths: frozenset[str] = frozenset()

    @staticmethod
    def from_settings(settings: Settings) -> GateConfig:
        """The API's gate: auth, body size and time, and each endpoint's array counts."""
        batch = {"items": settings.max_batch_items, "rewards": settings.max_rewards_per_request}
        per_query = settings.openrlhf_max_queries  # chunked server-side by max_batch_items
        return GateConfig(
            max_body_bytes=settings.max_request_bytes,
            body_timeout_s=settings.http_body_timeout_s,
            api_key=settings.api_key,
            public_paths=PUBLIC_PATHS,
            max_json_containers=settings.max_json_containers,
            path_max_body_bytes={"/get_reward": settings.openrlhf_max_request_bytes},
            query_key_paths=frozenset({"/get_reward"}) if settings.openrlhf_query_key else frozenset(),
            array_limits={
                "/v1/rewards": batch,
                "/v1/jobs": {**batch, "items": settings.max_job_items},
                "/get_reward": {"query": per_query, "prompts": per_query, "labels": per_query},
                "/v1/execute": {"tests": settings.max_tests_per_item},
            },
        )


def error_body(message: str) -> bytes:
    """The one error body of the API: ``{"detail": "<message>"}``."""
    import json

    return json.dumps({"detail": message}).encode()


class RequestGate:
    """ASGI middleware enforcing ``GateConfig`` before the app sees the request."""

    def __init__(self, app: Any, *, config: GateConfig) -> None:
        self._app = app
        self._config = config

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        cfg = self._config
        headers = dict(scope.get("headers") or [])
        path = scope.get("path", "")
        if (
            cfg.api_key is not None
            and path not in cfg.public_paths
            and not _authorized(headers, cfg.api_key)
            and not (
                _under(path, cfg.query_key_paths) is not None
                and _query_authorized(scope.get("query_string", b""), cfg.api_key)
            )
        ):
            await _refuse(
                send, UnauthorizedError("missing or wrong API key"), {b"www-authenticate": b"Bearer"}
            )
            return
        under = _under(path, cfg.path_max_body_bytes)
        max_body_bytes = cfg.path_max_body_bytes[under] if under is not None else cfg.max_body_bytes
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_body_bytes:
            await _refuse(send, RequestTooLargeError("request body (bytes)", int(declared), max_body_bytes))
            return
        try:
            limited = _under(path, cfg.array_limits)
            limits = cfg.array_limits[limited] if limited is not None else None
            body = await self._read_body(receive, limits, max_body_bytes)
        except ServiceError as exc:
            await _refuse(send, exc)
            return
        except _Disconnected:
            return
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return dict(await receive())

        await self._app(scope, replay, send)

    async def _read_body(self, receive: Any, limits: Mapping[str, int] | None, max_body_bytes: int) -> bytes:
        """The whole body, within the size limit and the body deadline, then its objects and
        arrays and its top-level arrays counted.

        The arrays are also counted on the part received so far each time it doubles (from 256
        KiB), so a body far over an item limit is known after its first few hundred KiB: from then
        on the rest is received and dropped (not kept, not decoded), and the refusal is sent once
        the client has finished sending, so that it reads the answer instead of a reset. Counting
        decodes one element at a time, so a part is counted early only while it holds few objects
        and arrays (``_EARLY_SCAN_BRACKETS``); a dense body waits for the exact count at the end.
        """
        cfg = self._config
        deadline = time.monotonic() + cfg.body_timeout_s
        chunks: list[bytes] = []
        seen = 0
        next_check = _FIRST_SCAN_BYTES
        refusal: ServiceError | None = None
        brackets = 0  # "{" and "[" bytes, strings included: an upper bound on objects and arrays
        while True:
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise TimeoutError
                message = await asyncio.wait_for(receive(), left)
            except TimeoutError:
                raise RequestTimeoutError(
                    f"the request body did not arrive within {cfg.body_timeout_s:g} s ({seen} bytes received)"
                ) from None
            if message["type"] != "http.request":
                raise _Disconnected
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > max_body_bytes:
                raise RequestTooLargeError("request body (bytes)", seen, max_body_bytes, at_least=True)
            more = bool(message.get("more_body", False))
            if refusal is None and chunk:
                chunks.append(chunk)
                brackets += chunk.count(b"{") + chunk.count(b"[")
            if (
                refusal is None
                and limits
                and more
                and seen >= next_check
                and brackets <= _EARLY_SCAN_BRACKETS
            ):
                next_check = 2 * seen
                refusal = _count_error(chunks, limits)
                if refusal is not None:
                    chunks.clear()  # only the end of the body is awaited now, not kept
            if not more:
                if refusal is not None:
                    raise refusal
                body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
                await self._check_containers(body, brackets)
                if limits:  # decodes at most max_json_containers objects, one element at a time
                    error = _count_error([body], limits)
                    if error is not None:
                        raise error
                return body

    async def _check_containers(self, body: bytes, brackets: int) -> None:
        """413 when decoding would build more objects and arrays than the limit. The bracket count
        taken while streaming settles almost every body; only one with more brackets than the
        limit (strings included) is counted exactly, in a thread."""
        limit = self._config.max_json_containers
        if limit is None or brackets <= limit:
            return
        containers = await asyncio.to_thread(containers_outside_strings, body)
        if containers > limit:
            raise RequestTooLargeError("number of JSON objects and arrays", containers, limit)


_FIRST_SCAN_BYTES = 256 * 1024
_EARLY_SCAN_BRACKETS = 256 * 1024  # objects and arrays one early count may decode (~25 MB at most)


def _count_error(chunks: list[bytes], limits: Mapping[str, int]) -> RequestTooLargeError | None:
    """The 413 for the first top-level array over its limit in the body received so far."""
    if len(chunks) > 1:
        chunks[:] = [b"".join(chunks)]  # joined once per check; the checks double: O(body) in all
    over = first_array_over_limit(chunks[0] if chunks else b"", limits, other_limit=max(limits.values()))
    if over is None:
        return None
    return RequestTooLargeError(
        f"number of {_PLURAL.get(over.field, over.field)}", over.seen, over.limit, at_least=True
    )


# OpenRLHF's arrays are named in the singular; the message names what is counted
_PLURAL = {"query": "queries"}


class _Disconnected(Exception):
    """The client went away while sending its body."""


def authorized(authorization: str, x_api_key: str, api_key: str) -> bool:
    """``Authorization: Bearer <key>`` or ``X-API-Key: <key>``, compared in constant time."""
    given = authorization[7:] if authorization.lower().startswith("bearer ") else x_api_key
    return hmac.compare_digest(given.encode("latin-1", "replace"), api_key.encode())


def _under(path: str, table: Mapping[str, Any] | frozenset[str]) -> str | None:
    """The entry of ``table`` that is ``path`` or a folder above it (``/get_reward/{profile}``)."""
    for prefix in table:
        if path == prefix or path.startswith(prefix + "/"):
            return prefix
    return None


def _query_authorized(query_string: bytes, api_key: str) -> bool:
    given = parse_qs(query_string.decode("latin-1")).get("api_key", [""])[0]
    return bool(given) and hmac.compare_digest(given.encode("latin-1", "replace"), api_key.encode())


def _authorized(headers: Mapping[bytes, bytes], api_key: str) -> bool:
    def get(name: bytes) -> str:
        return headers.get(name, b"").decode("latin-1")

    return authorized(get(b"authorization"), get(b"x-api-key"), api_key)


async def _refuse(send: Any, err: ServiceError, extra: Mapping[bytes, bytes] | None = None) -> None:
    body = error_body(err.message)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *(extra or {}).items(),
    ]
    await send({"type": "http.response.start", "status": status_for(err), "headers": headers})
    await send({"type": "http.response.body", "body": body})
