"""Locating the runtime root, and what scripts/build-sandbox-image puts in it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from sandbox.rootfs import DEFAULT_ROOTFS_DIR, SANDBOX_UID, find_rootfs

_REQUIRED = ("usr/bin/python3", "usr/bin/g++", "etc/passwd")


def _fake_root(base: Path, *, stamp: str | None = "abc123", missing: str | None = None) -> Path:
    root = base / "root"
    for rel in _REQUIRED:
        if rel != missing:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text("")
    if stamp is not None:
        (root / ".arbiter-stamp").write_text(stamp + "\n")
    return root


@pytest.mark.parametrize(
    ("stamp", "missing", "found"),
    [
        ("abc123", None, True),
        (None, None, False),  # never published: a half-built or interrupted build
        ("", None, False),
        ("abc123", "usr/bin/g++", False),
        ("abc123", "usr/bin/python3", False),
    ],
)
def test_only_a_complete_published_root_is_found(
    tmp_path: Path, stamp: str | None, missing: str | None, found: bool
) -> None:
    root = _fake_root(tmp_path, stamp=stamp, missing=missing)
    located = find_rootfs(root)
    assert (located is not None) is found
    if located is not None:
        assert located.stamp == "abc123"
        assert located.python == root / "usr" / "bin" / "python3"


def test_a_missing_directory_is_none(tmp_path: Path) -> None:
    assert find_rootfs(tmp_path / "nowhere") is None


def test_a_symlinked_root_is_followed(tmp_path: Path) -> None:
    real = _fake_root(tmp_path)
    link = tmp_path / "bookworm"
    link.symlink_to(real.name)
    located = find_rootfs(link)
    assert located is not None and located.path == link


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def built_root() -> Path:
    located = find_rootfs()
    if located is None:
        message = f"no built root at {DEFAULT_ROOTFS_DIR} (run scripts/build-sandbox-image)"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return located.path


@pytest.mark.parametrize(
    "check",
    [
        "import numpy, sortedcontainers; assert numpy.arange(4).sum() == 6",
        "import sqlite3, ctypes, decimal, fractions, heapq, bisect, itertools, functools, collections",
        "import lib2to3, zoneinfo, json, re, math, statistics, random, array",
    ],
)
def test_the_built_root_has_the_curated_packages(built_root: Path, check: str) -> None:
    done = subprocess.run(
        ["chroot", str(built_root), "/usr/bin/python3", "-I", "-W", "ignore", "-c", check],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0 and "Operation not permitted" in done.stderr:
        pytest.skip("chroot needs root")
    assert done.returncode == 0, done.stderr


def test_the_built_root_has_gxx_and_the_sandbox_user(built_root: Path) -> None:
    assert (built_root / "usr" / "bin" / "g++").exists()
    users = {
        line.split(":")[0]: line.split(":")[2]
        for line in (built_root / "etc" / "passwd").read_text().splitlines()
    }
    assert users.get("sandbox") == str(SANDBOX_UID)
    assert (built_root / "work").stat().st_mode & 0o1777 == 0o1777
    assert not list((built_root / "var" / "lib" / "apt" / "lists").glob("*_Packages"))  # caches cleaned
