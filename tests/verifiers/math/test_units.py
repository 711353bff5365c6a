"""Units are checked, not stripped: known units convert, different dimensions never match."""

from __future__ import annotations

import pytest

from verifiers.math import MathConfig, explain, verify
from verifiers.math.units import parse_unit, split_unit


def boxed(answer: str) -> str:
    return f"Working...\nSo the answer is $\\boxed{{{answer}}}$."


UNITS = [
    # (gold, answer, correct)
    (r"5\text{ m}", r"5\text{ m}", True),
    (r"5\text{ m}", r"500\text{ cm}", True),
    (r"5\text{ m}", r"0.005\text{ km}", True),
    (r"5\text{ m}", r"5 \text{ meters}", True),
    (r"5\text{ cm}", r"50 \mathrm{mm}", True),
    (r"2\text{ h}", r"120\text{ min}", True),
    (r"2 \text{ hours}", r"7200 \text{ seconds}", True),
    (r"3\text{ kg}", r"3000\text{ g}", True),
    (r"1 \text{ in}", r"2.54\text{ cm}", True),
    (r"5\text{ cm}^2", r"500\text{ mm}^2", True),
    (r"5 \text{ square meters}", r"5\text{ m}^2", True),
    (r"2 \text{ L}", r"2000 \text{ mL}", True),
    (r"60\text{ km/h}", r"\frac{50}{3}\text{ m/s}", True),
    ("x = 5\\text{ m}", r"500\text{ cm}", True),
    # traps: the same number in another unit, another dimension, another power
    (r"5\text{ m}", r"5\text{ cm}", False),
    (r"5\text{ cm}", r"5\text{ m}", False),
    (r"2\text{ h}", r"2\text{ min}", False),
    (r"2\text{ h}", r"120\text{ s}", False),
    (r"5\text{ m}", r"5\text{ s}", False),
    (r"3\text{ kg}", r"3\text{ g}", False),
    (r"5\text{ cm}^2", r"5\text{ cm}", False),
    (r"5\text{ cm}^2", r"5\text{ mm}^2", False),
    (r"60\text{ km/h}", r"60\text{ m/s}", False),
    ("x = 5\\text{ m}", r"5\text{ mm}", False),
    (r"5\text{ m}", r"6\text{ m}", False),
    (r"5\text{ m}", "500", False),  # a bare number is read in the gold's unit
    # policy: a bare number against a quantity is read in that quantity's unit
    (r"5\text{ m}", "5", True),
    ("5", r"5\text{ cm}", True),
    # unknown unit words are stripped, as before (nothing to convert)
    ("12", r"12 \text{ apples}", True),
    ("5m", "5", False),  # a bare one-letter unit is a symbol: 5m is five times m
    ("5m", "5 m", True),
    ("1000", "1000 m", False),
    # ...except against a gold with a unit, where it can only be the unit
    (r"1\text{ km}", "1000 m", True),
    (r"5\text{ m}", "5m", True),
    (r"2\text{ h}", "7200 s", True),
    (r"3\text{ kg}", "3000 g", True),
    (r"1\text{ km}", "1000 s", False),
    (r"1\text{ km}", "1 m", False),
]

COMPOUND = [
    (r"200\text{ minutes}", r"3\text{ hours } 20\text{ minutes}", True),
    (r"200\text{ minutes}", r"3\text{ h and } 20\text{ min}", True),
    (r"63\text{ inches}", r"5\text{ ft } 3\text{ in}", True),
    (r"250\text{ cm}", r"2\text{ m } 50\text{ cm}", True),
    (r"200\text{ minutes}", r"3\text{ hours } 21\text{ minutes}", False),
    (r"250\text{ cm}", r"2\text{ m } 50\text{ s}", False),  # mixed dimensions: no sum
    (r"5\text{ m}, 3\text{ cm}", r"5\text{ m}, 3\text{ cm}", True),  # with a comma: a list
    ("503", r"5\text{ m}, 3\text{ cm}", False),
    (r"7\text{ cm}", r"3\text{ cm and } 4\text{ cm}", False),  # the same unit twice: a list
    (r"3\text{ cm}, 4\text{ cm}", r"3\text{ cm and } 4\text{ cm}", True),
    (r"200\text{ minutes}", r"20\text{ minutes and } 3\text{ hours}", False),  # not largest first
    # hedging over units: each item keeps its own unit, so the repeated value is not one answer
    (r"5\text{ m}", r"5\text{ m}, 5\text{ cm}", False),
    (r"5\text{ m}", r"5\text{ m} \text{ or } 5\text{ cm}", False),
    (r"5\text{ m}, 3\text{ cm}", r"3\text{ cm}, 5\text{ m}", True),
    (r"5\text{ m}, 3\text{ cm}", r"3\text{ m}, 5\text{ cm}", False),
]

ANGLES = [
    (r"30^\circ", r"\frac{\pi}{6}", True),
    (r"\frac{\pi}{6}", r"30^\circ", True),
    (r"180^\circ", r"\pi", True),
    (r"90^{\circ}", r"\frac{\pi}{2}", True),
    (r"\frac{\pi}{4}", r"45°", True),
    (r"90^\circ", "90", True),
    ("90", r"90^\circ", True),
    (r"30^\circ", r"\frac{\pi}{6}\text{ rad}", True),
    (r"30 \text{ degrees}", r"30^\circ", True),
    # degrees inside trigonometric functions are converted, not stripped
    (r"\cos 40^\circ", r"\sin 50^\circ", True),
    (r"\sin 30^\circ", r"\frac{1}{2}", True),
    (r"\tan 15^\circ", r"2-\sqrt{3}", True),
    (r"2\cos 40^\circ", r"2\sin(50^{\circ})", True),
    (r"\cos 40^\circ", r"\cos 50^\circ", False),
    (r"\tan 15^\circ", r"2+\sqrt{3}", False),
    (r"\sin 30^\circ", r"\sin 30", False),  # 30 radians
    # traps
    (r"30^\circ", r"\frac{\pi}{3}", False),
    (r"\frac{\pi}{6}", "30", False),  # a bare 30 is not an angle in degrees
    ("30", r"\frac{\pi}{6}", False),
    (r"30^\circ", r"30\pi", False),
    (r"30^\circ", r"30\text{ rad}", False),
    (r"90^\circ", r"\frac{\pi}{2}^\circ", False),
]

# Known units meet prose (the gold reader's text answers): a \text{} holding a known unit is a
# unit, so compound quantities convert and lists of quantities stay lists; other words stay text.
UNITS_MEET_PROSE = [
    ("2 hours 30 minutes", "150 minutes", True),
    ("2 hours 30 minutes", "2.5 hours", True),
    (r"2\text{ hours }30\text{ minutes}", r"150\text{ minutes}", True),
    ("2 hours 30 minutes", "30 hours 2 minutes", False),
    ("2 hours 30 minutes", "2", False),  # fragments of the gold
    ("2 hours 30 minutes", "30", False),
    ("2 hours 30 minutes", "2 hours", False),
    ("12 cm and 5 cm", "5 cm and 12 cm", True),
    (r"12\text{ cm}, 5\text{ cm}", r"5\text{ cm}, 12\text{ cm}", True),
    ("12 cm and 5 cm", "17 cm", False),  # never summed
    ("12 cm and 5 cm", "12 cm", False),
    ("12 cm and 5 cm", "12", False),
    ("12 cm and 5 cm", "12 m and 5 m", False),
    (r"5 \text{ cats and } 3 \text{ dogs}", r"5 \text{ cats and } 3 \text{ dogs}", True),
    (r"5 \text{ cats and } 3 \text{ dogs}", r"3 \text{ cats and } 5 \text{ dogs}", False),
    (r"5 \text{ cats and } 3 \text{ dogs}", "15", False),  # not the product
    ("15", r"5\text{ hours } 3", False),  # a unit with math after it is not stripped to "5 3" = 15
    ("15", r"5\text{ m } 3", False),
    ("15", r"5\text{ cm}\cdot 3", False),
    (r"5\text{ m}, 3\text{ cm}", r"3\text{ cm}, 5\text{ m}", True),  # a unit ending a list item
    ("10 and 10", "10", False),  # a gold's repeated value is two answers
    ("10 and 10", "10, 10", True),
]


@pytest.mark.parametrize(("gold", "answer", "correct"), UNITS + COMPOUND + ANGLES + UNITS_MEET_PROSE)
def test_units(gold: str, answer: str, correct: bool) -> None:
    verdict = verify(gold, boxed(answer))
    assert verdict.correct is correct, explain(gold, boxed(answer)).steps


@pytest.mark.parametrize(
    ("config", "gold", "answer", "correct"),
    [
        (MathConfig(check_units=False), r"5\text{ m}", r"5\text{ cm}", True),  # the old stripping
        (MathConfig(check_units=False), r"5\text{ m}", r"500\text{ cm}", False),
        (MathConfig(bare_number_in_gold_unit=False), r"5\text{ m}", "5", False),
        (MathConfig(bare_number_in_gold_unit=False), r"5\text{ m}", r"500\text{ cm}", True),
        (MathConfig(degrees_radians=False), r"30^\circ", r"\frac{\pi}{6}", False),
        (MathConfig(strip_units=False), "5", r"5\text{ cm}", False),
    ],
)
def test_unit_policies(config: MathConfig, gold: str, answer: str, correct: bool) -> None:
    assert verify(gold, boxed(answer), config).correct is correct


@pytest.mark.parametrize(
    ("text", "body", "unit"),
    [
        (r"5\text{ m}", "5", "m"),
        (r"5 \, \mathrm{cm}^{2}", "5", "cm^{2}"),
        ("12 km/h", "12", "km/h"),
        (r"30^\circ", "30", "°"),
        (r"x = 4\text{ hours}", "x = 4", "hours"),
    ],
)
def test_split_unit(text: str, body: str, unit: str) -> None:
    split = split_unit(text)
    assert split is not None and split[0] == body and split[1].name.replace(" ", "") == unit


@pytest.mark.parametrize(
    "text", ["5m", "2x", r"3\pi", "n in", r"5\text{ apples}", r"\text{ cm}", "3 and", r"(1, 2)\text{ in } S"]
)
def test_split_unit_refuses(text: str) -> None:
    assert split_unit(text) is None


def test_unit_dimensions() -> None:
    speed, area = parse_unit("km/h"), parse_unit("square feet")
    assert speed is not None and speed.dims == (("L", 1), ("T", -1))
    assert area is not None and area.dims == (("L", 2),)
    assert parse_unit("cats") is None
