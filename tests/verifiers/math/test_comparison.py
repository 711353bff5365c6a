"""compare(): the structural walk over two parsed value trees, and the method it names.

Values come from ``parse_answer`` so each row reads as the answer a model writes; the table pins
which comparison decided (the verdict's ``method``), or None where the two must stay different.
"""

from __future__ import annotations

import pytest

from verifiers.math.comparison import compare
from verifiers.math.config import MathConfig
from verifiers.math.parsing import parse_answer

CFG = MathConfig()

COMPARISONS = [
    # sets ignore order and are compared element by element; a missing element is a mismatch
    (r"\{1,2\}", r"\{2,1\}", "set"),
    (r"\{1,2\}", r"\{1,2,3\}", None),
    ("1,2,3", "3,2,1", "set"),
    # tuples keep order; brackets distinguish a point from a closed interval
    ("(1,2)", "(2,1)", None),
    ("(1,2)", "[1,2]", None),
    # intervals keep bracket kinds; inequalities are read as intervals
    ("[0,1)", "[0,1)", "interval"),
    ("[0,1)", "[0,1]", None),
    ("(0,1)", "0<x<1", "interval"),
    (r"x<1", r"(-\infty,1)", "interval"),
    (r"[0,1]\cup[2,3]", r"[2,3]\cup[0,1]", "union"),
    # relations: an assignment's right side; equations up to a constant factor
    ("x=3", "3", "equation_rhs_exact_rational"),
    ("y=2x", "2y=4x", "relation_proportional"),
    ("x=1, y=2", "(1,2)", "tuple"),
    # a column vector is the tuple of its entries
    (r"\begin{pmatrix}1\\2\end{pmatrix}", "(1,2)", "tuple"),
    # choices, times of day, prose
    ("(A)", "A", "choice"),
    (r"\text{B}", "B", "choice"),
    ("3:00", "3:00 PM", "time_of_day"),
    ("3:00", "7:00", None),
    (r"\text{yes}", r"\text{Yes}", "text"),
    (r"\text{five}", "5", "text_numbers_exact_rational"),
    # scalars are handed to scalars.py; the method says which rule decided
    ("1/2", "0.5", "exact_rational"),
    ("2", "(2)", "exact_rational"),
    (r"x^2+2x+1", "(x+1)^2", "numeric_sampling"),
    (r"\sqrt{2}", "1.41421356", "rounded_answer_sig"),
    # a decimal answer is not read as a rounded exact gold unless long enough
    (r"\frac{1}{3}", "0.33", None),
]


@pytest.mark.parametrize(("gold", "pred", "method"), COMPARISONS)
def test_compare_names_the_deciding_method(gold: str, pred: str, method: str | None) -> None:
    assert compare(parse_answer(gold, CFG), parse_answer(pred, CFG), CFG) == method


@pytest.mark.parametrize(
    ("gold", "pred"),
    [("1,2,3", "3,2,1"), (r"\{1,2\}", r"\{2,1\}"), ("y=2x", "2y=4x"), ("3:00", "3:00 PM")],
)
def test_equivalence_holds_both_ways(gold: str, pred: str) -> None:
    assert compare(parse_answer(pred, CFG), parse_answer(gold, CFG), CFG) is not None


def test_policies_switch_comparisons_off() -> None:
    no_rhs = MathConfig(equation_rhs=False)
    assert compare(parse_answer("x=3", no_rhs), parse_answer("3", no_rhs), no_rhs) is None
