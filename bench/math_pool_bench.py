"""Throughput of MathPool.verify_many against the in-process verify loop, on GRPO-shaped batches.

Why: the pool buys hard deadlines and memory caps with process hops; this shows what they cost
(per-item overhead, measured with a verifier that does nothing) and what parallel workers win
back. Every number is a ratio against a baseline measured in the same run.

    .venv/bin/python bench/math_pool_bench.py [--pairs 4096] [--group 16] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from verifiers.math.pool import MathPool
from verifiers.math.verdict import MathConfig, MathVerdict, Reason
from verifiers.math.verifier import verify

_FILLER = "Let me think step by step. We expand, collect like terms and simplify the result. " * 12


def _noop_verify(gold: Any, completion: str, config: MathConfig) -> MathVerdict:
    """Does no work: timing it through the pool isolates the pool's own cost per item."""
    return MathVerdict(correct=False, reason=Reason.NOT_EQUAL)


def _gold_and_answers(rng: random.Random) -> tuple[str, list[str], list[str]]:
    """A gold in LaTeX, answers equivalent to it, and wrong answers."""
    kind = rng.randrange(5)
    a, b = rng.randint(1, 99), rng.randint(2, 40)
    if kind == 0:
        return str(a * b), [str(a * b), f"{a * b}.0", f"{a}\\cdot{b}"], [str(a * b + 1), str(a + b)]
    if kind == 1:
        f = Fraction(a, b)
        same = [f"\\frac{{{f.numerator}}}{{{f.denominator}}}", f"{f.numerator}/{f.denominator}"]
        if f.denominator in (2, 4, 5, 8, 10):
            same.append(str(float(f)))
        return f"\\frac{{{a}}}{{{b}}}", same, [f"\\frac{{{b}}}{{{a}}}", str(a - b)]
    if kind == 2:
        return (
            f"{a}\\sqrt{{{b}}}",
            [f"{a}\\sqrt{{{b}}}", f"\\sqrt{{{b}}}\\cdot {a}"],
            [f"{a}\\sqrt{{{b + 1}}}"],
        )
    if kind == 3:
        return f"{a}\\pi", [f"{a}\\pi", f"\\pi \\cdot {a}"], [f"{a + 1}\\pi", str(a)]
    return f"x^2+{a}x+{b}", [f"x^2+{a}x+{b}", f"{b}+{a}x+x^2"], [f"x^2+{b}x+{a}", f"(x+{a})^2"]


def grpo_pairs(n_pairs: int, group: int, seed: int = 0) -> list[tuple[str, str]]:
    """``n_pairs`` (gold, completion) pairs, ``group`` completions per gold, about half correct."""
    rng = random.Random(seed)
    pairs: list[tuple[str, str]] = []
    while len(pairs) < n_pairs:
        gold, same, wrong = _gold_and_answers(rng)
        for _ in range(group):
            answer = rng.choice(same if rng.random() < 0.5 else wrong)
            pairs.append((gold, f"<think>{_FILLER}</think><answer>\\boxed{{{answer}}}</answer>"))
    return pairs[:n_pairs]


def _loop(fn: Callable[[Any, str, MathConfig], MathVerdict], pairs: Sequence[tuple[str, str]]) -> float:
    config = MathConfig()
    started = time.perf_counter()
    for gold, completion in pairs:
        fn(gold, completion, config)
    return time.perf_counter() - started


def _pooled(pool: MathPool, pairs: Sequence[tuple[str, str]]) -> tuple[float, list[MathVerdict]]:
    started = time.perf_counter()
    verdicts = pool.verify_many(pairs)
    return time.perf_counter() - started, verdicts


def _load() -> str:
    """The 1-minute load average: ratios are only comparable on an otherwise idle machine."""
    return f"{os.getloadavg()[0]:.1f}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=4096)
    parser.add_argument("--group", type=int, default=16)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    pairs = grpo_pairs(args.pairs, args.group)
    n = len(pairs)

    _loop(verify, pairs[:64])  # warm the in-process caches and imports like the workers are warm
    baseline_s = _loop(verify, pairs)
    expected = [verify(g, c, MathConfig()).correct for g, c in pairs]
    print(f"pairs={n} group={args.group} correct={sum(expected)} cpus={os.cpu_count()} load={_load()}")
    print(f"in-process verify loop      : {n / baseline_s:9.0f} pairs/s  (baseline, ratio 1.00)")

    for workers in args.workers:
        started = time.perf_counter()
        with MathPool(workers) as pool:
            start_s = time.perf_counter() - started
            _pooled(pool, pairs[:64])
            elapsed_s, verdicts = _pooled(pool, pairs)
            stats = pool.stats()
        agree = sum(v.correct == e for v, e in zip(verdicts, expected, strict=True))
        print(
            f"MathPool({workers}) verify_many    : {n / elapsed_s:9.0f} pairs/s  ratio {baseline_s / elapsed_s:5.2f}"
            f"  (start {start_s:.2f} s, agree {agree}/{n}, affinity {stats.affinity_hits}/{stats.chunks_sent},"
            f" timeouts {stats.timeouts})"
        )

    noop_pairs = pairs[: min(n, 2048)]
    direct_s = _loop(_noop_verify, noop_pairs)
    with MathPool(1, verify=_noop_verify) as pool:
        _pooled(pool, noop_pairs[:64])
        pooled_s, _ = _pooled(pool, noop_pairs)
    overhead_us = (pooled_s - direct_s) / len(noop_pairs) * 1e6
    print(f"pool overhead per item (no-op verifier, 1 worker): {overhead_us:.0f} us  (load now {_load()})")


if __name__ == "__main__":
    main()
