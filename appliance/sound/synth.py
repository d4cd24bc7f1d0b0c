"""The interface the engine plays through.

The engine never touches FluidSynth directly: it calls a :class:`Synth`. The
real one is :class:`appliance.sound.fluid.FluidSynth`; tests that only care
about *what* was played can use :class:`appliance.sound.fake.FakeSynth`.

Safety lives here, below every caller: :meth:`Synth.set_volume` maps the
profile's 0..1 volume onto a gain that can never pass :attr:`gain_ceiling`,
and velocities are clamped to ``max_velocity``, so no profile, script or
future control request can make the box suddenly loud.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from enum import StrEnum
from typing import NewType

from appliance.sound.instruments import Instrument

Channel = NewType("Channel", int)
"""A MIDI channel, 0..15 as sent on the wire (channel 9 is the drum channel)."""

DRUM_CHANNEL = Channel(9)
CHANNELS = 16


class SynthState(StrEnum):
    """What the synth's audio is doing, as shown in the engine status."""

    STARTING = "starting"
    LIVE = "live"  # sounding through an audio device
    SILENT = "silent"  # no audio device: the box runs, but nothing is heard
    OFFLINE = "offline"  # rendering to a file, paced by the caller
    CLOSED = "closed"


class Synth(ABC):
    """Everything the engine may ask of a synthesizer.

    Calls come from the engine's owner thread only; implementations need no
    locking of their own beyond what the underlying synth provides.
    """

    #: The loudest gain any call can reach. Subclasses set it from config,
    #: and :meth:`set_volume` never exceeds it.
    gain_ceiling: float = 0.5
    #: The loudest velocity any note can reach.
    max_velocity: int = 127

    state: SynthState = SynthState.STARTING
    #: Why the synth is in its state, for the status line ("no audio device: ...").
    state_reason: str = ""

    @abstractmethod
    def select_instrument(self, channel: Channel, instrument: Instrument) -> None:
        """Make ``channel`` sound as ``instrument``."""

    @abstractmethod
    def note_on(self, channel: Channel, note: int, velocity: int) -> None:
        """Start a note. Velocity is already clamped by the caller."""

    @abstractmethod
    def note_off(self, channel: Channel, note: int) -> None:
        """Release a note."""

    @abstractmethod
    def control_change(self, channel: Channel, control: int, value: int) -> None:
        """Send a MIDI control change (CC)."""

    @abstractmethod
    def pitch_bend(self, channel: Channel, value: int) -> None:
        """Bend a channel: -8192..8191, 0 is no bend."""

    @abstractmethod
    def all_notes_off(self, channel: Channel | None = None) -> None:
        """Release every note on ``channel``, or on every channel."""

    @abstractmethod
    def _apply_gain(self, gain: float) -> None:
        """Set the master gain. Only :meth:`set_volume` calls this."""

    def set_volume(self, volume: float) -> float:
        """Set the master volume (0..1) and return the gain applied.

        Out-of-range volumes are clamped rather than refused: this is the last
        line of defence, so it must never let a bad value through.
        """
        volume = float(volume)
        if math.isnan(volume):
            volume = 0.0
        volume = min(max(volume, 0.0), 1.0)
        gain = min(volume * self.gain_ceiling, self.gain_ceiling)
        self._apply_gain(gain)
        return gain

    def clamp_velocity(self, velocity: int) -> int:
        return min(max(int(velocity), 1), self.max_velocity)

    def relevel(self, channel: Channel, instrument: Instrument) -> None:  # noqa: B027
        """Set ``channel``'s level again, now ``instrument``'s trim is measured.

        An optional hook: only synths that level instruments on a worker need it.
        """

    def instruments_ready(self) -> None:  # noqa: B027 - an optional hook
        """Every instrument needed for now is selected: free any set-up helpers.

        Most synths have none; FluidSynth drops its level probe here.
        """

    def close(self) -> None:
        """Silence everything and release the synth's resources."""
        self.state = SynthState.CLOSED
