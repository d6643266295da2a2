"""Per-user sliding-window limiter, driven by a fake clock."""

from __future__ import annotations

import pytest

from bot.limits import SlidingWindowLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_allows_the_limit_then_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(3, 60.0, clock)
    for _ in range(3):
        assert limiter.try_acquire(1) == 0.0
        clock.now += 10
    assert limiter.try_acquire(1) == pytest.approx(30.0)  # the first event leaves the window


def test_window_slides_one_event_at_a_time() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(2, 60.0, clock)
    limiter.try_acquire(1)
    clock.now += 30
    limiter.try_acquire(1)
    clock.now += 30  # the first event is now exactly one window old
    assert limiter.try_acquire(1) == 0.0
    assert limiter.try_acquire(1) == pytest.approx(30.0)


def test_refused_requests_do_not_count() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(1, 60.0, clock)
    limiter.try_acquire(1)
    for _ in range(5):
        clock.now += 10
        assert limiter.try_acquire(1) > 0
    clock.now += 10
    assert limiter.try_acquire(1) == 0.0


def test_users_are_counted_separately() -> None:
    limiter = SlidingWindowLimiter(1, 60.0, Clock())
    assert limiter.try_acquire(1) == 0.0
    assert limiter.try_acquire(1) > 0
    assert limiter.try_acquire(2) == 0.0


def test_idle_users_are_forgotten() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(1, 60.0, clock)
    for user in range(100):
        limiter.try_acquire(user)
    clock.now += 61
    limiter.try_acquire(1000)
    assert len(limiter._events) == 1


def test_a_refused_key_is_told_once_per_window():
    now = [0.0]
    limiter = SlidingWindowLimiter(limit=1, window=60, clock=lambda: now[0])
    assert limiter.try_acquire(7) == 0.0
    assert limiter.try_acquire(7) > 0 and limiter.first_refusal(7)
    assert limiter.try_acquire(7) > 0 and not limiter.first_refusal(7)
    assert limiter.first_refusal(8)  # other keys have their own window
    now[0] = 61.0
    assert limiter.try_acquire(7) == 0.0
    assert limiter.try_acquire(7) > 0 and limiter.first_refusal(7)


def test_reserve_books_later_slots_in_order_up_to_the_bound() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(2, 60.0, clock, most_waiting=3)
    assert limiter.reserve(1) == 0.0
    clock.now += 10
    assert limiter.reserve(1) == 0.0
    # Each booked slot opens when the event two places before it leaves the window.
    assert [limiter.reserve(1) for _ in range(3)] == [pytest.approx(50.0), pytest.approx(60.0),
                                                     pytest.approx(110.0)]
    assert limiter.waiting(1) == 3
    assert limiter.reserve(1) is None  # three already waiting
    assert limiter.waiting(1) == 3 and limiter.reserve(2) == 0.0  # others are not affected
    clock.now += 50  # the first booked slot (at 60 s from the start) has come
    assert limiter.waiting(1) == 2
    assert limiter.reserve(1) == pytest.approx(70.0)  # at 130, 60 s after the slot at 70


def test_reserve_without_waiting_room_refuses_like_try_acquire() -> None:
    limiter = SlidingWindowLimiter(1, 60.0, Clock())
    assert limiter.reserve(1) == 0.0
    assert limiter.reserve(1) is None
    assert limiter.try_acquire(1) == pytest.approx(60.0)
