"""A pool batch: each item answered once, the future resolved exactly once, cancellation respected."""

from __future__ import annotations

from verifiers.math._batch import Batch, error_verdict
from verifiers.math.verdict import MathVerdict, Reason

EQUAL = MathVerdict(True, Reason.EQUAL)
NOT_EQUAL = MathVerdict(False, Reason.NOT_EQUAL)


def test_the_future_resolves_when_the_last_item_is_filled() -> None:
    batch = Batch.empty(2, deadline=None)
    assert batch.waiting
    assert batch.fill(1, NOT_EQUAL)
    assert not batch.future.done()
    assert batch.fill(0, EQUAL)
    assert batch.future.result(timeout=0) == [EQUAL, NOT_EQUAL]  # in item order
    assert not batch.waiting


def test_an_item_is_answered_once() -> None:
    batch = Batch.empty(2, deadline=None)
    assert batch.fill(0, EQUAL)
    assert not batch.fill(0, NOT_EQUAL)  # a late or re-run result is dropped
    assert batch.verdicts[0] == EQUAL
    assert batch.remaining == 1


def test_fill_rest_marks_only_unanswered_items() -> None:
    batch = Batch.empty(3, deadline=1.0)
    batch.fill(1, EQUAL)
    assert batch.fill_rest(Reason.TIMEOUT, "deadline") == 2
    timeout = error_verdict(Reason.TIMEOUT, "deadline")
    assert batch.future.result(timeout=0) == [timeout, EQUAL, timeout]
    assert not batch.fill(0, EQUAL)  # answered: a worker's late verdict changes nothing
    assert batch.fill_rest(Reason.WORKER_ERROR, "x") == 0


def test_a_cancelled_future_is_left_alone() -> None:
    batch = Batch.empty(1, deadline=None)
    assert batch.future.cancel()
    assert not batch.waiting  # the caller gave up: nobody waits
    assert batch.fill(0, EQUAL)  # resolving does not raise on the cancelled future
    assert batch.future.cancelled()


def test_an_empty_batch_is_not_waiting() -> None:
    batch = Batch.empty(0, deadline=None)
    assert not batch.waiting


def test_error_verdicts_are_unscorable_failures() -> None:
    verdict = error_verdict(Reason.WORKER_ERROR, "crash", elapsed_s=2.0)
    assert (verdict.correct, verdict.reason, verdict.method, verdict.elapsed_s) == (
        False,
        Reason.WORKER_ERROR,
        "crash",
        2.0,
    )
    assert not verdict.scorable
