"""``code_accuracy`` through ``SandboxCodeBackend`` (the sandbox adapter): pass-rate scoring and
honest None codes."""

from __future__ import annotations

import pytest

from tests.app.conftest import FakeSandbox, make_code_backend
from verifiers import Registry, RewardContext, Sample, default_registry

OK = "```python\ndef add(a, b):\n    return a + b\n```"
HALF = "```python\ndef add(a, b):\n    return 3\n```"
TESTS = ["assert add(1, 2) == 3", "assert add(2, 2) == 4"]


@pytest.mark.parametrize(
    ("completion", "tests", "params", "value", "accuracy", "error"),
    [
        (OK, TESTS, {}, 1.0, 1.0, None),
        (HALF, TESTS, {}, 0.0, 0.0, None),
        (HALF, TESTS, {"partial": True}, 0.5, 0.0, None),
        (OK, TESTS, {"partial": True}, 1.0, 1.0, None),
        ("no fenced code", TESTS, {}, 0.0, 0.0, None),
        ("```python\n" + "x = 1\n" * 5000 + "```", TESTS, {}, 0.0, 0.0, None),  # over max_program_chars
        ("```python\nwhile True: pass\n```", TESTS, {}, 0.0, 0.0, None),  # time limit is the program's fault
        ("```python\nSANDBOX_BOOM = 1\n```", TESTS, {}, None, None, "sandbox_error"),
        (OK, {"unknown": "shape"}, {}, None, None, "invalid_tests"),
        (OK, [], {}, None, None, "invalid_tests"),
        (OK, ["assert True"] * 5, {}, None, None, "too_many_tests"),
    ],
)
def test_code_accuracy(completion, tests, params, value, accuracy, error):
    registry = Registry([default_registry().get("code_accuracy")])
    ctx = RewardContext(code=make_code_backend(max_tests=4))
    (out,) = registry.compute(
        "code_accuracy", [Sample(id="0", completion=completion, tests=tests)], ctx, params
    )
    assert (out.value, out.accuracy, out.error) == (value, accuracy, error)


def test_stop_on_first_failure_is_off_with_partial():
    sandbox = FakeSandbox()
    ctx = RewardContext(code=make_code_backend(sandbox))
    registry = Registry([default_registry().get("code_accuracy")])
    sample = Sample(id="0", completion=HALF, tests=["assert add(0, 0) == 0", *TESTS])
    (strict,) = registry.compute("code_accuracy", [sample], ctx, {})
    (partial,) = registry.compute("code_accuracy", [sample], ctx, {"partial": True})
    assert [j.stop_on_first_failure for j in sandbox.jobs] == [True, False]
    assert strict.details["tests"] == ["wrong_answer"]
    assert partial.value == pytest.approx(1 / 3)


def test_without_backend_is_none_not_zero():
    (out,) = Registry([default_registry().get("code_accuracy")]).compute(
        "code_accuracy", [Sample(id="0", completion=OK, tests=TESTS)], RewardContext()
    )
    assert out.value is None and out.error == "code_backend_unavailable"


def test_every_language_the_reward_accepts_is_one_the_sandbox_runs():
    # verifiers cannot import sandbox, so the reward keeps its own list; this pins the two together.
    from sandbox import Language
    from verifiers import CodeLanguage

    assert [lang.value for lang in CodeLanguage] == [lang.value for lang in Language]
