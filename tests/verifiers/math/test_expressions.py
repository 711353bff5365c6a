"""The scalar parser: plain sympy syntax without eval, simple LaTeX without latex2sympy."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
import sympy

from verifiers.math.expressions import ExpressionError, ExpressionTooLarge, parse_expression

x = sympy.Symbol("x")

PARSED = [
    ("exp(16)-1", sympy.exp(16) - 1),
    ("pi/2", sympy.pi / 2),
    ("x**2 + 2*x + 1", x**2 + 2 * x + 1),
    ("2x^2", 2 * x**2),
    ("-x^2", -(x**2)),
    ("sqrt(8)", 2 * sympy.sqrt(2)),
    ("5!", sympy.Integer(120)),
    (r"3\sqrt{13}", 3 * sympy.sqrt(13)),
    (r"\frac{5\pi}{3}", 5 * sympy.pi / 3),
    (r"\sqrt[3]{x}", x ** sympy.Rational(1, 3)),
    (r"2^{10}", sympy.Integer(1024)),
    (r"\sin(x)+1", sympy.sin(x) + 1),
]


@pytest.mark.parametrize(("text", "expected"), PARSED)
def test_parsed(text: str, expected: sympy.Expr) -> None:
    assert sympy.simplify(parse_expression(text) - expected) == 0


MALICIOUS = [
    "__import__('os').system('touch {marker}')",
    "eval('1')",
    "().__class__.__bases__[0].__subclasses__()",
    "open('{marker}', 'w')",
    "lambda: 1",
]


@pytest.mark.parametrize("template", MALICIOUS)
def test_model_text_is_never_evaluated(template: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = template.format(marker=marker)
    with contextlib.suppress(ExpressionError):
        parse_expression(text)
    assert not marker.exists()


@pytest.mark.parametrize("text", ["2^(10^10)", "10**100000", "100000!", "3^(4^(5^2))"])
def test_literal_size_checked_after_parsing(text: str) -> None:
    with pytest.raises(ExpressionTooLarge):
        parse_expression(text, max_digits=10_000, max_factorial_n=1000)
