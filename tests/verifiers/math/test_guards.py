"""The cheap guards: pathological answers are rejected fast, ordinary ones pass."""

from __future__ import annotations

import time

import pytest

from verifiers.math import MathConfig, Reason, verify
from verifiers.math.guards import check_answer

CONFIG = MathConfig()

REJECTED = [
    "2^{2^{2^{2^{2^{2}}}}}",
    "10^{10^{10}}",
    "9^{9^{9}}",
    "(10^{10})^{10^{10}}",
    "2^{100000}",
    "2**100000",
    "x^{1000000}",
    "(x+1)^{20000}",
    "100000!",
    "\\Gamma(100000)",
    "1" * 1001,
    "1.5e100000",
    "{" * 50 + "1" + "}" * 50,
    "1\x002",
    "1" + "+1" * 1500,
]


@pytest.mark.parametrize("text", REJECTED)
def test_rejected(text: str) -> None:
    assert check_answer(text, CONFIG) is not None


ACCEPTED = [
    "2^{10}",
    "10^{6}",
    "1.5\\times10^{6}",
    "2^{2^{2}}",
    "x^{2024}",
    "10!",
    "\\frac{1}{2^{99}}",
    "e^{i\\pi}",
    "123456789",
    "(1,2]\\cup[3,4)",
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_accepted(text: str) -> None:
    assert check_answer(text, CONFIG) is None


@pytest.mark.parametrize("answer", ["10^{10^{10}}", "2^{2^{2^{2^{2^{2}}}}}", "100000!", "9^{9^{9}}"])
def test_verify_rejects_fast(answer: str) -> None:
    started = time.perf_counter()
    verdict = verify("10", f"The answer is $\\boxed{{{answer}}}$")
    assert verdict.reason is Reason.TOO_LARGE and not verdict.correct
    assert time.perf_counter() - started < 0.5


def test_limits_are_configurable() -> None:
    assert check_answer("2^{2000}", MathConfig(max_result_digits=100)) is not None
    assert check_answer("2^{2000}", MathConfig(max_result_digits=1000)) is None
    assert check_answer("1" * 30, MathConfig(max_int_digits=20)) is not None


def test_long_completion_only_tail_searched() -> None:
    completion = "\\boxed{3}" + "x" * 300 + "The answer is \\boxed{4}"
    assert verify("4", completion, MathConfig(max_completion_chars=100)).correct


def test_size_checks_after_parsing_also_say_too_large() -> None:
    # the text guard cannot estimate a computed exponent (100*1000); the parser's check can
    assert check_answer("2^(100*1000)", CONFIG) is None
    verdict = verify("1", "\\boxed{2^(100*1000)}")
    assert verdict.reason is Reason.TOO_LARGE
