"""Times of day: what parses as a time, when two times are equal, and the ratio reading."""

from __future__ import annotations

from fractions import Fraction

import pytest

from verifiers.math.clock import parse_time_of_day, same_time, time_as_ratio
from verifiers.math.values import TimeOfDay

PARSED = [
    # (text, seconds after midnight or None when it is no time of day, ambiguous am/pm)
    ("3:00", 3 * 3600, True),
    ("3:45 PM", 15 * 3600 + 45 * 60, False),
    ("15:30", 15 * 3600 + 30 * 60, False),
    ("7 a.m.", 7 * 3600, False),
    (r"\text{3:00 pm}", 15 * 3600, False),
    ("12:00 am", 0, False),
    ("24:00", 0, False),
    ("3:00:05", 3 * 3600 + 5, True),
    # not times: a bare number, a ratio, out-of-range fields, a 24-hour hour with pm
    ("3", None, None),
    ("3:2", None, None),
    ("24:01", None, None),
    ("3:60", None, None),
    ("13:00 pm", None, None),
]


@pytest.mark.parametrize(("text", "seconds", "ambiguous"), PARSED)
def test_parse_time_of_day(text: str, seconds: int | None, ambiguous: bool | None) -> None:
    time = parse_time_of_day(text)
    if seconds is None:
        assert time is None
    else:
        assert time is not None
        assert (time.seconds, time.ambiguous) == (seconds, ambiguous)


def _t(text: str) -> TimeOfDay:
    time = parse_time_of_day(text)
    assert time is not None
    return time


SAME = [
    ("3:00", "3:00 PM", True),
    ("3:00", "15:00", True),
    ("3:00", "3:00 am", True),
    ("3:00", "7:00", False),
    ("3:00 am", "3:00 pm", False),  # both fixed: different halves of the day
    ("15:00", "3:00 am", False),
    ("3:00:05", "3:00", False),  # seconds, when written, must agree
]


@pytest.mark.parametrize(("a", "b", "same"), SAME)
def test_same_time(a: str, b: str, same: bool) -> None:
    assert same_time(_t(a), _t(b)) is same
    assert same_time(_t(b), _t(a)) is same


def test_a_bare_time_is_also_a_ratio() -> None:
    ratio = time_as_ratio(_t("11:21"))
    assert ratio is not None and ratio.number is not None
    assert ratio.number.value == Fraction(11, 21)
    assert time_as_ratio(_t("3:00")) is None  # 3/0 equals nothing
    assert time_as_ratio(_t("3 pm")) is None  # am/pm: a time only
