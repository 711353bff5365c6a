"""Throughput and agreement of our math verifier against Math-Verify, on the same pairs, one run.

Usage: python bench/math_bench.py [--pairs N] [--seed S] [--pool]

Two synthetic sets of GRPO-like completions (reasoning, then a final ``\\boxed{}``), labelled by
construction (an equivalent rewriting of the gold, or a different value):

- typical: integers, decimals, fractions, mixed numbers, percentages, simple radicals and
  multiples of pi, the answers most RL math data has;
- hard: sets, intervals and unions, tuples, equations, inequalities;
- messy: golds as scraped datasets write them (``x ≠ 5``, ``(-∞,-1) ∪ (4,+∞)``, ``&cup;``,
  set-builder, chains, ``3 × 10^(-7)``, prose lists, names, times), negatives being the
  fragments a last-number reading accepts.

Caches are cold: every pair has its own values (no two golds or answers repeat), and each tool
sees each string once. Single process (per-core numbers), ``time.perf_counter`` around the whole
judgement of one pair (for Math-Verify: parse gold + parse answer + verify). ``--pool`` adds a
line for ``verifiers.math.MathPool`` (all cores) when it is available.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import gcd
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verifiers.math import verify

_FILLER = (
    "Let me set up the problem. We have {a} items and each costs {b}, so the total is {c}. "
    "Checking the constraint again: {a} + {b} = {d}, which is consistent. "
    "Now simplify the expression step by step and verify the edge cases. "
)


@dataclass(frozen=True, slots=True)
class Pair:
    gold: str
    completion: str
    label: bool
    kind: str


def _completion(rng: random.Random, answer: str) -> str:
    a, b = rng.randint(2, 99), rng.randint(2, 99)
    think = "".join(_FILLER.format(a=a, b=b, c=a * b, d=a + b) for _ in range(rng.randint(2, 5)))
    return f"<think>\n{think}\n</think>\nTherefore, the final answer is $\\boxed{{{answer}}}$."


_T = TypeVar("_T")


class _Unique:
    """Hands out values never used before in this run (cold caches)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set[object] = set()

    def pick(self, make: Callable[[], _T]) -> _T:
        for _ in range(10_000):
            value = make()
            if value not in self.seen:
                self.seen.add(value)
                return value
        raise RuntimeError("value space exhausted; use fewer pairs")


def _typical(rng: random.Random, uniq: _Unique, i: int) -> Pair:
    correct = rng.random() < 0.6
    kind = rng.choice(
        ["integer", "integer", "integer", "decimal", "fraction", "mixed", "percent", "radical", "pi"]
    )
    if kind == "integer":
        n = uniq.pick(lambda: rng.randint(-5000, 100_000))
        gold, right, wrong = (
            str(n),
            rng.choice([str(n), f"{n:,}" if abs(n) >= 1000 else f"{n}.0"]),
            str(n + rng.choice([-1, 1, 10])),
        )
    elif kind == "decimal":
        n = uniq.pick(lambda: rng.randint(1, 100_000))
        gold = f"{n / 100:.2f}"
        right = rng.choice([gold, f"\\frac{{{n}}}{{100}}" if gcd(n, 100) == 1 else gold + "0"])
        wrong = f"{(n + 1) / 100:.2f}"
    elif kind == "fraction":
        p, q = uniq.pick(lambda: (rng.randint(1, 400), rng.randint(2, 400)))
        g = gcd(p, q)
        p, q = p // g, q // g
        if q == 1:
            q = 7
        k = rng.randint(2, 5)
        gold = f"\\frac{{{p}}}{{{q}}}"
        right = rng.choice([f"\\dfrac{{{p * k}}}{{{q * k}}}", f"{p}/{q}", f"\\frac{{{p}}}{{{q}}}"])
        wrong = f"\\frac{{{p + 1}}}{{{q}}}"
    elif kind == "mixed":
        w, p, q = uniq.pick(lambda: (rng.randint(1, 50), rng.randint(1, 8), 9))
        gold = f"{w * q + p}/{q}"
        right, wrong = f"{w}\\frac{{{p}}}{{{q}}}", f"{w}\\frac{{{p + 1}}}{{{q}}}"
    elif kind == "percent":
        n = uniq.pick(lambda: rng.randint(1, 2000))
        gold, right, wrong = f"{n}\\%", rng.choice([f"{n}\\%", f"{n}"]), f"{n + 1}\\%"
    elif kind == "radical":
        k, m = uniq.pick(lambda: (rng.randint(2, 30), rng.choice([2, 3, 5, 6, 7, 10, 11, 13, 14, 15])))
        gold = f"{k}\\sqrt{{{m}}}"
        right = rng.choice([gold, f"\\sqrt{{{k * k * m}}}"])
        wrong = f"{k + 1}\\sqrt{{{m}}}"
    else:
        p, q = uniq.pick(lambda: (rng.randint(1, 60), rng.randint(2, 60)))
        g = gcd(p, q)
        p, q = p // g, q // g
        gold = f"\\frac{{{p}\\pi}}{{{q}}}"
        right = rng.choice([gold, f"\\frac{{{p}}}{{{q}}}\\pi"])
        wrong = f"\\frac{{{p + q}\\pi}}{{{q}}}"
    return Pair(gold, _completion(rng, right if correct else wrong), correct, kind)


def _hard(rng: random.Random, uniq: _Unique, i: int) -> Pair:
    correct = rng.random() < 0.6
    kind = rng.choice(["set", "interval", "union", "tuple", "equation", "inequality"])
    a, b, c = sorted(uniq.pick(lambda: tuple(rng.sample(range(-60, 60), 3))))
    if kind == "set":
        items = [str(a), str(b), f"\\frac{{{c}}}{{2}}"]
        gold = "\\{" + ", ".join(items) + "\\}"
        shuffled = items[:]
        rng.shuffle(shuffled)
        right = "\\{" + ", ".join(shuffled) + "\\}"
        wrong = "\\{" + ", ".join([*shuffled[:2], str(c)]) + "\\}"
    elif kind == "interval":
        gold = f"({a}, {b}]"
        right = rng.choice([gold, f"\\left({a},{b}\\right]"])
        wrong = rng.choice([f"({a}, {b})", f"[{a}, {b}]"])
    elif kind == "union":
        gold = f"(-\\infty, {a}) \\cup [{b}, \\infty)"
        right = rng.choice([gold, f"[{b},\\infty)\\cup(-\\infty,{a})"])
        wrong = f"(-\\infty, {a}] \\cup [{b}, \\infty)"
    elif kind == "tuple":
        gold = f"({a}, {b}, {c})"
        right = rng.choice([gold, f"\\left( {a},{b},{c} \\right)"])
        wrong = f"({b}, {a}, {c})"
    elif kind == "equation":
        m = b if b != 0 else 7
        gold = f"y = {m}x + {c}"
        right = rng.choice([f"{m}x - y + {c} = 0", f"y - {c} = {m}x"])
        wrong = f"y = {m}x + {c + 1}"
    else:
        gold = f"x \\geq {a}"
        right = rng.choice([f"{a} \\leq x", f"x \\ge {a}"])
        wrong = f"x > {a}"
    return Pair(gold, _completion(rng, right if correct else wrong), correct, kind)


_SYLLABLES = ("ka", "lo", "mer", "vin", "sa", "tor", "el", "dun", "ri", "bas", "no", "qua")
_NAMES = ("Evelyn", "Marcus", "Priya", "Tomasz", "Aiko", "Lerato", "Mateo", "Ingrid")


def _messy(rng: random.Random, uniq: _Unique, i: int) -> Pair:
    """Golds as scraped datasets write them (Unicode, HTML entities, set-builder, chains, prose,
    text, times); the wrong answers are the fragments a last-number reading would accept."""
    correct = rng.random() < 0.5
    kind = rng.choice(["neq", "unicode_union", "set_builder", "chain", "sci", "prose_list", "text", "time"])
    a, b = sorted(uniq.pick(lambda: tuple(rng.sample(range(-60, 60), 2))))
    if kind == "neq":
        gold, right, wrong = f"x ≠ {a}", f"x \\neq {a}", str(a)
    elif kind == "unicode_union":
        gold = rng.choice([f"(-∞,{a}) ∪ ({b},+∞)", f"(-&infin;,{a}) &cup; ({b},+&infin;)"])
        right, wrong = f"(-\\infty,{a})\\cup({b},\\infty)", str(b)
    elif kind == "set_builder":
        gold, right, wrong = f"\\{{y \\mid {a}<y<{b}\\}}", f"({a}, {b})", str(b)
    elif kind == "chain":
        gold, right, wrong = f"{a}<t\\le {b}", f"({a}, {b}]", str(a)
    elif kind == "sci":
        m = abs(a) % 9 + 1
        gold, right, wrong = f"{m} × 10^({-abs(b) - 1})", f"{m}\\times 10^{{{-abs(b) - 1}}}", str(-abs(b) - 1)
    elif kind == "prose_list":
        p, q = abs(a) + 1, abs(b) + 2
        gold, right, wrong = f"${p}$ apples and ${q}$ pears", f"{p}, {q}", str(q)
    elif kind == "text":
        surname = uniq.pick(lambda: "".join(rng.choice(_SYLLABLES) for _ in range(3)).capitalize())
        name = f"{rng.choice(_NAMES)} {surname}"
        other = rng.choice([n for n in _NAMES if n not in name])
        gold, right, wrong = name, f"\\text{{{name}}}", f"\\text{{{other} {surname}}}"
    else:
        hour = abs(a) % 12 + 1
        gold, right = f"{hour}:{abs(b) % 60:02d}", f"{hour}:{abs(b) % 60:02d}"
        wrong = f"{hour % 12 + 1}:{abs(b) % 60:02d}"
    return Pair(gold, _completion(rng, right if correct else wrong), correct, kind)


def make_pairs(kind: str, n: int, seed: int) -> list[Pair]:
    rng = random.Random(seed)
    uniq = _Unique(rng)
    make = {"typical": _typical, "hard": _hard, "messy": _messy}[kind]
    return [make(rng, uniq, i) for i in range(n)]


def _ours(pair: Pair) -> bool:
    return verify(pair.gold, pair.completion).correct


def _math_verify(pair: Pair) -> bool:
    from math_verify import parse
    from math_verify import verify as mv_verify

    return bool(mv_verify(parse(f"${pair.gold}$"), parse(pair.completion)))


_DEADLINE_S = 5.0  # MathPool's default item_timeout_s


@dataclass(frozen=True, slots=True)
class Result:
    accuracy: float
    precision: float
    recall: float
    pairs_per_s: float
    median_ms: float
    p99_ms: float
    max_ms: float


def run(pairs: Sequence[Pair], judge: Callable[[Pair], bool]) -> Result:
    times: list[float] = []
    tp = fp = tn = fn = 0
    for pair in pairs:
        started = time.perf_counter()
        said = judge(pair)
        times.append(time.perf_counter() - started)
        tp += said and pair.label
        fp += said and not pair.label
        tn += (not said) and not pair.label
        fn += (not said) and pair.label
    times.sort()
    return Result(
        accuracy=(tp + tn) / len(pairs),
        precision=tp / max(1, tp + fp),
        recall=tp / max(1, tp + fn),
        pairs_per_s=len(pairs) / sum(times),
        median_ms=statistics.median(times) * 1e3,
        p99_ms=times[min(len(times) - 1, int(0.99 * len(times)))] * 1e3,
        max_ms=times[-1] * 1e3,
    )


def _pool_rate(pairs: Sequence[Pair]) -> float | None:
    try:
        from verifiers.math import MathPool  # type: ignore[attr-defined]
    except ImportError:
        return None
    try:
        with MathPool() as pool:
            pool.verify_many([("1", "\\boxed{1}")])
            started = time.perf_counter()
            pool.verify_many([(p.gold, p.completion) for p in pairs])
            return len(pairs) / (time.perf_counter() - started)
    except Exception as exc:  # the pool is optional here; report why it could not run
        print(f"  MathPool failed: {type(exc).__name__}: {exc}")
        return None


def _line(name: str, r: Result) -> str:
    return (
        f"  {name:<12} acc {r.accuracy:.3f}  prec {r.precision:.3f}  rec {r.recall:.3f}  "
        f"{r.pairs_per_s:8.1f} pairs/s/core  median {r.median_ms:7.2f} ms  p99 {r.p99_ms:8.2f} ms  "
        f"max {r.max_ms:8.2f} ms"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=400, help="pairs per set")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pool", action="store_true", help="also time verifiers.math.MathPool")
    args = parser.parse_args(argv)
    verify("1", "\\boxed{1}")  # import-time work of both tools happens before timing
    _math_verify(Pair("1", "\\boxed{1}", True, "warmup"))
    for offset, kind in enumerate(("typical", "hard", "messy")):
        pairs = make_pairs(kind, args.pairs, args.seed + offset)
        ours, theirs = run(pairs, _ours), run(pairs, _math_verify)
        print(f"{kind}: {len(pairs)} distinct pairs ({sum(p.label for p in pairs)} equivalent)")
        print(_line("arbiter", ours))
        print(_line("math-verify", theirs))
        print(f"  throughput ratio arbiter/math-verify: {ours.pairs_per_s / theirs.pairs_per_s:.2f}x")
        over = "none" if ours.max_ms <= _DEADLINE_S * 1e3 else "SOME"
        print(
            f"  arbiter items over the pool's {_DEADLINE_S:.0f} s item deadline: {over} (slowest {ours.max_ms:.1f} ms)"
        )
        if args.pool:
            rate = _pool_rate(make_pairs(kind, args.pairs, args.seed + 100 + offset))
            print(
                f"  arbiter MathPool (all cores): {rate:.1f} pairs/s" if rate else "  MathPool: not available"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
