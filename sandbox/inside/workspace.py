"""The writable places of one sandbox instance, as the runner sees them: the job dir, the work
root, ``/tmp``, ``/dev/shm``, message queues and SysV IPC.

Why apart from the runner's protocol: per-job and per-test isolation on a warm instance is this
module's one job (issue 9): every test starts from the input files alone, and nothing a test or
its harness made (files, directories it made unremovable, IPC objects) reaches the next one.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import stat
import tempfile

from . import child_process

__all__ = ["RESERVED", "Workspace", "purge", "relative_path"]

# The program's own files in its work dir; input and fetched files may not use these names.
RESERVED = {"main", "main.cpp", "main.c", "main.sh"}
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_SHARED_ROOTS = ("/tmp", "/dev/shm", "/dev/mqueue")


def purge(path: str) -> bool:
    """Remove everything inside ``path``; True when it is empty afterwards.

    A program controls what it leaves behind, so this must not fail on anything it can build:
    thousands of nested directories (no recursion, no long paths: each directory is moved up to
    ``path`` and emptied through a descriptor), directories without permissions (made ours again
    first), millions of entries. Every process of the job is dead by now, so nothing changes
    underneath.
    """
    try:
        top = os.open(path, _DIR_FLAGS)
    except PermissionError:  # the program took our permissions away: take them back
        try:
            os.chmod(path, 0o700)
            top = os.open(path, _DIR_FLAGS)
        except OSError:
            return False
    except OSError:
        return False
    moved: list[str] = []
    pending: list[str | None] = [None]
    try:
        while pending:
            name = pending.pop()
            try:
                if name is None:
                    dfd = os.dup(top)
                else:
                    with contextlib.suppress(OSError):
                        os.chmod(name, 0o700, dir_fd=top)
                    dfd = os.open(name, _DIR_FLAGS, dir_fd=top)
            except OSError:
                continue
            try:
                with os.scandir(dfd) as entries:
                    listing = [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]
                for entry, is_dir in listing:
                    with contextlib.suppress(OSError):
                        if not is_dir:
                            os.unlink(entry, dir_fd=dfd)
                            continue
                        if name is None:
                            flat = entry
                        else:
                            flat = f".purge-{secrets.token_hex(8)}"
                            os.rename(entry, flat, src_dir_fd=dfd, dst_dir_fd=top)
                        moved.append(flat)
                        pending.append(flat)
            except OSError:
                pass
            finally:
                os.close(dfd)
        for name in reversed(moved):
            with contextlib.suppress(OSError):
                os.rmdir(name, dir_fd=top)
        with os.scandir(top) as rest:
            return next(iter(rest), None) is None
    except OSError:
        return False
    finally:
        os.close(top)


def relative_path(path: str) -> str:
    """A normalized path inside the work dir; ValueError for absolute, ``..`` or reserved names."""
    norm = os.path.normpath(path)
    if not path or os.path.isabs(path) or norm == "." or norm.split(os.sep)[0] in ("..", *RESERVED):
        raise ValueError(f"file path {path!r} must be relative, inside the work dir, not {sorted(RESERVED)}")
    return norm


class Workspace:
    """The job dir of the current job and the instance's shared writable places.

    ``contained`` (the runner owns the whole instance): the shared places are wiped too, their
    modes restored, and files on the writable mounts are counted (``files_used``). ``clean``
    turns False once a wipe could not remove everything: the host then recycles the instance.
    """

    def __init__(self, work_root: str, contained: bool) -> None:
        self.work_root = work_root
        self.contained = contained
        self.job_dir: str | None = None
        self.clean = True
        self._root_modes: dict[str, int] = {}
        # the writable mounts, each once (st_dev), and the inodes they hold when empty
        self._mounts: tuple[str, ...] = ()
        self._mount_baseline = 0
        if contained:
            devices: dict[int, str] = {}
            for root in dict.fromkeys((work_root, *_SHARED_ROOTS)):
                with contextlib.suppress(OSError):
                    info = os.stat(root)
                    self._root_modes[root] = info.st_mode & 0o7777
                    devices.setdefault(info.st_dev, root)
            self._mounts = tuple(devices.values())
            self._mount_baseline = child_process.files_in_use(self._mounts)

    def open_job(self) -> str:
        """A fresh, private job dir."""
        self.job_dir = tempfile.mkdtemp(prefix="job-", dir=self.work_root)
        os.chmod(self.job_dir, 0o700)
        return self.job_dir

    def restore(self, files: list[tuple[str, bytes]], script: tuple[str, str] | None) -> None:
        """What every test starts from: the input files and, for an interpreted language, the
        script (``(name, source)``; the job dir is emptied after every test, so a test cannot
        change the next one's)."""
        assert self.job_dir is not None
        for path, content in files:
            full = os.path.join(self.job_dir, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as handle:
                handle.write(content)
        if script is not None:
            with open(
                os.path.join(self.job_dir, script[0]), "w", encoding="utf-8", errors="surrogatepass"
            ) as handle:
                handle.write(script[1])

    def fetch(self, paths: list, cap: int) -> list:
        """Regular files the program left (no symlinks, FIFOs or devices: a read must not hang or
        leave the work dir), each at most ``output_limit_bytes`` and all together at most 8 times
        that (the response must stay a sane size); others are left out."""
        assert self.job_dir is not None
        budget = 8 * cap
        fetched = []
        for raw_path in paths:
            try:
                path = relative_path(str(raw_path))
            except ValueError:
                continue
            full = os.path.join(self.job_dir, path)
            try:
                if os.path.realpath(full) != os.path.join(os.path.realpath(self.job_dir), path):
                    continue
            except (OSError, ValueError):
                continue
            try:
                fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except (OSError, ValueError):  # ValueError: a NUL byte in the path
                continue
            try:
                info = os.fstat(fd)
                if not stat.S_ISREG(info.st_mode) or info.st_size > cap:
                    continue
                content = os.read(fd, cap + 1)
            except OSError:
                continue
            finally:
                os.close(fd)
            if len(content) <= min(cap, budget):
                budget -= len(content)
                fetched.append({"path": path, "b64": base64.b64encode(content).decode("ascii")})
        return fetched

    def files_used(self) -> int:
        """Files and directories on the writable mounts beyond the instance's own baseline."""
        return child_process.files_in_use(self._mounts) - self._mount_baseline

    def empty_job_dir(self) -> None:
        """Empty the job dir (after compiling: tests start from the input files only)."""
        assert self.job_dir is not None
        purge(self.job_dir)

    def wipe_between_tests(self) -> None:
        """Every test starts from the same state: what a test left (files in the job dir, a full
        /tmp, /dev/shm, message queues, SysV IPC) is gone before the next one runs."""
        assert self.job_dir is not None
        clean = purge(self.job_dir)
        if self.contained:
            clean = self._wipe_shared_state(keep=self.job_dir) and clean
        self.clean = self.clean and clean

    def close_job(self) -> None:
        """Remove everything the job made (every process of it is dead by now)."""
        clean = True
        if self.job_dir is not None:
            clean = purge(self.job_dir)
            with contextlib.suppress(OSError):
                os.rmdir(self.job_dir)
            self.job_dir = None
        if self.contained:
            clean = self._wipe_shared_state(keep=None) and clean
        self.clean = self.clean and clean

    def _wipe_shared_state(self, keep: str | None) -> bool:
        """Empty every writable place of the instance but ``keep`` (the job dir between tests):
        the work root, ``/tmp``, ``/dev/shm``, POSIX message queues and SysV IPC objects."""
        clean = True
        for root, mode in self._root_modes.items():  # a program may chmod the roots it owns
            with contextlib.suppress(OSError):
                if os.stat(root).st_mode & 0o7777 != mode:
                    os.chmod(root, mode)
        for root in dict.fromkeys((self.work_root, "/tmp")):
            if keep is not None and os.path.dirname(keep) == root:
                try:
                    names = os.listdir(root)
                except OSError:
                    continue
                for name in names:
                    full = os.path.join(root, name)
                    if full == keep:
                        continue
                    if os.path.isdir(full) and not os.path.islink(full):
                        clean = purge(full) and clean
                        with contextlib.suppress(OSError):
                            os.rmdir(full)
                    else:
                        with contextlib.suppress(OSError):
                            os.unlink(full)
            else:
                clean = purge(root) and clean
        for root in ("/dev/shm", "/dev/mqueue"):
            if os.path.isdir(root):
                clean = purge(root) and clean
        clean = child_process.remove_sysv_ipc() and clean
        return clean
