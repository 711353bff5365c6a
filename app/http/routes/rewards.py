"""``/v1/rewards`` (score a batch), ``/v1/rewards/catalog`` (every reward and its parameters) and
``/v1/verify/math`` (one answer, with the steps that decided it)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from fastapi import APIRouter
from fastapi.params import Depends

from app.deadline import Deadline
from app.errors import RequestTooLargeError
from app.explanation import math_explanation
from app.http.api_doc import WORK_ERRORS, answers
from app.http.items import checked_specs, score_items
from app.http.responses import CatalogResponse, RewardsResponse, VerifyMathResponse
from app.http.schemas import RewardsRequest, VerifyMathRequest
from app.results import result_to_json
from app.service import Service
from verifiers import Sample

__all__ = ["router"]

_log = logging.getLogger(__name__)


def router(service: Service, auth: Depends) -> APIRouter:
    """The reward routes over ``service``; ``auth`` guards the ones that do work."""
    settings = service.settings
    r = APIRouter()

    @r.post("/v1/rewards", dependencies=[auth], responses=answers(RewardsResponse, *WORK_ERRORS))
    async def rewards(req: RewardsRequest) -> dict[str, Any]:
        started = time.perf_counter()
        specs = checked_specs(service, req, settings.max_batch_items)
        timeout_s = min(req.timeout_s or settings.default_timeout_s, settings.request_timeout_s)
        results = await score_items(service, req.items, specs, Deadline.after(timeout_s))
        elapsed_s = time.perf_counter() - started
        _log.info(
            "scored batch",
            extra={
                "items": len(results),
                "rewards": [p.name for p in specs],
                "null_totals": sum(1 for r in results if r.total is None),
                "elapsed_s": round(elapsed_s, 4),
            },
        )
        return {"results": [result_to_json(r) for r in results], "elapsed_s": elapsed_s}

    @r.get("/v1/rewards/catalog", responses={200: {"model": CatalogResponse}})
    async def catalog() -> dict[str, Any]:
        return {
            "rewards": [
                {
                    "name": d.name,
                    "kind": d.kind.value,
                    "doc": d.doc,
                    "params": {
                        k: {"default": v, "doc": d.param_docs.get(k, "")} for k, v in d.defaults.items()
                    },
                }
                for d in sorted(service.registry, key=lambda d: d.name)
            ]
        }

    @r.post(
        "/v1/verify/math",
        dependencies=[auth],
        responses=answers(VerifyMathResponse, *WORK_ERRORS),
    )
    async def verify_math(req: VerifyMathRequest) -> dict[str, Any]:
        if len(req.completion) > settings.max_completion_chars:
            raise RequestTooLargeError(
                "completion length", len(req.completion), settings.max_completion_chars
            )
        specs = service.scorer.resolve([("accuracy", 1.0, req.params)])
        sample = Sample(id="0", completion=req.completion, ground_truth=req.gold)
        (r,) = await service.scorer.score([sample], specs, Deadline.after(settings.request_timeout_s))
        details = dict(r.details.get("accuracy", {}))
        reason = details.get("reason") or r.errors.get("accuracy")
        steps: list[dict[str, Any]] = []
        if r.rewards["accuracy"] is not None and reason != "too_large":
            # The steps are recomputed here only after the pool decided within its deadline,
            # and still under a deadline: a debugging aid must not hang the API.
            mode = str(req.params.get("mode", "strict"))
            with contextlib.suppress(Exception):
                assert service.inline_pool is not None
                traced = await asyncio.wait_for(
                    service.inline_pool.run(math_explanation, req.gold, req.completion, mode),
                    settings.math_timeout_s,
                )
                steps = list(traced["steps"])
        return {
            "correct": r.accuracy == 1.0 if r.accuracy is not None else None,
            "reward": r.rewards["accuracy"],
            "reason": reason,
            "details": details,
            "error": r.errors.get("accuracy"),
            "explanation": _explain(details, reason),
            "steps": steps,
        }

    return r


def _explain(details: dict[str, Any], reason: Any) -> str:
    extracted = details.get("extracted")
    head = f"extracted answer {extracted!r}" if extracted is not None else "no answer extracted"
    gold = details.get("gold_parsed")
    pred = details.get("pred_parsed")
    parsed = f"; parsed gold {gold!r} vs answer {pred!r}" if gold is not None or pred is not None else ""
    return f"{head}{parsed}; verdict: {reason}"
