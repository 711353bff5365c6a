"""Dataset hygiene before a long RL run (``arbiter check-data``).

Why: a gold answer that does not parse makes every completion of that prompt unscorable, a test
whose reference solution fails teaches the model that correct code is wrong, and duplicate
prompts skew the data mix. These problems are silent during training; this finds them first.
Each problem names the input line. Golds are checked through the math pool (with its deadline),
reference solutions through the sandbox, exactly as training would score them.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from app.tools.dataset import ColumnMap, InputRow, RowError, iter_rows

__all__ = ["Problem", "ProblemKind", "check_file", "check_rows"]


class ProblemKind(StrEnum):
    MALFORMED_ROW = "malformed_row"
    GOLD_UNPARSEABLE = "gold_unparseable"
    GOLD_NOT_SELF_EQUAL = "gold_not_self_equal"
    TESTS_UNREADABLE = "tests_unreadable"
    REFERENCE_FAILS = "reference_fails"
    DUPLICATE_PROMPT = "duplicate_prompt"


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    kind: ProblemKind
    message: str


def _prompt_key(prompt: str) -> str:
    return hashlib.blake2b(re.sub(r"\s+", " ", prompt).strip().lower().encode(), digest_size=16).hexdigest()


def _duplicates(rows: Sequence[InputRow]) -> list[Problem]:
    first: dict[str, int] = {}
    out = []
    for r in rows:
        if not r.sample.prompt.strip():
            continue
        key = _prompt_key(r.sample.prompt)
        if key in first:
            out.append(Problem(r.line, ProblemKind.DUPLICATE_PROMPT, f"same prompt as line {first[key]}"))
        else:
            first[key] = r.line
    return out


def _math_problems(rows: Sequence[InputRow], math: Any) -> list[Problem]:
    """A gold must parse (probed against a plain ``\\boxed{0}``) and must equal itself when
    written as a boxed final answer."""
    from verifiers import Reason

    golds = [r for r in rows if r.sample.ground_truth is not None and r.sample.tests is None]
    if not golds:
        return []
    probes = [(r.sample.ground_truth, "\\boxed{0}") for r in golds]
    selves = [(r.sample.ground_truth, f"\\boxed{{{r.sample.ground_truth}}}") for r in golds]
    verdicts = math.verify_many(probes + selves)
    out = []
    for r, probe, self_v in zip(golds, verdicts[: len(golds)], verdicts[len(golds) :], strict=True):
        gold = r.sample.ground_truth
        if probe.reason in (Reason.UNPARSEABLE_GOLD, Reason.INVALID_INPUT):
            why = f" ({probe.detail})" if probe.detail else ""
            out.append(Problem(r.line, ProblemKind.GOLD_UNPARSEABLE, f"gold {gold!r} does not parse{why}"))
        elif not self_v.correct:
            why = f"gold {gold!r} is not equal to itself as a boxed answer ({self_v.reason.value})"
            out.append(Problem(r.line, ProblemKind.GOLD_NOT_SELF_EQUAL, why))
    return out


def _code_problems(rows: Sequence[InputRow], code: Any, language: str) -> list[Problem]:
    """Every item with tests runs its completion column (the reference solution) against them."""
    from sandbox import Job, Language

    out = []
    for r in rows:
        if r.sample.tests is None:
            continue
        try:
            cases = tuple(code.adapt_tests(r.sample.tests))
        except (ValueError, TypeError, KeyError) as exc:
            out.append(Problem(r.line, ProblemKind.TESTS_UNREADABLE, str(exc)[:200]))
            continue
        if not cases:
            out.append(Problem(r.line, ProblemKind.TESTS_UNREADABLE, "no tests"))
            continue
        job = Job(language=Language(language), source=r.sample.completion, tests=cases, limits=code.limits)
        result = code.run_job(job)
        if result.status.value != "accepted":
            failing = next((t for t in result.tests if t.status.value != "accepted"), None)
            why = f"{failing.status.value} {failing.detail}".strip() if failing else result.error
            out.append(
                Problem(
                    r.line,
                    ProblemKind.REFERENCE_FAILS,
                    f"reference solution {result.status.value}: passed {result.passed}/{result.total}; {why}"[
                        :300
                    ],
                )
            )
    return out


def check_rows(rows: Sequence[InputRow], *, math: Any, code: Any, language: str = "python") -> list[Problem]:
    """All problems of already-read rows, given a math backend and a code backend."""
    problems = _duplicates(rows) + _math_problems(rows, math)
    if code is not None:
        problems += _code_problems(rows, code, language)
    return sorted(problems, key=lambda p: (p.line, p.kind.value))


def check_file(path: Path, columns: ColumnMap, *, settings: Any, language: str = "python") -> list[Problem]:
    """Read ``path`` and check it with the service's own pools (built from ``settings``)."""
    from app.service import Service

    rows: list[InputRow] = []
    problems: list[Problem] = []
    for r in iter_rows(path, columns):
        if isinstance(r, RowError):
            problems.append(Problem(r.line, ProblemKind.MALFORMED_ROW, r.message))
        else:
            rows.append(r)
    needs_code = any(r.sample.tests is not None for r in rows)

    async def run() -> list[Problem]:
        service = Service(settings)
        await service.start()
        try:
            return await asyncio.to_thread(
                check_rows,
                rows,
                math=service.math,
                code=service.code if needs_code else None,
                language=language,
            )
        finally:
            await service.close()

    problems += asyncio.run(run())
    return sorted(problems, key=lambda p: (p.line, p.kind.value))
