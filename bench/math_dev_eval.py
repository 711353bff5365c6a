"""Accuracy, precision and recall of our math verifier and Math-Verify on the labelled dev pairs.

Usage: python bench/math_dev_eval.py [--data PATH] [--errors] [--max-errors N]

Positive = "equivalent". Both verifiers see the same pairs (``app.tools.audit``, the code behind
``arbiter audit``). Row-level upstream settings map onto each tool's own knobs: ``precision``
(decimal digits) becomes our ``pred_rounding_min_digits`` and Math-Verify's ``float_rounding``
(6 when absent, upstream's default); ``match_types`` restricts Math-Verify's extraction (ours has
no such switch). Our verifier runs in LENIENT mode: the dev predictions are free text and bare
answers, not GRPO completions.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.tools.audit import (
    arbiter_judge,
    audit,
    format_reports,
    load_labelled,
    math_verify_installed,
    math_verify_judge,
)
from verifiers.math import ExtractionMode

_ROOT = Path(__file__).resolve().parents[1]
_BESIDE = _ROOT.parent / "shared" / "data" / "math_dev.jsonl"
DEFAULT_DATA = _BESIDE if _BESIDE.is_file() else Path("/work/shared/data/math_dev.jsonl")
_DEFAULT_PRECISION = 6


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--errors", action="store_true", help="list the misjudged pairs of each verifier")
    parser.add_argument("--max-errors", type=int, default=50)
    args = parser.parse_args(argv)
    rows = [
        r if r.precision is not None else replace(r, precision=_DEFAULT_PRECISION)
        for r in load_labelled(args.data)
    ]
    judges = {"arbiter": arbiter_judge(ExtractionMode.LENIENT)}
    if math_verify_installed():
        judges["math-verify"] = math_verify_judge
    reports = audit(rows, judges)
    text = format_reports(reports, args.max_errors if args.errors else 0)
    print(text if args.errors else text.split("\n\n")[0].rstrip())
    if len(reports) == 2:
        ours, theirs = reports[0].scores, reports[1].scores
        print(f"recall ratio arbiter/math-verify: {ours.recall / max(theirs.recall, 1e-9):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
