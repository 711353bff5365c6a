"""The registry contract: names, parameters, defaults overlay, and the output-length check."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from verifiers import (
    InvalidParameterError,
    OutputLengthError,
    Registry,
    RegistryError,
    RewardContext,
    RewardDef,
    RewardKind,
    RewardOutput,
    Sample,
    UnknownParameterError,
    UnknownRewardError,
)

CTX = RewardContext()


def _length_reward(
    samples: Sequence[Sample], ctx: RewardContext, *, scale: float, offset: float
) -> list[RewardOutput]:
    return [RewardOutput(value=scale * len(s.completion) + offset) for s in samples]


def _drops_one(samples: Sequence[Sample], ctx: RewardContext) -> list[RewardOutput]:
    return [RewardOutput(value=1.0) for _ in samples][1:]


LENGTH = RewardDef(
    name="length",
    kind=RewardKind.INLINE,
    fn=_length_reward,
    defaults={"scale": 1.0, "offset": 0.0},
    doc="characters times scale plus offset",
    param_docs={"scale": "multiplier", "offset": "added"},
)
BROKEN = RewardDef(name="broken", kind=RewardKind.INLINE, fn=_drops_one, defaults={}, doc="drops a sample")
SAMPLES = [Sample(id="a", completion="abc"), Sample(id="b", completion="")]


def _registry() -> Registry:
    return Registry([LENGTH, BROKEN])


def test_unknown_reward_lists_known_names() -> None:
    with pytest.raises(UnknownRewardError) as err:
        _registry().get("lenght")
    assert err.value.name == "lenght"
    assert err.value.known == ["broken", "length"]
    assert str(err.value) == "unknown reward 'lenght'; known rewards: broken, length"
    assert isinstance(err.value, KeyError) and isinstance(err.value, RegistryError)


def test_unknown_reward_in_compute() -> None:
    with pytest.raises(UnknownRewardError):
        _registry().compute("nope", SAMPLES, CTX)


def test_unknown_parameter_names_reward_param_and_known() -> None:
    with pytest.raises(UnknownParameterError) as err:
        _registry().resolve_params("length", {"scale": 2.0, "sclae": 3.0})
    assert (err.value.reward, err.value.param, err.value.known) == ("length", "sclae", ["offset", "scale"])
    assert "offset, scale" in str(err.value)
    assert isinstance(err.value, ValueError) and isinstance(err.value, RegistryError)


def test_unknown_parameter_of_reward_without_params() -> None:
    with pytest.raises(UnknownParameterError, match="none"):
        _registry().resolve_params("broken", {"x": 1})


@pytest.mark.parametrize(
    ("params", "merged"),
    [
        pytest.param(None, {"scale": 1.0, "offset": 0.0}, id="none-gives-defaults"),
        pytest.param({}, {"scale": 1.0, "offset": 0.0}, id="empty-gives-defaults"),
        pytest.param({"offset": 5.0}, {"scale": 1.0, "offset": 5.0}, id="overlay-one"),
        pytest.param({"offset": 5.0, "scale": 0.5}, {"scale": 0.5, "offset": 5.0}, id="overlay-all"),
    ],
)
def test_defaults_overlay(params: dict[str, Any] | None, merged: dict[str, Any]) -> None:
    assert _registry().resolve_params("length", params) == merged


def test_overlay_does_not_mutate_defaults() -> None:
    _registry().resolve_params("length", {"scale": 9.0})
    assert LENGTH.defaults == {"scale": 1.0, "offset": 0.0}


@pytest.mark.parametrize(
    ("params", "values"),
    [
        pytest.param(None, [3.0, 0.0], id="defaults"),
        pytest.param({"scale": 2.0, "offset": 1.0}, [7.0, 1.0], id="overlaid"),
    ],
)
def test_compute_passes_merged_params(params: dict[str, Any] | None, values: list[float]) -> None:
    assert [o.value for o in _registry().compute("length", SAMPLES, CTX, params)] == values


def test_output_length_is_checked() -> None:
    with pytest.raises(OutputLengthError) as err:
        _registry().compute("broken", SAMPLES, CTX)
    assert (err.value.reward, err.value.expected, err.value.got) == ("broken", 2, 1)
    assert not isinstance(err.value, RegistryError)  # a bug in the reward, not the caller's error


def test_empty_batch() -> None:
    assert _registry().compute("length", [], CTX) == []


def test_duplicate_registration_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        Registry([LENGTH, LENGTH])


def test_names_membership_and_iteration() -> None:
    reg = _registry()
    assert reg.names() == ["broken", "length"]
    assert "length" in reg and "nope" not in reg
    assert {d.name for d in reg} == {"broken", "length"}


def test_invalid_parameter_error_fields() -> None:
    err = InvalidParameterError("length", "scale", -1, "must be >= 0")
    assert (err.reward, err.param, err.value, err.reason) == ("length", "scale", -1, "must be >= 0")
    assert "scale" in str(err) and isinstance(err, RegistryError)
