import pytest

from sandbox.extraction import extract_code


@pytest.mark.parametrize(
    ("completion", "language", "code"),
    [
        ("```python\nprint(1)\n```", "python", "print(1)\n"),
        ("a\n```python\nprint(1)\n```\nb\n```python\nprint(2)\n```\n", "python", "print(2)\n"),
        ("```py\nx = 1\n```", "python", "x = 1\n"),
        ("```cpp\nint main(){}\n```\n```python\nprint(1)\n```", "cpp", "int main(){}\n"),
        ("```python\nprint(1)\n```", "cpp", None),  # another language's block is never run
        ("```\nprint(1)\n```", "python", "print(1)\n"),  # untagged only when nothing is tagged
        ("```\nuntagged\n```\n```python\ntagged\n```", "python", "tagged\n"),
        ("<think>```python\nprint(0)\n```</think>\n```python\nprint(1)\n```", "python", "print(1)\n"),
        ("<think>```python\nprint(0)\n```</think> no code", "python", None),
        ("<think>```python\nprint(0)\n```", "python", None),  # unfinished thinking: no answer
        ("no code at all", "python", None),
        ("```python\n\n```", "python", None),
        ("~~~python\nprint(3)\n~~~", "python", "print(3)\n"),
        ("````python\nprint('```')\n````", "python", "print('```')\n"),
    ],
)
def test_extract_code(completion: str, language: str, code: str | None) -> None:
    assert extract_code(completion, language) == code
