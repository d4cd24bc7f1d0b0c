"""A synth that remembers what it was asked to play, for tests.

It sits beside :mod:`appliance.sound.fluid` the way gpiozero's mock pins sit
beside the real ones: the engine above it runs unchanged.
"""

from __future__ import annotations

from appliance.sound.instruments import Instrument
from appliance.sound.level import FULL_CC7, Level
from appliance.sound.synth import Channel, Synth, SynthState

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
