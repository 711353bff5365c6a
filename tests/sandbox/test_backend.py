import pytest

from sandbox.backend import Sandbox, SandboxUnavailableError, UnsafeLocalSandbox, make_sandbox
from sandbox.bwrap import BwrapSandbox
from sandbox.job import Job, Language, TestCase
from sandbox.pool import PoolConfig
from sandbox.result import Verdict


def test_bwrap_is_the_default() -> None:
    sandbox = make_sandbox()
    assert isinstance(sandbox, BwrapSandbox) and isinstance(sandbox, Sandbox)


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(SandboxUnavailableError, match="unknown sandbox backend"):
        make_sandbox("chroot")


def test_unsafe_local_is_loud_and_works() -> None:
    with pytest.warns(RuntimeWarning, match="WITHOUT containment"):
        sandbox = make_sandbox("unsafe-local", pool=PoolConfig(size=1))
    assert isinstance(sandbox, UnsafeLocalSandbox) and sandbox.name == "unsafe-local"
    sandbox.start()
    try:
        job = Job(
            Language.PYTHON, "print(int(input()) * 2)\n", (TestCase(stdin="21\n", expected_stdout="42\n"),)
        )
        assert sandbox.run(job).status is Verdict.ACCEPTED
        assert sandbox.healthy()
        assert sandbox.stats().jobs == 1
    finally:
        sandbox.close()
