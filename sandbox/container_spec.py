"""What one sandbox container is: its image, outer limits and lock-down, as Docker create arguments.

Why apart from the pool: the pool (``sandbox.container``) is about lifecycle (warm-up, recycling,
healing); this is the security-relevant description of a single container, reviewed on its own.
The runner is the container's main process (PID 1), bind-mounted read-only with its helper files;
stdin stays open so the backend can attach to it once for the container's life.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.inside.child_process import SANDBOX_ENV
from sandbox.rootfs import DEFAULT_IMAGE, SANDBOX_UID
from sandbox.runner_client import RUNNER_FILES, RUNNER_PATH, runner_command, runner_file_destination

__all__ = ["UID_RANGE", "DockerConfig", "create_arguments"]

_RUNNER_DIR_IN_CONTAINER = "/opt/arbiter"
_WORK_DIR = "/work"
UID_RANGE = 50_000
"""Container uids are ``uid_base + k`` with ``0 <= k < UID_RANGE``."""


@dataclass(frozen=True, slots=True)
class DockerConfig:
    """Each container's image and outer limits (the runner applies the per-test ones).

    ``memory_mb`` must cover the runner, a test at ``Limits.memory_mb`` and g++ at
    ``Limits.compile_memory_mb``; the tmpfs sizes count against it. ``uid_base``: each container gets
    its own uid in ``[uid_base, uid_base + 50000)``, because the kernel counts ``RLIMIT_NPROC`` per
    real uid host-wide; pools start at a random offset so that concurrent pools rarely share one.
    """

    image: str = DEFAULT_IMAGE
    memory_mb: int = 1536
    max_processes: int = 128
    cpus: float = 1.0
    work_tmpfs_mb: int = 128
    tmp_tmpfs_mb: int = 64
    shm_mb: int = 16  # /dev/shm, the same size as the bwrap backend's
    # Files (inodes) per tmpfs: each costs kernel memory that the tmpfs size does not count.
    tmpfs_inodes: int = 65536
    uid_base: int = SANDBOX_UID
    docker_url: str | None = None  # None: the SDK's environment defaults (DOCKER_HOST or the local socket)


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
        mem_limit=f"{config.memory_mb}m",
        memswap_limit=f"{config.memory_mb}m",
        pids_limit=config.max_processes,
        nano_cpus=int(config.cpus * 1e9),
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        ipc_mode="private",
        shm_size=f"{config.shm_mb}m",
    )
