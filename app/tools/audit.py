"""``arbiter audit``: how right is the math verifier on a labelled file, and where is it wrong?

Why: a reward is only as good as its false positives (a policy learns to produce them) and its
false negatives (lost signal). Any JSONL file of ``{gold, prediction, label}`` rows, ours or a
user's, gets accuracy, precision and recall plus the misjudged rows themselves, with Math-Verify
judged on the same rows side by side when it is installed, so a claim such as "precision 0.99"
is one command away from being checked.

Row fields: ``gold`` (str or number), ``prediction`` (str, number or null), ``label`` (bool:
the prediction's final answer is equivalent to the gold); optional ``id``, and ``precision``
(decimal digits a rounded answer must match, mapped to our rounding policy and to Math-Verify's
``float_rounding``), ``match_types`` (Math-Verify's extraction kinds, ``latex``/``expr``). Other
fields are ignored.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verifiers import ExtractionMode, MathConfig, verify

__all__ = [
    "AuditError",
    "AuditReport",
    "LabelledRow",
    "Miss",
    "Scores",
    "arbiter_judge",
    "audit",
    "cli_main",
    "format_reports",
    "load_labelled",
    "math_verify_installed",
    "math_verify_judge",
    "run_audit",
]


class AuditError(Exception):
    """The labelled file cannot be read (path, line and what is wrong)."""


@dataclass(frozen=True, slots=True)
class LabelledRow:
    """One labelled pair as read from the file (``line``: 1-based, for error messages)."""

    line: int
    id: str
    gold: object
    prediction: object
    label: bool
    precision: int | None = None
    match_types: tuple[str, ...] | None = None  # Math-Verify only: restrict to "latex" / "expr"


@dataclass(frozen=True, slots=True)
class Scores:
    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.tn + self.fn

    @property
    def accuracy(self) -> float:
        return (self.tp + self.tn) / max(1, self.total)

    @property
    def precision(self) -> float:
        return self.tp / max(1, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return self.tp / max(1, self.tp + self.fn)


@dataclass(frozen=True, slots=True)
class Miss:
    """A misjudged row and what the verifier said about it."""

    row: LabelledRow
    said: str  # the verdict's reason and method, for reading the error


@dataclass(frozen=True, slots=True)
class AuditReport:
    verifier: str
    scores: Scores
    false_positives: tuple[Miss, ...]
    false_negatives: tuple[Miss, ...]
    seconds: float


Judge = Callable[[LabelledRow], tuple[bool, str]]


def load_labelled(path: Path) -> list[LabelledRow]:
    """The rows of a labelled JSONL file; AuditError names the first bad line."""
    if not path.is_file():
        raise AuditError(f"labelled file not found: {path}")
    rows = []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise AuditError(f"{path}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(data, dict) or not {"gold", "prediction", "label"} <= data.keys():
                raise AuditError(f"{path}:{number}: a row needs the fields gold, prediction and label")
            if not isinstance(data["label"], bool):
                raise AuditError(f"{path}:{number}: label must be true or false")
            precision = data.get("precision")
            if precision is not None and (not isinstance(precision, int) or isinstance(precision, bool)):
                raise AuditError(f"{path}:{number}: precision must be an integer")
            kinds = data.get("match_types")
            if kinds is not None and (not isinstance(kinds, list) or not set(kinds) <= {"latex", "expr"}):
                raise AuditError(f"{path}:{number}: match_types must be a list of 'latex' and 'expr'")
            rows.append(
                LabelledRow(
                    number,
                    str(data.get("id", number)),
                    data["gold"],
                    data["prediction"],
                    data["label"],
                    precision,
                    tuple(kinds) if kinds is not None else None,
                )
            )
    if not rows:
        raise AuditError(f"{path}: no rows")
    return rows


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def arbiter_judge(mode: ExtractionMode) -> Judge:
    """Our verifier on one row (``precision`` becomes the rounded-answer policy)."""

    def judge(row: LabelledRow) -> tuple[bool, str]:
        prediction = _text(row.prediction)
        if prediction is None:
            return False, "no prediction"
        config = (
            MathConfig(mode=mode)
            if row.precision is None
            else MathConfig(mode=mode, pred_rounding_min_digits=row.precision)
        )
        verdict = verify(row.gold, prediction, config)
        said = verdict.reason.value + (f" via {verdict.method}" if verdict.method else "")
        if verdict.detail:
            said += f" ({verdict.detail})"
        return verdict.correct, said

    return judge


def math_verify_installed() -> bool:
    try:
        import math_verify  # noqa: F401
    except ImportError:
        return False
    return True


def math_verify_judge(row: LabelledRow) -> tuple[bool, str]:
    """Math-Verify with its default extraction (LaTeX and plain expressions) on both sides."""
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse
    from math_verify import verify as mv_verify

    gold, prediction = _text(row.gold), _text(row.prediction)
    if gold is None or prediction is None:
        return False, "missing cell"
    kinds = row.match_types or ("latex", "expr")
    extraction: list[Any] = [LatexExtractionConfig()] if "latex" in kinds else []
    extraction += [ExprExtractionConfig()] if "expr" in kinds else []
    try:
        gold_parsed = parse(gold, extraction_config=extraction)
        if not gold_parsed:  # a bare LaTeX gold: Math-Verify's LaTeX extraction wants delimiters
            gold_parsed = parse(f"${gold}$", extraction_config=extraction)
        pred_parsed = parse(prediction, extraction_config=extraction)
        rounding = 6 if row.precision is None else row.precision
        ok = bool(mv_verify(gold_parsed, pred_parsed, float_rounding=rounding))
    except Exception as exc:  # a third-party judge failing on a row is a "no", reported
        return False, f"error {type(exc).__name__}"
    return ok, f"parsed {gold_parsed!r:.60} / {pred_parsed!r:.60}"


def audit(rows: Sequence[LabelledRow], judges: dict[str, Judge]) -> list[AuditReport]:
    """Each judge on every row: scores, and the misjudged rows in file order."""
    reports = []
    for name, judge in judges.items():
        tp = fp = tn = fn = 0
        false_pos: list[Miss] = []
        false_neg: list[Miss] = []
        started = time.perf_counter()
        for row in rows:
            said, why = judge(row)
            if said and row.label:
                tp += 1
            elif said:
                fp += 1
                false_pos.append(Miss(row, why))
            elif row.label:
                fn += 1
                false_neg.append(Miss(row, why))
            else:
                tn += 1
        elapsed = time.perf_counter() - started
        reports.append(AuditReport(name, Scores(tp, fp, tn, fn), tuple(false_pos), tuple(false_neg), elapsed))
    return reports


def _clip(value: object, width: int) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def format_reports(reports: Sequence[AuditReport], max_errors: int, width: int = 70) -> str:
    """The table of scores, then each verifier's false positives and false negatives."""
    first = reports[0].scores
    lines = [
        f"{first.total} pairs ({first.tp + first.fn} labelled equivalent)",
        f"{'verifier':<12} {'accuracy':>9} {'precision':>10} {'recall':>8} {'tp':>5} {'fp':>4} {'tn':>5} {'fn':>4} {'ms/pair':>8}",
    ]
    for r in reports:
        s = r.scores
        per_pair_ms = 1000 * r.seconds / max(1, s.total)
        lines.append(
            f"{r.verifier:<12} {s.accuracy:>9.3f} {s.precision:>10.3f} {s.recall:>8.3f} "
            f"{s.tp:>5} {s.fp:>4} {s.tn:>5} {s.fn:>4} {per_pair_ms:>8.2f}"
        )
    for r in reports:
        for title, misses in (("false positives", r.false_positives), ("false negatives", r.false_negatives)):
            lines.append(f"\n{r.verifier} {title}: {len(misses)}")
            for miss in misses[:max_errors]:
                row = miss.row
                lines.append(
                    f"  [{row.id}] gold={_clip(row.gold, width)} prediction={_clip(row.prediction, width)}\n"
                    f"      -> {miss.said[:200]}"
                )
            if len(misses) > max_errors:
                lines.append(f"  ... {len(misses) - max_errors} more (--max-errors)")
    return "\n".join(lines)


def run_audit(
    path: Path, mode: ExtractionMode, with_math_verify: bool, max_errors: int
) -> tuple[str, list[AuditReport]]:
    """Load, judge with ours (and Math-Verify when installed and wanted), format."""
    rows = load_labelled(path)
    judges: dict[str, Judge] = {"arbiter": arbiter_judge(mode)}
    if with_math_verify and math_verify_installed():
        judges["math-verify"] = math_verify_judge
    reports = audit(rows, judges)
    note = (
        ""
        if "math-verify" in judges or not with_math_verify
        else "\n(math-verify not installed: not compared)"
    )
    return format_reports(reports, max_errors) + note, reports


def cli_main(args: Any) -> int:
    """``arbiter audit``: exit 0 when the file was judged (the numbers are the output).
    Raises AuditError for an unreadable file."""
    text, _ = run_audit(Path(args.input), ExtractionMode(args.mode), not args.no_math_verify, args.max_errors)
    print(text)
    return 0
