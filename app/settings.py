"""The service's settings: every limit, with its unit and default, in one class.

Why one class: the environment (``ARBITER_*``) is read here and nowhere else. ``Settings()`` is
built once at startup (CLI or test) and passed down, so a test can build the app with any limits
without touching the process environment.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import DirectoryPath, Field, field_validator, model_validator
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
    max_json_containers: int = Field(
        default=2_000_000,
        gt=0,
        description="most JSON objects and arrays in one request body (each one is a Python object when decoded)",
    )
    request_timeout_s: float = Field(default=120.0, gt=0, description="ceiling on a request's own timeout_s")
    default_timeout_s: float = Field(default=60.0, gt=0, description="timeout_s when a request gives none")
    api_key: str | None = Field(
        default=None,
        description="when set, requests need 'Authorization: Bearer <key>' (an empty key is refused)",
    )
    http_header_timeout_s: float = Field(
        default=10.0, gt=0, description="a client must send a request's whole header block within this"
    )
    http_body_timeout_s: float = Field(
        default=60.0, gt=0, description="a client must send a request's whole body within this"
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
    sandbox_max_waiting_calls: int = Field(
        default=8,
        ge=0,
        description="direct sandbox calls (/v1/execute, /run_code) waiting for a free instance "
        "beyond the sandbox_pool_size running ones; one more is refused with 429",
    )

    sandbox_rootfs_dir: DirectoryPath | None = Field(
        default=None,
        description="bwrap runtime root (scripts/build-sandbox-image output); unset: the source "
        "checkout's .rootfs/bookworm if built, else the host's /usr",
    )
    sandbox_image: str = Field(
        default="arbiter-sandbox:latest", min_length=1, description="Docker image of the docker backend"
    )

    # --- inline scoring (cheap rewards computed in the API process, on their own threads)
    inline_threads: int = Field(default=2, gt=0, description="threads computing inline rewards")
    inline_max_waiting_batches: int = Field(
        default=64, ge=0, description="inline batches waiting for a thread; one more is refused with 429"
    )

    # --- queue
    redis_url: str | None = Field(default=None, description="None: embedded in-process queue and caches")
    queue_max_depth: int = Field(default=10_000, gt=0, description="queued chunks at which submit is refused")
    chunk_items: int = Field(default=64, gt=0, description="items per queued task")
    embedded_workers: int = Field(default=4, gt=0, description="concurrent chunk handlers in embedded mode")
    retry_after_s: float = Field(default=2.0, gt=0, description="Retry-After sent with 429/503")
    worker_absent_grace_s: float = Field(
        default=3.0,
        gt=0,
        description="Redis mode: with no live worker heartbeat for this long, a request needing "
        "a worker is refused with 503 instead of waiting its whole timeout",
    )
    max_deliveries: int = Field(
        default=2,
        gt=0,
        description="deliveries of a chunk (embedded queue or Redis worker) before it fails or is "
        "dead-lettered (1 = no retry)",
    )
    queue_prefix: str = Field(
        default="arbiter",
        min_length=1,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Redis key prefix shared by the API and its workers",
    )
    worker_concurrency: int = Field(default=4, gt=0, description="chunks one `arbiter worker` runs at once")
    visibility_timeout_s: float = Field(
        default=30.0, gt=0, description="a dead worker's chunk is re-claimed and re-run after this"
    )
    heartbeat_interval_s: float = Field(
        default=2.0, gt=0, description="how often a worker renews its heartbeat and its chunks' leases"
    )
    drain_timeout_s: float = Field(
        default=60.0, ge=0, description="on SIGTERM, how long a worker's running chunks may still take"
    )

    # --- caches and jobs
    result_cache_ttl_s: float = Field(default=3600.0, ge=0, description="0 disables the result cache")
    result_cache_max_entries: int = Field(
        default=200_000,
        gt=0,
        description="result cache size bound (entries), in process and in Redis (least recently used go first)",
    )
    job_ttl_s: float = Field(default=24 * 3600.0, gt=0, description="how long finished job results are kept")
    job_chunk_items: int = Field(default=1024, gt=0, description="items scored per step of an async job")
    job_lease_s: float = Field(
        default=15.0,
        gt=0,
        description="a job's driver renews its lease every third of this; a job whose driver died "
        "(API killed) is resumed by any API replica once the lease lapses",
    )
    job_stall_timeout_s: float = Field(
        default=600.0,
        gt=0,
        description="a job whose next step cannot be scored (no worker, queue full, store down) "
        "for this long fails with the reason instead of staying running",
    )
    job_concurrency: int = Field(default=4, gt=0, description="jobs one API process drives at once")

    # --- drop-in endpoints (/get_reward, OpenRLHF): which rewards they compute
    openrlhf_rewards: tuple[str, ...] = Field(
        default=("accuracy", "format_strict"), description="rewards /get_reward computes (JSON list)"
    )
    openrlhf_weights: tuple[float, ...] = Field(default=(1.0, 0.5), description="their weights, same order")
    openrlhf_profiles: dict[str, dict[str, float]] = Field(
        default={},  # pydantic copies a mutable default; a literal keeps the README table generated
        description="named reward sets for /get_reward/{profile}: JSON {profile: {reward: weight}}",
    )
    openrlhf_special_tokens: tuple[str, ...] = Field(
        default=(
            "<|im_end|>",
            "<|im_start|>",
            "<|endoftext|>",
            "<|end_of_text|>",
            "<|begin_of_text|>",
            "<|eot_id|>",
            "<|start_header_id|>",
            "<|end_header_id|>",
            "<|end|>",
            "<|return|>",
            "<｜end▁of▁sentence｜>",
            "<｜begin▁of▁sentence｜>",
            "<end_of_turn>",
            "<start_of_turn>",
            "<bos>",
            "<eos>",
            "<pad>",
            "<|pad|>",
            "<s>",
            "</s>",
            "<|user|>",
            "<|assistant|>",
        ),
        description="tokens removed from /get_reward queries (OpenRLHF decodes with them kept; JSON list)",
    )
    openrlhf_max_queries: int = Field(
        default=131_072, gt=0, description="most queries in one /get_reward request (scored in chunks)"
    )
    openrlhf_max_request_bytes: int = Field(
        default=256 * 1024 * 1024, gt=0, description="largest accepted /get_reward body (a whole rollout)"
    )
    openrlhf_query_key: bool = Field(
        default=True,
        description="accept the API key as ?api_key= on /get_reward (OpenRLHF sends no headers)",
    )

    log_level: str = Field(default="INFO", description="root log level")
    log_json: bool = Field(default=True, description="JSON log lines on stderr (set up when the app starts)")
    log_repeat_interval_s: float = Field(
        default=10.0,
        ge=0,
        description="a repeated warning/error is logged once per interval with a count (0: every time)",
    )

    @field_validator("api_key")
    @classmethod
    def _api_key_not_blank(cls, value: str | None) -> str | None:
        # An empty ARBITER_API_KEY='' must not quietly mean "no auth": refuse it at startup.
        if value is not None and not value.strip():
            raise ValueError("ARBITER_API_KEY is set but empty: unset it for no auth, or give a key")
        return value

    @model_validator(mode="after")
    def _weights_match_rewards(self) -> Settings:
        # Checked at startup: a mismatch would otherwise fail every /get_reward request.
        if len(self.openrlhf_weights) != len(self.openrlhf_rewards):
            raise ValueError(
                f"openrlhf_weights has {len(self.openrlhf_weights)} entries for "
                f"{len(self.openrlhf_rewards)} openrlhf_rewards"
            )
        for name, rewards in self.openrlhf_profiles.items():
            if not rewards or not name.replace("-", "").replace("_", "").isalnum():
                raise ValueError(
                    f"openrlhf profile {name!r}: needs a [A-Za-z0-9_-] name and at least one reward"
                )
        if self.heartbeat_interval_s >= self.visibility_timeout_s:
            raise ValueError(
                f"heartbeat_interval_s ({self.heartbeat_interval_s}) must be below visibility_timeout_s "
                f"({self.visibility_timeout_s}): leases would expire between heartbeats"
            )
        return self
