"""Our labelled hard set (tests/verifiers/math/data/hard_golds.jsonl) through ``verify``.

The rows are written for this project in the gold formats of public datasets (MATH, GSM8K,
Omni-MATH/OlympiadBench, AIME, NuminaMath-style scraped golds with Unicode, HTML and prose);
no labelled answer-equivalence benchmark was copied. Many negatives are fragment traps: the
answer equals a piece of a messy gold (``b ≠ 5`` vs ``5``). A refused gold counts as "not
equal" here (reward None: it rewards nothing), so refusals cost recall, never precision.

Floors: precision 1.0 (a trap judged equal is a defect), recall 0.95 (measured 1.0 when written).
"""

from __future__ import annotations

import json
from pathlib import Path

from verifiers.math import ExtractionMode, MathConfig, verify

HARD_SET = Path(__file__).parent / "data" / "hard_golds.jsonl"
PRECISION_FLOOR = 1.0
RECALL_FLOOR = 0.95


def _rows() -> list[dict[str, object]]:
    return [json.loads(line) for line in HARD_SET.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_hard_set_is_well_formed_and_balanced() -> None:
    rows = _rows()
    assert len(rows) >= 100
    assert {"gold", "prediction", "label", "kind", "source"} <= set().union(*(r.keys() for r in rows))
    assert len({r["id"] for r in rows}) == len(rows)
    positives = sum(bool(r["label"]) for r in rows)
    assert 0.3 < positives / len(rows) < 0.7


def test_hard_set_precision_and_recall() -> None:
    tp = fp = fn = 0
    false_positives = []
    for row in _rows():
        said = verify(row["gold"], str(row["prediction"]), MathConfig(mode=ExtractionMode.STRICT)).correct
        tp += said and bool(row["label"])
        fn += (not said) and bool(row["label"])
        if said and not row["label"]:
            fp += 1
            false_positives.append(row["id"])
    precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
    assert precision >= PRECISION_FLOOR, false_positives
    assert recall >= RECALL_FLOOR, (recall, tp, fn)
