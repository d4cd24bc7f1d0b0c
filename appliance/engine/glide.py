"""Moving a controller smoothly, so a beam's expression has no zipper noise.

A beam is pinged about 16 times a second. Sending each new volume or cutoff
straight to the synth would step audibly ("zipper noise"). Instead a
:class:`Glide` moves the sent value toward the latest target in steps of
``STEP_S`` (10 ms), covering ``1 - exp(-STEP_S / TAU_S)`` of the remaining
distance each step (a one-pole low-pass with a 40 ms time constant)::

    target   ────┐
                 └──────────────────
    sent     ────╲_
                   ╲__
                      ╲____________   (steps every 10 ms, settled in ~0.2 s)

It only ticks while the value is moving: a still hand costs nothing.
"""

from __future__ import annotations

import math

STEP_S = 0.01
TAU_S = 0.04
_FRACTION = 1 - math.exp(-STEP_S / TAU_S)


class Glide:
    __slots__ = ("deadline", "sent", "settle_within", "target", "value")

    def __init__(self, value: float, settle_within: float) -> None:
        self.value = value
        self.target = value
        self.sent: int | None = None  # the last integer value sent to the synth
        self.settle_within = settle_within
        #: When :meth:`tick` next needs calling, or None when settled.
        self.deadline: float | None = None

    def aim(self, t: float, target: float) -> None:
        self.target = target
        if self.deadline is None and abs(target - self.value) > self.settle_within:
            self.deadline = t + STEP_S

    def jump(self, value: float) -> None:
        """Set the value at once (a new note starts where the hand is)."""
        self.value = self.target = value
        self.deadline = None

    def tick(self, t: float) -> int | None:
        """Take one step if due; return the new integer value if it changed."""
        if self.deadline is None or t < self.deadline:
            return None
        self.value += (self.target - self.value) * _FRACTION
        if abs(self.target - self.value) <= self.settle_within:
            self.value = self.target
            self.deadline = None
        else:
            self.deadline = t + STEP_S
        return self.take()

    def take(self) -> int | None:
        """The value to send now, or None if the synth already has it."""
        rounded = round(self.value)
        if rounded == self.sent:
            return None
        self.sent = rounded
        return rounded
