"""Hostile programs on every available backend: each is contained and reported as what it is.

After every test the host and the pool must still be healthy: a normal job passes and no process
is left on the host beyond the pool's own instances.
"""

from __future__ import annotations

import socket
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from sandbox.backend import Sandbox
from sandbox.job import Job, Language, Limits, TestCase
from sandbox.result import JobResult, Verdict
from tests.sandbox.conftest import SECRET_ENV_NAME, SECRET_ENV_VALUE

_LIMITS = Limits(cpu_time_s=1.0, wall_time_s=3.0, memory_mb=128)
_ONE = (TestCase(stdin="", expected_stdout="ok\n"),)
_PROCESSES_PER_INSTANCE = 2  # bwrap's monitor + the runner (PID 1 of the sandbox)


def _run(
    sandbox: Sandbox, source: str, tests: tuple[TestCase, ...] = _ONE, limits: Limits = _LIMITS
) -> JobResult:
    return sandbox.run(Job(Language.PYTHON, textwrap.dedent(source), tests, limits))


def _in_sandbox_tree(proc: psutil.Process) -> bool:
    try:
        return any(p.name() in ("bwrap", "setpriv") for p in (proc, *proc.parents()))
    except psutil.Error:
        return False


_UNRELATED: set[int] = set()


def _host_descendants() -> list[psutil.Process]:
    """This process's descendants, less the ones other test modules left running on purpose
    (a session Redis, the math pool's forkserver) before this module began."""
    return [p for p in psutil.Process().children(recursive=True) if p.pid not in _UNRELATED]


@pytest.fixture(scope="module", autouse=True)
def _note_unrelated_processes() -> None:
    _UNRELATED.clear()
    _UNRELATED.update(p.pid for p in psutil.Process().children(recursive=True) if not _in_sandbox_tree(p))


@pytest.fixture(autouse=True)
def _pool_stays_healthy(sandbox_backend: Sandbox, _note_unrelated_processes: None) -> Iterator[None]:
    yield
    normal = _run(sandbox_backend, "print('ok')\n")
    assert normal.status is Verdict.ACCEPTED, normal.tests[0]
    assert sandbox_backend.healthy()
    stats = sandbox_backend.stats()
    deadline = time.monotonic() + 10
    while True:  # a recycled instance is replaced in the background
        live = getattr(stats, "live", None)
        count = len(_host_descendants())
        if live is None or count <= live * _PROCESSES_PER_INSTANCE or time.monotonic() > deadline:
            break
        time.sleep(0.2)
        stats = sandbox_backend.stats()
    if live is not None:
        names = [(p.pid, p.name()) for p in _host_descendants()]
        assert count <= live * _PROCESSES_PER_INSTANCE, names


@pytest.mark.parametrize(
    ("source", "verdicts"),
    [
        ("while True:\n    pass\n", {Verdict.TIME_LIMIT}),
        ("import time\ntime.sleep(10 ** 6)\n", {Verdict.TIME_LIMIT}),
        (
            "import signal, time\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass\n",
            {Verdict.TIME_LIMIT},
        ),
        (
            "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
            {Verdict.TIME_LIMIT},
        ),
        (
            "import threading, time\nwhile True:\n    threading.Thread(target=time.sleep, args=(100,), daemon=True).start()\n",
            {Verdict.RUNTIME_ERROR, Verdict.MEMORY_LIMIT},
        ),
        ("x = [bytearray(10 ** 6) for _ in range(10 ** 5)]\n", {Verdict.MEMORY_LIMIT}),
        ("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n", {Verdict.OUTPUT_LIMIT}),
        ("import sys\nwhile True:\n    sys.stderr.write('x' * 65536)\n", {Verdict.OUTPUT_LIMIT}),
        (
            "import os\nos.kill(-1, 9)\nprint('ok')\n",
            {Verdict.RUNTIME_ERROR, Verdict.WRONG_ANSWER, Verdict.ACCEPTED},
        ),
    ],
    ids=[
        "loop",
        "sleep",
        "ignore-sigxcpu",
        "fork-bomb",
        "thread-bomb",
        "memory-bomb",
        "stdout-flood",
        "stderr-flood",
        "kill-all",
    ],
)
def test_resource_abuse_is_contained(sandbox_backend: Sandbox, source: str, verdicts: set[Verdict]) -> None:
    started = time.monotonic()
    result = _run(sandbox_backend, source)
    assert result.status in verdicts, result.tests[0]
    assert not result.status.is_infrastructure
    assert time.monotonic() - started < 30


def test_processes_are_capped(sandbox_backend: Sandbox) -> None:
    result = _run(
        sandbox_backend,
        """
        import os, time
        n = 0
        try:
            for _ in range(1000):
                if os.fork() == 0:
                    time.sleep(5)
                    os._exit(0)
                n += 1
        except OSError:
            pass
        print(n)
        """,
    )
    spawned = int(result.tests[0].stdout.strip())
    assert 0 < spawned < _LIMITS.max_processes


def test_rlimits_cannot_be_raised(sandbox_backend: Sandbox) -> None:
    result = _run(
        sandbox_backend,
        """
        import resource
        for name in ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_NPROC", "RLIMIT_FSIZE"):
            which = getattr(resource, name)
            try:
                resource.setrlimit(which, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
                print(name, "raised")
            except (ValueError, OSError):
                print(name, "refused")
        """,
    )
    assert "raised" not in result.tests[0].stdout
    assert result.tests[0].stdout.count("refused") == 4


def test_programs_are_the_oom_killers_first_choice(sandbox_backend: Sandbox) -> None:
    """A memory bomb must kill itself, not the runner (that would be a sandbox error, not a verdict)."""
    result = _run(
        sandbox_backend,
        """
        print(open("/proc/self/oom_score_adj").read().strip())
        try:
            with open("/proc/self/oom_score_adj", "w") as fh:
                fh.write("-1000")
        except OSError:
            pass
        print(open("/proc/self/oom_score_adj").read().strip())
        """,
    )
    before, after = result.tests[0].stdout.split()
    assert before == "1000"
    assert int(after) > 0  # it cannot make itself safer than the runner


def test_host_files_are_invisible(sandbox_backend: Sandbox) -> None:
    token = uuid.uuid4().hex
    secrets = [Path(__file__).resolve().parent / f".secret-{token}", Path.home() / f".arbiter-secret-{token}"]
    for path in secrets:
        path.write_text(token)
    try:
        paths = [*map(str, secrets), "/etc/shadow", "/root/.bashrc", str(Path(__file__).resolve())]
        result = _run(
            sandbox_backend,
            f"""
            import os
            for path in {paths!r}:
                try:
                    print(open(path).read()[:100])
                except OSError as exc:
                    print("denied", type(exc).__name__)
            print("repo visible:", os.path.exists({str(Path(__file__).resolve().parents[2] / "sandbox")!r}))
            """,
        )
    finally:
        for path in secrets:
            path.unlink()
    stdout = result.tests[0].stdout
    assert token not in stdout and "root:" not in stdout and "def test_" not in stdout
    assert stdout.count("denied") == len(paths)
    assert "repo visible: False" in stdout


def test_host_environment_is_invisible(sandbox_backend: Sandbox) -> None:
    result = _run(
        sandbox_backend,
        """
        import os
        print(dict(os.environ))
        for path in ("/proc/self/environ", "/proc/1/environ"):
            try:
                print(open(path, "rb").read())
            except OSError as exc:
                print("denied", exc)
        """,
    )
    stdout = result.tests[0].stdout
    assert result.tests[0].exit_code == 0
    assert SECRET_ENV_VALUE not in stdout and SECRET_ENV_NAME not in stdout


def test_no_network(sandbox_backend: Sandbox) -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    port = server.getsockname()[1]
    try:
        result = _run(
            sandbox_backend,
            f"""
            import socket
            for host, port in (("127.0.0.1", {port}), ("1.1.1.1", 53), ("8.8.8.8", 443)):
                try:
                    socket.create_connection((host, port), timeout=1).close()
                    print("connected", host)
                except OSError as exc:
                    print("blocked", host)
            try:
                socket.getaddrinfo("pypi.org", 443)
                print("resolved")
            except OSError:
                print("no dns")
            """,
        )
        with pytest.raises(BlockingIOError):
            server.accept()
    finally:
        server.close()
    stdout = result.tests[0].stdout
    assert "connected" not in stdout and stdout.count("blocked") == 3 and "no dns" in stdout


def test_killing_the_parent_does_not_break_the_sandbox(sandbox_backend: Sandbox) -> None:
    before = sandbox_backend.stats()
    result = _run(
        sandbox_backend,
        """
        import os, signal
        for pid in (os.getppid(), 1):
            for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGSTOP):
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
        print("ok")
        """,
    )
    assert result.status is Verdict.ACCEPTED, result.tests[0]
    after = sandbox_backend.stats()
    assert getattr(after, "protocol_errors", 0) == getattr(before, "protocol_errors", 0)


def test_daemons_do_not_outlive_their_test(sandbox_backend: Sandbox) -> None:
    daemon = """
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(0.5)
                open("/tmp/daemon-marker", "w").write("alive")
                time.sleep(1000)
            os._exit(0)
        print("ok")
    """
    look = """
        import os, time
        time.sleep(1.0)
        others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, os.getpid())]
        print(others, os.path.exists("/tmp/daemon-marker"))
    """
    source = textwrap.dedent(
        "import sys\nif sys.stdin.read() == 'daemon':\n"
        + textwrap.indent(textwrap.dedent(daemon), "    ")
        + "else:\n"
        + textwrap.indent(textwrap.dedent(look), "    ")
    )
    tests = (
        TestCase(stdin="daemon", expected_stdout="ok\n"),
        TestCase(stdin="look", expected_stdout="[] False\n"),
    )
    result = _run(sandbox_backend, source, tests)
    assert [t.status for t in result.tests] == [Verdict.ACCEPTED, Verdict.ACCEPTED], result.tests


def test_files_do_not_survive_into_the_next_job(sandbox_backend: Sandbox) -> None:
    token = uuid.uuid4().hex
    written = _run(
        sandbox_backend,
        f"""
        import os
        for path in ("/tmp/{token}", "/dev/shm/{token}", "{token}", "/opt/arbiter/{token}", "/usr/{token}", "/{token}"):
            try:
                open(path, "w").write("x")
                print("wrote", path)
            except OSError:
                print("refused", path)
        """,
    )
    stdout = written.tests[0].stdout
    assert "refused /usr/" in stdout and "refused /opt/arbiter/" in stdout and f"refused /{token}" in stdout
    for _ in range(4):  # every warm instance of a small pool gets a turn
        found = _run(
            sandbox_backend,
            f"""
            import os
            hits = []
            for root in ("/tmp", "/dev/shm", ".", "/opt/arbiter"):
                for dirpath, _, names in os.walk(root):
                    hits += [n for n in names if "{token}" in n]
            print(hits)
            """,
        )
        assert found.tests[0].stdout == "[]\n", found.tests[0]


def test_filling_tmp_is_contained(sandbox_backend: Sandbox) -> None:
    result = _run(
        sandbox_backend,
        """
        import os
        written = 0
        chunk = b"x" * (1 << 20)
        for i in range(10_000):
            try:
                with open(f"/tmp/fill-{i}", "wb") as handle:
                    for _ in range(8):
                        handle.write(chunk)
                        written += len(chunk)
            except OSError as exc:
                print("stopped", exc.errno)
                break
        print(written // (1 << 20))
        """,
        limits=Limits(cpu_time_s=5.0, wall_time_s=10.0, memory_mb=128),
    )
    test = result.tests[0]
    assert "stopped" in test.stdout, test
    assert int(test.stdout.split()[-1]) < 1024  # the sandbox's /tmp is small, not the host disk


def test_each_test_starts_from_clean_files(sandbox_backend: Sandbox) -> None:
    """A test that fills the disk cannot turn the next test into an infrastructure error."""
    source = """
        import os, sys
        if sys.stdin.read() == "fill":
            chunk = b"x" * (1 << 20)
            for root in ("/tmp", "."):
                for i in range(1000):
                    try:
                        with open(os.path.join(root, f"fill-{i}"), "wb") as handle:
                            for _ in range(8):
                                handle.write(chunk)
                    except OSError:
                        break
            print("filled")
        else:
            print(sorted(os.listdir(".")), [n for n in os.listdir("/tmp") if n.startswith("fill")])
    """
    tests = (
        TestCase(stdin="fill", expected_stdout="filled\n"),
        TestCase(stdin="look", expected_stdout="[] []\n"),
    )
    result = _run(sandbox_backend, source, tests, limits=Limits(cpu_time_s=5.0, wall_time_s=10.0))
    assert [t.status for t in result.tests] == [Verdict.ACCEPTED, Verdict.ACCEPTED], result.tests
