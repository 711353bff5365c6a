"""Models of the successful answers, for the OpenAPI document only.

Why documentation-only: the routes build their JSON from the core's dataclasses and return it
as is (no second validation pass over thousands of items); these models tell clients the shape,
and ``tests/app/http/test_openapi.py`` plus the schemathesis run check that real answers fit them.
Extra fields are allowed: a client must ignore what it does not know.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "CatalogResponse",
    "ExecuteResponse",
    "GetRewardResponse",
    "HealthBody",
    "ItemResultOut",
    "RewardsResponse",
    "RunCodeResponse",
    "VerifyMathResponse",
]


class HealthBody(BaseModel):
    """``GET /healthz``: the process answers."""

    status: str


class ItemResultOut(BaseModel):
    """One item's scores: ``null`` where it cannot be scored, with the reason in ``errors``."""

    id: str
    total: float | None = Field(description="weighted sum of the rewards; null when a needed one is null")
    rewards: dict[str, float | None]
    accuracy: float | None
    details: dict[str, dict[str, Any]]
    errors: dict[str, str]
    error: str | None = Field(description="why the whole item was refused (e.g. completion_too_large)")


class RewardsResponse(BaseModel):
    """``POST /v1/rewards``: one result per item, in request order."""

    results: list[ItemResultOut]
    elapsed_s: float


class _RewardParam(BaseModel):
    default: Any = None
    doc: str


class _RewardDoc(BaseModel):
    name: str
    kind: str
    doc: str
    params: dict[str, _RewardParam]


class CatalogResponse(BaseModel):
    """``GET /v1/rewards/catalog``: every reward with its kind, parameters and docs."""

    rewards: list[_RewardDoc]


class VerifyMathResponse(BaseModel):
    """``POST /v1/verify/math``: the verdict and how it was reached."""

    correct: bool | None
    reward: float | None
    reason: str | None
    details: dict[str, Any]
    error: str | None
    explanation: str
    steps: list[dict[str, Any]]


class _Compile(BaseModel):
    ok: bool
    time_s: float
    stderr: str
    exit_code: int | None


class ExecuteResponse(BaseModel):
    """``POST /v1/execute``: per-test verdicts of one program."""

    status: str
    passed: int
    total: int
    compile: _Compile
    tests: list[dict[str, Any]]
    error: str | None


class GetRewardResponse(BaseModel):
    """``POST /get_reward`` (OpenRLHF): a float per sample; unscorable ones are 0.0, flagged in
    ``extra_logs["scorable"]``."""

    rewards: list[float]
    scores: list[float]
    extra_logs: dict[str, list[float]]


class _RunStatus(StrEnum):
    SUCCESS = "Success"
    FAILED = "Failed"
    SANDBOX_ERROR = "SandboxError"


class RunCodeResponse(BaseModel):
    """``POST /run_code`` (SandboxFusion's ``RunCodeResponse``)."""

    status: _RunStatus
    message: str
    compile_result: dict[str, Any] | None
    run_result: dict[str, Any] | None
    files: dict[str, Any]
