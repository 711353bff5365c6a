"""What one sandbox container is: its image, outer limits and lock-down, as Docker create arguments.

Why apart from the pool: the pool (``sandbox.container``) is about lifecycle (warm-up, recycling,
healing); this is the security-relevant description of a single container, reviewed on its own.
The runner is the container's main process (PID 1), bind-mounted read-only with its helper files;
stdin stays open so the backend can attach to it once for the container's life.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.inside.child_process import SANDBOX_ENV
from sandbox.job import Limits
from sandbox.rootfs import DEFAULT_IMAGE, SANDBOX_UID
from sandbox.runner_client import RUNNER_FILES, RUNNER_PATH, runner_command, runner_file_destination

__all__ = ["RUNNER_MEMORY_MB", "RUNNER_PROCESSES", "UID_RANGE", "DockerConfig", "create_arguments"]

_RUNNER_DIR_IN_CONTAINER = "/opt/arbiter"
_WORK_DIR = "/work"
UID_RANGE = 50_000
"""Container uids are ``uid_base + k`` with ``0 <= k < UID_RANGE``."""


# What a container needs beyond its job's limits: the runner's own interpreter (and the page cache
# of the files it reads) and its processes (the runner, an assert-style test's harness, a margin).
RUNNER_MEMORY_MB = 96
RUNNER_PROCESSES = 8


@dataclass(frozen=True, slots=True)
class DockerConfig:
    """Each container's image and outer limits (the runner applies the per-test ones).

    The outer limits follow from ``job_limits`` (the largest limits a job of this pool carries:
    the service's settings) unless given: ``memory_mb`` (None: ``required_memory_mb``) covers the
    runner, either a compile at ``compile_memory_mb`` or a test at ``memory_mb`` with as much again
    in SysV segments (the runner's probe allows that much) beside an assert-style test's harness,
    and the tmpfs mounts, which count against a container's memory. ``max_processes`` (None:
    ``required_processes``) covers a test's processes (at least a compile's 16) and the runner's.
    An explicit value below what ``job_limits`` need is refused; a job whose limits do not fit is
    refused before it runs (``check``).

    ``uid_base``: each container gets its own uid in ``[uid_base, uid_base + 50000)``, because the
    kernel counts ``RLIMIT_NPROC`` per real uid host-wide; pools start at a random offset so that
    concurrent pools rarely share one.
    """

    image: str = DEFAULT_IMAGE
    job_limits: Limits = field(default_factory=Limits)
    memory_mb: int | None = None
    max_processes: int | None = None
    cpus: float = 1.0
    work_tmpfs_mb: int = 128
    tmp_tmpfs_mb: int = 64
    shm_mb: int = 16  # /dev/shm, the same size as the bwrap backend's
    # Files (inodes) per tmpfs: each costs kernel memory that the tmpfs size does not count.
    tmpfs_inodes: int = 65536
    uid_base: int = SANDBOX_UID
    docker_url: str | None = None  # None: the SDK's environment defaults (DOCKER_HOST or the local socket)

    def __post_init__(self) -> None:
        why = self.check(self.job_limits)
        if why:
            raise ValueError(f"DockerConfig: {why}")

    def required_memory_mb(self, limits: Limits) -> int:
        """The container memory a job with ``limits`` may use at most."""
        payload = limits.payload()
        test_mb = 2 * limits.memory_mb + int(payload["harness_memory_mb"])
        tmpfs_mb = self.work_tmpfs_mb + self.tmp_tmpfs_mb + self.shm_mb
        return RUNNER_MEMORY_MB + max(limits.compile_memory_mb, test_mb) + tmpfs_mb

    @staticmethod
    def required_processes(limits: Limits) -> int:
        """The processes a job with ``limits`` may run at once, the runner's included."""
        return max(limits.max_processes, 16) + RUNNER_PROCESSES

    @property
    def container_memory_mb(self) -> int:
        """The container's memory limit in force."""
        return self.memory_mb if self.memory_mb is not None else self.required_memory_mb(self.job_limits)

    @property
    def container_processes(self) -> int:
        """The container's process limit in force."""
        if self.max_processes is not None:
            return self.max_processes
        return self.required_processes(self.job_limits)

    def check(self, limits: Limits) -> str:
        """Why a job with ``limits`` does not fit in these containers ("" when it does)."""
        memory_mb, needed_mb = self.container_memory_mb, self.required_memory_mb(limits)
        if memory_mb < needed_mb:
            return f"container memory {memory_mb} MB is below the {needed_mb} MB the job's limits need"
        processes, needed = self.container_processes, self.required_processes(limits)
        if processes < needed:
            return f"container process limit {processes} is below the {needed} the job's limits need"
        return ""


def create_arguments(
    config: DockerConfig,
    *,
    uid: int,
    name: str,
    labels: dict[str, str],
    neutral_proc: dict[str, Path] | None = None,
) -> dict[str, Any]:
    """Keyword arguments for ``docker.containers.create``: one locked-down runner container.

    ``neutral_proc``: host files (``rootfs.write_neutral_proc_files``) bound read-only over
    ``/proc/<name>``, as the bwrap backend does.
    """
    volumes = {
        str(path): {"bind": f"{_RUNNER_DIR_IN_CONTAINER}/{runner_file_destination(path)}", "mode": "ro"}
        for path in RUNNER_FILES
    }
    for proc_name, host_path in (neutral_proc or {}).items():
        volumes[str(host_path)] = {"bind": f"/proc/{proc_name}", "mode": "ro"}
    return dict(
        image=config.image,
        command=[
            *runner_command("/usr/bin/python3", RUNNER_PATH),
            "--workdir",
            _WORK_DIR,
        ],
        name=name,
        labels=labels,
        user=f"{uid}:{uid}",
        working_dir=_WORK_DIR,
        environment=dict(SANDBOX_ENV),
        stdin_open=True,
        detach=False,  # with stdin_open: StdinOnce, so the runner reads EOF and exits when we disconnect
        tty=False,
        auto_remove=True,
        network_mode="none",
        read_only=True,
        tmpfs={
            _WORK_DIR: f"size={config.work_tmpfs_mb}m,nr_inodes={config.tmpfs_inodes},mode=1777,noexec,nosuid,nodev",
            "/tmp": f"size={config.tmp_tmpfs_mb}m,nr_inodes={config.tmpfs_inodes},mode=1777,nosuid,nodev",
        },
        volumes=volumes,
        mem_limit=f"{config.container_memory_mb}m",
        memswap_limit=f"{config.container_memory_mb}m",
        pids_limit=config.container_processes,
        nano_cpus=int(config.cpus * 1e9),
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        ipc_mode="private",
        shm_size=f"{config.shm_mb}m",
    )
