"""The math accuracy verifier: extract -> guard -> normalise/parse -> compare, in-process.

``verify`` never raises and never evaluates model text as Python: every failure of the model is
a verdict with a reason code, every failure of the reference (unparseable gold, wrong type) is an
unscorable verdict, so the trainer skips the sample instead of learning from a poisoned 0.
Deadlines are not enforced here; the pool kills a worker that runs past its deadline.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

from verifiers.math.brackets import brackets_balanced
from verifiers.math.comparison import compare
from verifiers.math.config import ExtractionMode, MathConfig
from verifiers.math.extraction import (
    Extraction,
    ExtractionSource,
    extract_answer,
    lenient_final_math,
)
from verifiers.math.golds import extract_gold
from verifiers.math.guards import check_answer
from verifiers.math.multipart import final_boxes, gold_parts
from verifiers.math.normalization import normalize
from verifiers.math.notation import decimal_comma
from verifiers.math.parsing import ParseError, parse_answer
from verifiers.math.units import one_letter_unit
from verifiers.math.values import Collection, Scalar, Value
from verifiers.math.verdict import MathVerdict, Reason

__all__ = [
    "INTERNAL_ERROR",
    "Explanation",
    "PreparedGold",
    "Step",
    "explain",
    "prepare_gold",
    "verify",
    "verify_prepared",
]

_DEFAULT_CONFIG = MathConfig()
INTERNAL_ERROR = "internal_error"  # verdict.method when a bug in this package, not the input, failed


@dataclass(frozen=True, slots=True)
class Step:
    """One stage of a verification, for humans (``arbiter explain``)."""

    stage: str
    detail: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """The verdict and the steps that led to it."""

    verdict: MathVerdict
    steps: tuple[Step, ...] = field(default_factory=tuple)


def _gold_text(gold: object) -> str | None:
    if isinstance(gold, bool) or gold is None:
        return None
    if isinstance(gold, int):
        return str(gold)
    if isinstance(gold, float):
        return repr(gold) if math.isfinite(gold) else None
    if isinstance(gold, str):
        return gold
    return None


@dataclass(frozen=True, slots=True)
class PreparedGold:
    """A parsed reference, reusable for every completion of a GRPO group (same gold, many answers).

    ``failure`` is set (and ``value`` is None) when the gold cannot be scored.
    """

    value: Value | None
    failure: Reason | None = None
    method: str | None = None  # "internal_error" when a parser bug, not the gold, failed
    detail: str | None = None  # why the gold was refused
    decimal_comma: Scalar | None = None  # gold "1,22" may be 1.22 (notation.py): only for "1.22"


class _Run:
    def __init__(self, config: MathConfig, trace: list[Step] | None) -> None:
        self.config = config
        self.trace = trace
        self.started = time.perf_counter()

    def note(self, stage: str, detail: str) -> None:
        if self.trace is not None:
            self.trace.append(Step(stage, detail))

    def done(self, correct: bool, reason: Reason, **fields: str | None) -> MathVerdict:
        self.note("verdict", f"{reason.value}" + (f" via {fields['method']}" if fields.get("method") else ""))
        return MathVerdict(correct, reason, elapsed_s=time.perf_counter() - self.started, **fields)

    def parse(self, text: str, who: str) -> tuple[Value | None, str | None]:
        """(value, None), or (None, why) where why starts with 'too_large:' for guard rejections."""
        too_large = check_answer(text, self.config)
        if too_large is not None:
            self.note(f"guard_{who}", too_large)
            return None, "too_large:" + too_large
        if self.trace is not None:  # only for explain: parse_answer normalises again itself
            normal, percent = normalize(text, self.config.strip_units)
            self.note(f"normalize_{who}", repr(normal) + (" (percent)" if percent else ""))
        try:
            value = parse_answer(text, self.config)
        except ParseError as exc:
            self.note(f"parse_{who}", f"failed: {exc.why}")
            return None, ("too_large:" + exc.why) if exc.too_large else exc.why
        self.note(f"parse_{who}", f"{type(value).__name__}: {value}")
        return value, None

    def prepare(self, gold: object) -> PreparedGold:
        gold_str = _gold_text(gold)
        if gold_str is None:
            self.note("input", f"gold type {type(gold).__name__}")
            return PreparedGold(None, Reason.INVALID_INPUT)
        gold_ex = extract_gold(gold_str)
        self.note(
            "extract_gold",
            f"{gold_ex.source}: {gold_ex.text!r}" + (f" ({gold_ex.why})" if gold_ex.why else ""),
        )
        if gold_ex.text is None:
            return PreparedGold(None, Reason.UNPARSEABLE_GOLD, detail=gold_ex.why)
        # No retry on a fragment (last number, last segment): a gold is read whole or refused.
        gold_value, why = self.parse(gold_ex.text, "gold")
        if gold_value is None:
            return PreparedGold(None, Reason.UNPARSEABLE_GOLD, detail=why)
        comma_reading = None
        if self.config.decimal_comma and isinstance(gold_value, Collection):
            dotted = decimal_comma(gold_ex.text)
            comma_value = self.parse(dotted, "gold")[0] if dotted is not None else None
            comma_reading = comma_value if isinstance(comma_value, Scalar) else None
        return PreparedGold(gold_value, None, decimal_comma=comma_reading)

    def run(self, gold: PreparedGold, completion: object) -> MathVerdict:
        if gold.value is None:
            return self.done(
                False, gold.failure or Reason.UNPARSEABLE_GOLD, method=gold.method, detail=gold.detail
            )
        if not isinstance(completion, str):
            self.note("input", f"completion type {type(completion).__name__}")
            return self.done(False, Reason.INVALID_INPUT)
        gold_value = gold.value
        pred_ex = extract_answer(completion, self.config.mode, self.config.max_completion_chars)
        self.note(
            "extract_answer",
            f"{pred_ex.source}: {pred_ex.text!r}" + (" (truncated)" if pred_ex.truncated else ""),
        )
        if pred_ex.truncated:
            return self.done(False, Reason.UNPARSEABLE_ANSWER, gold_parsed=str(gold_value))
        if pred_ex.text is None:
            return self.done(False, Reason.NO_ANSWER, gold_parsed=str(gold_value))
        pred_value, why = self.parse(pred_ex.text, "answer")
        guarded = why is not None and why.startswith("too_large:")
        if pred_value is None and not guarded and self.config.mode is ExtractionMode.LENIENT:
            pred_value = self._lenient_retry(pred_ex.text, "answer")
        retried = None
        if pred_value is None and not guarded:  # "12{,}5", or a last box that is one part of several
            retried = self._other_forms(gold_value, pred_ex, completion)
        if pred_value is None and retried is None:
            reason = Reason.TOO_LARGE if guarded else Reason.UNPARSEABLE_ANSWER
            return self.done(False, reason, extracted=pred_ex.text, gold_parsed=str(gold_value), detail=why)
        method = compare(gold_value, pred_value, self.config) if pred_value is not None else None
        comma_gold = gold.decimal_comma
        if (
            method is None
            and comma_gold is not None
            and isinstance(pred_value, Scalar)
            and _same_digits(comma_gold, pred_value)
        ):
            method = compare(comma_gold, pred_value, self.config)  # gold 1,22 vs answer 1.22
            method = f"gold_decimal_comma_{method}" if method is not None else None
        if method is None:
            retried = retried or self._other_forms(gold_value, pred_ex, completion)
            if retried is not None:
                pred_value, method = retried
        self.note("compare", f"equal by {method}" if method else "no comparison proved equality")
        return self.done(
            method is not None,
            Reason.EQUAL if method else Reason.NOT_EQUAL,
            extracted=pred_ex.text,
            gold_parsed=str(gold_value),
            pred_parsed=str(pred_value),
            method=method,
        )

    def _other_forms(self, gold: Value, answer: Extraction, completion: str) -> tuple[Value, str] | None:
        """Readings tried only when the plain one failed and the gold's shape calls for them:
        ``12,5`` as a decimal comma against a one-number gold; the last n boxes, part by part,
        against a gold of n parts, when the answer was taken from a box (a later "the answer is"
        phrase is a later commitment; notation.py, multipart.py)."""
        cfg = self.config
        text = answer.text or ""
        if cfg.decimal_comma and isinstance(gold, Scalar) and (dotted := decimal_comma(text)) is not None:
            value, _ = self.parse(dotted, "answer")
            method = compare(gold, value, cfg) if value is not None else None
            if value is not None and method is not None:
                return value, f"decimal_comma_{method}"
        if cfg.check_units and isinstance(gold, Scalar) and gold.unit is not None:
            unit_text = one_letter_unit(text)  # "1000 m" against "1 km": m is metres here
            value = self.parse(unit_text, "answer")[0] if unit_text is not None else None
            method = compare(gold, value, cfg) if value is not None else None
            if value is not None and method is not None:
                return value, method
        boxed = answer.source is ExtractionSource.BOXED
        parts_of_gold = gold_parts(gold) if cfg.multipart and boxed else None
        if parts_of_gold is not None:
            gold = parts_of_gold
            boxes = final_boxes(completion, len(parts_of_gold.items), cfg.max_completion_chars)
            if boxes is None:
                return None
            self.note("extract_answer", f"{len(boxes)} final boxes as parts: {boxes!r}")
            parts = [self.parse(box, "answer")[0] for box in boxes]
            if any(part is None for part in parts):
                return None
            value = Collection(tuple(p for p in parts if p is not None), ordered=not parts_of_gold.braced)
            method = compare(gold, value, cfg)
            if method is not None:
                return value, f"parts_{method}"
        return None

    def _lenient_retry(self, text: str, who: str) -> Value | None:
        """Within the final answer text only, LENIENT mode only: its math read whole, else its
        last piece of math when nothing qualifies that piece (``lenient_final_math``).

        Not for broken brackets: a truncated ``\\sqrt{2`` must not be read as its last number 2."""
        if not brackets_balanced(text):
            self.note(f"extract_{who}", "unbalanced brackets: no lenient retry")
            return None
        inner: Extraction = lenient_final_math(text)
        if inner.text is None or inner.text == text:
            return None
        self.note(f"extract_{who}", f"lenient {inner.source}: {inner.text!r}")
        value, _ = self.parse(inner.text, who)
        return value


def _same_digits(gold: Scalar, pred: Scalar) -> bool:
    """Whether ``pred`` is a decimal literal written with as many decimals as ``gold`` (1.22 for
    a gold 1,22): only then is the gold's comma read as a decimal point."""
    return (
        pred.number is not None
        and gold.number is not None
        and pred.number.decimals is not None
        and pred.number.decimals == gold.number.decimals
    )


def prepare_gold(gold: object, config: MathConfig = _DEFAULT_CONFIG) -> PreparedGold:
    """Extract and parse a reference once, for ``verify_prepared`` on many completions."""
    try:
        return _Run(config, None).prepare(gold)
    except Exception:  # a parser bug on the reference: unscorable, never a crash
        return PreparedGold(None, Reason.UNPARSEABLE_GOLD, INTERNAL_ERROR)


def verify_prepared(gold: PreparedGold, completion: str, config: MathConfig = _DEFAULT_CONFIG) -> MathVerdict:
    """``verify`` with a gold from ``prepare_gold``. Never raises."""
    try:
        return _Run(config, None).run(gold, completion)
    except RecursionError:
        return MathVerdict(False, Reason.TOO_LARGE)
    except Exception:  # a parser bug must not take the worker down; unparseable, not a crash
        return MathVerdict(False, Reason.UNPARSEABLE_ANSWER, method=INTERNAL_ERROR)


def verify(gold: object, completion: str, config: MathConfig = _DEFAULT_CONFIG) -> MathVerdict:
    """Whether ``completion``'s final answer is equivalent to ``gold``. Never raises.

    Gold first and asymmetric on purpose: the gold is trusted and read leniently, the completion
    strictly (``config.mode``). ``gold`` may be a str, int or float; anything else (None, bool)
    is INVALID_INPUT, which is unscorable.
    """
    started = time.perf_counter()
    verdict = verify_prepared(prepare_gold(gold, config), completion, config)
    return replace(verdict, elapsed_s=time.perf_counter() - started)


def explain(gold: object, completion: str, config: MathConfig = _DEFAULT_CONFIG) -> Explanation:
    """``verify`` plus the steps taken: extraction, parsed forms, the comparison that decided."""
    trace: list[Step] = []
    try:
        run = _Run(config, trace)
        verdict = run.run(run.prepare(gold), completion)
    except Exception as exc:  # same contract as verify
        trace.append(Step("error", f"{type(exc).__name__}: {exc}"))
        verdict = MathVerdict(False, Reason.UNPARSEABLE_ANSWER, method=INTERNAL_ERROR)
    return Explanation(verdict, tuple(trace))
