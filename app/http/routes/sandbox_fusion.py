"""SandboxFusion's drop-in: ``/run_code`` (one program, SandboxFusion's request and answer, whose
shapes and limits are in ``app.http.sandbox_fusion``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.params import Depends

from app.deadline import Deadline
from app.errors import InvalidRequestError
from app.http.api_doc import WORK_ERRORS, answers
from app.http.items import code_backend
from app.http.responses import RunCodeResponse
from app.http.sandbox_fusion import (
    RunCodeError,
    UnsupportedLanguageError,
    run_code_job,
    run_code_response,
    unsupported_language_response,
)
from app.http.schemas import RunCodeRequest
from app.service import Service

__all__ = ["router"]


def router(service: Service, auth: Depends) -> APIRouter:
    """The ``/run_code`` route over ``service``'s sandbox, guarded by ``auth``."""
    settings = service.settings
    r = APIRouter()

    @r.post("/run_code", dependencies=[auth], responses=answers(RunCodeResponse, *WORK_ERRORS))
    async def run_code(req: RunCodeRequest) -> dict[str, Any]:
        backend = code_backend(service, req.code)
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

    return r
