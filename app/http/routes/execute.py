"""``/v1/execute``: a caller's program against tests in the API process's own sandbox, with a
verdict per test (and the diff of a wrong stdout)."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter
from fastapi.params import Depends

from app.deadline import Deadline
from app.errors import InvalidRequestError, RequestTooLargeError
from app.explanation import output_diff
from app.http.api_doc import WORK_ERRORS, answers
from app.http.items import code_backend
from app.http.responses import ExecuteResponse
from app.http.schemas import ExecuteRequest
from app.service import Service
from sandbox import Comparison, Job, Language, TestKind, Verdict

__all__ = ["router"]


def router(service: Service, auth: Depends) -> APIRouter:
    """The execute route over ``service``'s sandbox, guarded by ``auth``."""
    settings = service.settings
    r = APIRouter()

    @r.post("/v1/execute", dependencies=[auth], responses=answers(ExecuteResponse, *WORK_ERRORS))
    async def execute(req: ExecuteRequest) -> dict[str, Any]:
        backend = code_backend(service, req.code)
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

    return r
