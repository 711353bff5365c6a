import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
_DATA = _ROOT / "trainer_client" / "data" / "math_small.jsonl"


def _value(latex: str) -> Fraction:
    if latex.startswith(("\\frac", "-\\frac")):
        sign = -1 if latex.startswith("-") else 1
        num, den = latex.split("{")[1].rstrip("}"), latex.split("{")[2].rstrip("}")
        return sign * Fraction(int(num), int(den))
    return Fraction(int(latex))


def test_the_bundled_file_is_what_the_generator_writes(tmp_path: Path) -> None:
    out = tmp_path / "math_small.jsonl"
    subprocess.run(
        [sys.executable, str(_ROOT / "scripts" / "make-math-dataset"), "--out", str(out)], check=True
    )
    assert out.read_bytes() == _DATA.read_bytes()


@pytest.mark.parametrize(
    "row", [json.loads(line) for line in _DATA.read_text().splitlines()[:60]], ids=lambda r: r["id"]
)
def test_answers_are_right(row: dict[str, str]) -> None:
    problem = row["problem"]
    if row["kind"] == "fraction":
        expr = problem.split("$")[1]
        parts = expr.replace("\\frac{", "").replace("}{", "/").replace("}", "").split(" ")
        x, op, y = Fraction(parts[0]), parts[1], Fraction(parts[2])
        expected = {"+": x + y, "-": x - y, "\\times": x * y, "\\div": x / y}[op]
    else:
        tokens = problem.removeprefix("What is ").removesuffix("?").split(" ")
        ops = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "\\times": lambda a, b: a * b}
        if len(tokens) == 5:  # a + b \times c: the product first
            tokens = [tokens[0], tokens[1], str(int(tokens[2]) * int(tokens[4]))]
        expected = Fraction(ops[tokens[1]](int(tokens[0]), int(tokens[2])))
    assert _value(row["answer"]) == expected
    assert set(row) == {"id", "problem", "answer", "kind", "source"}
