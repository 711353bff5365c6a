"""``arbiter audit``: scores and misjudged rows of a labelled file, clear errors on bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.tools.audit import AuditError, arbiter_judge, audit, format_reports, load_labelled, run_audit
from verifiers.math import ExtractionMode


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


ROWS = [
    {"id": "tp", "gold": "2", "prediction": "\\boxed{2}", "label": True},
    {"id": "tn", "gold": "b \u2260 5", "prediction": "\\boxed{5}", "label": False},
    {"id": "fn", "gold": "x", "prediction": "\\boxed{7}", "label": True},  # a wrong label: shows as FN
    {"id": "fp", "gold": "4", "prediction": "\\boxed{4}", "label": False},  # a wrong label: shows as FP
    {"id": "null", "gold": 3, "prediction": None, "label": False},
]


def test_scores_and_misses_are_counted_per_row(tmp_path: Path) -> None:
    rows = load_labelled(_write(tmp_path / "l.jsonl", ROWS))
    (report,) = audit(rows, {"arbiter": arbiter_judge(ExtractionMode.LENIENT)})
    s = report.scores
    assert (s.tp, s.fp, s.tn, s.fn) == (1, 1, 2, 1)
    assert (s.accuracy, s.precision, s.recall) == (3 / 5, 1 / 2, 1 / 2)
    assert [m.row.id for m in report.false_positives] == ["fp"]
    assert [m.row.id for m in report.false_negatives] == ["fn"]
    text = format_reports([report], max_errors=5)
    assert "[fp] gold='4'" in text and "[fn] gold='x'" in text and "not_equal" in text


def test_math_verify_is_judged_beside_ours_when_installed(tmp_path: Path) -> None:
    pytest.importorskip("math_verify")
    text, reports = run_audit(_write(tmp_path / "l.jsonl", ROWS), ExtractionMode.LENIENT, True, 3)
    assert [r.verifier for r in reports] == ["arbiter", "math-verify"]
    assert "math-verify" in text.splitlines()[3]
    assert all(r.scores.total == len(ROWS) for r in reports)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json\n", "not JSON"),
        ('{"gold": "1", "prediction": "1"}\n', "needs the fields"),
        ('{"gold": "1", "prediction": "1", "label": "yes"}\n', "label must be"),
        ('{"gold": "1", "prediction": "1", "label": true, "precision": "6"}\n', "precision must be"),
        ("\n\n", "no rows"),
    ],
)
def test_bad_files_are_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(AuditError, match=message):
        load_labelled(path)


def test_cli_prints_the_table_and_reports_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "l.jsonl", ROWS)
    assert main(["audit", str(path), "--no-math-verify", "--max-errors", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("5 pairs (2 labelled equivalent)")
    assert "arbiter          0.600      0.500    0.500" in out
    assert main(["audit", str(tmp_path / "missing.jsonl")]) == 2
    assert "labelled file not found" in capsys.readouterr().err
