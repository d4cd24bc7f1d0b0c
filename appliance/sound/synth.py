"""The interface the engine plays through.

The engine never touches FluidSynth directly: it calls a :class:`Synth`. The
real one is :class:`appliance.sound.fluid.FluidSynth`; tests that only care
about *what* was played can use :class:`appliance.sound.fake.FakeSynth`.

Safety lives here, below every caller: the master gain is
:attr:`Synth.gain_ceiling`, set once and never raised; every level the box
chooses (volume, trims, the mixer's headroom) turns channels *down* from
there (:mod:`appliance.engine.mixer`), and velocities are clamped to
``max_velocity``, so no profile, script or control request can make the box
louder than its ceiling.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NewType

from appliance.audio_settings import BLOCK_FRAMES, SAMPLE_RATE
from appliance.sound.instruments import Instrument
from appliance.sound.level import Level

Channel = NewType("Channel", int)
"""A MIDI channel, 0..15 as sent on the wire (channel 9 is the drum channel)."""

DRUM_CHANNEL = Channel(9)
CHANNELS = 16


#: Scheduled events carry a group (appliance/engine/accompaniment.py uses one
#: a beat), so a stop can take back what has not sounded yet. FluidSynth's
#: sequencer keeps a group as a 16-bit client id, where -1 means "any".
MAX_GROUP = 2**14


@dataclass(frozen=True, slots=True)
class Scheduled:
    """A note the synth plays by itself at the start of block ``block``,
    counted on its own sample clock (:meth:`Synth.sample_clock` // 64):
    a note-on, or a note-off when ``velocity`` is 0."""

    block: int
    channel: Channel
    note: int
    velocity: int
    group: int  # 1..MAX_GROUP


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

    #: The master gain: the loudest the box can be. Subclasses set it from
    #: config once; nothing raises it.
    gain_ceiling: float = 0.5
    #: The loudest velocity any note can reach.
    max_velocity: int = 127
    sample_rate: int = SAMPLE_RATE

    state: SynthState = SynthState.STARTING
    #: Why the synth is in its state, for the status line ("no audio device: ...").
    state_reason: str = ""

    @property
    def block_s(self) -> float:
        """The synth's block: calls take effect at the next block boundary."""
        return BLOCK_FRAMES / self.sample_rate

    @abstractmethod
    def select_instrument(self, channel: Channel, instrument: Instrument) -> tuple[int, int]:
        """Make ``channel`` sound as ``instrument``; returns the (bank, program) selected,
        which is the standard sound's when the soundfont lacks the instrument."""

    @abstractmethod
    def level_of(self, instrument: Instrument) -> Level:
        """How ``instrument`` is levelled: its trim (CC7) and its loudest note.

        Never waits on the live box's engine thread: an instrument not yet
        measured gets a provisional level, and an ``InstrumentLevelled``
        event follows once it is measured.
        """

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
    def all_sounds_off(self, channel: Channel | None = None) -> None:
        """Cut every voice on ``channel``, or on every channel, release tails too."""

    @abstractmethod
    def reset(self) -> None:
        """The GS Reset: every voice, controller and program reset, and the
        reverb and chorus emptied (appliance/sound/gs.py)."""

    # -- the synth's own clock: notes scheduled ahead (loops, songs) -------------

    @abstractmethod
    def sample_clock(self) -> int:
        """Frames the synth has rendered so far: the clock scheduled notes keep."""

    @abstractmethod
    def schedule(self, events: Sequence[Scheduled]) -> None:
        """Play ``events`` at their blocks, timed by the synth's sample clock
        (never by a thread's wake-up); an event whose block has passed plays
        in the next block."""

    @abstractmethod
    def cancel(self, groups: Iterable[int] | None = None) -> None:
        """Take back scheduled events not yet played: those of ``groups``, or all."""

    def clamp_velocity(self, velocity: int) -> int:
        return min(max(int(velocity), 1), self.max_velocity)

    def instruments_ready(self) -> None:  # noqa: B027 - an optional hook
        """Every instrument needed for now is selected: free any set-up helpers.

        Most synths have none; FluidSynth drops its level probe here.
        """

    def close(self) -> None:
        """Silence everything and release the synth's resources."""
        self.state = SynthState.CLOSED
