"""Token buckets on the injected clock (P4: pace, never sleep)."""
from __future__ import annotations

from marketbridge.clock import FakeClock
from marketbridge.ratelimit import TokenBucket


def test_bucket_answers_how_long_to_wait_instead_of_sleeping():
    clock = FakeClock()
    bucket = TokenBucket(rate=0.5, burst=2, clock=clock)
    assert bucket.take() == 0 and bucket.take() == 0
    assert bucket.take() == 2.0, "one token refills in 2 s"
    clock.advance(2)
    assert bucket.take() == 0


def test_saved_bucket_refills_for_the_time_it_was_stored_even_in_another_process():
    clock = FakeClock()
    bucket = TokenBucket(rate=1, burst=10, clock=clock)
    for _ in range(10):
        bucket.take()
    state = bucket.to_state()
    clock.advance(4)
    other_process = FakeClock(clock.now())  # a fresh monotonic origin, the same wall time
    restored = TokenBucket.from_state(state, other_process)
    assert round(restored.available()) == 4


def test_retune_and_drain():
    clock = FakeClock()
    bucket = TokenBucket(rate=1, burst=5, clock=clock)
    bucket.drain()
    bucket.retune(0.1)
    assert bucket.take() == 10.0
