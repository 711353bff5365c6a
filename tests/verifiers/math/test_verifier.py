"""Behaviour tables for ``verify``: traps first, then one table per answer category."""

from __future__ import annotations

import pytest

from verifiers.math import ExtractionMode, MathConfig, PercentPolicy, Reason, explain, verify
from verifiers.math.verifier import INTERNAL_ERROR, prepare_gold, verify_prepared


def boxed(answer: str) -> str:
    return f"Let me think step by step. Some working here.\nSo the answer is $\\boxed{{{answer}}}$."


TRAPS = [
    # (gold, completion, expected correct, expected reason)
    ("1/2^{99}", boxed(r"\frac{1}{2^{98}}"), False, Reason.NOT_EQUAL),
    (r"\frac{1}{2^{99}}", boxed(r"2^{-99}"), True, Reason.EQUAL),
    (r"1-\frac{1}{e}", boxed(r"1+\frac{1}{e}"), False, Reason.NOT_EQUAL),
    ("y=2x+1", boxed("y=2x+2"), False, Reason.NOT_EQUAL),
    ("y=2x+1", boxed("y=3x+1"), False, Reason.NOT_EQUAL),
    ("5", r"First we get \boxed{5}. Wait, recheck: the answer is \boxed{6}.", False, Reason.NOT_EQUAL),
    ("7", r"We find 7, so the answer is \boxed{7", False, Reason.UNPARSEABLE_ANSWER),
    ("7", r"\boxed{7} ... no wait \boxed{8", False, Reason.UNPARSEABLE_ANSWER),
    ("(1,2]", boxed("(1,2)"), False, Reason.NOT_EQUAL),
    ("(1,2)", boxed("(1,2]"), False, Reason.NOT_EQUAL),
    ("123456", boxed("123457"), False, Reason.NOT_EQUAL),
    ("7", "The result is 7 and I am confident.", False, Reason.NO_ANSWER),
    ("7", "<think>7</think><answer>The answer is \\boxed{7</answer>", False, Reason.UNPARSEABLE_ANSWER),
    ("7", "<think>it is 7</think><answer>7", False, Reason.UNPARSEABLE_ANSWER),
    ("1/3", boxed("0.33"), False, Reason.NOT_EQUAL),
    ("5", boxed("5.001"), False, Reason.NOT_EQUAL),
    ("0", boxed("10^{-12}"), False, Reason.NOT_EQUAL),
    ("2", boxed("2 + 10^{-30}"), False, Reason.NOT_EQUAL),
]


@pytest.mark.parametrize(("gold", "completion", "correct", "reason"), TRAPS)
def test_traps(gold: str, completion: str, correct: bool, reason: Reason) -> None:
    verdict = verify(gold, completion)
    assert (verdict.correct, verdict.reason) == (correct, reason), explain(gold, completion).steps


CATEGORIES = {
    "numbers": [
        ("120", "5!", True),
        ("13", r"\textbf{13}", True),
        ("42", "42", True),
        ("-5", "-5", True),
        ("42", "42.0", True),
        ("0.4", ".4", True),
        ("3.14", "3.140", True),
        ("42", "-42", False),
        ("2", "3", False),
    ],
    "fractions": [
        ("1/2", r"\frac{1}{2}", True),
        ("1/2", r"\dfrac{1}{2}", True),
        ("1/2", r"\tfrac12", True),
        ("-10/9", r"-\frac{10}{9}", True),
        ("1/2", "0.5", True),
        ("3/4", r"\frac{6}{8}", True),
        ("1/2", r"\frac{1}{3}", False),
        ("2/3", r"\frac{3}{2}", False),
    ],
    "radicals": [
        (r"\sqrt{2}/2", r"\frac{1}{\sqrt{2}}", True),
        (r"3\sqrt{13}", r"\sqrt{117}", True),
        (r"2\sqrt{3}", r"\sqrt{12}", True),
        (r"\sqrt[3]{8}", "2", True),
        (r"\sqrt{2}+\sqrt{5}", r"\sqrt 2+\sqrt 5", True),
        (r"2\sqrt{3}", r"3\sqrt{2}", False),
        (r"\sqrt{2}", "1.415", False),  # 1.414 is a rounding (rounded_answer_min_sig_digits)
    ],
    "percentages": [
        (r"50\%", "0.5", True),
        (r"50\%", "50", True),
        (r"50\%", r"50\%", True),
        ("0.5", r"50\%", True),
        ("10", "10%", True),
        (r"50\%", "5", False),
        (r"50\%", r"5\%", False),
        (r"50\%, 20\%", "0.2, 0.5", True),
        (r"50\%, 20\%", "0.2, 0.4", False),
        (r"x = 50\%", "0.5", True),
        (r"x = 50\%", "x = 0.5", True),
        (r"x = 50\%", "5", False),
    ],
    "sets": [
        (r"\{1,2\}", r"\{2,1\}", True),
        (r"\{1,2,3\}", r"\{3,2,1\}", True),
        (r"\{1,2\}", r"\{1,3\}", False),
        (r"\{1,2\}", r"\{1,2,3\}", False),
        (r"\{1\pm\sqrt{5},-2\}", r"\{-2, 1+\sqrt5, 1-\sqrt5\}", True),
    ],
    "intervals": [
        ("[0,1)", "[0,1)", True),
        ("(1,2]", "(1,2]", True),
        (r"(-\infty, 3)", r"(-\infty,3)", True),
        ("[0,1)", "(0,1)", False),
        ("[0,9)", "[0,1)", False),
        (r"(-\infty,1]\cup[2,\infty)", r"[2,\infty)\cup(-\infty,1]", True),
        (r"(-\infty,1]\cup[2,\infty)", r"(-\infty,1)\cup[2,\infty)", False),
        ("x > 5", r"(5,\infty)", True),
        ("(0,1)", "0<x<1", True),
    ],
    "tuples": [
        ("(1,2)", "(1,2)", True),
        ("(1,2)", "(2,1)", False),
        ("(3,2,7)", "(3, 2, 7)", True),
        ("(3,2,7)", "(3, 7, 2)", False),
        (r"(1,\frac{9}{2})", "(1,4.5)", True),
        (r"(3, \frac{\pi}{2})", r"\left( 3, \frac{\pi}{2} \right)", True),
        ("(1,2,3)", "(1,2)", False),
        ("(3,2,7)", r"\{3, 2, 7\}", False),
        (r"\{3, 2, 7\}", "(3,2,7)", False),
        ("(3,2,7)", "3, 2, 7", True),
        ("(3,2,7)", "7, 2, 3", False),
        ("(1,2)", "1, 2", True),
        ("(1,2)", "2, 1", False),
        ("(1,2)", r"\{1, 2\}", False),
    ],
    "matrices": [
        (r"\begin{pmatrix}1&2\\3&4\end{pmatrix}", r"\begin{bmatrix}1 & 2 \\ 3 & 4\end{bmatrix}", True),
        (r"\begin{pmatrix}1&2\\3&4\end{pmatrix}", r"\begin{pmatrix}1&2\\3&5\end{pmatrix}", False),
        (r"\begin{pmatrix}1&2\\3&4\end{pmatrix}", r"\begin{pmatrix}1&3\\2&4\end{pmatrix}", False),
        (r"\begin{pmatrix}1\\2\end{pmatrix}", r"\begin{pmatrix}1&2\end{pmatrix}", False),
        (r"\begin{pmatrix}1\\2\end{pmatrix}", r"\left(1, 2\right)", True),
        (r"\begin{pmatrix}1\\2\\3\end{pmatrix}", "(1, 2, 3)", True),
        (r"\begin{pmatrix}1\\2\end{pmatrix}", "(2, 1)", False),
        (r"\begin{pmatrix}1\\2\end{pmatrix}", r"\{1, 2\}", False),
        (r"\begin{pmatrix}\frac12&0\\0&1\end{pmatrix}", r"\begin{pmatrix}0.5&0\\0&1\end{pmatrix}", True),
    ],
    "equations": [
        ("x=3", "3", True),
        ("3", "x=3", True),
        ("y=2x+1", "1+2x=y", True),
        ("y=2x+1", "2y=4x+2", True),
        ("y=2x+1", "y=2x-1", False),
        ("x+y=1", "x-y=1", False),
        ("34x+45y-20z+100=0", "-34x-45y+20z-100=0", True),
        ("7 = 11a+c", "11a+c", False),
        ("x=2 or x=-3", "x=-3, x=2", True),
        ("x=2 or x=-3", "2, -3", True),
        ("x=2 or x=-3", "x=2", False),
        (r"p = 5, q = 2 \text{ and } p = 7, q = 2", "(5, 2), (7, 2)", True),
        (r"p = 5, q = 2 \text{ and } p = 7, q = 2", "(5, 2), (2, 7)", False),
    ],
    "inequalities": [
        (r"x \geq 5", "5 \\leq x", True),
        ("x < 1", "-x > -1", True),
        ("x < 1", "x > -1", False),
        (r"x \geq 5", r"x \leq 5", False),
        ("x < 3", r"x \leq 3", False),
    ],
    "units": [
        ("5", r"5\text{ cm}", True),
        ("15", r"15\mbox{ cm}^2", True),
        ("90", r"90^\circ", True),
        (r"90^\circ", "90", True),
        ("125", r"125\textnormal{ miles}", True),
        ("10", r"\$10", True),
        ("5", r"6\text{ cm}", False),
    ],
    "complex": [
        ("3+4i", "4i+3", True),
        ("3+4i", "3-4i", False),
        ("i", r"\sqrt{-1}", True),
        ("2i", "2", False),
    ],
    "choice_letters": [
        ("B", "(B)", True),
        ("B", r"\text{(B)}", True),
        ("B", r"\textbf{B}", True),
        ("(C)", "C", True),
        ("B", "C", False),
        ("B", r"\text{(D)}", False),
        ("C", r"\textbf{(C)}\ 12", True),
        ("C", r"(D) 12", False),
        ("A, B", "(A), (B)", True),
        ("A", "(A), (B)", False),
    ],
    "scientific_notation": [
        ("1500000", "1.5e6", True),
        ("1500000", r"1.5\times10^6", True),
        ("1500000", r"1.5 \cdot 10^{6}", True),
        ("1.5e6", r"1.5\times 10^{6}", True),
        ("1500000", r"1.5\times10^5", False),
        ("0.00015", r"1.5\times10^{-4}", True),
    ],
    "thousands_separators": [
        ("1234567", "1,234,567", True),
        ("14916", "14{,}916", True),
        ("1000", "1 000", True),
        ("1234567", "1,234,568", False),
        ("(1,234)", "(1,234)", True),
        ("1234", "(1,234)", False),
    ],
    "mixed_numbers": [
        ("7/3", r"2\frac{1}{3}", True),
        ("918.5", r"918\frac{1}{2}", True),
        ("-7/3", r"-2\frac{1}{3}", True),
        ("7/3", r"2\frac{2}{3}", False),
    ],
    "expressions": [
        ("x^2+2x+1", "x^2 + 2*x + 1", True),
        ("(r+5)^2", "(r+5)(r+5)", True),
        (r"\frac{x+2}{7}", r"\frac{x}{7}+\frac{2}{7}", True),
        (r"\tan^2(y)+1", r"\sec^2(y)", True),
        ("exp(16)-1", r"e^{16}-1", True),
        ("pi/2", r"\frac{\pi}{2}", True),
        ("x^2+2x+1", "x^3+2x+1", False),
        ("2 sin(b) cos(a)", r"2 \sin b \cos a", True),
        (r"\frac{\pi r}{h+r}", r"\frac{\pi r}{h-r}", False),
        (r"\log(100)", "2", True),
        (r"\log 100", "2", True),
        (r"\ln(e^2)", "2", True),
        ("n(n+1)/2", r"\frac{n^2+n}{2}", True),
        (r"x^2+y^2=1", r"y^2+x^2=1", True),
        (r"x^2+y^2=1", r"x^2+y^2=2", False),
        (r"y = \sin^2 x", r"y = 1 - \cos^2 x", True),
        (r"y = \sin^2 x", r"y = 1 + \cos^2 x", False),
    ],
    "text_answers": [
        (r"\text{Evelyn}", "Evelyn", True),
        ("odd", r"\text{odd}", True),
        ("odd", r"\text{oddd}", False),
        ("Even", "even", True),
    ],
}


@pytest.mark.parametrize(
    ("gold", "answer", "correct"),
    [
        pytest.param(g, a, c, id=f"{cat}-{i}")
        for cat, rows in CATEGORIES.items()
        for i, (g, a, c) in enumerate(rows)
    ],
)
def test_categories(gold: str, answer: str, correct: bool) -> None:
    verdict = verify(gold, boxed(answer))
    assert verdict.correct is correct, explain(gold, boxed(answer)).steps
    assert verdict.reason is (Reason.EQUAL if correct else Reason.NOT_EQUAL)


EXTRACTION = [
    # (gold, completion, mode, correct, reason)
    ("3", "<think>maybe 4</think><answer>3</answer>", ExtractionMode.STRICT, True, Reason.EQUAL),
    (
        "3",
        "<think>maybe 4</think><answer>The answer is \\boxed{3}.</answer>",
        ExtractionMode.STRICT,
        True,
        Reason.EQUAL,
    ),
    ("3", "So we get 3.\nThe answer is 3.", ExtractionMode.STRICT, True, Reason.EQUAL),
    ("3", "Final answer: $3$", ExtractionMode.STRICT, True, Reason.EQUAL),
    ("3", "We compute and get $x = 3$ at the end", ExtractionMode.STRICT, False, Reason.NO_ANSWER),
    ("3", "We compute and get $x = 3$ at the end", ExtractionMode.LENIENT, True, Reason.EQUAL),
    # A hedge is a hedge in lenient mode too: read whole, not as its last number.
    ("3", "it is 5 or maybe 3", ExtractionMode.LENIENT, False, Reason.NOT_EQUAL),
    ("2", "AZYUK2A", ExtractionMode.LENIENT, False, Reason.UNPARSEABLE_ANSWER),
    ("3", r"\fbox{3}", ExtractionMode.STRICT, True, Reason.EQUAL),
    ("20", "The final answer is $20 \\%$. I hope it is correct.", ExtractionMode.STRICT, True, Reason.EQUAL),
    ("0.2", "The final answer is $20 \\%$.", ExtractionMode.STRICT, True, Reason.EQUAL),
    ("-2, 1", r"the roots are $\boxed{1}$ and $\boxed{-2}$", ExtractionMode.STRICT, True, Reason.EQUAL),
    (
        "-2, 1",
        r"first $\boxed{1}$, then many words later we have \boxed{-2}",
        ExtractionMode.STRICT,
        False,
        Reason.NOT_EQUAL,
    ),
    ("3", "The answer is \\boxed{}", ExtractionMode.STRICT, False, Reason.UNPARSEABLE_ANSWER),
    ("3", "The answer is \\boxed{\\frac{}{}}", ExtractionMode.STRICT, False, Reason.UNPARSEABLE_ANSWER),
]


@pytest.mark.parametrize(("gold", "completion", "mode", "correct", "reason"), EXTRACTION)
def test_extraction_rules(
    gold: str, completion: str, mode: ExtractionMode, correct: bool, reason: Reason
) -> None:
    verdict = verify(gold, completion, MathConfig(mode=mode))
    assert (verdict.correct, verdict.reason) == (correct, reason), explain(
        gold, completion, MathConfig(mode=mode)
    ).steps


GOLD_FORMS = [
    (r"$\frac{1}{3}$", True),
    (r"\boxed{\frac{1}{3}}", True),
    (r"The solution gives $x=1/3$, so \boxed{1/3}.", True),
    ("1/3", True),
    (r"$\frac{1}{4}$", False),
]


@pytest.mark.parametrize(("gold", "correct"), GOLD_FORMS)
def test_gold_forms(gold: str, correct: bool) -> None:
    assert verify(gold, boxed(r"\frac13")).correct is correct


INVALID = [
    (None, "\\boxed{0}", Reason.INVALID_INPUT),
    (True, "\\boxed{1}", Reason.INVALID_INPUT),
    ([1], "\\boxed{1}", Reason.INVALID_INPUT),
    ("1", None, Reason.INVALID_INPUT),
    ("", "\\boxed{1}", Reason.UNPARSEABLE_GOLD),
    ("\\frac{", "\\boxed{1}", Reason.UNPARSEABLE_GOLD),
    # A truncated gold is never read by its last number: that would reward the wrong answer.
    ("\\frac{1}{", "\\boxed{1}", Reason.UNPARSEABLE_GOLD),
    ("\\sqrt{2", "\\boxed{2}", Reason.UNPARSEABLE_GOLD),
    ("((1,2)", "\\boxed{1.2}", Reason.UNPARSEABLE_GOLD),
    ("{1,2", "\\boxed{1.2}", Reason.UNPARSEABLE_GOLD),
]


@pytest.mark.parametrize(("gold", "completion", "reason"), INVALID)
def test_invalid_inputs_are_unscorable(gold: object, completion: object, reason: Reason) -> None:
    verdict = verify(gold, completion)  # type: ignore[arg-type]
    assert verdict.reason is reason
    assert not verdict.correct and not verdict.scorable


@pytest.mark.parametrize(
    ("gold", "answer", "correct"),
    [(5, "5", True), (5, "5.0", True), (0.5, r"\frac12", True), (2.5, r"\frac{5}{2}", True), (5, "6", False)],
)
def test_numeric_gold(gold: object, answer: str, correct: bool) -> None:
    assert verify(gold, boxed(answer)).correct is correct


POLICIES = [
    (MathConfig(percent=PercentPolicy.VALUE), r"50\%", "50", False),
    (MathConfig(percent=PercentPolicy.VALUE), r"50\%", "0.5", True),
    (MathConfig(rounded_gold=False), "0.33", r"\frac{1}{3}", False),
    (MathConfig(rounded_gold=True), "0.33", r"\frac{1}{3}", True),
    (MathConfig(rounded_gold=True), "0.5", "0.51", False),
    (MathConfig(rounded_gold=True), "0.5", r"\frac{51}{100}", False),
    (MathConfig(rounded_gold=True), "1.41", r"\sqrt{2}", True),
    (MathConfig(rounded_gold=True), "1.41", r"\sqrt{3}", False),
    (MathConfig(pred_rounding_min_digits=4), r"\frac13", "0.3333", True),
    (MathConfig(pred_rounding_min_digits=4), r"\frac13", "0.33", False),
    (MathConfig(rel_tol=1e-3), "5", "5.001", True),
    (MathConfig(equation_rhs=False), "3", "x=3", False),
    (MathConfig(strip_units=False), "5", r"5\text{ cm}", False),
    (MathConfig(imaginary_unit=False), "i", r"\sqrt{-1}", False),
]


@pytest.mark.parametrize(("config", "gold", "answer", "correct"), POLICIES)
def test_policies(config: MathConfig, gold: str, answer: str, correct: bool) -> None:
    assert verify(gold, boxed(answer), config).correct is correct


def test_explain_lists_the_stages() -> None:
    explanation = explain("1/2", boxed(r"\frac{2}{4}"))
    stages = [s.stage for s in explanation.steps]
    assert stages[:3] == ["extract_gold", "normalize_gold", "parse_gold"]
    assert "normalize_answer" in stages
    assert "extract_answer" in stages and stages[-1] == "verdict"
    assert explanation.verdict.correct and explanation.verdict.method == "exact_rational"


def test_verdict_carries_parsed_forms() -> None:
    verdict = verify("1/2", boxed("0.5"))
    assert verdict.extracted == "0.5"
    assert verdict.gold_parsed == "1/2" and verdict.pred_parsed == "1/2"


@pytest.mark.parametrize(
    ("gold", "answers"),
    [("1/2", ["0.5", r"\frac{2}{4}", "3", "x"]), (r"\{1,2\}", [r"\{2,1\}", "1"]), (None, ["1"]), ("", ["1"])],
)
def test_prepared_gold_matches_verify(gold: object, answers: list[str]) -> None:
    prepared = prepare_gold(gold)
    for answer in answers:
        direct, split = verify(gold, boxed(answer)), verify_prepared(prepared, boxed(answer))
        assert (direct.correct, direct.reason, direct.method) == (split.correct, split.reason, split.method)


_SOUP = [
    "1",
    "2",
    "9",
    "0",
    "x",
    "y",
    "e",
    "i",
    r"\pi",
    "+",
    "-",
    "*",
    "/",
    "^",
    "^{",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    r"\frac",
    r"\sqrt",
    r"\sqrt[3]",
    "!",
    "=",
    "<",
    r"\leq",
    r"\cup",
    r"\{",
    r"\}",
    r"\infty",
    r"\text{cm}",
    r"\%",
    ".",
    r"\pm",
    r"\sin",
    r"\log",
    "&",
    r"\\",
    r"\begin{pmatrix}",
    r"\end{pmatrix}",
    " ",
    "10",
    "and",
    ";",
    r"\approx",
    r"\in",
    "(B)",
    r"\$",
    "%",
]


def _soup(seed: int, n: int) -> str:
    import random

    rng = random.Random(seed)
    return "".join(rng.choice(_SOUP) for _ in range(rng.randint(1, n)))


@pytest.mark.parametrize("seed", range(150))
def test_token_soup_never_hits_an_internal_error(seed: int) -> None:
    gold, answer = _soup(seed, 8), _soup(10_000 + seed, 25)
    for mode in ExtractionMode:
        verdict = verify(gold, boxed(answer), MathConfig(mode=mode))
        assert verdict.method != INTERNAL_ERROR, explain(gold, boxed(answer), MathConfig(mode=mode)).steps
