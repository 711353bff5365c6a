"""Throughput and latency of sandboxed stdin/stdout Python tests, against plain ``python3`` per test.

Why this baseline: the cheapest honest way to run a test without any sandbox is to spawn the
interpreter once per test. The sandbox must be at least that fast (target: ratio >= 1.0), since it
forks a warm runner instead of starting an interpreter, and RL training sends thousands of tests
per step. Every column runs the same tests with the same number of concurrent workers, in the
same run; ratios are to the baseline's tests/s.

Columns: ``plain-python3`` (subprocess per test, no containment), ``bwrap`` (the warm bwrap pool,
jobs of ``--tests-per-job`` tests), ``bwrap-assert`` (the same computations as MBPP-style
assert tests, one ``assert solve([...]) == (sum, max)`` per test: each test forks the trusted
harness and the program and talks over the data-only channel; target >= 1.5x), ``docker`` (the warm Docker pool, same jobs) and
``docker-exec`` (the naive Docker design: one ``docker exec`` per test into a warm container of the
same image, on the first ``--exec-tests`` tests; no per-test limits, so it is a floor on that cost).
The Docker columns need an engine and the image (scripts/start-dockerd, scripts/build-sandbox-image);
``--no-docker`` leaves them out.

    .venv/bin/python bench/sandbox_bench.py [--tests 400] [--tests-per-job 20] [--workers 2]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sandbox.bwrap import BwrapSandbox
from sandbox.comparison import outputs_match
from sandbox.container import DockerSandbox
from sandbox.job import Job, Language, TestCase, TestKind
from sandbox.pool import PoolConfig
from sandbox.result import Verdict

_PROGRAM = """\
import sys
data = sys.stdin.read().split()
n = int(data[0])
values = list(map(int, data[1 : n + 1]))
print(sum(values), max(values))
"""


_ASSERT_PROGRAM = """\
def solve(values):
    return sum(values), max(values)
"""


@dataclass(frozen=True, slots=True)
class Measurement:
    """One column's result: throughput, per-test latency, and how many tests were judged right."""

    name: str
    tests: int
    wall_s: float
    latencies_s: tuple[float, ...]
    accepted: int

    @property
    def tests_per_s(self) -> float:
        return self.tests / self.wall_s if self.wall_s else 0.0

    def percentile_ms(self, q: float) -> float:
        ordered = sorted(self.latencies_s)
        if not ordered:
            return 0.0
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def make_tests(count: int) -> list[TestCase]:
    """Deterministic a-few-numbers tests, all of which ``_PROGRAM`` passes."""
    tests = []
    for i in range(count):
        values = [(i * 7 + k * 13) % 1000 for k in range(1 + i % 20)]
        stdin = f"{len(values)}\n{' '.join(map(str, values))}\n"
        tests.append(TestCase(stdin=stdin, expected_stdout=f"{sum(values)} {max(values)}\n"))
    return tests


def make_assert_tests(count: int) -> list[TestCase]:
    """The tests of ``make_tests`` as MBPP-style asserts on ``_ASSERT_PROGRAM``."""
    tests = []
    for i in range(count):
        values = [(i * 7 + k * 13) % 1000 for k in range(1 + i % 20)]
        code = f"assert solve({values!r}) == ({sum(values)}, {max(values)})"
        tests.append(TestCase(kind=TestKind.ASSERT, code=code))
    return tests


def bench_plain_python(tests: Sequence[TestCase], workers: int, python: str) -> Measurement:
    """Baseline: one fresh ``python3`` process per test, no containment at all."""
    with tempfile.TemporaryDirectory() as tmp:
        program = Path(tmp) / "solution.py"
        program.write_text(_PROGRAM)

        def one(test: TestCase) -> tuple[float, bool]:
            started = time.perf_counter()
            done = subprocess.run(
                [python, str(program)], input=test.stdin.encode(), capture_output=True, timeout=10
            )
            latency = time.perf_counter() - started
            return latency, done.returncode == 0 and outputs_match(test.expected_stdout, done.stdout.decode())

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(one, tests))
        wall = time.perf_counter() - started
    return Measurement(
        "plain-python3", len(tests), wall, tuple(o[0] for o in outcomes), sum(o[1] for o in outcomes)
    )


def bench_bwrap(
    tests: Sequence[TestCase],
    workers: int,
    tests_per_job: int,
    *,
    program: str = _PROGRAM,
    name: str = "bwrap",
) -> Measurement:
    """The warm bwrap pool (one instance per worker); latency is the runner-measured wall per test."""
    sandbox = BwrapSandbox(pool=PoolConfig(size=workers))
    sandbox.start()
    try:
        jobs = [
            Job(Language.PYTHON, program, tuple(tests[i : i + tests_per_job]))
            for i in range(0, len(tests), tests_per_job)
        ]
        sandbox.run(jobs[0])  # warm the page cache like the baseline's first spawn
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(sandbox.run, jobs))
        wall = time.perf_counter() - started
    finally:
        sandbox.close()
    judged = [t for r in results for t in r.tests]
    accepted = sum(t.status is Verdict.ACCEPTED for t in judged)
    return Measurement(name, len(judged), wall, tuple(t.wall_time_s for t in judged), accepted)


def bench_docker(tests: Sequence[TestCase], workers: int, tests_per_job: int) -> Measurement:
    """The warm Docker pool (one container per worker), the same jobs as the bwrap column."""
    sandbox = DockerSandbox(pool=PoolConfig(size=workers, start_timeout_s=120.0))
    sandbox.start()
    try:
        jobs = [
            Job(Language.PYTHON, _PROGRAM, tuple(tests[i : i + tests_per_job]))
            for i in range(0, len(tests), tests_per_job)
        ]
        sandbox.run(jobs[0])
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(sandbox.run, jobs))
        wall = time.perf_counter() - started
    finally:
        sandbox.close()
    judged = [t for r in results for t in r.tests]
    accepted = sum(t.status is Verdict.ACCEPTED for t in judged)
    return Measurement("docker", len(judged), wall, tuple(t.wall_time_s for t in judged), accepted)


def bench_docker_exec(tests: Sequence[TestCase], workers: int, image: str) -> Measurement:
    """Baseline for the Docker design: ``docker exec -i`` per test into one warm container."""
    import docker

    client = docker.from_env()
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "solution.py").write_text(_PROGRAM)
        Path(tmp).chmod(0o755)
        container = client.containers.run(
            image,
            ["sleep", "infinity"],
            detach=True,
            auto_remove=True,
            network_mode="none",
            volumes={tmp: {"bind": "/bench", "mode": "ro"}},
        )
        try:

            def one(test: TestCase) -> tuple[float, bool]:
                started = time.perf_counter()
                done = subprocess.run(
                    ["docker", "exec", "-i", container.id, "python3", "/bench/solution.py"],
                    input=test.stdin.encode(),
                    capture_output=True,
                    timeout=30,
                )
                latency = time.perf_counter() - started
                ok = done.returncode == 0 and outputs_match(test.expected_stdout, done.stdout.decode())
                return latency, ok

            one(tests[0])
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=workers) as pool:
                outcomes = list(pool.map(one, tests))
            wall = time.perf_counter() - started
        finally:
            container.remove(force=True)
            client.close()
    return Measurement(
        "docker-exec", len(tests), wall, tuple(o[0] for o in outcomes), sum(o[1] for o in outcomes)
    )


def report(measurements: Sequence[Measurement]) -> None:
    """Print one row per column, with the ratio of its throughput to the first (the baseline)."""
    baseline = measurements[0]
    print(f"{'column':<16}{'tests':>7}{'accepted':>10}{'tests/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}")
    for m in measurements:
        ratio = m.tests_per_s / baseline.tests_per_s if baseline.tests_per_s else 0.0
        print(
            f"{m.name:<16}{m.tests:>7}{m.accepted:>10}{m.tests_per_s:>10.1f}"
            f"{m.percentile_ms(0.5):>9.2f}{m.percentile_ms(0.99):>9.2f}{ratio:>8.2f}"
        )
    print(
        f"(ratio = tests/s over {baseline.name}; median per-test latency {statistics.median(baseline.latencies_s) * 1000:.1f} ms there)"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tests", type=int, default=400)
    parser.add_argument("--tests-per-job", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--python", default="/usr/bin/python3", help="the baseline's interpreter")
    parser.add_argument("--exec-tests", type=int, default=100, help="tests in the docker-exec column")
    parser.add_argument("--image", default="arbiter-sandbox:latest", help="the docker-exec column's image")
    parser.add_argument("--no-docker", action="store_true", help="leave the Docker columns out")
    args = parser.parse_args(argv)
    tests = make_tests(args.tests)
    columns: list[Callable[[], Measurement]] = [
        lambda: bench_plain_python(tests, args.workers, args.python),
        lambda: bench_bwrap(tests, args.workers, args.tests_per_job),
        lambda: bench_bwrap(
            make_assert_tests(args.tests),
            args.workers,
            args.tests_per_job,
            program=_ASSERT_PROGRAM,
            name="bwrap-assert",
        ),
    ]
    if not args.no_docker:
        columns += [
            lambda: bench_docker(tests, args.workers, args.tests_per_job),
            lambda: bench_docker_exec(tests[: args.exec_tests], args.workers, args.image),
        ]
    report([column() for column in columns])


if __name__ == "__main__":
    main()
