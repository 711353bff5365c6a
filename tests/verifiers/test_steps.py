"""Reasoning steps: markers at line or sentence starts only; min(1, count/target)."""

from __future__ import annotations

import pytest

from verifiers import InvalidParameterError, RewardContext, Sample
from verifiers.steps import count_steps, reasoning_steps

CTX = RewardContext()


@pytest.mark.parametrize(
    ("text", "count"),
    [
        pytest.param("Step 1: add\nStep 2: divide\nStep 3: done", 3, id="step-n"),
        pytest.param("**Step 1.** add\n## Step 2) go", 2, id="markdown-steps"),
        pytest.param("step1: lowercase", 1, id="no-space"),
        pytest.param("1. add\n2. divide", 2, id="numbered"),
        pytest.param("1) add\n  2) divide", 2, id="numbered-paren-indented"),
        pytest.param("- a\n- b\n* c\n• d", 4, id="bullets"),
        pytest.param("x =\n- 3", 0, id="minus-number-is-not-bullet"),
        pytest.param("pi is 3.14. 2. is not a list", 0, id="mid-line-number"),
        pytest.param("First, add. Then, divide. Finally, done.", 3, id="transitions"),
        pytest.param("At first, it was hard", 0, id="transition-mid-sentence"),
        pytest.param("first, lowercase\nnext, too", 2, id="transition-line-start"),
        pytest.param("The answer is 4.", 0, id="none"),
        pytest.param("", 0, id="empty"),
    ],
)
def test_count_steps(text: str, count: int) -> None:
    assert count_steps(text) == count


@pytest.mark.parametrize(
    ("text", "target", "value"),
    [
        pytest.param("1. a\n2. b", 3, 2 / 3, id="two-of-three"),
        pytest.param("1. a\n2. b\n3. c\n4. d", 3, 1.0, id="capped"),
        pytest.param("1. a\n2. b", 2, 1.0, id="custom-target"),
        pytest.param("plain", 3, 0.0, id="none"),
    ],
)
def test_reasoning_steps(text: str, target: int, value: float) -> None:
    out = reasoning_steps([Sample(id="s", completion=text)], CTX, target_count=target)[0]
    assert out.value == pytest.approx(value)


def test_bad_target_raises() -> None:
    with pytest.raises(InvalidParameterError):
        reasoning_steps([Sample(id="s", completion="x")], CTX, target_count=0)
