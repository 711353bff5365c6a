"""Cheap text guards that reject pathological answers before sympy sees them.

Why: sympy evaluates ``Integer ** Integer`` and ``factorial(n)`` eagerly, so ``10^{10^{10}}``
or ``100000!`` would hang a worker until the pool kills it. These checks only scan the text
(linear time) and estimate the size of literal results in log space, never computing them.
"""

from __future__ import annotations

import math
import re

from verifiers.math.config import MathConfig

__all__ = ["check_answer"]

_INT_RUN = re.compile(r"\d+")
_FACTORIAL = re.compile(r"(\d+)\s*\}?\s*\)?\s*!")
_FACTORIAL_CALL = re.compile(r"(?:factorial|\\Gamma|gamma)\s*[({]\s*(\d+)")
_SCI_EXPONENT = re.compile(r"\d[eE]\s*[+-]?(\d+)")
_POW = re.compile(r"\^|\*\*")
_LITERAL_NUMBER = re.compile(r"\s*\d+(?:\.\d+)?\s*")


def _group_after(text: str, pos: int) -> tuple[str, int]:
    """The exponent token starting at ``pos``: a braced/parenthesised group, a number or one char."""
    while pos < len(text) and text[pos] == " ":
        pos += 1
    if pos >= len(text):
        return "", pos
    opener = text[pos]
    if opener in "{(":
        closer = "}" if opener == "{" else ")"
        depth = 0
        for i in range(pos, len(text)):
            if text[i] == opener:
                depth += 1
            elif text[i] == closer:
                depth -= 1
                if depth == 0:
                    return text[pos + 1 : i], i + 1
        return text[pos + 1 :], len(text)
    m = re.match(r"-?\d+(?:\.\d+)?", text[pos:])
    if m:
        return m.group(0), pos + m.end()
    return text[pos], pos + 1


def _base_before(text: str, pos: int) -> str:
    """The literal number (or group) just before ``pos`` (the ``^``), as text."""
    end = pos
    while end > 0 and text[end - 1] == " ":
        end -= 1
    if end > 0 and text[end - 1] in "})":
        closer = text[end - 1]
        opener = "{" if closer == "}" else "("
        depth = 0
        for i in range(end - 1, -1, -1):
            if text[i] == closer:
                depth += 1
            elif text[i] == opener:
                depth -= 1
                if depth == 0:
                    return text[i + 1 : end - 1]
        return text[: end - 1]
    m = re.search(r"\d+(?:\.\d+)?$", text[:end])
    return m.group(0) if m else text[end - 1 : end]


def _log10_of_literal(text: str) -> float | None:
    """log10 of a literal number or a literal power tower (``10^{10^{10}}``); None otherwise."""
    text = text.strip()
    if _LITERAL_NUMBER.fullmatch(text):
        value = float(text) if len(text) < 300 else 10.0 ** min(len(text), 300)
        return math.log10(value) if value > 0 else None
    m = _POW.search(text)
    if not m:
        return None
    base = text[: m.start()].strip().strip("{}()")
    if not _LITERAL_NUMBER.fullmatch(base):
        return None
    exponent, end = _group_after(text, m.end())
    if text[end:].strip():
        return None
    log_exp = _log10_of_literal(exponent)
    if log_exp is None:
        return None
    base_value = float(base)
    if base_value <= 1:
        return 0.0
    if log_exp > 300:
        return math.inf
    return math.pow(10.0, log_exp) * math.log10(base_value)


def _brace_depth(text: str) -> int:
    depth = deepest = 0
    for ch in text:
        if ch in "{([":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "})]":
            depth = max(depth - 1, 0)
    return deepest


def check_answer(text: str, config: MathConfig) -> str | None:
    """Why ``text`` is too large or too costly to parse, or None when it looks safe."""
    if "\x00" in text:
        return "null byte"
    if len(text) > config.max_answer_chars:
        return f"answer longer than {config.max_answer_chars} chars"
    if _brace_depth(text) > config.max_brace_depth:
        return f"nesting deeper than {config.max_brace_depth}"
    for run in _INT_RUN.finditer(text):
        if len(run.group(0)) > config.max_int_digits:
            return f"integer literal longer than {config.max_int_digits} digits"
    for m in _SCI_EXPONENT.finditer(text):
        if int(m.group(1)) > config.max_result_digits:
            return f"scientific exponent above {config.max_result_digits}"
    for pattern in (_FACTORIAL, _FACTORIAL_CALL):
        for m in pattern.finditer(text):
            if int(m.group(1)) > config.max_factorial_n:
                return f"factorial of {m.group(1)} exceeds {config.max_factorial_n}"
    for m in _POW.finditer(text):
        exponent, _ = _group_after(text, m.end())
        log_exp = _log10_of_literal(exponent.lstrip("-"))
        if log_exp is None:
            inner = _POW.search(exponent)
            if inner is not None and _POW.search(exponent, inner.end()) is not None:
                return "power tower of height > 3"
            continue
        exp_value = math.inf if log_exp > 300 else 10.0**log_exp
        base = _base_before(text, m.start())
        log_base = _log10_of_literal(base)
        if log_base is not None:
            base_value = math.inf if log_base > 300 else 10.0**log_base
            if base_value > 1 and exp_value * math.log10(base_value) > config.max_result_digits:
                return f"power with more than {config.max_result_digits} digits"
        elif exp_value > config.max_symbolic_exponent:
            return f"exponent above {config.max_symbolic_exponent} on a non-literal base"
    return None
