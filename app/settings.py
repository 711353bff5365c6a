"""The service's settings: every limit, with its unit and default, in one class.

Why one class: the environment (``ARBITER_*``) is read here and nowhere else. ``Settings()`` is
built once at startup (CLI or test) and passed down, so a test can build the app with any limits
without touching the process environment.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["SandboxBackendName", "Settings"]


class SandboxBackendName(StrEnum):
    """Which sandbox runs model-written code."""

    BWRAP = "bwrap"
    DOCKER = "docker"


class Settings(BaseSettings):
    """Limits, resources and defaults of one service process (API and, embedded, its workers)."""

    model_config = SettingsConfigDict(env_prefix="ARBITER_", frozen=True, extra="ignore")

    # --- HTTP edge limits
    max_request_bytes: int = Field(
        default=32 * 1024 * 1024, gt=0, description="largest accepted request body"
    )
    max_batch_items: int = Field(default=8192, gt=0, description="most items in one /v1/rewards request")
    max_job_items: int = Field(default=200_000, gt=0, description="most items in one async job")
    max_completion_chars: int = Field(default=200_000, gt=0, description="longest accepted completion")
    max_tests_per_item: int = Field(default=256, gt=0, description="most code tests attached to one item")
    max_rewards_per_request: int = Field(default=16, gt=0, description="most reward specs in one request")
    request_timeout_s: float = Field(default=120.0, gt=0, description="ceiling on a request's own timeout_s")
    default_timeout_s: float = Field(default=60.0, gt=0, description="timeout_s when a request gives none")
    api_key: str | None = Field(
        default=None, description="when set, requests need 'Authorization: Bearer <key>'"
    )

    # --- math
    math_workers: int = Field(default=2, gt=0, description="processes in the math verification pool")
    math_timeout_s: float = Field(default=5.0, gt=0, description="per-item math verification deadline")
    math_memory_mb: int = Field(
        default=2048,
        ge=64,
        description="address-space cap of each math worker process (a runaway parse dies)",
    )

    # --- sandbox
    sandbox_backend: SandboxBackendName = Field(
        default=SandboxBackendName.BWRAP, description="bwrap or docker"
    )
    sandbox_pool_size: int = Field(default=2, gt=0, description="programs run at the same time")
    sandbox_time_limit_s: float = Field(
        default=5.0, gt=0, description="CPU time limit per test run (wall: 3x + 5 s)"
    )
    sandbox_memory_mb: int = Field(default=512, gt=0, description="memory limit per test run")
    sandbox_output_bytes: int = Field(default=1024 * 1024, gt=0, description="stdout/stderr cap per test run")
    max_program_chars: int = Field(
        default=100_000, gt=0, description="longest program accepted by /v1/execute"
    )

    # --- queue
    redis_url: str | None = Field(default=None, description="None: embedded in-process queue and caches")
    queue_max_depth: int = Field(default=10_000, gt=0, description="queued chunks at which submit is refused")
    chunk_items: int = Field(default=64, gt=0, description="items per queued task")
    embedded_workers: int = Field(default=4, gt=0, description="concurrent chunk handlers in embedded mode")
    retry_after_s: float = Field(default=2.0, gt=0, description="Retry-After sent with 429/503")
    max_deliveries: int = Field(
        default=2, gt=0, description="deliveries of an embedded-queue chunk before it fails (1 = no retry)"
    )

    # --- caches and jobs
    result_cache_ttl_s: float = Field(default=3600.0, ge=0, description="0 disables the result cache")
    result_cache_max_entries: int = Field(default=200_000, gt=0, description="in-memory cache size bound")
    job_ttl_s: float = Field(default=24 * 3600.0, gt=0, description="how long finished job results are kept")
    job_chunk_items: int = Field(default=1024, gt=0, description="items scored per step of an async job")

    # --- drop-in endpoints (/get_reward, OpenRLHF): which rewards they compute
    openrlhf_rewards: tuple[str, ...] = Field(
        default=("accuracy", "format_strict"), description="rewards /get_reward computes (JSON list)"
    )
    openrlhf_weights: tuple[float, ...] = Field(default=(1.0, 0.5), description="their weights, same order")

    log_level: str = Field(default="INFO", description="root log level")
    log_json: bool = Field(default=True, description="JSON log lines on stderr (set up when the app starts)")

    @model_validator(mode="after")
    def _weights_match_rewards(self) -> Settings:
        # Checked at startup: a mismatch would otherwise fail every /get_reward request.
        if len(self.openrlhf_weights) != len(self.openrlhf_rewards):
            raise ValueError(
                f"openrlhf_weights has {len(self.openrlhf_weights)} entries for "
                f"{len(self.openrlhf_rewards)} openrlhf_rewards"
            )
        return self
