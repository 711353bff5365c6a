"""Normalisation: one spelling per answer before parsing."""

from __future__ import annotations

import pytest

from verifiers.math.normalization import normalize

CASES = [
    (r"\dfrac{1}{2}", r"\frac{1}{2}", False),
    (r"\frac12", r"\frac{1}{2}", False),
    (r"\sqrt2", r"\sqrt{2}", False),
    (r"\left( 1, 2 \right)", "( 1, 2 )", False),
    ("14{,}916", "14916", False),
    (r"11,\! 111,\! 100", "11,111,100", False),
    ("1 000", "1000", False),
    (r"90^\circ", "90", False),
    (r"50\%", "50", True),
    (r"\$10", "10", False),
    (r"5\text{ cm}", "5", False),
    (r"15\mbox{ cm}^2", "15", False),
    ("125 miles", "125", False),
    (r"\textbf{B}", r"\text{B}", False),
    (r"1 \text{ and } 2", "1  and  2", False),
    ("x = 3.", "x = 3", False),
    (r"\\frac{1}{2}", r"\frac{1}{2}", False),
    ("-\x0crac{7}{4}", r"-\frac{7}{4}", False),
]


@pytest.mark.parametrize(("text", "normal", "percent"), CASES)
def test_normalize(text: str, normal: str, percent: bool) -> None:
    assert normalize(text) == (normal, percent)


def test_units_kept_when_asked() -> None:
    assert normalize(r"5\text{ cm}", strip_units=False)[0] == r"5\text{ cm}"
