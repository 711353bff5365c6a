"""Every source module with logic in verifiers/, trainer_client/ and sandbox/ has a test module
of its own, at the mirror path: ``pkg/a/b.py`` -> ``tests/pkg/a/test_b.py`` (a leading underscore
dropped: ``_batch.py`` -> ``test_batch.py``).

Why a test: a module without its own tests is only tested by accident, through its callers, and
stays so unnoticed. The exceptions are listed below, each with why; an entry that gains a test
module, or whose module is gone, fails too, so the lists only shrink.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("verifiers", "trainer_client", "sandbox")

# No logic of their own: nothing a test of the module itself could check.
LOGIC_FREE = {
    # front doors: re-exports (verifiers/__init__ also loads the math names lazily; test_layering
    # imports every package through them)
    "verifiers/__init__.py": "front door: re-exports",
    "verifiers/math/__init__.py": "front door: re-exports",
    "trainer_client/__init__.py": "front door: re-exports",
    "sandbox/__init__.py": "front door: re-exports",
    "sandbox/inside/__init__.py": "package marker of the in-sandbox modules",
    "verifiers/math/config.py": "enums and a dataclass of defaults",
    "sandbox/errors.py": "exception classes that store their fields",
}

# In-sandbox modules tested as one package by tests/sandbox/test_inside.py (which imports them).
TESTED_ELSEWHERE_INSIDE = {
    f"sandbox/inside/{name}.py": "tests/sandbox/test_inside.py"
    for name in ("codec", "harness", "program_server", "entry_point")
}

# Still owed a test module of their own (exercised end to end through the sandbox by
# tests/sandbox/test_runner.py, test_inside.py and test_security.py). The list may only shrink.
PENDING = {
    "sandbox/inside/build.py",
    "sandbox/inside/channel.py",
    "sandbox/inside/child_process.py",
    "sandbox/inside/link.py",
    "sandbox/inside/python_program.py",
    "sandbox/inside/runner.py",
    "sandbox/inside/verdict.py",
    "sandbox/inside/workspace.py",
    "sandbox/job.py",
    "sandbox/runner_process.py",
}

# Tested, but through another module's test file: the private parts of one public object.
TESTED_ELSEWHERE = {
    # the math pool's private machinery: its behaviour is the pool's (deadlines, worker crashes,
    # cancellation, back-pressure), exercised through MathPool in test_pool.py
    "verifiers/math/_dispatcher.py": "tests/verifiers/math/test_pool.py",
    "verifiers/math/_handle.py": "tests/verifiers/math/test_pool.py",
    "verifiers/math/_worker.py": "tests/verifiers/math/test_pool.py",
    **TESTED_ELSEWHERE_INSIDE,
}


def _sources() -> list[str]:
    return sorted(
        path.relative_to(ROOT).as_posix() for pkg in PACKAGES for path in (ROOT / pkg).rglob("*.py")
    )


def _test_modules(source: str) -> list[Path]:
    path = Path(source)
    names = {f"test_{path.stem}.py", f"test_{path.stem.lstrip('_')}.py"}
    return [ROOT / "tests" / path.parent / name for name in sorted(names)]


def _has_test_module(source: str) -> bool:
    return any(test.is_file() for test in _test_modules(source))


def test_the_packages_are_found() -> None:
    assert len(_sources()) > 50  # a wrong ROOT would make every check below vacuous


@pytest.mark.parametrize("source", _sources())
def test_every_module_with_logic_has_a_test_module(source: str) -> None:
    if source in LOGIC_FREE or source in PENDING:
        return
    if source in TESTED_ELSEWHERE:
        assert (ROOT / TESTED_ELSEWHERE[source]).is_file(), f"{source}: {TESTED_ELSEWHERE[source]} is gone"
        return
    expected = " or ".join(test.relative_to(ROOT).as_posix() for test in _test_modules(source))
    assert _has_test_module(source), f"{source} has no test module: add {expected}, or list it here with why"


@pytest.mark.parametrize("source", sorted({*LOGIC_FREE, *TESTED_ELSEWHERE, *PENDING}))
def test_exceptions_are_current(source: str) -> None:
    assert (ROOT / source).is_file(), f"{source} is listed as an exception but no longer exists"
    assert not _has_test_module(source), f"{source} has its own test module now: drop it from the list"
