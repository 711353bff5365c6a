"""The body limit refuses declared and streamed bodies over the limit, and passes the rest intact."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Request

from app.body_limit import BodyLimit


def _echo_app(max_bytes: int) -> FastAPI:
    app = FastAPI()
    app.add_middleware(BodyLimit, max_bytes=max_bytes)  # type: ignore[arg-type]

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    return app


async def _chunks(n: int, size: int):
    for _ in range(n):
        yield b"x" * size


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"x" * 100, 200),
        (b"x" * 101, 413),
        (_chunks(4, 25), 200),  # streamed, exactly at the limit
        (_chunks(5, 25), 413),  # streamed, over it
    ],
)
async def test_body_limit(content, status):
    transport = httpx.ASGITransport(app=_echo_app(100))
    async with httpx.AsyncClient(transport=transport, base_url="http://a") as client:
        r = await client.post("/echo", content=content)
    assert r.status_code == status
    if status == 200:
        assert r.json() == {"received": 100}
    else:
        assert "over the limit of 100" in r.json()["detail"]
