"""How the FastLabel client paces itself: retries with backoff and the client-side rate limit.

The API allows 10,000 requests per 10 minutes (its README). Idempotent requests that fail with
429/500/502/503/504, a timeout or a connection error are retried after the server's
``Retry-After`` or an exponential backoff with jitter (:class:`RetryPolicy`); every request first
passes a sliding-window limiter (:class:`RateLimiter`), which a 429 pauses for everyone.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

REQUESTS_PER_WINDOW, WINDOW_SECONDS = 10_000, 600.0  # README: 10,000 calls per 10 minutes


@dataclass(frozen=True)
class RetryPolicy:
    """How idempotent requests are retried.

    ``attempts`` is the number of tries in all (1 = never retry). Retry *n* (0-based) waits the
    server's ``Retry-After`` when given, else ``min(max_backoff, backoff * 2**n)`` scaled by a
    random factor in [0.5, 1) ("equal jitter": spreads clients apart, never waits ~0 s).
    A ``Retry-After`` longer than ``max_retry_after`` seconds is not waited for: the error is raised.
    """

    attempts: int = 6
    backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = WINDOW_SECONDS

    def delay(self, retry: int, rng: Callable[[], float]) -> float:
        ceiling = min(self.max_backoff, self.backoff * 2.0 ** retry)
        return ceiling * (0.5 + 0.5 * rng())


class RateLimiter:
    """At most ``limit`` requests in any ``period`` seconds (a sliding window of send times).

    :meth:`acquire` blocks (through ``sleep``) until a request may go; :meth:`pause` holds every
    request back for a while (a 429's ``Retry-After``). Thread-safe; one limiter may be shared by
    several clients that use the same token.
    """

    def __init__(self, limit: int = REQUESTS_PER_WINDOW, period: float = WINDOW_SECONDS, *,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        if limit < 1 or period <= 0:
            raise ValueError(f"RateLimiter: need limit >= 1 and period > 0, got {limit}, {period}")
        self.limit, self.period = limit, period
        self._clock, self._sleep = clock, sleep
        self._sent: deque[float] = deque()
        self._paused_until = float("-inf")
        self._lock = threading.Lock()
        self.waited = 0.0  # seconds spent waiting, in all

    def acquire(self) -> float:
        """Wait until a request may be sent, count it as sent, and return the seconds waited."""
        waited = 0.0
        with self._lock:
            while True:
                now = self._clock()
                while self._sent and self._sent[0] <= now - self.period:
                    self._sent.popleft()
                wait = self._paused_until - now
                if len(self._sent) >= self.limit:
                    wait = max(wait, self._sent[0] + self.period - now)
                if wait <= 0:
                    self._sent.append(now)
                    self.waited += waited
                    return waited
                self._sleep(wait)
                waited += wait

    def pause(self, seconds: float) -> None:
        """Hold every request back for ``seconds`` from now."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
