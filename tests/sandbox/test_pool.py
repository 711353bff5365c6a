"""The warm pool: recycling, self-healing, and infrastructure failures reported as such.

These drive ``RunnerPool`` with runners started directly on the host (benign programs only): the
pool logic does not depend on the containment around the runner.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from sandbox.errors import SandboxUnavailableError
from sandbox.job import Job, Language, Limits, TestCase, TestKind
from sandbox.pool import JOB_DEADLINE_PASSED, PoolConfig, RunnerPool
from sandbox.result import Verdict
from sandbox.runner_client import RUNNER_FILES

_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
_GOOD = Job(Language.PYTHON, "print(input())\n", (TestCase(stdin="hi\n", expected_stdout="hi\n"),))
_LOOP = Job(Language.PYTHON, "while True: pass\n", (TestCase(),), Limits(cpu_time_s=0.3, wall_time_s=1.0))


def _runner_argv() -> list[str]:
    return [sys.executable, "-I", str(RUNNER_FILES[0]), "--workdir", "/tmp/arbiter-pool-test"]


def _fake_runner(script: str) -> list[str]:
    return [sys.executable, "-c", script]


@pytest.fixture
def make_pool() -> Iterator:
    pools: list[RunnerPool] = []

    def make(config: PoolConfig, argv=_runner_argv) -> RunnerPool:
        pool = RunnerPool("test", argv, _ENV, config)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.close()


def _wait_for(predicate, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_instances_are_recycled_after_n_jobs(make_pool) -> None:
    pool = make_pool(PoolConfig(size=1, jobs_per_instance=2))
    pool.start()
    for _ in range(3):
        assert pool.run(_GOOD).status is Verdict.ACCEPTED
    assert _wait_for(lambda: pool.stats().spawned == 2)
    stats = pool.stats()
    assert stats.recycled == 1 and stats.jobs == 3 and stats.live == 1


def test_limit_breach_recycles_the_instance(make_pool) -> None:
    pool = make_pool(PoolConfig(size=1))
    pool.start()
    assert pool.run(_LOOP).status is Verdict.TIME_LIMIT
    assert pool.stats().recycled == 1
    assert pool.run(_GOOD).status is Verdict.ACCEPTED


def test_pool_heals_after_an_instance_dies(make_pool) -> None:
    pool = make_pool(PoolConfig(size=1))
    pool.start()
    instance = pool._idle.get()  # kill the warm runner behind the pool's back
    instance.process.kill()
    instance.process.wait()
    pool._idle.put(instance)
    assert pool.run(_GOOD).status is Verdict.ACCEPTED  # retried on a fresh instance
    stats = pool.stats()
    assert stats.protocol_errors == 1 and stats.recycled == 1
    assert _wait_for(lambda: pool.stats().idle == 1)
    assert pool.healthy()


def test_infrastructure_failure_is_a_sandbox_error(make_pool) -> None:
    # says hello, then dies on the first request: never the program's fault
    script = 'import sys; print(\'{"ok": true, "op": "hello"}\', flush=True); sys.stdin.readline()'
    pool = make_pool(PoolConfig(size=1, job_retries=1), argv=lambda: _fake_runner(script))
    pool.start()
    result = pool.run(_GOOD)
    assert result.status is Verdict.SANDBOX_ERROR and result.error
    assert result.status.is_infrastructure
    assert pool.stats().protocol_errors == 2


def test_a_runner_that_never_starts_is_refused(make_pool) -> None:
    pool = make_pool(
        PoolConfig(size=1, start_timeout_s=2.0), argv=lambda: _fake_runner("import sys; sys.exit(1)")
    )
    with pytest.raises(SandboxUnavailableError, match="no runner could start"):
        pool.start()


def test_closed_pool_refuses_jobs(make_pool) -> None:
    pool = make_pool(PoolConfig(size=1))
    pool.start()
    pool.close()
    assert not pool.healthy()
    result = pool.run(_GOOD)  # an infrastructure verdict, never an exception or a 0
    assert result.status is Verdict.SANDBOX_ERROR and "closed" in result.error


def test_a_pool_that_was_not_started_refuses_at_once(make_pool) -> None:
    pool = make_pool(PoolConfig(size=1))
    result = pool.run(_GOOD)
    assert result.status is Verdict.SANDBOX_ERROR and "not started" in result.error


def test_running_jobs_are_bounded(make_pool) -> None:
    """More warm instances than run slots: never more jobs at once than ``max_running``."""
    import threading

    pool = make_pool(PoolConfig(size=3, max_running=1))
    pool.start()
    running = peak = 0
    lock = threading.Lock()
    client_run = type(pool._idle.queue[0].client).run_job

    def counting(self, job, *args):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            return client_run(self, job, *args)
        finally:
            with lock:
                running -= 1

    slow = Job(Language.PYTHON, "import time\ntime.sleep(0.2)\nprint(input())\n", _GOOD.tests)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(pool._idle.queue[0].client), "run_job", counting)
        with ThreadPoolExecutor(max_workers=3) as workers:
            results = list(workers.map(pool.run, [slow] * 6))
    assert [r.status for r in results] == [Verdict.ACCEPTED] * 6
    assert peak == 1


def test_default_run_slots_are_the_cores() -> None:
    import os

    assert PoolConfig().running_limit == os.cpu_count()
    assert PoolConfig(max_running=3).running_limit == 3
    with pytest.raises(ValueError):
        PoolConfig(max_running=0)


def test_concurrent_jobs_share_the_pool(make_pool) -> None:
    pool = make_pool(PoolConfig(size=2))
    pool.start()
    with ThreadPoolExecutor(max_workers=4) as workers:
        results = list(workers.map(pool.run, [_GOOD] * 12))
    assert [r.status for r in results] == [Verdict.ACCEPTED] * 12
    assert pool.stats().jobs == 12


_SLEEPER = "import time\ntime.sleep(float(input()))\nprint('done')\n"


def _sleeper(seconds: float, tests: int = 1, deadline_unix_s: float | None = None) -> Job:
    return Job(
        Language.PYTHON,
        _SLEEPER,
        tuple(TestCase(stdin=f"{seconds}\n", expected_stdout="done\n") for _ in range(tests)),
        Limits(cpu_time_s=1.0, wall_time_s=30.0),
        deadline_unix_s=deadline_unix_s,
    )


def test_a_job_is_cut_at_its_deadline_and_the_pool_heals(make_pool) -> None:
    """The runner is killed mid-test at the deadline (no retry), and a fresh instance replaces it."""
    pool = make_pool(PoolConfig(size=1, job_retries=2))
    pool.start()
    started = time.monotonic()
    result = pool.run(_sleeper(5.0, tests=4, deadline_unix_s=time.time() + 1.0))
    assert time.monotonic() - started < 3.0  # not 4 x 5 s, not retried
    assert result.status is Verdict.SANDBOX_ERROR and JOB_DEADLINE_PASSED in result.error, result
    assert pool.stats().jobs == 0
    assert pool.run(_GOOD).status is Verdict.ACCEPTED  # healed
    assert pool.stats().spawned == 2


def test_an_assert_style_job_is_cut_at_its_deadline_too(make_pool) -> None:
    """The send_code exchange and the harness's wait are cut to the deadline like any test."""
    pool = make_pool(PoolConfig(size=1, job_retries=2))
    pool.start()
    source = "import time\ndef f(s):\n    time.sleep(s)\n    return 1\n"
    tests = tuple(
        TestCase(kind=TestKind.ASSERT, code="assert f(5.0) == 1", entry_point="f") for _ in range(4)
    )
    job = Job(
        Language.PYTHON,
        source,
        tests,
        Limits(cpu_time_s=1.0, wall_time_s=30.0),
        deadline_unix_s=time.time() + 1.0,
    )
    started = time.monotonic()
    result = pool.run(job)
    assert time.monotonic() - started < 3.0
    assert result.status is Verdict.SANDBOX_ERROR and JOB_DEADLINE_PASSED in result.error, result
    assert pool.run(_GOOD).status is Verdict.ACCEPTED  # healed


def test_a_job_past_its_deadline_touches_no_instance(make_pool) -> None:
    pool = make_pool(PoolConfig(size=1))
    pool.start()
    result = pool.run(_sleeper(0.0, deadline_unix_s=time.time() - 1.0))
    assert result.status is Verdict.SANDBOX_ERROR and JOB_DEADLINE_PASSED in result.error
    stats = pool.stats()
    assert (stats.jobs, stats.spawned, stats.idle) == (0, 1, 1)


def test_waiting_for_a_run_slot_ends_at_the_deadline(make_pool) -> None:
    """All slots busy: a waiting job gives up at its deadline, and the busy job is not disturbed."""
    pool = make_pool(PoolConfig(size=1, max_running=1, acquire_timeout_s=60.0))
    pool.start()
    with ThreadPoolExecutor(max_workers=1) as workers:
        busy = workers.submit(pool.run, _sleeper(1.5))
        time.sleep(0.3)
        started = time.monotonic()
        waiting = pool.run(_sleeper(0.0, deadline_unix_s=time.time() + 0.5))
        waited_s = time.monotonic() - started
        assert busy.result().status is Verdict.ACCEPTED
    assert waiting.status is Verdict.SANDBOX_ERROR and JOB_DEADLINE_PASSED in waiting.error
    assert waited_s < 1.2  # not the 60 s acquire timeout, not the busy job's 1.5 s
    assert pool.stats().spawned == 1  # the busy instance was reused, nothing killed
