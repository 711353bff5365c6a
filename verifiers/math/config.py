"""How the math verifier reads and compares: the extraction mode and every comparison policy.

Why its own module: the policies are what a user tunes (reward params, ``arbiter`` flags) and what
travels to the pool's workers; the verdict (``verdict.py``) is what comes back. Each policy is a
field with a default, named in the README's "Math policies" section.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ExtractionMode", "MathConfig", "PercentPolicy"]


class ExtractionMode(StrEnum):
    """STRICT for training rewards (only the committed final answer); LENIENT for evaluation."""

    STRICT = "strict"
    LENIENT = "lenient"


class PercentPolicy(StrEnum):
    """How ``50\\%`` compares with plain numbers.

    VALUE: ``50\\%`` equals ``0.5`` only (the percent sign is a factor 1/100).
    VALUE_OR_NUMBER: it also equals ``50`` (graders of word problems accept the bare number).
    """

    VALUE = "value"
    VALUE_OR_NUMBER = "value_or_number"


@dataclass(frozen=True, slots=True)
class MathConfig:
    """Comparison and extraction policies. Picklable: it travels to the pool's workers.

    Fields may be added (always with a default); see the README's math policy section.
    """

    mode: ExtractionMode = ExtractionMode.STRICT
    rel_tol: float = 1e-9  # relative tolerance for float comparison
    max_answer_chars: int = 2000  # guard: longer extracted answers are TOO_LARGE
    max_completion_chars: int = 200_000  # guard: longer completions are only searched at the tail
    # Comparison policies (see verifiers/math/comparison.py).
    percent: PercentPolicy = PercentPolicy.VALUE_OR_NUMBER
    rounded_gold: bool = True  # gold 0.33 matches 1/3: a decimal gold is taken as rounded
    pred_rounding_min_digits: int | None = None  # a decimal answer with >= N digits may be rounded
    equation_rhs: bool = True  # `x=3` matches `3` (an equation whose left side is one symbol)
    strip_units: bool = True  # `5\\text{ cm}` matches `5`
    imaginary_unit: bool = True  # the symbol `i` is the imaginary unit
    # Answer forms (see README "Math policies"; verifiers/math/rounding.py, units.py, equations.py,
    # multipart.py, notation.py).
    rounded_answer_min_sig_digits: int | None = 3  # `42.86` for `300/7`: exact gold rounded; None: off
    check_units: bool = True  # known units are compared (`5 m` != `5 cm`, `5 m` == `500 cm`)
    bare_number_in_gold_unit: bool = True  # a bare `5` against `5\text{ m}` is read in metres
    degrees_radians: bool = True  # `30^\circ` == `\pi/6` (a bare value with pi is in radians)
    decimal_comma: bool = True  # answer `12,5` is 12.5 when the gold is one number
    ordinals: bool = True  # `7^{\text{th}}`, `7th` read as 7
    ellipsis: bool = True  # `\cdots`, `\ldots`, `...` are one ellipsis item of an ordered list
    multipart: bool = True  # several final boxes / labelled parts against a gold of as many parts
    # Cheap guards applied before sympy sees the text (reason TOO_LARGE).
    max_brace_depth: int = 40  # nesting of {}, (), []
    max_int_digits: int = 1000  # digits of one integer literal
    max_result_digits: int = 10_000  # estimated digits of a literal power such as 10^{10^{10}}
    max_symbolic_exponent: int = 10_000  # largest literal exponent on a non-literal base
    max_factorial_n: int = 1000  # largest literal n in n!
    max_items: int = 200  # elements of a set, tuple or matrix
