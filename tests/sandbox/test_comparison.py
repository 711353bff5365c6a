import pytest

from sandbox.comparison import Comparison, outputs_match, values_match


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
        # an expected integer matches only that integer (issue 9: integers compared as floats)
        ("10\n", "10.0\n", False),
        ("10\n", "10.5\n", False),
        ("1000000006\n", "1000000000.0\n", False),
        ("123456789\n", "1.234568e+08\n", False),
        ("2\n", "2.0000001\n", False),
        ("2\n", "2e0\n", False),
        ("10\n", "+10\n", True),  # the same integer, another spelling
        ("10\n", "010\n", True),
        ("-0\n", "0\n", True),
        ("10\n", "ten\n", False),
        # float tolerance only where the expected token is a float
        ("1000000000.0\n", "1000000006\n", True),  # a float answer: relative 1e-6 of 1e9 is 1000
        ("1000000000.0\n", "1000002000\n", False),
        ("2.0\n", "2\n", True),
        ("2.0\n", "2.0000001\n", True),
        ("123456789.0\n", "1.234568e+08\n", True),  # 8.9e-8 relative
        ("1.5e-7\n", "0\n", True),  # within the absolute 1e-6
        ("3.\n", "3\n", True),
        ("0.5\n", "abc\n", False),
        ("0.5\n", "nan\n", False),
        ("inf\n", "inf\n", True),
        ("inf\n", "1e999\n", False),
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
    assert outputs_match("1.0\n", "1.01\n", Comparison(abs_tol=0.05, rel_tol=0.0))
    # a wide tolerance never reaches integers
    assert not outputs_match("100\n", "101\n", Comparison(abs_tol=0.5, rel_tol=0.5))
    assert not values_match("100", "101", Comparison(abs_tol=0.5, rel_tol=0.5))
    # zero tolerance: floats must be equal in value
    assert outputs_match("0.5\n", "0.50\n", Comparison(abs_tol=0.0, rel_tol=0.0))
    assert not outputs_match("0.5\n", "0.5000001\n", Comparison(abs_tol=0.0, rel_tol=0.0))


@pytest.mark.parametrize("bad", [{"abs_tol": -1.0}, {"rel_tol": float("nan")}, {"abs_tol": 2.0}])
def test_comparison_rejects_bad_tolerances(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Comparison(**bad)


@pytest.mark.parametrize(
    ("expected", "actual", "match"),
    [
        ("3", "3", True),
        ("3", "3.0", True),  # a float that is exactly the integer
        ("1000000006", "1000000000.0", False),  # never an integer within a tolerance
        ("123456789", "123456790.0", False),
        ("2", "2.0000001", False),
        ("9007199254740993", "9007199254740992.0", False),  # beyond exact floats
        ("2", '"2"', False),
        ("2.0", "2", True),
        ("2.5", "2.5000001", True),
        ("1000000000.0", "1000000006", True),  # an expected float: relative tolerance
        ("1000000000.0", "1000002000", False),
        ("1e308", "1e309", False),
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
        ("[[1.0, 2]]", "[[1, 2.0000000001]]", False),  # the 2 is an integer
        ("[[1.0, 2.0]]", "[[1, 2.0000000001]]", True),
        ("3", None, False),
        ("3", "not json", False),
    ],
)
def test_values_match(expected: str, actual: str | None, match: bool) -> None:
    assert values_match(expected, actual) is match
