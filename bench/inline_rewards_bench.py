"""Cost of the inline rewards (format, shaping) per completion, against one pass over the text.

Why: inline rewards run inside the HTTP request, for thousands of completions per training step,
so each must stay within a small multiple of simply reading the text. The baseline, measured in
the same run on the same texts, is ``len(text.split())``: one C-level pass that allocates the
words. Every reward is reported as a ratio to it, on GRPO-shaped batches (long chains of thought)
and on adversarial completions built to trigger regex backtracking (unclosed LaTeX delimiters,
long blank runs after a full stop, tag spam, all-CJK text). For those the baseline is the same
reward on half the text: the ratio t(2N)/t(N) is ~2 for a linear path and ~4 for a quadratic one.

    .venv/bin/python bench/inline_rewards_bench.py [--samples 128] [--words 3000] [--chars 100000]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence
from functools import partial

from verifiers import Registry, RewardContext, Sample, shaping
from verifiers import format as format_rewards

_PROSE = (
    "we need to compute the derivative of the function so let us apply the chain rule first then "
    "simplify each term and check the result against the constraint"
)
# Repeating units; each is repeated to the requested length.
_ADVERSARIAL = {
    "unclosed \\(": "\\( a ",
    "unclosed \\begin": "\\begin{x} a ",
    "blank runs after full stops": "." + " " * 1000,
    "tag spam": "<think>",
    "dollar signs": "$",
    "dash lines": "-\n",
    "all CJK": "我们",
}


def _typical(rng: random.Random, n: int, words: int) -> list[Sample]:
    vocab, out = _PROSE.split(), []
    for i in range(n):
        cot = " ".join(rng.choice(vocab) for _ in range(words))
        text = f"<think>\nStep 1: {cot}\n$x^2 + 1$ 我们\n</think>\n<answer>{i}</answer>"
        meta = {"correct": i % 2 == 0, "language": "en"}
        out.append(Sample(id=str(i), completion=text, group_id=str(i // 8), metadata=meta))
    return out


def _best_of(repeat: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _baseline(samples: Sequence[Sample]) -> None:
    for s in samples:
        len(s.completion.split())


def _report(title: str, registry: Registry, samples: Sequence[Sample], repeat: int) -> None:
    ctx = RewardContext()
    base = _best_of(repeat, lambda: _baseline(samples))
    chars = sum(len(s.completion) for s in samples) // len(samples)
    print(f"\n{title}: {len(samples)} completion(s), ~{chars} chars each")
    print(f"  baseline len(text.split()): {base / len(samples) * 1e6:10.1f} us/completion")
    for name in registry.names():
        t = _best_of(repeat, partial(registry.compute, name, samples, ctx))
        print(f"  {name:22s} {t / len(samples) * 1e6:10.1f} us/completion  {t / base:8.1f}x baseline")


def _growth(label: str, unit: str, chars: int, registry: Registry, repeat: int) -> None:
    ctx = RewardContext()
    meta = {"correct": True, "language": "en"}
    half = [Sample(id="a", completion=unit * (chars // 2 // len(unit)), metadata=meta)]
    full = [Sample(id="a", completion=unit * (chars // len(unit)), metadata=meta)]
    print(f"\nadversarial: {label} ({len(full[0].completion)} chars)")
    for name in registry.names():
        t_half = _best_of(repeat, partial(registry.compute, name, half, ctx))
        t_full = _best_of(repeat, partial(registry.compute, name, full, ctx))
        print(f"  {name:22s} {t_full * 1e3:8.2f} ms   t(2N)/t(N) = {t_full / t_half:4.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=128)
    parser.add_argument("--words", type=int, default=3000)
    parser.add_argument("--chars", type=int, default=100_000, help="length of each adversarial text")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    registry = Registry([*format_rewards.REWARDS, *shaping.REWARDS])
    _report("typical", registry, _typical(random.Random(0), args.samples, args.words), args.repeat)
    for label, unit in _ADVERSARIAL.items():
        _growth(label, unit, args.chars, registry, args.repeat)


if __name__ == "__main__":
    main()
