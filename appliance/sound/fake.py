"""A synth that remembers what it was asked to play, for tests.

It sits beside :mod:`appliance.sound.fluid` the way gpiozero's mock pins sit
beside the real ones: the engine above it runs unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from appliance.sound.instruments import Instrument
from appliance.sound.level import FULL_CC7, Level
from appliance.sound.synth import Channel, Scheduled, Synth, SynthState

#: Every instrument's level in a fake synth, unless a test gives others: full
#: channel volume, and a chord as loud as a levelled piano's.
FAKE_LEVEL = Level(FULL_CC7, 0.35, 0.16)


class FakeSynth(Synth):
    """Records each call as a tuple, e.g. ``("note_on", 0, 60, 100)``."""

    def __init__(self, gain_ceiling: float = 0.5, levels: dict[str, Level] | None = None) -> None:
        self.gain_ceiling = gain_ceiling
        self.calls: list[tuple[object, ...]] = []
        self.levels = dict(levels or {})
        self.state = SynthState.OFFLINE
        #: The sample clock, moved by the test (a render moves FluidSynth's).
        self.frames = 0
        #: Scheduled events not yet cancelled, in the order they were given.
        self.scheduled: list[Scheduled] = []

    def select_instrument(self, channel: Channel, instrument: Instrument) -> tuple[int, int]:
        self.calls.append(("program", channel, instrument.bank, instrument.program))
        return instrument.bank, instrument.program

    def level_of(self, instrument: Instrument) -> Level:
        return self.levels.get(instrument.name, FAKE_LEVEL)

    def note_on(self, channel: Channel, note: int, velocity: int) -> None:
        self.calls.append(("note_on", channel, note, velocity))

    def note_off(self, channel: Channel, note: int) -> None:
        self.calls.append(("note_off", channel, note))

    def control_change(self, channel: Channel, control: int, value: int) -> None:
        self.calls.append(("cc", channel, control, value))

    def pitch_bend(self, channel: Channel, value: int) -> None:
        self.calls.append(("pitch_bend", channel, value))

    def all_notes_off(self, channel: Channel | None = None) -> None:
        self.calls.append(("all_notes_off", channel))

    def all_sounds_off(self, channel: Channel | None = None) -> None:
        self.calls.append(("all_sounds_off", channel))

    def reset(self) -> None:
        self.calls.append(("reset",))

    def sample_clock(self) -> int:
        return self.frames

    def schedule(self, events: Sequence[Scheduled]) -> None:
        self.scheduled.extend(events)

    def cancel(self, groups: Iterable[int] | None = None) -> None:
        if groups is None:
            self.scheduled.clear()
            return
        dropped = set(groups)
        self.scheduled = [e for e in self.scheduled if e.group not in dropped]
