"""Reason codes: which verdicts say something about the model (scorable) and which do not."""

from __future__ import annotations

import pickle

import pytest

from verifiers.math.verdict import MathVerdict, Reason

UNSCORABLE = {Reason.UNPARSEABLE_GOLD, Reason.INVALID_INPUT, Reason.TIMEOUT, Reason.WORKER_ERROR}


@pytest.mark.parametrize("reason", list(Reason))
def test_only_infrastructure_and_gold_failures_are_unscorable(reason: Reason) -> None:
    assert reason.scorable is (reason not in UNSCORABLE)
    assert MathVerdict(False, reason).scorable is reason.scorable


def test_reasons_are_stable_strings() -> None:
    # clients switch on these values: renaming one is a breaking change
    assert {r.value for r in Reason} == {
        "equal",
        "not_equal",
        "no_answer",
        "unparseable_answer",
        "too_large",
        "unparseable_gold",
        "invalid_input",
        "timeout",
        "worker_error",
    }


def test_a_verdict_pickles() -> None:
    # verdicts come back from the pool's worker processes
    verdict = MathVerdict(True, Reason.EQUAL, extracted="3", method="exact_rational", elapsed_s=0.5)
    assert pickle.loads(pickle.dumps(verdict)) == verdict
