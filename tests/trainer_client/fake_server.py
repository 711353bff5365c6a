"""The fake reward service over real HTTP (uvicorn in a subprocess), for end-to-end client tests.

``python -m tests.trainer_client.fake_server --port P --record FILE`` appends each received
``/v1/rewards`` body to FILE; ``--fail-first N`` answers 503 to the first N requests. ``POST /_control {"down": bool, "delay_s": float}`` makes it answer
503 or answer slowly, to test that training survives a failing service.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

__all__ = ["make_app"]


def make_app(record: Path | None, fail_first: int = 0) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from tests.trainer_client.fake_service import score_body

    state: dict[str, Any] = {"down": False, "delay_s": 0.0, "fail_left": fail_first}

    async def rewards(request: Request) -> JSONResponse:
        body = await request.json()
        if state["fail_left"] > 0:
            state["fail_left"] -= 1
            return JSONResponse(
                {"detail": "failing on purpose"}, status_code=503, headers={"Retry-After": "0"}
            )
        if record is not None:
            with record.open("a", encoding="utf-8") as f:
                f.write(json.dumps({"down": state["down"], "body": body}) + "\n")
        if state["delay_s"]:
            await asyncio.sleep(state["delay_s"])
        if state["down"]:
            return JSONResponse(
                {"detail": "down for the test"}, status_code=503, headers={"Retry-After": "0"}
            )
        status, data = score_body(body)
        return JSONResponse(data, status_code=status)

    async def control(request: Request) -> JSONResponse:
        state.update(await request.json())
        return JSONResponse(state)

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/v1/rewards", rewards, methods=["POST"]),
            Route("/_control", control, methods=["POST"]),
            Route("/healthz", healthz),
        ]
    )


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--record", type=Path)
    parser.add_argument("--fail-first", type=int, default=0, help="answer 503 to the first N requests")
    args = parser.parse_args()
    uvicorn.run(make_app(args.record, args.fail_first), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
