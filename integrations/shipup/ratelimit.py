"""A leaky bucket (Shipup's rate-limit algorithm), shared by the client and the sandbox."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

_EPSILON = 1e-9


class LeakyBucket:
    """`capacity` marbles drain at `rate` per second; every request adds one marble.

    The client uses capacity 1 (requests leave evenly spaced, 1/rate apart); the sandbox uses
    the burst size and answers 429 when a marble does not fit.
    """

    def __init__(self, *, rate: float, capacity: float = 1.0,
                 clock: Callable[[], float] = time.monotonic):
        if rate <= 0 or capacity < 1:
            raise ValueError("rate must be > 0 and capacity >= 1")
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._level = 0.0
        self._updated = clock()
        self._lock = threading.Lock()

    def _leak(self) -> None:
        now = self._clock()
        self._level = max(0.0, self._level - (now - self._updated) * self.rate)
        self._updated = now

    def take(self) -> float:
        """Add a marble and return 0, or return the seconds to wait before one fits."""
        with self._lock:
            self._leak()
            overflow = self._level + 1 - self.capacity
            if overflow > _EPSILON:
                return overflow / self.rate
            self._level += 1
            return 0.0

    @property
    def level(self) -> float:
        with self._lock:
            self._leak()
            return self._level

    def acquire(self, sleep: Callable[[float], None] = time.sleep) -> float:
        """Block (through `sleep`) until a marble fits; returns the total time slept."""
        waited = 0.0
        while (wait := self.take()) > 0:
            sleep(wait)
            waited += wait
        return waited
