"""The embedded default backend: a warm pool of runners, each inside its own bubblewrap sandbox.

Why bwrap: daemon-less, no root needed, starts in milliseconds. Each instance gets new user, PID,
network, IPC, UTS, mount and cgroup namespaces, no capabilities, no way to make further user
namespaces, a read-only runtime root and ``/dev``, a fresh small ``/tmp`` and ``/dev/shm``, a
neutral ``/proc/loadavg`` and a minimal environment; the runner
is PID 1 of its namespace, so it outlives anything its tests do and kills their leftovers.

The runtime root is ``scripts/build-sandbox-image``'s Debian root when it is built (see
``sandbox.rootfs``). Without it, the host's ``/usr`` (and the ``/lib*``, ``/bin``, ``/sbin`` links,
``/etc/alternatives``, ``/etc/ld.so.cache``) are bound read-only instead: nothing else of the host
(``/etc``, ``/root``, ``/home``, the repository) is visible either way; only the Python packages
differ (the host's system ``python3`` may lack numpy).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sandbox.errors import SandboxUnavailableError
from sandbox.inside.child_process import SANDBOX_ENV
from sandbox.job import Job
from sandbox.pool import PoolConfig, PoolStats, RunnerPool
from sandbox.result import JobResult
from sandbox.rootfs import NEUTRAL_PROC_FILES, SANDBOX_UID, RuntimeRoot, find_rootfs, write_neutral_proc_files
from sandbox.runner_client import RUNNER_FILES, RUNNER_PATH, runner_command, runner_file_destination

__all__ = ["BwrapConfig", "BwrapSandbox", "bwrap_available"]

_RUNNER_DIR = "/opt/arbiter"
_HOST_USR_LINKS = ("bin", "sbin", "lib", "lib64", "lib32", "libx32")
_HOST_ETC_FILES = ("etc/alternatives", "etc/ld.so.cache", "etc/ld.so.conf", "etc/ld.so.conf.d")


def bwrap_available(bwrap: str = "bwrap") -> bool:
    """True when the bwrap binary is on PATH (whether namespaces work is found out on start)."""
    return shutil.which(bwrap) is not None


@dataclass(frozen=True, slots=True)
class BwrapConfig:
    """Where bwrap and the runtime root are, and the instance's own limits."""

    bwrap: str = "bwrap"
    rootfs: Path | None = None  # None: the built default root if present, else the host fallback
    host_root: bool = False  # force the host fallback even when a built root exists
    tmpfs_mb: int = 64
    shm_mb: int = 16
    uid: int = SANDBOX_UID  # the uid programs see inside
    # When the service runs as root, bwrap itself is started as this unprivileged host user
    # (``setpriv``): otherwise the sandbox's uid maps to host root, which may read root-owned
    # files of the runtime root (``/etc/shadow``) and is exempt from RLIMIT_NPROC (no fork cap).
    host_uid: int = 65534


class BwrapSandbox:
    """``Sandbox`` on bubblewrap. Thread-safe; ``start()`` before ``run()``."""

    name = "bwrap"

    def __init__(self, config: BwrapConfig | None = None, pool: PoolConfig | None = None) -> None:
        self._config = config or BwrapConfig()
        self._root: RuntimeRoot | None = None if self._config.host_root else find_rootfs(self._config.rootfs)
        if self._config.rootfs is not None and self._root is None:
            raise SandboxUnavailableError(
                f"no built runtime root at {self._config.rootfs}", backend=self.name
            )
        runtime_id = self._root.stamp if self._root is not None else "host"
        self._pool = RunnerPool(self.name, self.command, SANDBOX_ENV, pool or PoolConfig(), runtime_id)
        self._runner_dir: Path | None = None

    @property
    def runtime_root(self) -> RuntimeRoot | None:
        """The built root in use, or None on the host fallback."""
        return self._root

    def command(self) -> list[str]:
        """The full bwrap argv of one instance (the runner is its PID 1)."""
        bwrap = shutil.which(self._config.bwrap)
        if bwrap is None:
            raise SandboxUnavailableError(
                "bwrap is not installed: code execution is refused", backend=self.name
            )
        uid = str(self._config.uid)
        argv = [
            *self._drop_root(),
            bwrap,
            "--unshare-all",
            "--unshare-user",
            "--disable-userns",
            "--die-with-parent",
            "--new-session",
            "--as-pid-1",
            "--cap-drop",
            "ALL",
            "--uid",
            uid,
            "--gid",
            uid,
            "--hostname",
            "sandbox",
            "--clearenv",
        ]
        for key, value in SANDBOX_ENV.items():
            argv += ["--setenv", key, value]
        argv += self._root_binds()
        argv += ["--proc", "/proc", "--dev", "/dev"]
        if self._runner_dir is not None:
            for name in NEUTRAL_PROC_FILES:
                argv += ["--ro-bind", str(self._runner_dir / name), f"/proc/{name}"]
        # Every writable mount has a small explicit size: /tmp, /dev/shm; /dev itself (bwrap's
        # tmpfs, sized at half the host's RAM) is made read-only once its nodes are in place, and
        # POSIX message queues get their own mount so the runner can list and remove them.
        argv += ["--size", str(self._config.tmpfs_mb * 1024 * 1024), "--tmpfs", "/tmp"]
        argv += ["--size", str(self._config.shm_mb * 1024 * 1024), "--tmpfs", "/dev/shm"]
        argv += ["--mqueue", "/dev/mqueue", "--remount-ro", "/dev"]
        argv += ["--size", "1048576", "--tmpfs", _RUNNER_DIR]
        runner_dir = self._runner_dir or RUNNER_FILES[0].parent
        for path in RUNNER_FILES:
            name = runner_file_destination(path)
            argv += ["--ro-bind", str(runner_dir / name), f"{_RUNNER_DIR}/{name}"]
        argv += ["--remount-ro", _RUNNER_DIR, "--remount-ro", "/", "--chdir", "/tmp"]
        argv += [*runner_command("/usr/bin/python3", RUNNER_PATH), "--workdir", "/tmp"]
        return argv

    def _drop_root(self) -> list[str]:
        if os.geteuid() != 0:
            return []
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            raise SandboxUnavailableError(
                "running as root and setpriv (util-linux) is missing: refusing to map the sandbox to host root",
                backend=self.name,
            )
        host = str(self._config.host_uid)
        return [setpriv, "--reuid", host, "--regid", host, "--clear-groups", "--"]

    def _root_binds(self) -> list[str]:
        if self._root is not None:
            return ["--ro-bind", str(self._root.path), "/"]
        binds = ["--ro-bind", "/usr", "/usr"]
        for name in _HOST_USR_LINKS:
            host = Path("/") / name
            if host.is_symlink():
                binds += ["--symlink", os.readlink(host), f"/{name}"]
            elif host.is_dir():
                binds += ["--ro-bind", str(host), f"/{name}"]
        for rel in _HOST_ETC_FILES:
            if (Path("/") / rel).exists():
                binds += ["--ro-bind", f"/{rel}", f"/{rel}"]
        return binds

    def start(self) -> None:
        """Spawn the warm pool; SandboxUnavailableError when bwrap cannot run here."""
        # A world-readable copy of the runner: the unprivileged host user may not be able to
        # traverse the checkout (e.g. under /root).
        self._runner_dir = Path(tempfile.mkdtemp(prefix="arbiter-runner-"))
        self._runner_dir.chmod(0o755)
        for path in RUNNER_FILES:
            copy = self._runner_dir / runner_file_destination(path)
            copy.parent.mkdir(mode=0o755, exist_ok=True)
            shutil.copyfile(path, copy)
            copy.chmod(0o644)
        write_neutral_proc_files(self._runner_dir)
        self.command()  # refuses early, with a clear error, when bwrap is missing
        self._pool.start()

    def run(self, job: Job) -> JobResult:
        """Judge one job (blocking; callable from many threads)."""
        return self._pool.run(job)

    def healthy(self) -> bool:
        """True when a warm instance answers."""
        return self._pool.healthy()

    def stats(self) -> PoolStats:
        """Pool counters."""
        return self._pool.stats()

    def close(self) -> None:
        """Kill every instance."""
        self._pool.close()
        if self._runner_dir is not None:
            shutil.rmtree(self._runner_dir, ignore_errors=True)
            self._runner_dir = None
