import pytest

from sandbox.comparison import Tolerance, outputs_match, values_match


@pytest.mark.parametrize(
    ("expected", "actual", "match"),
    [
        ("3\n", "3\n", True),
        ("3\n", "3", True),  # missing final newline
        ("3\n", "3   \n\n\n", True),  # trailing spaces and blank lines
        ("1 2\n3\n", "1 2  \r\n3\r\n", True),  # CRLF, trailing whitespace
        ("1 2\n", "1  2\n", True),  # token split inside a line
        ("3\n", "4\n", False),
        ("1\n2\n", "1\n", False),  # a missing line
        ("1\n", "1\n2\n", False),  # an extra line
        ("1 2\n", "1 2 3\n", False),  # an extra token
        ("1 2\n", "2 1\n", False),  # never order-free
        ("1\n2\n", "1 2\n", False),  # lines are lines
        ("1\n2\n", "2\n1\n", False),
        ("YES\n", "yes\n", False),  # case matters
        ("0.5\n", "0.5000001\n", True),  # float tolerance
        ("0.5\n", "0.51\n", False),
        ("1e9\n", "1000000000.0\n", True),
        ("123456789012345678901234567890\n", "123456789012345678901234567891\n", False),  # exact ints
        ("10\n", "10.0\n", True),  # a decimal written against an integer: tolerance applies
        ("10\n", "10.5\n", False),
        ("nan\n", "nan\n", True),
        ("nan\n", "0\n", False),
        ("", "", True),
        ("", "\n\n", True),
        ("", "x\n", False),
        ("abc def\n", "abc def\n", True),
        ("  indented\n", "indented\n", True),  # leading spaces are token separators
    ],
)
def test_outputs_match(expected: str, actual: str, match: bool) -> None:
    assert outputs_match(expected, actual) is match


def test_outputs_tolerance_is_configurable() -> None:
    assert not outputs_match("1.0\n", "1.01\n")
    assert outputs_match("1.0\n", "1.01\n", Tolerance(abs_tol=0.05, rel_tol=0.0))


@pytest.mark.parametrize(
    ("expected", "actual", "match"),
    [
        ("3", "3", True),
        ("3", "3.0", True),
        ("0.1", "0.10000000001", True),
        ("3", "4", False),
        ("true", "1", False),  # a bool is not an int
        ("1", "true", False),
        ("[1, 2]", "[1, 2]", True),
        ("[1, 2]", "[2, 1]", False),
        ("[1, 2]", "[1, 2, 3]", False),
        ('{"a": 1}', '{"a": 1}', True),
        ('{"a": 1}', '{"a": 1, "b": 2}', False),
        ('"abc"', '"abc"', True),
        ('"abc"', '"abd"', False),
        ("null", "null", True),
        ("null", "0", False),
        ("[[1.0, 2]]", "[[1, 2.0000000001]]", True),
        ("3", None, False),
        ("3", "not json", False),
    ],
)
def test_values_match(expected: str, actual: str | None, match: bool) -> None:
    assert values_match(expected, actual) is match
