import random

import pytest

from trainer_client.retry import RetryPolicy, is_retryable_status, parse_retry_after_s

_RETRYABLE = [429, 500, 502, 503, 504, 599]
_FAIL_FAST = [200, 400, 401, 403, 404, 413, 422]


@pytest.mark.parametrize(
    ("status", "retryable"), [(s, True) for s in _RETRYABLE] + [(s, False) for s in _FAIL_FAST]
)
def test_which_statuses_retry(status: int, retryable: bool) -> None:
    assert is_retryable_status(status) is retryable


@pytest.mark.parametrize(
    ("header", "seconds"), [(None, None), ("3", 3.0), (" 1.5 ", 1.5), ("-2", 0.0), ("Wed, 21 Oct 2015", None)]
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after_s(header) == seconds


def test_backoff_grows_exponentially_and_is_capped() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=5.0)
    rng = random.Random(0)
    for retry_number, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (10, 5.0)]:
        delays = [policy.delay_s(retry_number, rng=rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > 0.8 * ceiling  # full jitter spreads over the whole window


def test_retry_after_is_a_floor_capped_by_max_retry_after() -> None:
    policy = RetryPolicy(base_delay_s=0.01, max_delay_s=0.01, max_retry_after_s=7.0)
    assert policy.delay_s(1, retry_after_s=3.0) == 3.0
    assert policy.delay_s(1, retry_after_s=100.0) == 7.0


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_delay_s=-1)
