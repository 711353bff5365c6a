"""bwrap specifics: the host-root fallback is as closed as the built root, and bwrap's argv."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.bwrap import BwrapConfig, BwrapSandbox, bwrap_available
from sandbox.errors import SandboxError
from sandbox.job import Job, Language, Limits, TestCase
from sandbox.pool import PoolConfig
from sandbox.result import Verdict

_LIMITS = Limits(cpu_time_s=1.0, wall_time_s=3.0)


@pytest.fixture(scope="module")
def host_root_sandbox() -> Iterator[BwrapSandbox]:
    if not bwrap_available():
        pytest.skip("bwrap is not installed")
    sandbox = BwrapSandbox(BwrapConfig(host_root=True), pool=PoolConfig(size=1))
    try:
        sandbox.start()
    except SandboxError as exc:
        pytest.skip(f"bwrap cannot run here: {exc}")
    yield sandbox
    sandbox.close()


def test_command_is_contained() -> None:
    argv = BwrapSandbox(BwrapConfig(host_root=True)).command()
    for flag in (
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--as-pid-1",
        "--clearenv",
        "--disable-userns",
    ):
        assert flag in argv
    assert argv[argv.index("--cap-drop") + 1] == "ALL"
    assert "--share-net" not in argv
    assert argv[argv.index("--chdir") - 2 : argv.index("--chdir")] == ["--remount-ro", "/"]


@pytest.mark.parametrize(
    ("source", "stdout"),
    [
        ("print(open('/etc/shadow').read())", None),  # not even bound
        ("open('/x', 'w')", None),  # the root is read-only
        ("open('/usr/x', 'w')", None),
        (
            "import os\nprint(set(os.listdir('/etc')) <= {'alternatives', 'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d'})",
            "True\n",  # only what the dynamic linker and g++ need from the host's /etc
        ),
        (
            "import os\nprint(os.getuid(), os.path.exists('/root'), os.path.exists('/home'))",
            "10001 False False\n",
        ),
    ],
)
def test_host_root_fallback_is_closed(
    host_root_sandbox: BwrapSandbox, source: str, stdout: str | None
) -> None:
    result = host_root_sandbox.run(
        Job(Language.PYTHON, source, (TestCase(expected_stdout=stdout or ""),), _LIMITS)
    )
    if stdout is None:
        assert result.status is Verdict.RUNTIME_ERROR, result.tests[0]
    else:
        assert result.status is Verdict.ACCEPTED, result.tests[0]


def test_missing_bwrap_is_refused() -> None:
    sandbox = BwrapSandbox(BwrapConfig(bwrap="definitely-not-bwrap", host_root=True))
    with pytest.raises(SandboxError, match="bwrap is not installed"):
        sandbox.start()
    sandbox.close()
