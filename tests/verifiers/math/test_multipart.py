"""Multi-part answers: labelled parts, one box per part, repeated boxes; hedges still earn 0."""

from __future__ import annotations

import pytest

from verifiers.math import MathConfig, Reason, explain, verify
from verifiers.math.multipart import final_boxes, split_labelled


def boxed(answer: str) -> str:
    return f"Working...\nSo the answer is $\\boxed{{{answer}}}$."


COMPLETIONS = [
    # (gold, completion, correct)
    ("9", r"So \boxed{9}. \boxed{9}", True),
    ("9", r"\boxed{9}, \boxed{9}", True),
    ("(3,5)", r"The speed is \boxed{3} km/h and the time is \boxed{5} hours.", True),
    ("3, 5", r"(a) \boxed{3} (b) \boxed{5}", True),
    (r"\{3, 5\}", r"(a) \boxed{5} (b) \boxed{3}", True),  # a set gold: any order
    ("3, 5", r"<think>maybe \boxed{7}</think> a) \boxed{3}, then b) \boxed{5}", True),
    ("3, 5", r"<answer>first \boxed{3} and second \boxed{5}</answer>", True),
    (r"x=2, y=3", r"We get \boxed{x=2} and so \boxed{y=3}", True),
    (r"(a) 3 (b) 5", r"Part (a): \boxed{3}. Part (b): \boxed{5}.", True),
    # traps: hedges, wrong order, extra or missing parts, repeated wrong values
    ("9", r"\boxed{9}, \boxed{8}", False),
    ("5", r"\boxed{3} \text{ or } \boxed{5}", False),
    ("5", r"\boxed{3}, \boxed{5}", False),
    ("5", r"\boxed{3 \text{ or } 5}", False),
    ("5", r"\boxed{3, 5}", False),
    ("3, 5", r"(a) \boxed{5} (b) \boxed{3}", False),  # parts in order
    ("3, 5", r"first \boxed{3} then \boxed{4} then \boxed{5}", False),
    ("3, 5", r"\boxed{3}, \boxed{5}, \boxed{7}", False),
    ("3, 5, 7", r"a) \boxed{3} b) \boxed{5}", False),
    ("(3,5)", r"The speed is \boxed{3} km/h and the time is \boxed{5", False),
    ("9, 9", r"\boxed{9}", False),
    ("3, 5", r"(a) \boxed{3} (b) \boxed{5}. Hmm, no. The answer is 7.", False),  # a later commitment
    (r"5\text{ m}", r"\boxed{5\text{ cm}}, \boxed{5\text{ m}}", False),  # same number, other units
    ("9", r"\boxed{9\text{ m}}, \boxed{9\text{ m}}", True),
]

LABELLED = [
    ("3, 5", "a) 3, b) 5", True),
    ("3, 5", "(a) 3; (b) 5", True),
    ("3, 5", r"\text{(a) } 3, \text{(b) } 5", True),
    ("3, 5", "(i) 3 (ii) 5", True),
    ("3, 5", "(1) 3, (2) 5", True),
    ("(a) 3 (b) 5", "3, 5", True),
    ("(a) 3 (b) 5", "a) 3 and b) 5", True),
    ("(a) x=2 (b) y=3", "a) x=2, b) y=3", True),
    # traps
    ("3, 5", "a) 5, b) 3", False),
    ("(a) 3 (b) 5", "5, 3", False),
    ("5", "a) 3, b) 5", False),
    ("3, 5", "a) 3, c) 5", False),  # labels out of sequence: not parts
    ("3, 5", "a) 3, b) 5, c) 7", False),
    ("3", "a) 3", False),
]


@pytest.mark.parametrize(("gold", "completion", "correct"), COMPLETIONS)
def test_multi_box_completions(gold: str, completion: str, correct: bool) -> None:
    verdict = verify(gold, completion)
    assert verdict.correct is correct, explain(gold, completion).steps


@pytest.mark.parametrize(("gold", "answer", "correct"), LABELLED)
def test_labelled_parts(gold: str, answer: str, correct: bool) -> None:
    verdict = verify(gold, boxed(answer))
    assert verdict.correct is correct, explain(gold, boxed(answer)).steps


def test_multipart_knob() -> None:
    off = MathConfig(multipart=False)
    assert not verify("3, 5", r"(a) \boxed{3} (b) \boxed{5}", off).correct
    assert not verify("9", r"\boxed{9}. \boxed{9}", off).correct
    assert not verify("3, 5", boxed("a) 3, b) 5"), off).correct


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("a) 3, b) 5", ["3", "5"]),
        ("(a) x = 1 (b) y = 2", ["x = 1", "y = 2"]),
        ("(1) + (2)", None),
        ("f(1) + f(2)", None),
        ("(1, 2)", None),
        ("b) 3, c) 5", None),
        ("x a) 3, b) 5", None),
    ],
)
def test_split_labelled(text: str, parts: list[str] | None) -> None:
    assert split_labelled(text) == parts


def test_final_boxes_reads_the_answer_region_only() -> None:
    text = r"<think>\boxed{1} \boxed{2}</think>so \boxed{3}"
    assert final_boxes(text, 1, 10_000) == ["3"]
    assert final_boxes(text, 2, 10_000) is None
    assert final_boxes(r"\boxed{1} x \boxed{2", 2, 10_000) is None


@pytest.mark.parametrize(
    "completion",
    [r"so \boxed{3}", r"so \boxed{5}", r"(a) \boxed{3} (b) \boxed{5}", r"\boxed{3} and \boxed{5}"],
)
def test_gold_with_different_boxes_and_words_between_is_refused(completion: str) -> None:
    """Multi-part answers never make a multi-box gold readable: its parts may be alternatives."""
    verdict = verify(r"(a) \boxed{3} \text{ for the first part, and } (b) \boxed{5}", completion)
    assert verdict.reason is Reason.UNPARSEABLE_GOLD and verdict.detail


@pytest.mark.parametrize(
    ("completion", "correct"),
    [(r"\boxed{3} and \boxed{5}", True), (r"\boxed{3}. Then \boxed{5}", True), (r"\boxed{5}", False)],
)
def test_gold_boxes_joined_by_connectives_meet_multipart_answers(completion: str, correct: bool) -> None:
    assert verify(r"\boxed{3} and \boxed{5}", completion).correct is correct
