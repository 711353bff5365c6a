"""What shape each kind of answer parses into (the policy behind brackets and commas)."""

from __future__ import annotations

import pytest

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
