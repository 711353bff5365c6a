"""C++ jobs (compile + tests) through the sandbox, against the host's plain compile-and-run.

Why this baseline: without any sandbox, judging a C++ answer costs one ``g++`` plus one process per
test. The sandbox must beat that (targets, issue 9): unique programs at >= 1.5x (the runtime root's
precompiled ``bits/stdc++.h``), repeated programs at >= 5x (GRPO groups repeat programs: the host's
compile cache skips g++). Both columns run the same programs and tests with the same number of
concurrent workers, in the same run; a ratio is the baseline's wall time over the column's.

Columns:
``plain-host`` (``g++ -O2 -std=c++17`` then a subprocess per test, on the host, no containment,
no cache), ``sandbox-unique`` (every job a different source: compiled in the sandbox),
``plain-host-repeated`` and ``sandbox-repeated`` (``--distinct`` sources, each sent
``--repeats`` times, as a GRPO group would). Programs are typical contest answers (``#include
<bits/stdc++.h>``, STL containers), each with ``--tests`` stdin/stdout tests.

    .venv/bin/python bench/cpp_bench.py [--programs 12] [--tests 20] [--workers 2] \\
        [--backend bwrap|docker] [--rootfs DIR] [--image TAG]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sandbox.backend import Sandbox, make_sandbox
from sandbox.comparison import outputs_match
from sandbox.job import Job, Language, Limits, TestCase
from sandbox.pool import PoolConfig
from sandbox.result import Verdict

_FLAGS = ("-O2", "-std=c++17")

# A typical answer: read n numbers, sort, prefix sums, a map, print a few lines. ``{salt}`` makes
# each source distinct (a different constant, as different samples of a model would differ).
_TEMPLATE = """\
#include <bits/stdc++.h>
using namespace std;
typedef long long ll;
int main() {{
    ios::sync_with_stdio(false);
    cin.tie(nullptr);
    int n;
    if (!(cin >> n)) return 0;
    vector<ll> a(n);
    for (auto& x : a) cin >> x;
    sort(a.begin(), a.end());
    map<ll, int> count;
    for (ll x : a) count[x % {salt}]++;
    ll total = accumulate(a.begin(), a.end(), 0LL);
    int best = 0;
    for (auto& [k, v] : count) best = max(best, v);
    cout << total << "\\n" << a.front() << " " << a.back() << "\\n" << best << "\\n";
    return 0;
}}
"""


def _expected(values: list[int], salt: int) -> str:
    counts: dict[int, int] = {}
    for x in values:
        counts[x % salt] = counts.get(x % salt, 0) + 1
    ordered = sorted(values)
    return f"{sum(values)}\n{ordered[0]} {ordered[-1]}\n{max(counts.values())}\n"


@dataclass(frozen=True, slots=True)
class Program:
    source: str
    tests: tuple[TestCase, ...]


def make_programs(count: int, tests: int, seed: int) -> list[Program]:
    rng = random.Random(seed)
    programs = []
    for index in range(count):
        salt = 7 + index
        cases = []
        for _ in range(tests):
            values = [rng.randint(0, 10**9) for _ in range(rng.randint(1, 200))]
            stdin = f"{len(values)}\n{' '.join(map(str, values))}\n"
            cases.append(TestCase(stdin=stdin, expected_stdout=_expected(values, salt)))
        programs.append(Program(_TEMPLATE.format(salt=salt), tuple(cases)))
    return programs


@dataclass(frozen=True, slots=True)
class Measurement:
    """One column: jobs, wall time, and how many jobs were judged fully right."""

    name: str
    jobs: int
    wall_s: float
    accepted: int

    @property
    def jobs_per_s(self) -> float:
        return self.jobs / self.wall_s if self.wall_s else 0.0


def _timed(
    name: str, programs: Sequence[Program], workers: int, one: Callable[[Program], bool]
) -> Measurement:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as executor:
        accepted = sum(executor.map(one, programs))
    return Measurement(name, len(programs), time.perf_counter() - started, accepted)


def bench_plain(name: str, programs: Sequence[Program], workers: int) -> Measurement:
    """The host's plain compile-and-run: g++ once per job, then a subprocess per test."""

    def one(program: Program) -> bool:
        with tempfile.TemporaryDirectory(prefix="cpp-bench-") as tmp:
            src, binary = Path(tmp) / "main.cpp", Path(tmp) / "main"
            src.write_text(program.source, encoding="utf-8")
            subprocess.run(["g++", *_FLAGS, "-o", str(binary), str(src)], check=True, capture_output=True)
            ok = True
            for test in program.tests:
                done = subprocess.run(
                    [str(binary)], input=test.stdin.encode(), capture_output=True, timeout=10, check=False
                )
                ok = ok and outputs_match(test.expected_stdout, done.stdout.decode())
            return ok

    return _timed(name, programs, workers, one)


def bench_sandbox(name: str, sandbox: Sandbox, programs: Sequence[Program], workers: int) -> Measurement:
    limits = Limits(cpu_time_s=2.0)

    def one(program: Program) -> bool:
        result = sandbox.run(Job(Language.CPP, program.source, program.tests, limits))
        return result.status is Verdict.ACCEPTED

    return _timed(name, programs, workers, one)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--programs", type=int, default=12, help="unique programs (jobs) per unique column")
    parser.add_argument("--tests", type=int, default=20, help="stdin/stdout tests per job")
    parser.add_argument("--distinct", type=int, default=2, help="distinct sources in the repeated columns")
    parser.add_argument("--repeats", type=int, default=6, help="times each of them is sent")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backend", default="bwrap", choices=("bwrap", "docker"))
    parser.add_argument("--rootfs", type=Path, default=None, help="bwrap: a built runtime root")
    parser.add_argument("--image", default=None, help="docker: the sandbox image")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    options: dict[str, object] = {}
    if args.backend == "bwrap" and args.rootfs is not None:
        options["rootfs"] = args.rootfs
    if args.backend == "docker" and args.image:
        options["image"] = args.image
    sandbox = make_sandbox(args.backend, pool=PoolConfig(size=args.workers), **options)
    sandbox.start()
    try:
        # unique sources: different salts than the repeated ones, so no cache entry is shared
        unique = make_programs(args.programs + args.distinct, args.tests, args.seed)
        repeated_sources, unique = unique[: args.distinct], unique[args.distinct :]
        repeated = [p for p in repeated_sources for _ in range(args.repeats)]
        bench_sandbox("warm-up", sandbox, repeated_sources[:1], 1)  # first use of the root's files
        plain = bench_plain("plain-host", unique, args.workers)
        boxed = bench_sandbox(f"{args.backend}-unique", sandbox, unique, args.workers)
        # the repeated sources' first compile fills the cache, as the first sample of a group would
        plain_rep = bench_plain("plain-host-repeated", repeated, args.workers)
        boxed_rep = bench_sandbox(f"{args.backend}-repeated", sandbox, repeated, args.workers)
    finally:
        sandbox.close()
    print(f"{'column':<24}{'jobs':>6}{'wall s':>9}{'jobs/s':>9}{'accepted':>10}{'ratio':>8}")
    for row, base in ((plain, plain), (boxed, plain), (plain_rep, plain_rep), (boxed_rep, plain_rep)):
        ratio = base.wall_s / row.wall_s if row.wall_s else 0.0
        print(
            f"{row.name:<24}{row.jobs:>6}{row.wall_s:>9.2f}{row.jobs_per_s:>9.2f}"
            f"{row.accepted:>6}/{row.jobs:<3}{ratio:>7.2f}x"
        )
    print(
        f"(jobs of 1 compile + {args.tests} tests; {args.workers} workers; targets: unique >= 1.5x, repeated >= 5x)"
    )


if __name__ == "__main__":
    main()
