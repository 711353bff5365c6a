"""Where the sandbox runtime root lives, for both backends.

Why one place: ``scripts/build-sandbox-image`` builds one Debian root (full Python stdlib, numpy,
sortedcontainers, g++); bwrap binds the directory read-only and Docker runs the same tree imported as
an image. Both backends must agree on where it is and whether it is complete, or the same program
could get different verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_IMAGE",
    "DEFAULT_ROOTFS_DIR",
    "NEUTRAL_PROC_FILES",
    "SANDBOX_UID",
    "RuntimeRoot",
    "find_rootfs",
    "write_neutral_proc_files",
]

_REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_ROOTFS_DIR = _REPO_ROOT / ".rootfs" / "bookworm"
"""The build script's default output (git-ignored)."""

DEFAULT_IMAGE = "arbiter-sandbox:latest"
"""The Docker image ``scripts/build-sandbox-image`` imports the root as."""

SANDBOX_UID = 10001
"""The unprivileged ``sandbox`` user the build script adds (``ARBITER_SANDBOX_UID`` changes it)."""

NEUTRAL_PROC_FILES = {"loadavg": "0.00 0.00 0.00 1/1 1\n"}
"""Host facts a program has no business reading (the host's load tells it how busy the judge is and
what else runs there): both backends bind these neutral contents read-only over ``/proc/<name>``."""

_STAMP_FILE = ".arbiter-stamp"
_REQUIRED = ("usr/bin/python3", "usr/bin/g++", "etc/passwd")


@dataclass(frozen=True, slots=True)
class RuntimeRoot:
    """A complete, built runtime root: its directory and the build stamp (hash of the build script)."""

    path: Path
    stamp: str

    @property
    def python(self) -> Path:
        """The interpreter inside the root, as seen from the host."""
        return self.path / "usr" / "bin" / "python3"


def find_rootfs(path: Path | None = None) -> RuntimeRoot | None:
    """The built root at ``path`` (default: ``.rootfs/bookworm``), or None when absent or incomplete.

    A root is complete only once the build script published it with its stamp; a half-built
    directory (``*.tmp.*``) is never returned, so a backend falls back instead of running on it.
    """
    root = Path(path) if path is not None else DEFAULT_ROOTFS_DIR
    stamp_file = root / _STAMP_FILE
    try:
        stamp = stamp_file.read_text(encoding="ascii").strip()
    except OSError:
        return None
    if not stamp or not all((root / rel).exists() for rel in _REQUIRED):
        return None
    return RuntimeRoot(path=root, stamp=stamp)


def write_neutral_proc_files(directory: Path) -> dict[str, Path]:
    """Write ``NEUTRAL_PROC_FILES`` into ``directory`` (world-readable); their paths by name."""
    paths = {}
    for name, text in NEUTRAL_PROC_FILES.items():
        path = directory / name
        path.write_text(text, encoding="ascii")
        path.chmod(0o444)
        paths[name] = path
    return paths
