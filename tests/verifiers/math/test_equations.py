"""Equations: implicit vs solved forms, renamed function arguments, integer parameters."""

from __future__ import annotations

import pytest

from verifiers.math import explain, verify
from verifiers.math.equations import function_definition


def boxed(answer: str) -> str:
    return f"Working...\nSo the answer is $\\boxed{{{answer}}}$."


IMPLICIT_VS_SOLVED = [
    ("xy=12", "y=12/x", True),
    ("xy=12", r"y=\frac{12}{x}", True),
    ("xy=12", r"x=\frac{12}{y}", True),
    (r"y=\frac{12}{x}", "xy=12", True),
    ("y=2x", "2y=4x", True),
    ("y=2x", "-3y=-6x", True),
    (r"\frac{x}{2}+\frac{y}{3}=1", "3x+2y=6", True),
    ("x^2+y^2=1", r"y^2=1-x^2", True),
    (r"y=\frac{x^2-1}{x-1}", "y=x+1", True),
    # traps: different relations must stay different
    ("y=2x", "y=2x+1", False),
    ("y=2x+1", "y=2x", False),
    ("x^2=4", "x=2", False),
    ("x=2", "x^2=4", False),
    ("xy=12", r"y=\frac{x}{12}", False),
    ("xy=12", "y=12x", False),
    ("xy=12", "xy=-12", False),
    (r"y=\frac{1}{x}", "y=x", False),
    (r"\frac{1}{x}=0", r"\frac{1}{y}=0", False),
    ("x+y=1", "x-y=1", False),
    ("x^2+y^2=1", "x^2+y^2=4", False),
]

INEQUALITIES = [
    ("x<1", "-x>-1", True),
    ("2x<4", "x<2", True),
    ("x<1", "x>1", False),
    ("x<1", "-x<-1", False),  # scaled by a negative: the direction flips
    ("2x<4", "-x<-2", False),
    ("x<1", r"x\leq 1", False),
    (r"\frac{1}{x}<1", "1<x", False),  # multiplying by x needs its sign: never done
]

FUNCTIONS = [
    ("g(t)=2t", "g(x)=2x", True),
    ("f(x)=x^2+1", "f(t)=t^2+1", True),
    ("f(x)=x^2+1", "f(u)=1+u^2", True),
    ("f(x,y)=x+2y", "f(a,b)=a+2b", True),
    ("f(x)=2x", "2x", True),
    # traps
    ("g(t)=2t", "g(x)=2t", False),  # t is free on the right: not the same function
    ("g(t)=2t", "g(x)=3x", False),
    ("g(t)=2t", "f(x)=2x", False),
    ("f(x,y)=x+2y", "f(a,b)=b+2a", False),  # arguments are positional
    ("f(x)=ax", "f(t)=at", True),
    ("f(x)=ax", "f(a)=a a", False),
    ("f(x)=2x", "y=2x", True),
    ("f(x)=2x", r"f(t)=2t, t \in \mathbb{R}", True),
    ("x=2k", r"x = 2k, k \in \mathbb{Z}", True),
    (r"x=\frac{k\pi}{2}", r"x=\frac{t\pi}{2}, t\in\mathbb{Z}", True),  # declared integer: bound
    (r"x=\frac{\pi}{3}+2k\pi", r"x=\frac{7\pi}{3}+2a\pi, a \in \mathbb{Z}", True),
    (r"x=\frac{k\pi}{2}", r"x=\frac{t\pi}{2}", False),  # t undeclared: a free letter
    (r"x=\frac{k\pi}{2}", r"x=\frac{t\pi}{2}, t\in\mathbb{R}", False),  # a real t is not a family
    ("x=2", r"x = 2k, k \in \mathbb{Z}", False),
    ("p(x)=x^2+1", "P(t)=t^2+1", True),  # the parser reads letters case-blind, so do we
    ("y=2x", "f(x)=2x", True),
    ("f(x)=2x", "y=2t", False),
    ("f(x)=2x", "x=2x", False),
    ("f(x)=2x+1", "y=2x", False),
]

PARAMETERS = [
    (r"x=k\pi", r"x=n\pi", True),
    (r"x=2k\pi", r"x=2n\pi", True),
    (r"k\pi", r"m\pi", True),
    (r"x=\frac{\pi}{2}+k\pi", r"x=\frac{\pi}{2}+n\pi, n\in\mathbb{Z}", True),
    (r"x=\frac{\pi}{2}+k\pi", r"x=-\frac{\pi}{2}+k\pi", True),
    (r"x=\frac{\pi}{4}+\frac{k\pi}{2}", r"x=\frac{3\pi}{4}+\frac{n\pi}{2}", True),
    (r"\frac{\pi}{3}+2k\pi", r"\frac{7\pi}{3}+2n\pi", True),
    (r"x = k\pi", r"x = -k\pi", True),
    (r"x=\frac{\pi}{2}+k\pi", r"x=\frac{\pi}{2}+k\pi \text{ where } k \text{ is an integer}", True),
    (r"x=\frac{\pi}{2}+k\pi", r"x=\frac{\pi}{2}+k\pi \text{ for any integer } k", True),
    (r"x=\frac{\pi}{4}+k\pi\ (k\in \mathbf{Z})", r"x = \frac{\pi}{4} + n\pi", True),
    (r"\frac{\pi}{2}+k\pi", r"\frac{(2n+1)\pi}{2}", True),
    (r"x = 2k\pi \pm \frac{\pi}{3}", r"x = 2n\pi \pm \frac{\pi}{3}", True),
    (r"x = 2k\pi \pm \frac{\pi}{3}", r"x = 2n\pi + \frac{\pi}{3}", False),
    # traps
    (r"x=k\pi", r"x=2k\pi", False),
    (r"x=2k\pi", r"x=k\pi", False),
    (r"x=k\pi", r"x=\frac{\pi}{2}+k\pi", False),
    (r"x=\frac{\pi}{3}+2k\pi", r"x=\frac{\pi}{3}+k\pi", False),
    (r"x=2k\pi", r"x=2k\pi+\pi", False),
    (r"x=\frac{\pi}{4}+k\pi", r"x=\frac{\pi}{4}+\frac{k\pi}{2}", False),
    (r"x=k\pi", r"x=k\pi+n", False),
    (r"x=k\pi", r"y=k\pi", False),
    ("2k+1", "2n+1", False),  # without pi, letters are not taken as integer parameters
]


@pytest.mark.parametrize(
    ("gold", "answer", "correct"),
    [
        pytest.param(g, a, c, id=f"{kind}-{i}")
        for kind, rows in (
            ("implicit", IMPLICIT_VS_SOLVED),
            ("inequality", INEQUALITIES),
            ("function", FUNCTIONS),
            ("parameter", PARAMETERS),
        )
        for i, (g, a, c) in enumerate(rows)
    ],
)
def test_equations(gold: str, answer: str, correct: bool) -> None:
    verdict = verify(gold, boxed(answer))
    assert verdict.correct is correct, explain(gold, boxed(answer)).steps


@pytest.mark.parametrize(
    ("lhs", "definition"),
    [
        ("f(x)", ("f", ("x",))),
        ("g( t )", ("g", ("t",))),
        ("f(x,y)", ("f", ("x", "y"))),
        ("f(x,x)", None),
        ("y", None),
    ],
)
def test_function_definition(lhs: str, definition: tuple[str, tuple[str, ...]] | None) -> None:
    assert function_definition(lhs) == definition
