"""The one source of "now". Nothing else in doorstep reads the system clock."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class VirtualClock:
    """Simulated time: starts at `start`, runs `speed` times faster than real time, or only
    moves when advanced (speed 0). Thread-safe, so the web, worker and simulator can share it."""

    def __init__(self, start: datetime, speed: float = 0.0) -> None:
        if start.tzinfo is None:
            raise ValueError("a virtual clock starts at an aware datetime")
        self._lock = threading.Lock()
        self._base = start.astimezone(UTC)
        self._speed = speed
        self._real_base = time.monotonic()

    def now(self) -> datetime:
        with self._lock:
            return self._now_locked()

    def _now_locked(self) -> datetime:
        if self._speed <= 0:
            return self._base
        elapsed = (time.monotonic() - self._real_base) * self._speed
        return self._base + timedelta(seconds=elapsed)

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._base = self._now_locked() + delta
            self._real_base = time.monotonic()
            return self._base

    def set(self, instant: datetime) -> None:
        """Move to an instant, never backwards."""
        with self._lock:
            current = self._now_locked()
            self._base = max(current, instant.astimezone(UTC))
            self._real_base = time.monotonic()

    @property
    def speed(self) -> float:
        return self._speed
