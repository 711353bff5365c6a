"""Request and error models of the HTTP edge (pydantic); inside the service everything is frozen
dataclasses.

Why strict: a loose edge is a quiet wrong answer. ``true`` as a gold would equal ``1``, a ``NaN``
weight would null every total, ``"5"`` as a time limit would pass as 5 s; each of these is a 422
here with the field's name. Numbers are finite, booleans are only booleans, strings only strings,
and no number hides inside ``params`` or ``metadata`` as ``NaN``/``Infinity``.

Why no models of successful responses for the hot path: results are built as plain JSON from
the core's dataclasses, which keeps thousands of items per request free of a second validation
pass; the error bodies and the health answers are modelled so the OpenAPI document is exact.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict

__all__ = [
    "ErrorBody",
    "ExecuteRequest",
    "GetRewardRequest",
    "ItemIn",
    "ReadyBody",
    "RewardSpecIn",
    "RewardsRequest",
    "RunCodeRequest",
    "SlimeRewardRequest",
    "VerifyMathRequest",
]


def _reference(value: Any) -> Any:
    """A gold/label: a string, an integer or a finite number (never a boolean), or null."""
    if isinstance(value, bool):
        raise ValueError("a reference answer must be a string or a number, not a boolean")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("a reference answer must be a finite number")
    if value is not None and not isinstance(value, str | int | float):
        raise ValueError("a reference answer must be a string, a number or null")
    return value


def _finite_inside(value: Any) -> Any:
    """Free JSON (params, metadata) without NaN/Infinity anywhere inside: they would null scores
    or break the JSON of the answer."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError("NaN and Infinity are not accepted (use finite numbers)")
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return value


Reference = Annotated[str | int | float | None, BeforeValidator(_reference)]
FiniteJson = Annotated[Any, AfterValidator(_finite_inside)]


def _label(value: Any) -> Any:
    """An OpenRLHF/slime label: a reference answer, or JSON (object/list) carrying gold, tests or a
    reward choice; finite everywhere, never a bare boolean."""
    if isinstance(value, dict | list):
        return _finite_inside(value)
    return _reference(value)


Label = Annotated[Any, AfterValidator(_label)]
FreeObject = Annotated[dict[str, Any], AfterValidator(_finite_inside)]
Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]  # an int or a finite float; no bool/str
Count = Annotated[int, Strict()]  # an integer; no bool, str or float


class _Edge(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer of the API: one human-readable message."""

    detail: str = Field(description="what is wrong, with the limit or the field it concerns")


class ReadyBody(BaseModel):
    """``GET /readyz``: overall readiness and each dependency's health."""

    ready: bool
    checks: dict[str, bool]


class ItemIn(_Edge):
    """One completion to score (see the README's API section)."""

    id: str | None = None
    prompt: str = ""
    completion: str
    ground_truth: Reference = None
    tests: FiniteJson = None
    group_id: str | None = None
    num_tokens: Annotated[Count, Field(ge=0)] | None = None
    token_ids: list[Count] | None = None
    metadata: FreeObject = Field(default_factory=dict)


class RewardSpecIn(_Edge):
    """One requested reward: a registry name, its weight in the total, and parameter overrides."""

    name: str
    weight: Number = 1.0
    params: FreeObject = Field(default_factory=dict)


class RewardsRequest(_Edge):
    """``POST /v1/rewards`` and ``POST /v1/jobs``."""

    items: list[ItemIn]
    rewards: list[RewardSpecIn]
    timeout_s: Annotated[Number, Field(gt=0)] | None = None


class VerifyMathRequest(_Edge):
    """``POST /v1/verify/math``: one (gold, completion) pair, the ``accuracy`` reward's params."""

    gold: Reference
    completion: str
    params: FreeObject = Field(default_factory=dict)


class ExecuteRequest(_Edge):
    """``POST /v1/execute``: one program (not a completion) and its tests in any supported shape."""

    code: str
    language: str = "python"
    tests: FiniteJson
    stop_on_first_failure: bool = False
    timeout_s: Annotated[Number, Field(gt=0)] | None = Field(
        None, description="answer by then (capped by the service's request_timeout_s)"
    )
    # Output comparison (sandbox.comparison): float tolerance where the expected token is a float;
    # integers always compare exactly. None: the default 1e-6.
    float_abs_tol: Annotated[Number, Field(ge=0, le=1)] | None = None
    float_rel_tol: Annotated[Number, Field(ge=0, le=1)] | None = None


class GetRewardRequest(_Edge):
    """OpenRLHF's remote reward model request (``--remote_rm_url``); other fields are ignored."""

    model_config = ConfigDict(extra="allow")

    query: list[str]
    prompts: list[str] = Field(default_factory=list)
    # a gold, or JSON (object/list, or a string of one) with gold, tests or a reward choice
    labels: list[Label] = Field(default_factory=list)


class RunCodeRequest(_Edge):
    """SandboxFusion's ``/run_code`` request, field by field (``app.http.sandbox_fusion`` checks values).

    Limits: absent or ``-1`` means the service's own limit; a larger value is clamped to it and the
    applied value is reported. ``files``: path -> base64 content (``None`` skipped); ``fetch_files``:
    paths read back after the run. Unknown fields are ignored, as SandboxFusion does."""

    model_config = ConfigDict(extra="ignore")

    code: str
    language: str = "python"
    stdin: str | None = None
    run_timeout: Number | None = None
    compile_timeout: Number | None = None
    memory_limit_MB: Count | None = None
    files: dict[str, str | None] = Field(default_factory=dict)
    fetch_files: list[str] = Field(default_factory=list)


class SlimeRewardRequest(_Edge):
    """slime's remote reward request (``remote_rm``): one sample; see ``app.http.slime``."""

    model_config = ConfigDict(extra="ignore")

    prompt: str | list[FreeObject] = ""
    response: str
    label: Label = None
