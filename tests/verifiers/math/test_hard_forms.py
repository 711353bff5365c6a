"""Our own labelled hard set of answer forms (tests/verifiers/math/data/hard_forms.jsonl).

Rows are written by hand in the gold formats of public datasets (MATH solutions with
``\\boxed{}``, GSM8K rationales ending ``#### n``, Omni-MATH and OlympiadBench ``$...$`` final
answers with units, parameters and several parts), with completions in the usual CoT shape.
No labelled answer-equivalence benchmark was used to build it. Requirements: no trap (label
false) is ever judged equal, in every category; recall stays above a floor.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from verifiers.math import explain, verify

HARD_SET = Path(__file__).parent / "data" / "hard_forms.jsonl"
RECALL_FLOOR = 0.95
ROWS = [json.loads(line) for line in HARD_SET.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_set_covers_every_form_with_traps() -> None:
    positives = Counter(r["category"] for r in ROWS if r["label"])
    traps = Counter(r["category"] for r in ROWS if not r["label"])
    for category in ("rounding", "units", "angles", "equations", "functions", "parameters", "multipart"):
        assert positives[category] >= 2 and traps[category] >= 2, category
    assert traps["hedging"] >= 5


@pytest.mark.parametrize("row", [r for r in ROWS if not r["label"]], ids=lambda r: r["category"])
def test_no_trap_is_judged_equal(row: dict[str, object]) -> None:
    gold, prediction = str(row["gold"]), str(row["prediction"])
    verdict = verify(gold, prediction)
    assert not verdict.correct, explain(gold, prediction).steps


def test_precision_and_recall() -> None:
    said = [(verify(r["gold"], r["prediction"]).correct, bool(r["label"])) for r in ROWS]
    tp = sum(s and lab for s, lab in said)
    fp = sum(s and not lab for s, lab in said)
    fn = sum(lab and not s for s, lab in said)
    assert fp == 0, "precision must be 1.0 on our traps"
    assert tp / (tp + fn) >= RECALL_FLOOR, (tp, fn)
