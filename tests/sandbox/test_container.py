"""The Docker backend's pool: warm-up, lock-down, recycling, healing, and verdict parity with bwrap.

These need a Docker engine and the ``arbiter-sandbox`` image: they skip without them, except in CI
(CI=true), where a missing engine or image fails (see ``require_docker`` in conftest).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.bwrap import BwrapSandbox, bwrap_available
from sandbox.container import DockerConfig, DockerSandbox
from sandbox.errors import SandboxError, SandboxUnavailableError
from sandbox.job import Job, Language, Limits, TestCase, TestKind
from sandbox.pool import PoolConfig
from sandbox.result import Verdict
from sandbox.rootfs import DEFAULT_IMAGE, find_rootfs
from tests.sandbox.conftest import require_docker

pytestmark = pytest.mark.docker

_LIMITS = Limits(cpu_time_s=1.0, wall_time_s=3.0, memory_mb=128)
_POOL_LABEL = "org.arbiter.sandbox.pool"
_HOSTNAME = "import socket\nprint(socket.gethostname())\n"  # a container's hostname is its short id


@pytest.fixture(scope="module")
def docker_client() -> Iterator[Any]:
    require_docker()
    import docker

    client = docker.from_env()
    yield client
    client.close()


def _pool(**pool: Any) -> DockerSandbox:
    sandbox = DockerSandbox(pool=PoolConfig(**{"acquire_timeout_s": 90.0, "start_timeout_s": 120.0, **pool}))
    try:
        sandbox.start()
    except SandboxError as exc:
        require_docker()  # engine is up: the failure is ours (or the image is missing) and must show
        pytest.fail(f"the Docker pool did not start: {exc}")
    return sandbox


@pytest.fixture
def one_container(docker_client: Any) -> Iterator[DockerSandbox]:
    sandbox = _pool(size=1, jobs_per_instance=100)
    yield sandbox
    sandbox.close()


def _containers(client: Any, sandbox: DockerSandbox) -> list[Any]:
    return client.containers.list(filters={"label": f"{_POOL_LABEL}={sandbox.pool_id}"})


def _run(sandbox: DockerSandbox, source: str, tests: tuple[TestCase, ...] | None = None) -> Any:
    tests = tests or (TestCase(expected_stdout=""),)
    return sandbox.run(Job(Language.PYTHON, textwrap.dedent(source), tests, _LIMITS))


def _which_container(sandbox: DockerSandbox) -> str:
    result = _run(sandbox, _HOSTNAME)
    assert result.tests[0].status is Verdict.WRONG_ANSWER, result  # ran, printed a hostname
    return result.tests[0].stdout.strip()


def test_start_warms_the_whole_pool(docker_client: Any) -> None:
    sandbox = _pool(size=2)
    try:
        stats = sandbox.stats()
        assert (stats.live, stats.idle, stats.spawned) == (2, 2, 2)
        assert len(_containers(docker_client, sandbox)) == 2
        assert sandbox.healthy()
        # Jobs run on the warm containers: none is created for them.
        for _ in range(3):
            _which_container(sandbox)
        assert sandbox.stats().spawned == 2
    finally:
        sandbox.close()


def test_close_removes_every_container(docker_client: Any) -> None:
    sandbox = _pool(size=2)
    sandbox.close()
    deadline = time.monotonic() + 30
    while _containers(docker_client, sandbox) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _containers(docker_client, sandbox) == []
    assert not sandbox.healthy()
    assert _run(sandbox, "print('x')").status is Verdict.SANDBOX_ERROR


def test_containers_are_locked_down(docker_client: Any, one_container: DockerSandbox) -> None:
    (container,) = _containers(docker_client, one_container)
    host = container.attrs["HostConfig"]
    assert host["NetworkMode"] == "none"
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"]
    assert "no-new-privileges" in host["SecurityOpt"]
    assert host["Memory"] == DockerConfig().container_memory_mb * 1024 * 1024
    assert host["PidsLimit"] == DockerConfig().container_processes
    assert host["NanoCpus"] == int(DockerConfig().cpus * 1e9)
    assert set(host["Tmpfs"]) == {"/work", "/tmp"}
    assert host["ShmSize"] == DockerConfig().shm_mb * 1024 * 1024
    uid = int(container.attrs["Config"]["User"].split(":")[0])
    assert DockerConfig().uid_base <= uid < DockerConfig().uid_base + 50_000
    assert all(mount["RW"] is False for mount in container.attrs["Mounts"])  # the runner, read-only


def test_tests_do_not_use_docker_exec(docker_client: Any, one_container: DockerSandbox) -> None:
    tests = tuple(TestCase(stdin=f"{i}\n", expected_stdout=f"{i * 2}\n") for i in range(30))
    result = _run(one_container, "print(int(input()) * 2)\n", tests)
    assert (result.status, result.passed) == (Verdict.ACCEPTED, 30)
    (container,) = _containers(docker_client, one_container)
    container.reload()
    assert not container.attrs.get("ExecIDs")  # one attached stream, no exec per test


def test_every_container_gets_its_own_uid(docker_client: Any) -> None:
    sandbox = _pool(size=3)
    try:
        uids = {int(c.attrs["Config"]["User"].split(":")[0]) for c in _containers(docker_client, sandbox)}
        assert len(uids) == 3 and min(uids) >= DockerConfig().uid_base
        seen = _run(sandbox, "import os\nprint(os.getuid(), os.geteuid())\n").tests[0].stdout.split()
        assert seen[0] == seen[1] and int(seen[0]) in uids  # programs run as the container's uid
    finally:
        sandbox.close()


def test_recycled_after_n_jobs(docker_client: Any) -> None:
    sandbox = _pool(size=1, jobs_per_instance=3)
    try:
        first = [_which_container(sandbox) for _ in range(3)]
        assert len(set(first)) == 1
        assert _which_container(sandbox) != first[0]
        stats = sandbox.stats()
        assert (stats.recycled, stats.protocol_errors) == (1, 0)
    finally:
        sandbox.close()


@pytest.mark.parametrize(
    ("source", "verdict", "recycled"),
    [
        ("while True:\n    pass\n", Verdict.TIME_LIMIT, True),
        ("x = bytearray(512 * 1024 * 1024)\n", Verdict.MEMORY_LIMIT, True),
        ("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n", Verdict.OUTPUT_LIMIT, True),
        ("print('wrong')\n", Verdict.WRONG_ANSWER, False),
        ("raise SystemExit(3)\n", Verdict.RUNTIME_ERROR, False),
    ],
)
def test_recycled_after_a_limit_breach_only(
    one_container: DockerSandbox, source: str, verdict: Verdict, recycled: bool
) -> None:
    before = _which_container(one_container)
    result = _run(one_container, source, (TestCase(expected_stdout="ok\n"),))
    assert result.tests[0].status is verdict
    after = _which_container(one_container)
    assert (after != before) is recycled
    assert one_container.stats().recycled == int(recycled)


def test_heals_after_an_idle_container_is_killed(docker_client: Any, one_container: DockerSandbox) -> None:
    before = _which_container(one_container)
    (container,) = _containers(docker_client, one_container)
    container.kill()
    result = _run(one_container, "print('ok')\n", (TestCase(expected_stdout="ok\n"),))
    assert result.status is Verdict.ACCEPTED
    assert _which_container(one_container) != before
    stats = one_container.stats()
    assert stats.protocol_errors >= 1 and stats.live == 1
    assert one_container.healthy()


def test_a_job_on_a_container_killed_mid_run_is_retried(
    docker_client: Any, one_container: DockerSandbox
) -> None:
    (container,) = _containers(docker_client, one_container)
    killer = threading.Timer(0.5, container.kill)
    killer.start()
    started = time.monotonic()
    result = _run(
        one_container, "import time\ntime.sleep(1.5)\nprint('ok')\n", (TestCase(expected_stdout="ok\n"),)
    )
    killer.join()
    assert result.status is Verdict.ACCEPTED, result  # retried on the replacement, not scored 0
    assert time.monotonic() - started > 1.5
    assert one_container.stats().protocol_errors == 1


_CRASHING_HOST = """
import os, sys
from sandbox.container import DockerSandbox
from sandbox.pool import PoolConfig
sandbox = DockerSandbox(pool=PoolConfig(size=2, start_timeout_s=120.0))
sandbox.start()
print(sandbox.pool_id, flush=True)
os.kill(os.getpid(), 9)  # no close(): a crashed worker
"""


def test_a_crashed_host_process_leaves_no_containers(docker_client: Any) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CRASHING_HOST],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert done.returncode == -9, done.stderr
    pool_id = done.stdout.strip()
    assert pool_id

    def left() -> list[Any]:
        # sparse: no inspect per container, which races with auto-remove (404 for one just gone)
        return docker_client.containers.list(
            all=True, sparse=True, filters={"label": f"{_POOL_LABEL}={pool_id}"}
        )

    deadline = time.monotonic() + 60
    while left() and time.monotonic() < deadline:  # stdin closes, the runner exits, auto-remove
        time.sleep(0.5)
    assert left() == []


def test_a_pool_that_was_not_started_refuses_at_once() -> None:
    started = time.monotonic()
    result = _run(DockerSandbox(), "print('x')\n")
    assert result.status is Verdict.SANDBOX_ERROR and "not started" in result.error
    assert time.monotonic() - started < 5  # no wait for the acquire timeout


def test_the_image_is_the_built_root(docker_client: Any) -> None:
    """Parity starts here: Docker runs the very tree bwrap binds (same recipe stamp)."""
    root = find_rootfs()
    if root is None:
        pytest.skip("no built root to compare with (scripts/build-sandbox-image)")
    labels = docker_client.images.get(DEFAULT_IMAGE).labels or {}
    assert labels.get("org.arbiter.sandbox.stamp") == root.stamp


def test_missing_image_is_a_clear_error(docker_client: Any) -> None:
    sandbox = DockerSandbox(DockerConfig(image="arbiter-sandbox:no-such-tag"), pool=PoolConfig(size=1))
    with pytest.raises(SandboxUnavailableError, match="build-sandbox-image"):
        sandbox.start()


def test_concurrent_jobs_share_the_pool(one_container: DockerSandbox) -> None:
    results: list[Verdict] = []
    tests = tuple(TestCase(stdin=f"{i}\n", expected_stdout=f"{i + 1}\n") for i in range(5))

    def worker() -> None:
        results.append(_run(one_container, "print(int(input()) + 1)\n", tests).status)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [Verdict.ACCEPTED] * 4


# -- the same program gets the same verdict on Docker and on bwrap --------------------------
_CPP_ECHO = '#include <cstdio>\nint main(){long long a;scanf("%lld",&a);printf("%lld\\n",a*2);}\n'
_PARITY: list[tuple[Language, str, TestCase, Verdict]] = [
    (
        Language.PYTHON,
        "print(int(input()) * 2)",
        TestCase(stdin="21\n", expected_stdout="42\n"),
        Verdict.ACCEPTED,
    ),
    (
        Language.PYTHON,
        "print(int(input()) * 3)",
        TestCase(stdin="21\n", expected_stdout="42\n"),
        Verdict.WRONG_ANSWER,
    ),
    (Language.PYTHON, "1 / 0", TestCase(expected_stdout=""), Verdict.RUNTIME_ERROR),
    (Language.PYTHON, "while True: pass", TestCase(expected_stdout=""), Verdict.TIME_LIMIT),
    (Language.PYTHON, "x = bytearray(400 * 2**20)", TestCase(expected_stdout=""), Verdict.MEMORY_LIMIT),
    (Language.PYTHON, "print('y' * 2_000_000)", TestCase(expected_stdout=""), Verdict.OUTPUT_LIMIT),
    (Language.PYTHON, "def f(", TestCase(expected_stdout=""), Verdict.COMPILE_ERROR),
    (
        Language.PYTHON,
        "import numpy as np\nprint(int(np.arange(5).sum()))",
        TestCase(expected_stdout="10\n"),
        Verdict.ACCEPTED,
    ),
    (
        Language.PYTHON,
        "from sortedcontainers import SortedList\nprint(list(SortedList([3, 1, 2])))",
        TestCase(expected_stdout="[1, 2, 3]\n"),
        Verdict.ACCEPTED,
    ),
    (
        Language.PYTHON,
        "class Solution:\n    def add(self, a, b):\n        return a + b",
        TestCase(kind=TestKind.CALL, entry_point="Solution().add", args_json="[2, 3]", expected_json="5"),
        Verdict.ACCEPTED,
    ),
    (
        Language.PYTHON,
        "def f(x):\n    return x",
        TestCase(kind=TestKind.ASSERT, code="assert f(1) == 2"),
        Verdict.WRONG_ANSWER,
    ),
    (Language.CPP, _CPP_ECHO, TestCase(stdin="21\n", expected_stdout="42\n"), Verdict.ACCEPTED),
    (Language.CPP, "int main(){ return 3; }", TestCase(expected_stdout=""), Verdict.RUNTIME_ERROR),
    (Language.CPP, "int main(){ for(;;); }", TestCase(expected_stdout=""), Verdict.TIME_LIMIT),
    (Language.CPP, "int main( {", TestCase(expected_stdout=""), Verdict.COMPILE_ERROR),
]


@pytest.fixture(scope="module")
def both_backends(docker_client: Any) -> Iterator[dict[str, Any]]:
    if not bwrap_available():
        pytest.skip("bwrap is not installed: no parity to check")
    sandboxes: dict[str, Any] = {"docker": _pool(size=1), "bwrap": BwrapSandbox(pool=PoolConfig(size=1))}
    try:
        sandboxes["bwrap"].start()
    except SandboxError as exc:
        sandboxes["docker"].close()
        pytest.skip(f"bwrap cannot run here: {exc}")
    yield sandboxes
    for sandbox in sandboxes.values():
        sandbox.close()


@pytest.mark.parametrize(("language", "source", "test", "verdict"), _PARITY)
def test_same_verdict_as_bwrap(
    both_backends: dict[str, Any], language: Language, source: str, test: TestCase, verdict: Verdict
) -> None:
    job = Job(language, source + "\n", (test,), _LIMITS)
    results = {name: sandbox.run(job).tests[0] for name, sandbox in both_backends.items()}
    assert {name: r.status for name, r in results.items()} == {"docker": verdict, "bwrap": verdict}, results
    assert results["docker"].stdout == results["bwrap"].stdout
    assert results["docker"].exit_code == results["bwrap"].exit_code
