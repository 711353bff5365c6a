"""Accuracy, precision and recall of our math verifier and Math-Verify on the labelled dev pairs.

Usage: python bench/math_dev_eval.py [--data PATH] [--errors]

Positive = "equivalent". Both verifiers see the same pairs. Row-level upstream settings are
mapped onto each tool's own knobs: ``precision`` (decimal digits, default 6) becomes our
``pred_rounding_min_digits`` and Math-Verify's ``float_rounding``; ``match_types`` restricts
Math-Verify's extraction (ours has no such switch). Our verifier runs in LENIENT mode: the dev
predictions are free text and bare answers, not GRPO completions.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verifiers.math import ExtractionMode, MathConfig, verify

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "math_dev.jsonl"
_DEFAULT_PRECISION = 6


@dataclass(frozen=True, slots=True)
class Scores:
    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def accuracy(self) -> float:
        return (self.tp + self.tn) / max(1, self.tp + self.fp + self.tn + self.fn)

    @property
    def precision(self) -> float:
        return self.tp / max(1, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return self.tp / max(1, self.tp + self.fn)


def load_rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def config_for(row: dict[str, Any]) -> MathConfig:
    """Our config for one dev row (upstream's float precision becomes the rounding policy)."""
    return MathConfig(
        mode=ExtractionMode.LENIENT,
        pred_rounding_min_digits=int(row.get("precision", _DEFAULT_PRECISION)),
    )


def ours(row: dict[str, Any]) -> bool:
    prediction = row["prediction"]
    if prediction is None:
        return False
    text = prediction if isinstance(prediction, str) else json.dumps(prediction)
    return verify(row["gold"], text, config_for(row)).correct


def math_verify_judge(row: dict[str, Any]) -> bool:
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse
    from math_verify import verify as mv_verify

    kinds = row.get("match_types", ["latex", "expr"])
    extraction: list[Any] = []
    if "latex" in kinds:
        extraction.append(LatexExtractionConfig())
    if "expr" in kinds:
        extraction.append(ExprExtractionConfig())
    gold, pred = row["gold"], row["prediction"]
    if gold is None or pred is None:
        return False
    gold_parsed = parse(str(gold), extraction_config=extraction)
    pred_parsed = parse(str(pred), extraction_config=extraction)
    return bool(
        mv_verify(gold_parsed, pred_parsed, float_rounding=int(row.get("precision", _DEFAULT_PRECISION)))
    )


def score(
    rows: Sequence[dict[str, Any]], judge: Callable[[dict[str, Any]], bool]
) -> tuple[Scores, list[str]]:
    tp = fp = tn = fn = 0
    wrong: list[str] = []
    for row in rows:
        said = judge(row)
        label = bool(row["label"])
        if said and label:
            tp += 1
        elif said:
            fp += 1
            wrong.append(f"FP {row['id']}")
        elif label:
            fn += 1
            wrong.append(f"FN {row['id']}")
        else:
            tn += 1
    return Scores(tp, fp, tn, fn), wrong


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--errors", action="store_true", help="list the misjudged ids of our verifier")
    args = parser.parse_args(argv)
    rows = load_rows(args.data)
    results = {"arbiter": score(rows, ours), "math-verify": score(rows, math_verify_judge)}
    print(f"{len(rows)} pairs ({sum(bool(r['label']) for r in rows)} equivalent)")
    print(f"{'verifier':<12} {'accuracy':>9} {'precision':>10} {'recall':>8}   tp  fp  tn  fn")
    for name, (s, _) in results.items():
        print(
            f"{name:<12} {s.accuracy:>9.3f} {s.precision:>10.3f} {s.recall:>8.3f}  {s.tp:>3} {s.fp:>3} {s.tn:>3} {s.fn:>3}"
        )
    ours_scores, mv_scores = results["arbiter"][0], results["math-verify"][0]
    print(f"recall ratio arbiter/math-verify: {ours_scores.recall / max(mv_scores.recall, 1e-9):.3f}")
    if args.errors:
        print("\n".join(results["arbiter"][1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
