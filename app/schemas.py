"""Request models of the HTTP edge (pydantic); inside the service everything is frozen dataclasses.

Why only requests: responses are built as plain JSON from the core's dataclasses, which keeps the
hot path (thousands of items per request) free of a second validation pass.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ExecuteRequest",
    "GetRewardRequest",
    "ItemIn",
    "RewardSpecIn",
    "RewardsRequest",
    "RunCodeRequest",
    "VerifyMathRequest",
]


class ItemIn(BaseModel):
    """One completion to score (see the README's API section)."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    prompt: str = ""
    completion: str
    ground_truth: str | int | float | None = None
    tests: Any = None
    group_id: str | None = None
    num_tokens: int | None = Field(None, ge=0)
    token_ids: list[int] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class RewardSpecIn(BaseModel):
    """One requested reward: a registry name, its weight in the total, and parameter overrides."""

    model_config = ConfigDict(extra="forbid")

    name: str
    weight: float = 1.0
    params: dict[str, Any] = Field(default_factory=dict)


class RewardsRequest(BaseModel):
    """``POST /v1/rewards`` and ``POST /v1/jobs``."""

    model_config = ConfigDict(extra="forbid")

    items: list[ItemIn]
    rewards: list[RewardSpecIn]
    timeout_s: float | None = Field(None, gt=0)


class VerifyMathRequest(BaseModel):
    """``POST /v1/verify/math``: one (gold, completion) pair, the ``accuracy`` reward's params."""

    model_config = ConfigDict(extra="forbid")

    gold: str | int | float | None
    completion: str
    params: dict[str, Any] = Field(default_factory=dict)


class ExecuteRequest(BaseModel):
    """``POST /v1/execute``: one program (not a completion) and its tests in any supported shape."""

    model_config = ConfigDict(extra="forbid")

    code: str
    language: str = "python"
    tests: Any
    stop_on_first_failure: bool = False
    # Output comparison (sandbox.comparison): float tolerance where the expected token is a float;
    # integers always compare exactly. None: the default 1e-6.
    float_abs_tol: float | None = Field(None, ge=0, le=1)
    float_rel_tol: float | None = Field(None, ge=0, le=1)


class GetRewardRequest(BaseModel):
    """OpenRLHF's remote reward model request (``--remote_rm_url``)."""

    model_config = ConfigDict(extra="allow")

    query: list[str]
    prompts: list[str] = Field(default_factory=list)
    labels: list[str | int | float | None] = Field(default_factory=list)


class RunCodeRequest(BaseModel):
    """SandboxFusion's ``/run_code`` request; unknown fields (``files``...) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    code: str
    language: str = "python"
    stdin: str | None = ""
    run_timeout: float | None = Field(None, gt=0)
    compile_timeout: float | None = Field(None, gt=0)
    memory_limit_MB: int | None = Field(None, gt=0)
