"""The token bucket behind the reference server's ``--rate-limit``: a burst at once, then the rate."""

from __future__ import annotations

import pytest

from reference.core.ws.ratelimit import TokenBucket


def test_a_full_bucket_allows_the_burst_then_refuses() -> None:
    bucket = TokenBucket(rate=10, burst=3, now=100.0)
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]


def test_tokens_come_back_at_the_rate_up_to_the_burst() -> None:
    bucket = TokenBucket(rate=10, burst=3, now=0.0)
    for _ in range(3):
        bucket.take(0.0)
    assert not bucket.take(0.05)  # half a token
    assert bucket.take(0.1)
    assert not bucket.take(0.1)
    assert bucket.tokens(100.0) == 3  # never more than the burst


def test_burst_plus_rate_times_t_messages_in_t_seconds() -> None:
    bucket = TokenBucket(rate=100, burst=20, now=0.0)
    allowed = sum(bucket.take(i / 1000) for i in range(2000))  # 2000 messages in 2 s
    assert allowed == pytest.approx(20 + 100 * 2, abs=1)


def test_a_clock_going_back_adds_no_token() -> None:
    bucket = TokenBucket(rate=1, burst=1, now=10.0)
    assert bucket.take(10.0)
    assert not bucket.take(5.0)
    assert not bucket.take(10.5)


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (1, 0.5)])
def test_a_bucket_needs_a_positive_rate_and_room_for_one(rate: float, burst: float) -> None:
    with pytest.raises(ValueError, match="token bucket"):
        TokenBucket(rate, burst, 0.0)
