"""The data model's errors: one hierarchy a caller can catch, fields for the edge, clear messages."""

from __future__ import annotations

import pytest

from verifiers.types import (
    InvalidParameterError,
    OutputLengthError,
    RegistryError,
    UnknownParameterError,
    UnknownRewardError,
)


def test_unknown_reward_reads_as_a_sentence_not_a_quoted_key() -> None:
    err = UnknownRewardError("acc", known=["format", "accuracy"])
    assert isinstance(err, RegistryError) and isinstance(err, KeyError)
    assert err.known == ["accuracy", "format"]
    # KeyError's own str() would quote the message; the override keeps it readable
    assert str(err) == "unknown reward 'acc'; known rewards: accuracy, format"


def test_unknown_parameter_lists_the_known_ones() -> None:
    err = UnknownParameterError("format", "strict", known=[])
    assert isinstance(err, RegistryError) and isinstance(err, ValueError)
    assert (err.reward, err.param) == ("format", "strict")
    assert str(err) == "reward 'format' has no parameter 'strict'; its parameters: none"


def test_invalid_parameter_carries_value_and_reason() -> None:
    err = InvalidParameterError("length", "max_tokens", -1, "must be positive")
    assert isinstance(err, RegistryError)
    assert (err.value, err.reason) == (-1, "must be positive")
    assert "max_tokens" in str(err) and "-1" in str(err) and "must be positive" in str(err)


def test_a_reward_returning_the_wrong_count_is_a_bug_not_a_caller_error() -> None:
    err = OutputLengthError("accuracy", expected=3, got=2)
    assert not isinstance(err, RegistryError)
    with pytest.raises(RuntimeError, match="returned 2 outputs for 3 samples"):
        raise err
