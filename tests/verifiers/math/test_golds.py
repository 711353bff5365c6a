"""A gold is read whole or refused; text answers and times of day are kinds of their own.

Each messy gold is paired with the answers a fragment reading (its last number, its last
segment) would accept: they must be judged not equal, or the gold refused (reward None).
"""

from __future__ import annotations

import pytest

from verifiers.math import ExtractionMode, MathConfig, Reason, verify

STRICT = MathConfig()
LENIENT = MathConfig(mode=ExtractionMode.LENIENT)


def _box(answer: str) -> str:
    return f"<think>work</think>The final answer is $\\boxed{{{answer}}}$."


FRAGMENT_TRAPS = [
    # (gold, an answer equal to a fragment of it)
    ("b ≠ 5", "5"),
    ("b &ne; 5", "5"),
    (r"\{y \mid 0<y<2\}", "2"),
    (r"\{y \mid 0<y<2\}", "0"),
    (r"\{y : 0 < y < 2\}", "2"),
    ("(-∞,-1) ∪ (4,+∞)", "4"),
    ("(-∞,-1) ∪ (4,+∞)", "-1"),
    (r"(-\infty,-1)\cup(4,+\infty)", "4"),
    (r"-2<t\le3", "-2"),
    (r"-2<t\le3", "3"),
    ("-2 < t ≤ 3", "3"),
    ("3 × 10^(-7)", "-7"),
    ("3 × 10^(-7)", "3"),
    ("10^(-10)", "-10"),
    ("$35$ apples and $12$ pears", "12"),
    ("$35$ apples and $12$ pears", "35"),
    ("$35$ apples and $12$ pears", "12, 35"),
    ("$x=2$ and $y = 3$", "3"),
    ("5 cats and 3 dogs", "15"),
    ("5 cats and 3 dogs", "3"),
    ("5 cats and 3 dogs", "3, 5"),
    ("at least $5$", "5"),
    ("between $2$ and $7$", "7"),
    ("between $2$ and $7$", "2, 7"),
    ("less than 4", "4"),
    ("x ≤ 3", "3"),
    ("x &le; 3", "3"),
    (r"x \geq 3", "3"),
    (r"\{x \mid x \neq 5\}", "5"),
    ("A ∩ B = {2}", "2"),
    ("2√3", "2"),
    ("2√3", "3"),
    ("π/4", "4"),
    (r"y = -\frac{1}{2}x + 3", "3"),
    ("3:00", "7:00"),
    ("3:00", "3"),
    ("The value is $5$ or $6$", "6"),
    ("not $4$", "4"),
    ("Natalia sold 48 clips in April and 24 in May.", "24"),
]


@pytest.mark.parametrize(("gold", "answer"), FRAGMENT_TRAPS)
@pytest.mark.parametrize("config", [STRICT, LENIENT], ids=["strict", "lenient"])
def test_fragment_of_a_gold_is_never_rewarded(gold: str, answer: str, config: MathConfig) -> None:
    verdict = verify(gold, _box(answer), config)
    assert not verdict.correct, (verdict.gold_parsed, verdict.pred_parsed, verdict.method)


GOLD_READINGS = [
    # (gold, an equivalent answer): the whole gold is understood
    ("b ≠ 5", r"b \neq 5"),
    (r"\{y \mid 0<y<2\}", "(0, 2)"),
    (r"\{y \mid 0<y<2\}", "0 < y < 2"),
    (r"\{x \in \mathbb{R} \mid x \geq 1\}", r"[1, \infty)"),
    (r"\{x \mid x \neq 5\}", r"(-\infty,5)\cup(5,\infty)"),
    ("(-∞,-1) ∪ (4,+∞)", r"(-\infty,-1)\cup(4,\infty)"),
    ("(-&infin;,-1) &cup; (4,+&infin;)", r"(-\infty,-1)\cup(4,\infty)"),
    (r"-2<t\le3", "(-2, 3]"),
    (r"3 \geq t > -2", "(-2, 3]"),
    ("x ≤ 3", r"(-\infty, 3]"),
    ("3 × 10^(-7)", r"3 \times 10^{-7}"),
    ("3 × 10^(-7)", "0.0000003"),
    ("10^(-10)", "10^{-10}"),
    ("2.5 x 10^3", "2500"),
    ("$35$ apples and $12$ pears", "35, 12"),
    ("$35$ apples and $12$ pears", r"35 \text{ apples and } 12 \text{ pears}"),
    ("$x=2$ and $y = 3$", "(2, 3)"),
    ("The value of $x$ is $5$.", "5"),
    ("2√3", r"2\sqrt{3}"),
    ("√(2)/2", r"\frac{\sqrt{2}}{2}"),
    ("π/4", r"\frac{\pi}{4}"),
    ("12 ÷ 4", "3"),
    ("x²", "x^2"),
    ("185\\", "185"),
    ("Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 eggs.\n#### 18", "18"),
]


@pytest.mark.parametrize(("gold", "answer"), GOLD_READINGS)
def test_messy_gold_is_read_whole(gold: str, answer: str) -> None:
    verdict = verify(gold, _box(answer))
    assert verdict.correct, (verdict.reason, verdict.gold_parsed, verdict.pred_parsed, verdict.detail)


REFUSED_GOLDS = [
    # (gold, a word of the reason): no whole reading, so no reward either way
    ("at least $5$ and at most $9$", "qualifying"),
    ("$5$ apples, 3 pears", "numbers outside"),
    ("A ∩ B", "intersection"),
    (r"\{x \mid x \in \mathbb{Z}\}", "set-builder"),
    (
        "Natalia sold 48/2 = 24 clips in May and 72 clips altogether in April and May, so the total is big.",
        "",
    ),
    ("$$", ""),
]


@pytest.mark.parametrize(("gold", "why"), REFUSED_GOLDS)
def test_gold_without_a_whole_reading_is_refused(gold: str, why: str) -> None:
    verdict = verify(gold, _box("5"))
    assert verdict.reason is Reason.UNPARSEABLE_GOLD, (verdict.reason, verdict.gold_parsed)
    assert not verdict.scorable
    assert why in (verdict.detail or ""), verdict.detail


TEXT_ANSWERS = [
    # (gold, answer, equal)
    ("infinitely many", r"\text{infinitely many}", True),
    ("Infinitely many.", r"\text{Infinitely Many}", True),
    ("infinitely many", r"\infty", True),  # policy: a count that is infinite
    ("infinitely many", "1000", False),
    ("Evelyn", r"\text{Evelyn}", True),
    ("Evelyn", r"\textbf{evelyn}", True),
    ("Evelyn", r"\text{Evelina}", False),
    ("Evelyn", r"\text{Evelyn or Mary}", False),
    ("the circle", r"\text{Circle}", True),
    ("No solution", r"\text{no solutions}", True),
    ("No solution", r"\text{one solution}", False),
    ("Yes", r"\text{yes}", True),
    ("Yes", r"\text{No}", False),
    ("3 dogs", r"\text{three dogs}", True),
    ("2.5 hours", r"2.50 \text{ hours}", True),
    ("5 cats and 3 dogs", r"5 \text{ cats and } 3 \text{ dogs}", True),
    ("5 cats and 3 dogs", r"3 \text{ cats and } 5 \text{ dogs}", False),
    ("15", r"5 \text{ cats and } 3 \text{ dogs}", False),
    ("5", r"\text{not } 5", False),
    ("5", r"\text{about } 5", False),
    ("5", r"\text{at least } 5", False),
    ("No such $n$ exists", r"\text{No such } n \text{ exists}", True),
    ("No such $n$ exists", "n", False),
]


@pytest.mark.parametrize(("gold", "answer", "equal"), TEXT_ANSWERS)
def test_text_answers(gold: str, answer: str, equal: bool) -> None:
    verdict = verify(gold, _box(answer))
    assert verdict.correct is equal, (verdict.reason, verdict.gold_parsed, verdict.pred_parsed)


def test_the_answer_is_prefix_is_not_part_of_a_text_answer() -> None:
    verdict = verify("Evelyn", "<think>w</think>The answer is Evelyn.", LENIENT)
    assert verdict.correct, verdict


TIMES = [
    # Policy: a time is its minute of the day; a bare 12-hour H:MM may be morning or afternoon.
    ("3:00", "3:00", True),
    ("3:00", "03:00", True),
    ("3:00", "7:00", False),
    ("3:00", "3:30", False),
    ("3:00", r"3:00 \text{ PM}", True),
    ("3:00 PM", "15:00", True),
    ("3:00 PM", r"3:00 \text{ a.m.}", False),
    ("3:00 PM", "3 p.m.", True),
    ("15:00", "3:00", True),
    ("15:00", "4:00", False),
    ("12:00 am", "00:00", True),
    ("12:00 am", "12:00 pm", False),
    ("11:21", r"\frac{11}{21}", True),  # a ratio problem writes 11:21
    ("3:00", "3/0", False),
]


@pytest.mark.parametrize(("gold", "answer", "equal"), TIMES)
def test_times_of_day(gold: str, answer: str, equal: bool) -> None:
    verdict = verify(gold, _box(answer))
    assert verdict.correct is equal, (verdict.reason, verdict.gold_parsed, verdict.pred_parsed)


HEDGES = [
    ("3", "3 or 5"),
    ("3", r"3 \text{ or } 5"),
    ("3", "3, 5"),
    ("3", r"\{3, 5\}"),
    ("3", r"3 \pm 1"),
    ("3", "[2, 4]"),
    ("3", "2 < x < 4"),
    ("3", r"x \neq 4"),
    ("Evelyn", r"\text{Evelyn or Mary}"),
    ("infinitely many", r"\text{finitely or infinitely many}"),
    ("infinitely many", r"\text{infinitely many or none}"),
    ("(0, 2)", r"(0, 2) \cup (3, 4)"),
    ("-2 < t ≤ 3", r"(-3, 4)"),
    ("3:00", "3:00, 7:00"),
    ("5 cats and 3 dogs", r"5 \text{ cats or } 3 \text{ dogs}"),
]


@pytest.mark.parametrize(("gold", "answer"), HEDGES)
@pytest.mark.parametrize("config", [STRICT, LENIENT], ids=["strict", "lenient"])
def test_hedged_answers_earn_nothing(gold: str, answer: str, config: MathConfig) -> None:
    verdict = verify(gold, _box(answer), config)
    assert not verdict.correct, (verdict.gold_parsed, verdict.pred_parsed, verdict.method)


LENIENT_ANSWERS = [
    # free-text predictions (evaluation mode): the last piece of math, unless it is qualified
    ("5", "so x is at least 5", False),
    ("5", r"we get $x \neq 5$", False),
    ("5", "it is 4 or 5", False),
    ("5", "so the count is 5", True),
    ("1", "so $x+y = 1000$ therefore answer is $1$", True),
]


@pytest.mark.parametrize(("gold", "completion", "equal"), LENIENT_ANSWERS)
def test_lenient_answers_are_read_whole(gold: str, completion: str, equal: bool) -> None:
    verdict = verify(gold, completion, LENIENT)
    assert verdict.correct is equal, (verdict.reason, verdict.extracted, verdict.pred_parsed)


WORDS_BEFORE_A_NUMBER = [
    ("5", r"\text{anything but } 5"),
    ("5", r"\text{x is not } 5"),
    ("5", r"\text{one of } 5"),
    ("$x = 5$ is one solution", "5"),
    ("$x = 5$ is an example", "5"),
]


@pytest.mark.parametrize(("gold", "answer"), WORDS_BEFORE_A_NUMBER)
def test_words_before_a_number_are_not_labels(gold: str, answer: str) -> None:
    verdict = verify(gold, _box(answer))
    assert not verdict.correct, (verdict.gold_parsed, verdict.pred_parsed, verdict.method)


SET_AND_NUMBER_FORMS = [
    # (gold, answer, equal)
    (r"x > 1, x < 3", r"(-\infty,3)\cup(1,\infty)", False),  # "and"/commas may mean an intersection
    (r"x > 1 \text{ and } x < 3", r"(-\infty,3)\cup(1,\infty)", False),
    (r"\{x \mid x < -1 \text{ or } x > 4\}", r"(-\infty,-1)\cup(4,\infty)", True),
    (r"\{x \mid x < -1 \text{ or } x > 4\}", "4", False),
    (r"\{x \in \R \mid x > 2\}", r"(2, \infty)", True),
    (r"(-\infty,-2]\cup[2,\infty)", r"x \le -2 \text{ or } x \ge 2", True),
    (r"x < -1 \text{ or } x > 4", r"(-\infty,-1)\cup(4,\infty)", True),
    (r"x < -1 \text{ or } x > 4", r"(-\infty,-1)\cup(3,\infty)", False),
    (r"(-\infty,-2]\cup[2,\infty)", r"x \le -2", False),
    (r"(-\infty,-2]\cup[2,\infty)", r"x \le -2 \text{ or } y \ge 2", False),
    (r"\mathbb{R}", r"(-\infty, \infty)", True),
    ("ℝ", r"(-\infty, \infty)", True),
    (r"(-\infty, \infty)", r"\text{all real numbers}", True),
    (r"(-\infty, \infty)", r"(0, \infty)", False),
    (r"\emptyset", r"\text{no solution}", True),
    (r"\emptyset", r"\{0\}", False),
    (r"0.\overline{3}", r"\frac{1}{3}", True),
    (r"\frac{1}{6}", r"0.1\overline{6}", True),
    (r"\frac{1}{6}", r"0.1\overline{7}", False),
    (r"-\frac{\sqrt{3}}{2}", r"-\frac{\sqrt3}2", True),
    (r"-\frac{\sqrt{3}}{2}", "2", False),
]


@pytest.mark.parametrize(("gold", "answer", "equal"), SET_AND_NUMBER_FORMS)
def test_set_and_number_forms(gold: str, answer: str, equal: bool) -> None:
    verdict = verify(gold, _box(answer))
    assert verdict.correct is equal, (verdict.reason, verdict.gold_parsed, verdict.pred_parsed)


BOX_CONTENTS = [
    # (gold, answer, equal): what a box holds besides the value
    ("B", r"\text{Option } B", True),
    ("45", r"\text{Total: } 45", True),
    ("45", r"\text{not:} 45", False),
    ("45", r"\text{Total } 45", False),
    ("5", r"\text{The answer is } 5", True),
    ("5", r"\text{five}", True),
    ("5", r"\text{not five}", False),
    ("5", r"5 \text{ maybe}", False),
    ("5", r"5\text{ (not 6)}", False),
    ("5", r"5 \text{ (approximately)}", False),
    ("17", r"17\text{ any text}", True),
    ("12", r"12 \text{ per hour}", True),
    (r"\left\{ y \middle| y>0 \right\}", r"(0, \infty)", True),
]


@pytest.mark.parametrize(("gold", "answer", "equal"), BOX_CONTENTS)
def test_box_contents(gold: str, answer: str, equal: bool) -> None:
    verdict = verify(gold, _box(answer))
    assert verdict.correct is equal, (verdict.reason, verdict.gold_parsed, verdict.pred_parsed)


LISTED_GOLDS = [
    # OlympiadBench keeps final answers as a list of strings
    ("['$\\frac{1}{2}$']", r"\frac{1}{2}", True),
    ("['$3$', '$5$']", "3, 5", True),
    ("['$3$', '$5$']", "5", False),
    ("['$3$', '$5$']", "3", False),
    ('["x=1", "x=2"]', "x=1, x=2", True),
    ("5 cats, 3 dogs", r"5 \text{ cats and } 3 \text{ dogs}", True),
]


@pytest.mark.parametrize(("gold", "answer", "equal"), LISTED_GOLDS)
def test_listed_golds(gold: str, answer: str, equal: bool) -> None:
    verdict = verify(gold, _box(answer))
    assert verdict.correct is equal, (verdict.reason, verdict.gold_parsed, verdict.pred_parsed)


@pytest.mark.parametrize(
    ("gold", "completion", "equal"),
    [
        ("-3", "so the value is −3", True),
        ("3", "so the value is −3", False),
        ("1000.99", "so the area is 1,000.99m²", True),
        ("5", "After a long computation with 12 and 7, we conclude that x is at least 5", False),
        ("5", "After a long computation with 12 and 7, we conclude that x is 5", True),
    ],
)
def test_lenient_free_text_keeps_sign_and_qualifiers(gold: str, completion: str, equal: bool) -> None:
    verdict = verify(gold, completion, LENIENT)
    assert verdict.correct is equal, (verdict.reason, verdict.extracted, verdict.pred_parsed)


def test_a_refused_gold_says_why_in_the_verdict() -> None:
    verdict = verify("at least $5$ and at most $9$", _box("5"))
    assert (verdict.reason, verdict.correct, verdict.scorable) == (Reason.UNPARSEABLE_GOLD, False, False)
    assert verdict.detail == "qualifying words around the math"


CHOICES_AND_ARTICLES = [
    ("John and Mary", r"\text{Mary and John}", True),
    ("John and Mary", r"\text{Mary, John}", True),
    ("John and Mary", r"\text{Mary}", False),
    ("John and Mary", r"\text{John or Mary}", False),
    ("5 cats and 3 dogs", r"3 \text{ dogs and } 5 \text{ cats}", True),
    ("5 cats and 3 dogs", r"3 \text{ cats and } 5 \text{ dogs}", False),
    (r"\text{A and C}", r"\text{A, C}", True),
    (r"\text{A and C}", r"\text{C, A}", True),
    (r"\text{A and C}", "A", False),
    (r"\text{A and C}", "C", False),
    (r"\text{A}", r"\text{A or C}", False),
    ("a triangle", r"\text{triangle}", True),
    ("The second player wins", r"\text{the second player wins}", True),
    ("The second player wins", r"\text{The first player wins}", False),
]


@pytest.mark.parametrize(("gold", "answer", "equal"), CHOICES_AND_ARTICLES)
def test_choice_lists_and_articles(gold: str, answer: str, equal: bool) -> None:
    verdict = verify(gold, _box(answer))
    assert verdict.correct is equal, (verdict.reason, verdict.gold_parsed, verdict.pred_parsed)


@pytest.mark.parametrize(
    ("completion", "equal"),
    [
        ("The answer is 5, but maybe 6.", False),
        ("The answer is 5 although possibly 7", False),
        ("The answer is 5 because 2+3=5.", True),
        ("The answer is 5 apples.", True),
    ],
)
def test_an_answer_phrase_is_not_cut_before_a_hedge(completion: str, equal: bool) -> None:
    verdict = verify("5", completion)
    assert verdict.correct is equal, (verdict.reason, verdict.extracted, verdict.pred_parsed)
