"""Format rewards: the traps (trailing text, prefilled <think>, empty/duplicated/nested blocks)."""

from __future__ import annotations

import random
import re

import pytest

from verifiers import InvalidParameterError, RewardContext, Sample
from verifiers.format import (
    REWARDS,
    FormatCheck,
    FormatMode,
    check_format,
    format_soft,
    format_strict,
    tag_count,
)

CTX = RewardContext()
GOOD = "<think>\nLet me add 2 and 2.\n</think>\n<answer>4</answer>"


def _one(fn, completion: str, **params) -> float | None:
    full = {"mode": "answer_tags", "think_prefilled": False, **params}
    return fn([Sample(id="s", completion=completion)], CTX, **full)[0].value


# (completion, think_prefilled, strict, soft)
ANSWER_TAGS_CASES = [
    pytest.param(GOOD, False, 1.0, 1.0, id="canonical"),
    pytest.param("<think>a</think><answer>b</answer>", False, 1.0, 1.0, id="no-whitespace"),
    pytest.param("  \n" + GOOD + "\n\n  ", False, 1.0, 1.0, id="surrounding-whitespace"),
    pytest.param(GOOD + " The answer is 5.", False, 0.0, 0.8, id="text-after-answer"),
    pytest.param("Sure! " + GOOD, False, 0.0, 0.8, id="leading-text"),
    pytest.param("<think>a</think> so <answer>b</answer>", False, 0.0, 0.8, id="text-between-blocks"),
    pytest.param("<think></think><answer>4</answer>", False, 0.0, 0.8, id="empty-think"),
    pytest.param("<think>a</think><answer>   \n</answer>", False, 0.0, 0.8, id="whitespace-only-answer"),
    pytest.param("<think> \t\n</think><answer>4</answer>", False, 0.0, 0.8, id="whitespace-only-think"),
    pytest.param(
        "<think>a</think><answer>4</answer><think>b</think><answer>5</answer>",
        False,
        0.0,
        0.0,
        id="duplicated",
    ),
    pytest.param("<think>a</think><answer>4</answer><answer>5</answer>", False, 0.0, 0.2, id="two-answers"),
    pytest.param("<think>a</think></think><answer>4</answer>", False, 0.0, 0.2, id="double-close"),
    pytest.param("<think>a <think>b</think> c</think><answer>4</answer>", False, 0.0, 0.2, id="nested-think"),
    pytest.param(
        "<think>a <answer>3</answer></think><answer>4</answer>", False, 0.0, 0.2, id="answer-nested-in-think"
    ),
    pytest.param(
        "<think>a</think><answer>4 <think>x</answer>", False, 0.0, 0.2, id="open-think-inside-answer"
    ),
    pytest.param("<think>a<answer>4</answer>", False, 0.0, 0.2, id="missing-think-close"),
    pytest.param("<think>a</think><answer>4", False, 0.0, 0.2, id="missing-answer-close"),
    pytest.param("<answer>4</answer><think>a</think>", False, 0.0, 0.6, id="wrong-block-order"),
    pytest.param("</think>a<think><answer>4</answer>", False, 0.0, 0.2, id="close-before-open"),
    pytest.param("The answer is 4.", False, 0.0, 0.0, id="no-tags"),
    pytest.param("", False, 0.0, 0.0, id="empty"),
    pytest.param("<THINK>a</THINK><ANSWER>4</ANSWER>", False, 0.0, 0.0, id="uppercase-tags-are-not-tags"),
    pytest.param("<think>计算：2+2=4。🙂</think><answer>四</answer>", False, 1.0, 1.0, id="unicode"),
    pytest.param(
        "<think>a</think><answer>4</answer>\u3000", False, 1.0, 1.0, id="ideographic-space-trailing"
    ),
    pytest.param("<think>a</think><answer>4</answer>\u200b", False, 0.0, 0.8, id="zero-width-space-is-text"),
    # Prefilled <think> (DeepSeek-R1 / Qwen3 chat templates).
    pytest.param("\nLet me add.\n</think>\n<answer>4</answer>", True, 1.0, 1.0, id="prefilled"),
    pytest.param(
        "\nLet me add.\n</think>\n<answer>4</answer>", False, 0.0, 0.2, id="prefilled-text-unflagged"
    ),
    pytest.param(GOOD, True, 0.0, 0.2, id="prefilled-but-opens-again"),
    pytest.param("</think><answer>4</answer>", True, 0.0, 0.8, id="prefilled-empty-think"),
    pytest.param("a</think><answer>4</answer> more", True, 0.0, 0.8, id="prefilled-trailing-text"),
]


@pytest.mark.parametrize(("completion", "prefilled", "strict", "soft"), ANSWER_TAGS_CASES)
def test_answer_tags_mode(completion: str, prefilled: bool, strict: float, soft: float) -> None:
    assert _one(format_strict, completion, think_prefilled=prefilled) == strict
    assert _one(format_soft, completion, think_prefilled=prefilled) == pytest.approx(soft)


# (completion, think_prefilled, strict, soft)
R1_DISTILL_CASES = [
    pytest.param("<think>a</think>\nThe answer is 4.", False, 1.0, 1.0, id="canonical"),
    pytest.param("a\n</think>\n\\boxed{4}", True, 1.0, 1.0, id="prefilled"),
    pytest.param("<think>a</think>   \n", False, 0.0, 0.6, id="nothing-after-think"),
    pytest.param("<think>a</think>4</think>5", False, 0.0, 0.2, id="two-closes"),
    pytest.param("<think>a</think><answer>4</answer>", False, 0.0, 0.4, id="answer-tags-not-allowed"),
    pytest.param("<think></think>4", False, 0.0, 0.8, id="empty-think"),
    pytest.param("Hmm <think>a</think>4", False, 0.0, 0.8, id="leading-text"),
    pytest.param("<think>a", False, 0.0, 0.2, id="truncated"),
    pytest.param("<think>a</think>4", True, 0.0, 0.2, id="prefilled-but-opens-again"),
    pytest.param("<think>思考</think>答案是四", False, 1.0, 1.0, id="unicode"),
]


@pytest.mark.parametrize(("completion", "prefilled", "strict", "soft"), R1_DISTILL_CASES)
def test_r1_distill_mode(completion: str, prefilled: bool, strict: float, soft: float) -> None:
    assert _one(format_strict, completion, mode="r1_distill", think_prefilled=prefilled) == strict
    assert _one(format_soft, completion, mode="r1_distill", think_prefilled=prefilled) == pytest.approx(soft)


@pytest.mark.parametrize(
    ("completion", "prefilled"),
    [pytest.param(*c.values[:2], id=c.id) for c in ANSWER_TAGS_CASES + R1_DISTILL_CASES],
)
def test_soft_is_one_exactly_when_strict_is(completion: str, prefilled: bool) -> None:
    for mode in FormatMode:
        checks = check_format(completion, mode, prefilled)
        soft = _one(format_soft, completion, mode=mode.value, think_prefilled=prefilled)
        strict = _one(format_strict, completion, mode=mode.value, think_prefilled=prefilled)
        assert (soft == 1.0) == (strict == 1.0) == all(checks.values())


def test_strict_details_name_the_failed_checks() -> None:
    out = format_strict(
        [Sample(id="s", completion=GOOD + " extra")], CTX, mode="answer_tags", think_prefilled=False
    )
    assert out[0].details["failed"] == [FormatCheck.NOTHING_OUTSIDE.value]


# (completion, mode, think_prefilled, extra_penalty, value)
TAG_COUNT_CASES = [
    pytest.param(GOOD, "answer_tags", False, 0.25, 1.0, id="all-once"),
    pytest.param("<think>a</think>", "answer_tags", False, 0.25, 0.5, id="think-only"),
    pytest.param("<answer>4</answer>", "answer_tags", False, 0.25, 0.5, id="answer-only"),
    pytest.param("<think>a</think>b", "answer_tags", True, 0.25, 0.0, id="prefilled-duplicate-open"),
    pytest.param("a</think><answer>4</answer>", "answer_tags", True, 0.25, 1.0, id="prefilled"),
    pytest.param(GOOD + "<answer>5</answer>", "answer_tags", False, 0.25, 0.0, id="answer-twice"),
    pytest.param(
        GOOD + "<answer>5</answer>", "answer_tags", False, 0.1, 0.3, id="answer-twice-small-penalty"
    ),
    pytest.param(GOOD + "</answer>" * 50, "answer_tags", False, 0.25, 0.0, id="spam-clamped-at-zero"),
    pytest.param("<answer>4</answer><think>a</think>", "answer_tags", False, 0.25, 1.0, id="order-ignored"),
    pytest.param("no tags", "answer_tags", False, 0.25, 0.0, id="none"),
    pytest.param("<think>a</think>4", "r1_distill", False, 0.25, 1.0, id="r1-all-once"),
    pytest.param("a</think>4", "r1_distill", True, 0.25, 1.0, id="r1-prefilled"),
    pytest.param(
        "<think>a</think><answer>4</answer>", "r1_distill", False, 0.25, 0.5, id="r1-answer-tags-penalised"
    ),
    pytest.param("<think>a</think>4</think>", "r1_distill", False, 0.25, 0.25, id="r1-two-closes"),
]


@pytest.mark.parametrize(("completion", "mode", "prefilled", "penalty", "value"), TAG_COUNT_CASES)
def test_tag_count(completion: str, mode: str, prefilled: bool, penalty: float, value: float) -> None:
    got = _one(tag_count, completion, mode=mode, think_prefilled=prefilled, extra_penalty=penalty)
    assert got == pytest.approx(value)


@pytest.mark.parametrize(
    ("fn", "params"),
    [
        pytest.param(format_strict, {"mode": "xml"}, id="bad-mode"),
        pytest.param(format_soft, {"think_prefilled": "false"}, id="string-flag"),
        pytest.param(tag_count, {"extra_penalty": -0.5}, id="negative-penalty"),
        pytest.param(tag_count, {"extra_penalty": True}, id="bool-penalty"),
    ],
)
def test_bad_params_raise(fn, params) -> None:
    full = {"mode": "answer_tags", "think_prefilled": False, **params}
    if fn is tag_count:
        full.setdefault("extra_penalty", 0.25)
    with pytest.raises(InvalidParameterError) as err:
        fn([Sample(id="s", completion=GOOD)], CTX, **full)
    assert err.value.param in params


def test_batch_keeps_order_and_length() -> None:
    samples = [Sample(id=str(i), completion=c) for i, c in enumerate([GOOD, "x", GOOD + "y"])]
    out = format_strict(samples, CTX, mode="answer_tags", think_prefilled=False)
    assert [o.value for o in out] == [1.0, 0.0, 0.0]


def test_rewards_are_inline_and_documented() -> None:
    assert {d.name for d in REWARDS} == {"format_strict", "format_soft", "tag_count"}
    for d in REWARDS:
        assert d.kind == "inline"
        assert set(d.param_docs) == set(d.defaults)
        assert d.defaults["think_prefilled"] is False


# An independent oracle for format_strict: one regular expression per mode, tempered so that no
# block can contain a tag. Random completions built from tags, blanks and text must agree with it.
_NO_TAG = r"(?:(?!</?(?:think|answer)>).)*"
_ORACLE = {
    FormatMode.ANSWER_TAGS: re.compile(
        rf"\s*<think>(?P<t>{_NO_TAG})</think>\s*<answer>(?P<a>{_NO_TAG})</answer>\s*", re.DOTALL
    ),
    FormatMode.R1_DISTILL: re.compile(rf"\s*<think>(?P<t>{_NO_TAG})</think>(?P<a>{_NO_TAG})", re.DOTALL),
}
_PIECES = ["<think>", "</think>", "<answer>", "</answer>", " ", "\n", "x", "答", "<think", "</ answer>"]


def _oracle(completion: str, mode: FormatMode, prefilled: bool) -> float:
    m = _ORACLE[mode].fullmatch(("<think>" if prefilled else "") + completion)
    return 1.0 if m and m.group("t").strip() and m.group("a").strip() else 0.0


@pytest.mark.parametrize("mode", list(FormatMode))
@pytest.mark.parametrize("prefilled", [False, True])
def test_strict_agrees_with_an_independent_oracle(mode: FormatMode, prefilled: bool) -> None:
    rng = random.Random(f"{mode}-{prefilled}")
    canonical = ["<think>", "x", "</think>", "\n", "<answer>", "x", "</answer>"]
    seen_pass = 0
    for _ in range(3000):
        # Mutate a canonical completion (so passes are common), or build one at random.
        if rng.random() < 0.5:
            parts = [p for p in canonical if not (prefilled and p == "<think>")]
            if mode is FormatMode.R1_DISTILL:
                parts = [p for p in parts if "answer" not in p]
            for _ in range(rng.randrange(3)):
                parts.insert(rng.randrange(len(parts) + 1), rng.choice(_PIECES))
        else:
            parts = [rng.choice(_PIECES) for _ in range(rng.randrange(9))]
        completion = "".join(parts)
        expected = _oracle(completion, mode, prefilled)
        assert _one(format_strict, completion, mode=mode.value, think_prefilled=prefilled) == expected, (
            completion
        )
        soft = _one(format_soft, completion, mode=mode.value, think_prefilled=prefilled)
        assert soft is not None and round(soft * 5) == pytest.approx(soft * 5)
        seen_pass += expected == 1.0
    assert seen_pass > 100  # the generator really exercises the passing side
