"""Per-user sliding-window request limiter.

State lives in this process only: with several replicas each one counts on its own, so a user
can get up to `limit` requests per window from every replica. That is acceptable here because
the limit protects each process's CPU, which is exactly what a per-process count measures.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    """Allow at most `limit` events per key within any `window` seconds.

    `reserve` also books slots later on, up to `most_waiting` of them per key, for requests
    that can wait their turn instead of being refused.
    """

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic,
        *, most_waiting: int = 0,
    ) -> None:
        self.limit = limit
        self.window = window
        self.most_waiting = most_waiting
        self._clock = clock
        self._events: dict[int, deque[float]] = {}  # times in order, booked later slots last
        self._warned: dict[int, float] = {}  # when each key was last told it is over the limit
        self._next_sweep = clock() + window

    def try_acquire(self, key: int) -> float:
        """Record an event for `key` and return 0.0, or return the seconds until one is allowed."""
        events, now = self._recent(key)
        wait = self._wait(events, now)
        if not wait:
            events.append(now)
        return wait

    def reserve(self, key: int) -> float | None:
        """Book the next free slot for `key`, now or later: return the seconds until it (0.0 for
        now), or None if `most_waiting` later slots are booked already."""
        events, now = self._recent(key)
        wait = self._wait(events, now)
        if wait and self.waiting(key) >= self.most_waiting:
            return None
        events.append(now + wait)
        return wait

    def waiting(self, key: int) -> int:
        """How many of the slots booked for `key` are still to come."""
        now = self._clock()
        return sum(at > now for at in self._events.get(key, ()))

    def first_refusal(self, key: int) -> bool:
        """True once per window for a refused key: tell a flooding user once, not per message,
        so their notes do not use up the bot's outgoing message budget."""
        now = self._clock()
        if now - self._warned.get(key, -self.window) < self.window:
            return False
        self._warned[key] = now
        return True

    def _recent(self, key: int) -> tuple[deque[float], float]:
        """The key's events within the window (and booked later), and the time now."""
        now = self._clock()
        self._forget_idle_keys(now)
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        return events, now

    def _wait(self, events: deque[float], now: float) -> float:
        # The next event may come once the one `limit` places before it leaves the window.
        return events[-self.limit] + self.window - now if len(events) >= self.limit else 0.0

    def _forget_idle_keys(self, now: float) -> None:
        # Keeps memory bounded by the users active in the last window, not all users ever seen.
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.window
        idle = [key for key, events in self._events.items() if events[-1] <= now - self.window]
        for key in idle:
            del self._events[key]
        for key in [key for key, at in self._warned.items() if at <= now - self.window]:
            del self._warned[key]
