"""The lock-down every sandbox container is created with (checked without a Docker engine)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sandbox.container_spec import DockerConfig, create_arguments
from sandbox.runner_client import RUNNER_FILES

_CONFIG = DockerConfig(memory_mb=1000, max_processes=99, cpus=0.5, work_tmpfs_mb=32, tmp_tmpfs_mb=8, shm_mb=4)


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
        ("mem_limit", "1000m"),
        ("memswap_limit", "1000m"),  # no swap beyond the memory limit
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
