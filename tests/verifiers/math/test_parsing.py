"""What shape each kind of answer parses into (the policy behind brackets and commas)."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path
from typing import Any

import pytest
import sympy

from verifiers.math.parsing import ParseError, parse_answer
from verifiers.math.values import Choice, Collection, Interval, Matrix, Relation, Scalar, Union, Word
from verifiers.math.verdict import MathConfig

CONFIG = MathConfig()

SHAPES = [
    ("42", Scalar, "42"),
    ("1,234,567", Scalar, "1234567"),
    (r"\frac{3}{6}", Scalar, "1/2"),
    (r"50\%", Scalar, "50%"),
    (r"3\sqrt{13}", Scalar, "3*sqrt(13)"),
    ("1, 2", Collection, "{1, 2}"),
    (r"\{1,2\}", Collection, "{1, 2}"),
    ("(1,2,3)", Collection, "(1, 2, 3)"),
    ("(1,2)", Interval, "(1, 2)"),
    ("[1,2)", Interval, "[1, 2)"),
    (r"(1,2]\cup[3,\infty)", Union, "(1, 2] U [3, oo)"),
    ("0 < x < 1", Interval, "(0, 1)"),
    (r"x \in [0, 1]", Interval, "[0, 1]"),
    ("x = 3", Relation, "x = 3"),
    (r"5 \geq x", Relation, "x <= 5"),
    ("2+2 = 4", Scalar, "4"),
    ("(p, q) = (3, 2)", Interval, "(3, 2)"),
    (r"1 \pm \sqrt{2}", Collection, "{1 + sqrt(2), 1 - sqrt(2)}"),
    (r"\begin{pmatrix}1&2\\3&4\end{pmatrix}", Matrix, "[1, 2; 3, 4]"),
    ("(B)", Choice, "(B)"),
    (r"\text{(C)}", Choice, "(C)"),
    (r"\text{Evelyn}", Word, "'evelyn'"),
    (r"x \approx 3", Scalar, "3"),
    ("p=5,q=2;p=7,q=2", Collection, "{{p = 5, q = 2}, {p = 7, q = 2}}"),
]


@pytest.mark.parametrize(("text", "kind", "shown"), SHAPES)
def test_shapes(text: str, kind: type, shown: str) -> None:
    value = parse_answer(text, CONFIG)
    assert isinstance(value, kind)
    assert str(value) == shown


@pytest.mark.parametrize(
    "text",
    [
        "",
        r"\frac{",
        "the cat sat on the mat and then it sat on the dog and on the mat again and again",
        "a < b > c < d",
        r"\begin{pmatrix}1&2\\3\end{pmatrix}",
        "(,)",
    ],
)
def test_unparseable(text: str) -> None:
    with pytest.raises(ParseError):
        parse_answer(text, CONFIG)


def test_items_limit() -> None:
    many = ", ".join(str(i) for i in range(50))
    assert isinstance(parse_answer(many, CONFIG), Collection)
    with pytest.raises(ParseError):
        parse_answer(many, MathConfig(max_items=10))


def _pinned_antlr() -> str:
    pyproject = (Path(__file__).resolve().parents[3] / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(r'"antlr4-python3-runtime==([0-9.]+)"', pyproject)
    assert found, "pyproject.toml lost its antlr4-python3-runtime pin"
    return found.group(1)


def test_latex_goes_through_latex2sympy_on_the_pinned_antlr(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard: a trainer or tool dependency that drags antlr4-python3-runtime to another version
    (hydra-core/omegaconf pin 4.9) must fail here, not silently swap the LaTeX parser underneath
    every math verdict (latex2sympy2_extended picks its generated parser by the installed runtime)."""
    from latex2sympy2_extended import antlr_parser, latex2sympy

    from verifiers.math import expressions

    pin = _pinned_antlr()
    assert importlib.metadata.version("antlr4-python3-runtime") == pin
    assert f".gen.antlr{pin.replace('.', '_')}." in antlr_parser.PSParser.__module__
    assert latex2sympy(r"\frac{1}{3}") == sympy.Rational(1, 3)
    seen: list[str] = []

    def spy(text: str) -> Any:
        seen.append(text)
        return latex2sympy(text)

    monkeypatch.setattr(expressions, "latex2sympy", spy)  # records only: the real parser answers
    value = parse_answer(r"\frac{1}{\binom{5}{2}}", CONFIG)
    assert seen == [r"\frac{1}{\binom{5}{2}}"]  # beyond the plain fast path: latex2sympy parsed it
    assert isinstance(value, Scalar)
    assert value.to_sympy() == sympy.Rational(1, 10)
