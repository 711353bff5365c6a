"""Which text counts as the final answer, strict and lenient."""

from __future__ import annotations

import pytest

from verifiers.math.extraction import ExtractionSource, extract_answer, last_math_or_number
from verifiers.math.golds import extract_gold
from verifiers.math.verdict import ExtractionMode

STRICT = ExtractionMode.STRICT
LENIENT = ExtractionMode.LENIENT

ANSWERS = [
    # (completion, mode, text, source, truncated)
    (r"so \boxed{1} or rather \boxed{2}.", STRICT, "2", ExtractionSource.BOXED, False),
    (r"\boxed{\frac{1}{2}}", STRICT, r"\frac{1}{2}", ExtractionSource.BOXED, False),
    (r"\boxed{7", STRICT, None, ExtractionSource.BOXED, True),
    (r"\boxed{1} then \boxed{7", STRICT, None, ExtractionSource.BOXED, True),
    (r"\fbox{5}", STRICT, "5", ExtractionSource.BOXED, False),
    (r"\boxed 5.", STRICT, "5", ExtractionSource.BOXED, False),
    ("<think>\\boxed{1}</think><answer>2</answer>", STRICT, "2", ExtractionSource.ANSWER_TAG, False),
    ("<think>x</think><answer>2", STRICT, None, ExtractionSource.ANSWER_TAG, True),
    ("<answer>so \\boxed{3}</answer>", STRICT, "3", ExtractionSource.BOXED, False),
    ("Work.\nThe answer is 42.", STRICT, "42", ExtractionSource.ANSWER_PHRASE, False),
    ("Final answer: $x=2$", STRICT, "$x=2$", ExtractionSource.ANSWER_PHRASE, False),
    (
        r"\boxed{255} ... Final Answer: The final answer is $10,455$.",
        STRICT,
        "$10,455$",
        ExtractionSource.ANSWER_PHRASE,
        False,
    ),
    (r"The answer is 3. Check: \boxed{4}", STRICT, "4", ExtractionSource.BOXED, False),
    ("we get 42 in the end", STRICT, None, None, False),
    ("we get 42 in the end", LENIENT, "42", ExtractionSource.LAST_NUMBER, False),
    ("we get $x^2$ in the end", LENIENT, "x^2", ExtractionSource.LAST_MATH, False),
    ("$x$ is 12 in the end", LENIENT, "12", ExtractionSource.LAST_NUMBER, False),
    (r"$\frac{1}{3}$", LENIENT, r"$\frac{1}{3}$", ExtractionSource.WHOLE, False),
    (r"$\boxed{1}$ and $\boxed{2}$", STRICT, "1, 2", ExtractionSource.BOXED, False),
    (r"\boxed{1} but actually a long detour \boxed{2}", STRICT, "2", ExtractionSource.BOXED, False),
    ("<think>so \\boxed{3} maybe", STRICT, None, None, False),
    ("<think>a</think>\\boxed{1}<think>b \\boxed{2}", STRICT, None, None, False),
    ("prefilled think ...</think> so \\boxed{4}", STRICT, "4", ExtractionSource.BOXED, False),
    ("The answer is 5 because 2+3=5.", STRICT, "5", ExtractionSource.ANSWER_PHRASE, False),
    ("The answer is $12$ and $13$ cm.", STRICT, "$12$ and $13$", ExtractionSource.ANSWER_PHRASE, False),
    ("The answer is x = 5 since it fits.", STRICT, "x = 5", ExtractionSource.ANSWER_PHRASE, False),
    ("**Final Answer:** **42**", STRICT, "42", ExtractionSource.ANSWER_PHRASE, False),
    ("3 + 4 = 7 apples\n#### 7", STRICT, "7", ExtractionSource.ANSWER_PHRASE, False),
    (r"\boxed{5}. Let me double check the answer: we had 2+3.", STRICT, "5", ExtractionSource.BOXED, False),
    (r"\boxed{5}. Wait, the answer is 6.", STRICT, "6", ExtractionSource.ANSWER_PHRASE, False),
    ("we write #### as a separator, then 5", STRICT, None, None, False),
    (r"The answer is \text{(B)} is right.", STRICT, r"\text{(B)}", ExtractionSource.ANSWER_PHRASE, False),
]


@pytest.mark.parametrize(("completion", "mode", "text", "source", "truncated"), ANSWERS)
def test_extract_answer(
    completion: str, mode: ExtractionMode, text: str | None, source: ExtractionSource | None, truncated: bool
) -> None:
    found = extract_answer(completion, mode, 10_000)
    assert (found.text, found.source, found.truncated) == (text, source, truncated)


GOLDS = [
    ("42", "42"),
    ("$42$", "$42$"),
    (r"\boxed{42}", "42"),
    (r"Thus the answer is $\boxed{14{,}916}$ indeed.", "14{,}916"),
    (r"\boxed{1} and \boxed{2}", "1, 2"),
    # only connectives between boxes: the last word is the final group's
    (r"\boxed{1} and and and or thus but \boxed{2} and \boxed{3}", "2, 3"),
    # an earlier, different box with words between: the final box alone is a fragment, refused
    (r"We get \boxed{3}. Then adding two gives \boxed{5}", None),
    (r"First \boxed{9}. Checking again, \boxed{9}", "9"),
    ("(a) \\boxed{3} so then (b) \\boxed{5}", None),
]


@pytest.mark.parametrize(("gold", "text"), GOLDS)
def test_extract_gold(gold: str, text: str) -> None:
    assert extract_gold(gold).text == text


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("costs 2,74 euros", "2.74"),
        ("AZYUK2A", None),
        ("is 2/3. <|im_start|>", "2/3"),
        (r"$a$ then $b$", "b"),
    ],
)
def test_last_math_or_number(text: str, found: str | None) -> None:
    assert last_math_or_number(text).text == found


def test_only_the_tail_of_huge_completions_is_searched() -> None:
    completion = r"\boxed{1}" + " pad" * 1000 + r"\boxed{2}"
    assert extract_answer(completion, STRICT, 50).text == "2"
