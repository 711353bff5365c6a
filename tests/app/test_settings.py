"""Settings come from ARBITER_* variables, with named, validated limits."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.settings import SandboxBackendName, Settings


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("ARBITER_MAX_BATCH_ITEMS", "7")
    monkeypatch.setenv("ARBITER_SANDBOX_BACKEND", "docker")
    monkeypatch.setenv("ARBITER_REDIS_URL", "redis://r:6379/0")
    s = Settings()
    assert s.max_batch_items == 7 and s.sandbox_backend is SandboxBackendName.DOCKER
    assert s.redis_url == "redis://r:6379/0"


def test_defaults_are_embedded_mode():
    s = Settings()
    assert s.redis_url is None and s.api_key is None and s.sandbox_backend is SandboxBackendName.BWRAP


@pytest.mark.parametrize(
    "field", ["max_batch_items", "chunk_items", "math_timeout_s", "queue_max_depth", "max_deliveries"]
)
def test_limits_must_be_positive(field):
    with pytest.raises(ValidationError):
        Settings(**{field: 0})


@pytest.mark.parametrize(
    ("env", "field", "value"),
    [("ARBITER_MATH_MEMORY_MB", "math_memory_mb", 1024), ("ARBITER_MAX_DELIVERIES", "max_deliveries", 5)],
)
def test_pool_and_queue_limits_come_from_the_environment(monkeypatch, env, field, value):
    monkeypatch.setenv(env, str(value))
    assert getattr(Settings(), field) == value


def test_math_memory_below_a_sympy_worker_is_refused():
    with pytest.raises(ValidationError):
        Settings(math_memory_mb=32)


def test_openrlhf_weights_must_match_the_rewards(monkeypatch):
    monkeypatch.setenv("ARBITER_OPENRLHF_REWARDS", '["accuracy", "format_strict"]')
    monkeypatch.setenv("ARBITER_OPENRLHF_WEIGHTS", "[1.0]")
    with pytest.raises(ValidationError, match="1 entries for 2"):
        Settings()
