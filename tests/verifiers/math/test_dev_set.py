"""The labelled dev pairs (lighteval + NeMo-Skills tests) through ``verify``.

Requirement: precision >= 0.99 (a false positive teaches a wrong answer) and a recall floor a
little under what we reach (0.975 when written; Math-Verify reaches 0.886 on the same pairs,
see bench/math_dev_eval.py). Row-level upstream settings map onto MathConfig as in that script.
"""

from __future__ import annotations

import json

import pytest

from tests.shared_data import SHARED_DATA
from verifiers.math import ExtractionMode, MathConfig, verify

DEV_SET = SHARED_DATA / "math_dev.jsonl"
PRECISION_FLOOR = 0.99
RECALL_FLOOR = 0.95


def _config(row: dict[str, object]) -> MathConfig:
    return MathConfig(mode=ExtractionMode.LENIENT, pred_rounding_min_digits=int(row.get("precision", 6)))  # type: ignore[call-overload]


@pytest.mark.skipif(not DEV_SET.exists(), reason=f"dev set not present at {DEV_SET}")
def test_dev_set_precision_and_recall() -> None:
    rows = [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    tp = fp = fn = 0
    for row in rows:
        prediction = row["prediction"]
        text = prediction if isinstance(prediction, str) else json.dumps(prediction)
        said = prediction is not None and verify(row["gold"], text, _config(row)).correct
        tp += said and row["label"]
        fp += said and not row["label"]
        fn += (not said) and row["label"]
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= PRECISION_FLOOR, (precision, tp, fp)
    assert recall >= RECALL_FLOOR, (recall, tp, fn)


@pytest.mark.skipif(not DEV_SET.exists(), reason=f"dev set not present at {DEV_SET}")
def test_dev_set_null_and_numeric_cells_are_handled() -> None:
    rows = [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    odd = [r for r in rows if not isinstance(r["gold"], str) or not isinstance(r["prediction"], str)]
    assert odd, "the dev set is expected to hold numeric and null cells"
    for row in odd:
        prediction = row["prediction"]
        text = prediction if isinstance(prediction, str) else json.dumps(prediction)
        verdict = verify(row["gold"], text, _config(row))
        assert verdict.correct is bool(row["label"]) or row["gold"] is None, row["id"]
