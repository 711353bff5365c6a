from typing import Any

import pytest

from trainer_client.chat import completion_text, prompt_text


@pytest.mark.parametrize(
    ("completion", "text"),
    [
        ("<answer>1</answer>", "<answer>1</answer>"),
        ([{"role": "assistant", "content": "hi"}], "hi"),
        ({"role": "assistant", "content": "one"}, "one"),
        (
            [
                {
                    "role": "assistant",
                    "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
                }
            ],
            "ab",
        ),
        (
            [
                {"role": "assistant", "content": "a"},
                {"role": "tool", "content": "t"},
                {"role": "assistant", "content": "b"},
            ],
            "ab",
        ),
        ([{"role": "assistant", "content": [{"type": "image"}, {"type": "text", "text": "x"}]}], "x"),
        ([], ""),
        (None, None),
        (42, None),
        ([{"role": "assistant", "content": 5}], None),
    ],
)
def test_completion_text(completion: Any, text: str | None) -> None:
    assert completion_text(completion) == text


@pytest.mark.parametrize(
    ("prompt", "text"),
    [
        ("Solve 1+1", "Solve 1+1"),
        (None, ""),
        ([{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}], "system: S\nuser: Q"),
    ],
)
def test_prompt_text(prompt: Any, text: str) -> None:
    assert prompt_text(prompt) == text
