"""The HTTP API: ``create_app(settings)`` builds a FastAPI app whose lifespan owns the service.

Why a factory and no module-level app: nothing starts on import; the CLI, uvicorn
(``--factory app.main:create_app``) and each test build their own app from explicit settings.
Routes only validate, call the core (``Service``/``Scorer``) and shape JSON; errors from the core
become HTTP responses here and nowhere else.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hmac
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from app.body_limit import BodyLimit
from app.compat import openrlhf_response, openrlhf_samples, run_code_job, run_code_response
from app.errors import (
    InvalidRequestError,
    NotFoundError,
    RequestTooLargeError,
    ServiceError,
    UnauthorizedError,
)
from app.explanation import math_explanation, output_diff
from app.json_log import configure_logging
from app.metrics import CONTENT_TYPE
from app.payload import Spec
from app.schemas import (
    ExecuteRequest,
    GetRewardRequest,
    ItemIn,
    RewardsRequest,
    RunCodeRequest,
    VerifyMathRequest,
)
from app.scoring import ItemResult
from app.service import Components, Service, result_to_json
from app.settings import Settings
from sandbox.job import Comparison, Job, Language, TestKind
from sandbox.result import Verdict
from verifiers.registry import Sample

__all__ = ["create_app"]

_ITEM_TOO_LARGE = "completion_too_large"
_log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, components: Components | None = None) -> FastAPI:
    """The API app; ``components`` replaces parts built from settings (tests, benchmarks)."""
    settings = settings or Settings()
    service = Service(settings, components)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.log_json:
            configure_logging(settings.log_level)
        await service.start()
        _log.info(
            "arbiter started",
            extra={"redis": bool(settings.redis_url), "sandbox": settings.sandbox_backend.value},
        )
        try:
            yield
        finally:
            await service.close()

    app = FastAPI(title="Arbiter", version="0.1.0", lifespan=lifespan)
    app.state.service = service
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)  # type: ignore[arg-type]
    _install_handlers(app, service)
    auth = Depends(_auth_dependency(settings.api_key))

    @app.post("/v1/rewards", dependencies=[auth])
    async def rewards(req: RewardsRequest) -> dict[str, Any]:
        started = time.perf_counter()
        specs = _check(service, req, settings.max_batch_items)
        timeout_s = min(req.timeout_s or settings.default_timeout_s, settings.request_timeout_s)
        results = await _score_items(service, req.items, specs, timeout_s)
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

    @app.get("/v1/rewards/catalog")
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

    @app.post("/v1/verify/math", dependencies=[auth])
    async def verify_math(req: VerifyMathRequest) -> dict[str, Any]:
        if len(req.completion) > settings.max_completion_chars:
            raise RequestTooLargeError(
                "completion length", len(req.completion), settings.max_completion_chars
            )
        specs = service.scorer.resolve([("accuracy", 1.0, req.params)])
        sample = Sample(id="0", completion=req.completion, ground_truth=req.gold)
        (r,) = await service.scorer.score([sample], specs, settings.request_timeout_s)
        details = dict(r.details.get("accuracy", {}))
        reason = details.get("reason") or r.errors.get("accuracy")
        steps: list[dict[str, Any]] = []
        if r.rewards["accuracy"] is not None and reason != "too_large":
            # The steps are recomputed here only after the pool decided within its deadline,
            # and still under a deadline: a debugging aid must not hang the API.
            mode = str(req.params.get("mode", "strict"))
            with contextlib.suppress(Exception):
                traced = await asyncio.wait_for(
                    asyncio.to_thread(math_explanation, req.gold, req.completion, mode),
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

    @app.post("/v1/execute", dependencies=[auth])
    async def execute(req: ExecuteRequest) -> dict[str, Any]:
        backend = _code_backend(service, req.code)
        try:
            language = Language(req.language)
            tests = tuple(backend.adapt_tests(req.tests))
        except (ValueError, TypeError, KeyError) as exc:
            raise InvalidRequestError(f"cannot run these tests: {exc}") from None
        if len(tests) > settings.max_tests_per_item:
            raise RequestTooLargeError("number of tests", len(tests), settings.max_tests_per_item)
        default = Comparison()
        comparison = Comparison(
            abs_tol=default.abs_tol if req.float_abs_tol is None else req.float_abs_tol,
            rel_tol=default.rel_tol if req.float_rel_tol is None else req.float_rel_tol,
        )
        job = Job(language, req.code, tests, backend.limits, req.stop_on_first_failure, comparison)
        result = await asyncio.to_thread(backend.run_job, job)
        return {
            "status": result.status.value,
            "passed": result.passed,
            "total": result.total,
            "compile": dataclasses.asdict(result.compile),
            "tests": [
                {
                    **dataclasses.asdict(t),
                    "status": t.status.value,
                    # the same diff ``arbiter explain --code`` prints, for a wrong stdout
                    "diff": output_diff(case.expected_stdout, t.stdout)
                    if t.status is Verdict.WRONG_ANSWER and case.kind is TestKind.STDIO
                    else None,
                }
                for case, t in zip(tests, result.tests, strict=False)
            ],
            "error": result.error or None,
        }

    @app.post("/get_reward", dependencies=[auth])
    async def get_reward(req: GetRewardRequest) -> dict[str, Any]:
        if len(req.query) > settings.max_batch_items:
            raise RequestTooLargeError("number of queries", len(req.query), settings.max_batch_items)
        raw = [
            (n, w, None) for n, w in zip(settings.openrlhf_rewards, settings.openrlhf_weights, strict=True)
        ]
        specs = service.scorer.resolve(raw)
        items = [
            ItemIn.model_validate(
                {"id": s.id, "prompt": s.prompt, "completion": s.completion, "ground_truth": s.ground_truth}
            )
            for s in openrlhf_samples(req)
        ]
        results = await _score_items(service, items, specs, settings.request_timeout_s)
        return openrlhf_response(results)

    @app.post("/run_code", dependencies=[auth])
    async def run_code(req: RunCodeRequest) -> dict[str, Any]:
        backend = _code_backend(service, req.code)
        try:
            job = run_code_job(
                req.code, req.language, req.stdin or "", backend.limits, req.run_timeout, req.memory_limit_MB
            )
        except ValueError:
            raise InvalidRequestError(
                f"unsupported language {req.language!r}; supported: python, cpp"
            ) from None
        return run_code_response(await asyncio.to_thread(backend.run_job, job))

    @app.post("/v1/jobs", dependencies=[auth], status_code=202)
    async def submit_job(req: RewardsRequest) -> dict[str, Any]:
        specs = _check(service, req, settings.max_job_items)
        samples, rejected = _samples(settings, req.items)
        if rejected:
            raise RequestTooLargeError(
                "a completion's length",
                max(len(i.completion) for i in req.items),
                settings.max_completion_chars,
            )
        jobs = service.jobs
        assert jobs is not None
        state = await jobs.submit(samples, specs)
        return {"job_id": state.job_id, "status": state.status.value, "total": state.total}

    @app.get("/v1/jobs/{job_id}", dependencies=[auth])
    async def get_job(job_id: str) -> dict[str, Any]:
        jobs = service.jobs
        assert jobs is not None
        state = await jobs.get(job_id)
        if state is None:
            raise NotFoundError(f"no job {job_id!r} (unknown or expired)")
        body = dataclasses.asdict(state)
        body["status"] = state.status.value
        body["progress"] = state.done / state.total if state.total else 1.0
        return body

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = await service.ready()
        ok = all(checks.values())
        return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        await service.ready()
        return Response(service.metrics.render(), media_type=CONTENT_TYPE)

    return app


def _check(service: Service, req: RewardsRequest, max_items: int) -> list[Spec]:
    settings = service.settings
    if len(req.items) > max_items:
        raise RequestTooLargeError("number of items", len(req.items), max_items)
    if len(req.rewards) > settings.max_rewards_per_request:
        raise RequestTooLargeError("number of rewards", len(req.rewards), settings.max_rewards_per_request)
    return service.scorer.resolve([(r.name, r.weight, r.params) for r in req.rewards])


def _samples(settings: Settings, items: Sequence[ItemIn]) -> tuple[list[Sample], dict[int, str]]:
    """Valid samples, and the positions of items refused on their own (reason per position)."""
    samples: list[Sample] = []
    rejected: dict[int, str] = {}
    for i, item in enumerate(items):
        if len(item.completion) > settings.max_completion_chars:
            rejected[i] = _ITEM_TOO_LARGE
            continue
        samples.append(
            Sample(
                id=item.id if item.id is not None else str(i),
                completion=item.completion,
                prompt=item.prompt,
                ground_truth=item.ground_truth,
                tests=item.tests,
                group_id=item.group_id,
                num_tokens=item.num_tokens,
                token_ids=tuple(item.token_ids) if item.token_ids is not None else None,
                metadata=item.metadata,
            )
        )
    return samples, rejected


async def _score_items(
    service: Service, items: Sequence[ItemIn], specs: Sequence[Spec], timeout_s: float
) -> list[ItemResult]:
    """Score the valid items; refused items get a result with ``error`` and null rewards."""
    samples, rejected = _samples(service.settings, items)
    scored = iter(await service.scorer.score(samples, specs, timeout_s) if samples else [])
    out: list[ItemResult] = []
    for i, item in enumerate(items):
        if i in rejected:
            reason = rejected[i]
            out.append(
                ItemResult(
                    id=item.id if item.id is not None else str(i),
                    total=None,
                    rewards={s.name: None for s in specs},
                    accuracy=None,
                    details={s.name: {} for s in specs},
                    errors={s.name: reason for s in specs},
                    error=reason,
                )
            )
        else:
            out.append(next(scored))
    return out


def _code_backend(service: Service, program: str) -> Any:
    """The API process's own sandbox for a caller's program, after the program-size limit."""
    if service.code is None:
        raise ServiceError("this instance has no sandbox")
    limit = service.settings.max_program_chars
    if len(program) > limit:
        raise RequestTooLargeError("program length", len(program), limit)
    return service.code


def _explain(details: dict[str, Any], reason: Any) -> str:
    extracted = details.get("extracted")
    head = f"extracted answer {extracted!r}" if extracted is not None else "no answer extracted"
    gold = details.get("gold_parsed")
    pred = details.get("pred_parsed")
    parsed = f"; parsed gold {gold!r} vs answer {pred!r}" if gold is not None or pred is not None else ""
    return f"{head}{parsed}; verdict: {reason}"


def _auth_dependency(api_key: str | None) -> Callable[[Request], Awaitable[None]]:
    async def check(request: Request) -> None:
        if api_key is None:
            return
        header = request.headers.get("authorization", "")
        given = header[7:] if header.lower().startswith("bearer ") else request.headers.get("x-api-key", "")
        if not hmac.compare_digest(given.encode(), api_key.encode()):
            raise UnauthorizedError("missing or wrong API key")

    return check


def _install_handlers(app: FastAPI, service: Service) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(_: Request, exc: ServiceError) -> JSONResponse:
        headers = {}
        retry_after_s = getattr(exc, "retry_after_s", None)
        if retry_after_s is not None:
            headers["Retry-After"] = str(max(1, round(retry_after_s)))
        return JSONResponse({"detail": exc.message}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors()[:10]:
            loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
            parts.append(f"{loc}: {err.get('msg')}" if loc else str(err.get("msg")))
        return JSONResponse({"detail": "invalid request: " + "; ".join(parts)}, status_code=422)

    @app.middleware("http")
    async def count(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        service.metrics.requests.labels(path, str(response.status_code)).inc()
        service.metrics.request_latency.labels(path).observe(time.perf_counter() - started)
        return response
