"""Human-readable explanations of one score: why a completion got 0 (``arbiter explain``).

Why: a reward of 0 says nothing about whether the model was wrong, the answer was not where the
extractor looks, or the gold is broken. The math explanation lists the verifier's own steps
(extraction, normalised and parsed forms, the comparison that decided); the code explanation
lists per-test verdicts with a diff of expected and actual output.
"""

from __future__ import annotations

import difflib
import multiprocessing as mp
from typing import Any

__all__ = ["explain_code", "explain_math", "math_explanation", "output_diff"]


def math_explanation(gold: Any, completion: str, mode: str = "strict") -> dict[str, Any]:
    """The verifier's verdict and steps as plain data (also what the API's verify endpoint shows)."""
    from verifiers import ExtractionMode, MathConfig, explain

    ex = explain(gold, completion, MathConfig(mode=ExtractionMode(mode)))
    v = ex.verdict
    return {
        "correct": v.correct,
        "reason": v.reason.value,
        "extracted": v.extracted,
        "gold_parsed": v.gold_parsed,
        "pred_parsed": v.pred_parsed,
        "method": v.method,
        "steps": [{"stage": s.stage, "detail": s.detail} for s in ex.steps],
    }


def explain_math(gold: str, completion: str, *, mode: str = "strict", timeout_s: float = 10.0) -> str:
    """Run the explanation in a child process, so a pathological input cannot hang the CLI."""
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        pending = pool.apply_async(math_explanation, (gold, completion, mode))
        try:
            data = pending.get(timeout=timeout_s)
        except mp.TimeoutError:
            pool.terminate()
            return f"verdict: timeout (no decision within {timeout_s:.0f} s; the reward would be null)"
    lines = [f"{i}. {s['stage']}: {s['detail']}" for i, s in enumerate(data["steps"], start=1)]
    lines += [
        "",
        f"extracted answer: {data['extracted']!r}",
        f"gold parsed:      {data['gold_parsed']}",
        f"answer parsed:    {data['pred_parsed']}",
        f"decided by:       {data['method'] or '-'}",
        f"verdict:          {'CORRECT' if data['correct'] else 'WRONG'} ({data['reason']})",
    ]
    return "\n".join(lines)


def output_diff(expected: str, actual: str, max_lines: int = 40) -> str:
    """A unified diff of expected and actual stdout (what ``explain`` and ``/v1/execute`` show
    for a wrong answer), cut to ``max_lines``."""
    lines = difflib.unified_diff(
        expected.splitlines(), actual.splitlines(), "expected", "actual", lineterm="", n=1
    )
    return "\n".join(list(lines)[:max_lines])


def explain_code(code: str, tests: Any, *, language: str = "python", backend: str = "bwrap") -> str:
    """Run ``code`` (a program or a completion with a fenced block) against ``tests`` and show
    what happened to each test."""
    from sandbox import Job, Language, TestKind, adapt_tests, extract_code, make_sandbox

    lang = Language(language)
    program = extract_code(code, lang) or code
    cases = tuple(adapt_tests(tests))
    out = [f"program: {len(program)} chars of {lang.value}; {len(cases)} test(s)"]
    sandbox = make_sandbox(backend)
    sandbox.start()
    try:
        result = sandbox.run(Job(language=lang, source=program, tests=cases))
    finally:
        sandbox.close()
    if not result.compile.ok:
        out.append(f"compile error:\n{result.compile.stderr[:2000]}")
    for i, (case, r) in enumerate(zip(cases, result.tests, strict=False), start=1):
        out.append(
            f"test {i}: {r.status.value}  time {r.time_s * 1000:.0f} ms  memory {r.memory_mb:.1f} MB"
            f"  exit {r.exit_code}{f'  signal {r.signal}' if r.signal else ''}"
            + (f"  ({r.detail})" if r.detail else "")
        )
        if r.status.value == "wrong_answer" and case.kind is TestKind.STDIO:
            out.append(output_diff(case.expected_stdout, r.stdout))
        if r.stderr.strip():
            out.append("stderr: " + r.stderr.strip()[-500:])
    skipped = result.total - len(result.tests)
    if skipped > 0:
        out.append(f"{skipped} test(s) not run (stopped at the first failure)")
    if result.error:
        out.append(f"sandbox error: {result.error}")
    out.append(f"verdict: {result.status.value}  passed {result.passed}/{result.total}")
    return "\n".join(out)
