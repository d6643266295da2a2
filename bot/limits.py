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
    """Allow at most `limit` events per key within any `window` seconds."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}  # when each key was last told it is over the limit
        self._next_sweep = clock() + window

    def try_acquire(self, key: int) -> float:
        """Record an event for `key` and return 0.0, or return the seconds until one is allowed."""
        now = self._clock()
        self._forget_idle_keys(now)
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return events[0] + self.window - now
        events.append(now)
        return 0.0

    def first_refusal(self, key: int) -> bool:
        """True once per window for a refused key: tell a flooding user once, not per message,
        so their notes do not use up the bot's outgoing message budget."""
        now = self._clock()
        if now - self._warned.get(key, -self.window) < self.window:
            return False
        self._warned[key] = now
        return True

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
