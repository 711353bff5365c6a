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
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api_doc import WORK_ERRORS, answers, error_responses, install_openapi
from app.deadline import Deadline
from app.errors import (
    InvalidRequestError,
    NotFoundError,
    RequestTooLargeError,
    ServiceError,
    UnauthorizedError,
)
from app.explanation import math_explanation, output_diff
from app.http_errors import error_headers, status_for
from app.json_log import configure_logging
from app.metrics import CONTENT_TYPE
from app.openrlhf import RawSpec, score_openrlhf
from app.queue.payload import Spec
from app.request_gate import GateConfig, RequestGate, authorized
from app.responses import (
    CatalogResponse,
    ExecuteResponse,
    GetRewardResponse,
    HealthBody,
    RewardsResponse,
    RunCodeResponse,
    VerifyMathResponse,
)
from app.results import ItemResult, result_to_json
from app.sandbox_fusion import (
    RunCodeError,
    UnsupportedLanguageError,
    run_code_job,
    run_code_response,
    unsupported_language_response,
)
from app.schemas import (
    ExecuteRequest,
    GetRewardRequest,
    ItemIn,
    ReadyBody,
    RewardsRequest,
    RunCodeRequest,
    SlimeRewardRequest,
    VerifyMathRequest,
)
from app.service import Components, Service
from app.settings import Settings
from app.slime import SlimeShape, parse_reward_list, slime_item, slime_response
from sandbox import Comparison, Job, Language, TestKind, Verdict
from verifiers import Sample

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
            configure_logging(settings.log_level, repeat_interval_s=settings.log_repeat_interval_s)
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
    app.add_middleware(RequestGate, config=GateConfig.from_settings(settings))  # type: ignore[arg-type]
    _install_handlers(app, service)
    install_openapi(
        app,
        reward_names=lambda: service.registry.names(),
        languages=[lang.value for lang in Language],
        api_key=settings.api_key is not None,
    )
    auth = Depends(_auth_dependency(settings.api_key))
    # OpenRLHF posts without headers: its key may come as ?api_key= (see the README for the risk)
    query_auth = Depends(
        _auth_dependency(settings.api_key, "api_key" if settings.openrlhf_query_key else None)
    )

    @app.post("/v1/rewards", dependencies=[auth], responses=answers(RewardsResponse, *WORK_ERRORS))
    async def rewards(req: RewardsRequest) -> dict[str, Any]:
        started = time.perf_counter()
        specs = _check(service, req, settings.max_batch_items)
        timeout_s = min(req.timeout_s or settings.default_timeout_s, settings.request_timeout_s)
        results = await _score_items(service, req.items, specs, Deadline.after(timeout_s))
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

    @app.get("/v1/rewards/catalog", responses={200: {"model": CatalogResponse}})
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

    @app.post(
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

    @app.post("/v1/execute", dependencies=[auth], responses=answers(ExecuteResponse, *WORK_ERRORS))
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
        job = Job(
            language,
            req.code,
            tests,
            backend.limits,
            req.stop_on_first_failure,
            comparison=comparison,
        )
        timeout_s = min(req.timeout_s or settings.request_timeout_s, settings.request_timeout_s)
        result = await backend.execute(job, Deadline.after(timeout_s))
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

    @app.post("/get_reward", dependencies=[query_auth], responses=answers(GetRewardResponse, *WORK_ERRORS))
    async def get_reward(req: GetRewardRequest) -> dict[str, Any]:
        return await _openrlhf(req, None)

    @app.post(
        "/get_reward/{profile}",
        dependencies=[query_auth],
        responses=answers(GetRewardResponse, *WORK_ERRORS, 404),
    )
    async def get_reward_profile(req: GetRewardRequest, profile: str) -> dict[str, Any]:
        return await _openrlhf(req, profile)

    async def _openrlhf(req: GetRewardRequest, profile: str | None) -> dict[str, Any]:
        if len(req.query) > settings.openrlhf_max_queries:
            raise RequestTooLargeError("number of queries", len(req.query), settings.openrlhf_max_queries)
        deadline = Deadline.after(settings.request_timeout_s)
        chosen: list[RawSpec]
        if profile is None:
            chosen = [
                (n, w, None)
                for n, w in zip(settings.openrlhf_rewards, settings.openrlhf_weights, strict=True)
            ]
        elif profile in settings.openrlhf_profiles:
            chosen = [(n, w, None) for n, w in settings.openrlhf_profiles[profile].items()]
        else:
            known = ", ".join(sorted(settings.openrlhf_profiles)) or "none configured"
            raise NotFoundError(f"no reward profile {profile!r} (ARBITER_OPENRLHF_PROFILES: {known})")

        async def score(items: Sequence[ItemIn], raw: Sequence[RawSpec]) -> list[ItemResult]:
            if len(raw) > settings.max_rewards_per_request:
                raise RequestTooLargeError("number of rewards", len(raw), settings.max_rewards_per_request)
            return await _score_items(service, items, service.scorer.resolve(raw), deadline)

        return await score_openrlhf(
            req, chosen, settings.openrlhf_special_tokens, settings.max_batch_items, score
        )

    @app.post("/run_code", dependencies=[auth], responses=answers(RunCodeResponse, *WORK_ERRORS))
    async def run_code(req: RunCodeRequest) -> dict[str, Any]:
        backend = _code_backend(service, req.code)
        try:
            job, applied = run_code_job(
                code=req.code,
                language=req.language,
                stdin=req.stdin,
                base=backend.limits,
                run_timeout=req.run_timeout,
                compile_timeout=req.compile_timeout,
                memory_limit_mb=req.memory_limit_MB,
                files=req.files,
                fetch_files=req.fetch_files,
            )
        except UnsupportedLanguageError as exc:
            if exc.known:  # a SandboxFusion language we do not run: its own "cannot run" answer
                return unsupported_language_response(exc)
            raise InvalidRequestError(str(exc)) from None
        except RunCodeError as exc:
            raise InvalidRequestError(str(exc)) from None
        result = await backend.execute(job, Deadline.after(settings.request_timeout_s))
        return run_code_response(result, job.language, applied)

    @app.post("/slime/reward", dependencies=[auth], responses=error_responses(*WORK_ERRORS, 404))
    async def slime_reward(
        req: SlimeRewardRequest, shape: SlimeShape = SlimeShape.SCALAR, rewards: str | None = None
    ) -> Any:
        deadline = Deadline.after(settings.request_timeout_s)
        try:
            raw = (
                parse_reward_list(rewards)
                if rewards
                else list(zip(settings.openrlhf_rewards, settings.openrlhf_weights, strict=True))
            )
            item = ItemIn.model_validate(slime_item(req.prompt, req.response, req.label))
        except ValueError as exc:
            raise InvalidRequestError(str(exc)) from None
        if len(raw) > settings.max_rewards_per_request:
            raise RequestTooLargeError("number of rewards", len(raw), settings.max_rewards_per_request)
        resolved = service.scorer.resolve([(n, w, None) for n, w in raw])
        (result,) = await _score_items(service, [item], resolved, deadline)
        return slime_response(result, shape)

    @app.post(
        "/v1/jobs",
        dependencies=[auth],
        status_code=202,
        responses=error_responses(*WORK_ERRORS),
    )
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

    @app.get("/v1/jobs/{job_id}", dependencies=[auth], responses=error_responses(401, 404, 422, 503))
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

    @app.get("/healthz", responses={200: {"model": HealthBody}})
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        response_model=ReadyBody,
        responses={503: {"model": ReadyBody, "description": "a dependency is down (see checks)"}},
    )
    async def readyz() -> JSONResponse:
        checks = await service.ready()
        ok = all(checks.values())
        return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)

    @app.get(
        "/metrics",
        response_class=PlainTextResponse,
        responses={200: {"description": "Prometheus text exposition format", "content": {"text/plain": {}}}},
    )
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
    service: Service, items: Sequence[ItemIn], specs: Sequence[Spec], deadline: Deadline
) -> list[ItemResult]:
    """Score the valid items; refused items get a result with ``error`` and null rewards."""
    samples, rejected = _samples(service.settings, items)
    scored = iter(await service.scorer.score(samples, specs, deadline) if samples else [])
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


def _auth_dependency(
    api_key: str | None, query_param: str | None = None
) -> Callable[[Request], Awaitable[None]]:
    """The route-level check behind the gate's (the gate answers first, before the body);
    ``query_param`` also accepts the key in the URL (OpenRLHF's ``/get_reward``)."""

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


def _install_handlers(app: FastAPI, service: Service) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(_: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=status_for(exc), headers=error_headers(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Response:
        # 404/405 from routing, with the same body as every other error.
        return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

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
