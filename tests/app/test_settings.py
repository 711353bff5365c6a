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


def test_an_empty_api_key_is_refused_not_taken_as_no_auth(monkeypatch):
    monkeypatch.setenv("ARBITER_API_KEY", "")
    with pytest.raises(ValidationError, match="set but empty"):
        Settings()
    monkeypatch.setenv("ARBITER_API_KEY", "k")
    assert Settings().api_key == "k"


def test_heartbeats_must_come_more_often_than_the_visibility_timeout():
    with pytest.raises(ValidationError, match="must be below visibility_timeout_s"):
        Settings(visibility_timeout_s=2.0, heartbeat_interval_s=2.0)


@pytest.mark.parametrize("prefix", ["", "a b", "x:y", "a*"])
def test_queue_prefix_is_a_plain_name(prefix):
    with pytest.raises(ValidationError):
        Settings(queue_prefix=prefix)


def test_the_sandbox_root_is_a_setting_passed_down_to_the_sandbox(tmp_path, monkeypatch):
    from app.service import sandbox_limits, sandbox_options

    assert sandbox_options(Settings()) == {}  # the sandbox's own default (a built checkout root)
    monkeypatch.setenv("ARBITER_SANDBOX_ROOTFS_DIR", str(tmp_path))
    assert sandbox_options(Settings()) == {"rootfs": tmp_path}
    docker = Settings(sandbox_backend="docker", sandbox_image="mine:1")
    assert sandbox_options(docker) == {"image": "mine:1", "job_limits": sandbox_limits(docker)}
    with pytest.raises(ValidationError, match="directory"):
        Settings(sandbox_rootfs_dir=tmp_path / "missing")


def test_a_root_named_by_the_setting_runs_programs_and_an_incomplete_one_is_refused(tmp_path):
    """The real bwrap sandbox, built from the settings alone, on a root named by its real path (the
    sandbox's own default is the checkout's ``.rootfs/bookworm`` link)."""
    import shutil

    from app.service import start_code_backend
    from sandbox.backend import SandboxUnavailableError
    from sandbox.job import Job, Language, TestCase, TestKind
    from sandbox.result import Verdict
    from sandbox.rootfs import DEFAULT_ROOTFS_DIR, find_rootfs

    if shutil.which("bwrap") is None or find_rootfs() is None:
        pytest.skip("needs bwrap and a built runtime root (scripts/build-sandbox-image)")
    elsewhere = DEFAULT_ROOTFS_DIR.resolve()  # bwrap runs unprivileged: tmp_path is not reachable
    closers: list = []
    try:
        backend = start_code_backend(Settings(sandbox_pool_size=1, sandbox_rootfs_dir=elsewhere), closers)
        job = Job(Language.PYTHON, "print(input())", (TestCase(kind=TestKind.STDIO, stdin="7\n", expected_stdout="7\n"),), backend.limits)  # fmt: skip
        result = backend.run_job(job)
        assert result.tests[0].status is Verdict.ACCEPTED, result
    finally:
        for close in reversed(closers):
            close()
    empty = tmp_path / "not-a-root"
    empty.mkdir()
    with pytest.raises(SandboxUnavailableError, match="no built runtime root"):
        start_code_backend(Settings(sandbox_pool_size=1, sandbox_rootfs_dir=empty), [])
