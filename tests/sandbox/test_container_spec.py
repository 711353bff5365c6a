"""The lock-down every sandbox container is created with (checked without a Docker engine)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sandbox.container_spec import RUNNER_MEMORY_MB, RUNNER_PROCESSES, DockerConfig, create_arguments
from sandbox.job import Limits
from sandbox.runner_client import RUNNER_FILES

_CONFIG = DockerConfig(memory_mb=2000, max_processes=99, cpus=0.5, work_tmpfs_mb=32, tmp_tmpfs_mb=8, shm_mb=4)


@pytest.fixture
def arguments() -> dict[str, Any]:
    return create_arguments(_CONFIG, uid=12345, name="box", labels={"k": "v"})


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("network_mode", "none"),
        ("read_only", True),
        ("cap_drop", ["ALL"]),
        ("security_opt", ["no-new-privileges"]),
        ("user", "12345:12345"),
        ("mem_limit", "2000m"),
        ("memswap_limit", "2000m"),  # no swap beyond the memory limit
        ("pids_limit", 99),
        ("nano_cpus", 500_000_000),
        ("shm_size", "4m"),
        ("ipc_mode", "private"),
        ("tty", False),
        ("stdin_open", True),  # the backend attaches to the runner's stdin once
        ("detach", False),  # StdinOnce: the runner exits when the backend disconnects
        ("auto_remove", True),
        ("name", "box"),
        ("labels", {"k": "v"}),
        ("image", DockerConfig().image),
    ],
)
def test_container_is_locked_down(arguments: dict[str, Any], key: str, expected: object) -> None:
    assert arguments[key] == expected


def test_only_tmpfs_is_writable_and_sized(arguments: dict[str, Any]) -> None:
    assert arguments["tmpfs"] == {
        # noexec: a compiled C++ binary runs from a sealed memfd, never from a writable directory
        "/work": "size=32m,nr_inodes=65536,mode=1777,noexec,nosuid,nodev",
        "/tmp": "size=8m,nr_inodes=65536,mode=1777,nosuid,nodev",  # inodes cost unsized kernel memory
    }


def test_neutral_proc_files_are_bound_read_only(tmp_path: Path) -> None:
    loadavg = tmp_path / "loadavg"
    arguments = create_arguments(_CONFIG, uid=10001, name="n", labels={}, neutral_proc={"loadavg": loadavg})
    assert arguments["volumes"][str(loadavg)] == {"bind": "/proc/loadavg", "mode": "ro"}


def test_runner_files_are_bound_read_only(arguments: dict[str, Any]) -> None:
    volumes = arguments["volumes"]
    assert set(volumes) == {str(path) for path in RUNNER_FILES}
    assert all(v["mode"] == "ro" and v["bind"].startswith("/opt/arbiter/inside/") for v in volumes.values())
    assert {v["bind"] for v in volumes.values()} >= {
        "/opt/arbiter/inside/runner.py",
        "/opt/arbiter/inside/child_process.py",
        "/opt/arbiter/inside/harness.py",
    }
    assert arguments["command"][:3] == ["/usr/bin/python3", "-I", "/opt/arbiter/inside/runner.py"]


def test_the_environment_is_minimal(arguments: dict[str, Any]) -> None:
    environment = arguments["environment"]
    assert environment["OPENBLAS_NUM_THREADS"] == "1"
    assert set(environment) <= {
        "PATH",
        "HOME",
        "LANG",
        "PYTHONDONTWRITEBYTECODE",
        "OPENBLAS_NUM_THREADS",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
    }


def test_outer_limits_follow_the_job_limits() -> None:
    """The container's memory and process limits are derived from the limits its jobs carry:
    a compile, or a test with as much again in SysV segments beside its harness, plus the tmpfs
    mounts (they count against a container's memory) and the runner itself."""
    tmpfs_mb = 128 + 64 + 16
    default = DockerConfig()
    assert default.container_memory_mb == RUNNER_MEMORY_MB + 1024 + tmpfs_mb  # the compile dominates
    assert default.container_processes == 64 + RUNNER_PROCESSES
    big = DockerConfig(job_limits=Limits(memory_mb=512, max_processes=200))
    assert big.container_memory_mb == RUNNER_MEMORY_MB + (2 * 512 + 512) + tmpfs_mb
    assert big.container_processes == 200 + RUNNER_PROCESSES
    arguments = create_arguments(big, uid=1, name="n", labels={})
    assert arguments["mem_limit"] == f"{big.container_memory_mb}m"
    assert arguments["pids_limit"] == big.container_processes


def test_outer_limits_below_the_job_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="container memory 1536 MB"):
        DockerConfig(memory_mb=1536, job_limits=Limits(memory_mb=512))
    with pytest.raises(ValueError, match="process limit 32"):
        DockerConfig(max_processes=32)
    config = DockerConfig()
    assert config.check(Limits()) == ""
    assert "container memory" in config.check(Limits(memory_mb=1024))
    assert "process limit" in config.check(Limits(max_processes=500))


def test_a_job_over_the_outer_limits_is_refused_before_it_runs() -> None:
    from sandbox.container import DockerSandbox
    from sandbox.job import Job, Language, TestCase
    from sandbox.result import Verdict

    sandbox = DockerSandbox(DockerConfig())  # never started: the check comes before any container
    result = sandbox.run(Job(Language.PYTHON, "print(1)", (TestCase(),), Limits(memory_mb=1024)))
    assert result.status is Verdict.SANDBOX_ERROR and "container memory" in result.error
