"""How fast the control socket answers, from every client together.

A generic cell-rate algorithm: each request reserves the next slot ``1/rate``
after the last one, and a request may run ``burst`` slots ahead of the clock
before it has to wait. Waiting is an ``asyncio.sleep`` on the server's loop, so
a flooding client is slowed, not refused, and no thread is held::

    slots      |....|....|....|....|....|      one every 1/rate seconds
    a UI       ^ answered at once (within the burst)
    a flood    ^^^^^^^^^^^^ burst used up, then one per slot, the rest wait
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class RequestRate:
    """Loop thread only."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self._interval = 1.0 / rate
        # How far ahead of the clock the next free slot may be without waiting.
        # (Plus a nanosecond, so summing slots' float rounding never makes a wait.)
        self._slack = (burst - 1) * self._interval + 1e-9
        self._clock = clock
        self._next_slot = float("-inf")

    def reserve(self) -> float:
        """Take the next slot; return how long to wait for it (0: now)."""
        now = self._clock()
        slot = max(self._next_slot, now)
        self._next_slot = slot + self._interval
        return max(0.0, slot - now - self._slack)

    async def take(self) -> None:
        delay = self.reserve()
        if delay > 0:
            await asyncio.sleep(delay)
