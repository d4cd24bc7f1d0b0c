"""An engine on a FakeSynth, played through MIDI devices and the box's own inputs.

Every event carries its own time and the timers due before it run first, as
on the live box and in ``tonic render``; nothing reads a clock.
"""

from __future__ import annotations

from collections import Counter

from appliance.config import BoxConfig
from appliance.engine import Engine
from appliance.engine.status import InputStatus
from appliance.events import (
    BeamReading,
    ControlChange,
    DevicePlugged,
    DeviceUnplugged,
    Event,
    InputId,
    NoteOff,
    NoteOn,
    PitchBend,
    Pressed,
    Released,
    SetSetting,
    SoundEvent,
    SoundKind,
)
from appliance.profile import Profile, default_profile
from appliance.sound.fake import FakeSynth

INPUTS = BoxConfig().input_ids()
KEYS = InputId("midi:keys")  # the therapist's keyboard, in most tests
PADS = InputId("midi:pads")
#: One ping slot of a live beam.
PING = 1 / 16
#: How long a step of :meth:`Rig.later` moves the clock: past the default
#: 30 ms lock-out, so each press is a fresh one.
STEP = 0.05


class Rig:
    def __init__(self, profile: Profile | None = None) -> None:
        self.synth = FakeSynth()
        self.log: list[SoundEvent] = []
        self.engine = Engine(self.synth, profile or default_profile(), INPUTS, [self.log.append])
        self.t = 0.0
        self.mark = len(self.synth.calls)
        self.log_mark = 0

    # -- time and events ----------------------------------------------------------------

    def later(self, seconds: float = STEP) -> float:
        self.t += seconds
        return self.t

    def send(self, event: Event) -> None:
        self.engine.tick(event.t)
        self.engine.handle(event)

    def run_until(self, t: float) -> None:
        self.t = t
        self.engine.tick(t)

    # -- the box's own inputs -----------------------------------------------------------------

    def set(self, path: str, value: str) -> None:
        self.send(SetSetting(self.later(), path, value))

    def press(self, iid: str) -> None:
        self.send(Pressed(self.later(), InputId(iid)))

    def release(self, iid: str) -> None:
        self.send(Released(self.later(), InputId(iid)))

    def ping(self, distance: float | None, iid: str = "beam:1") -> None:
        self.send(BeamReading(self.later(PING), InputId(iid), distance))

    # -- MIDI devices ----------------------------------------------------------------------

    def plug(self, device: str = KEYS, role: str | None = None) -> None:
        self.send(DevicePlugged(self.later(), InputId(device), port=f"{device} port", role=role))

    def unplug(self, device: str = KEYS) -> None:
        self.send(DeviceUnplugged(self.later(), InputId(device)))

    def note(self, n: int, velocity: int = 90, device: str = KEYS) -> None:
        self.send(NoteOn(self.later(), InputId(device), n, velocity))

    def off(self, n: int, device: str = KEYS) -> None:
        self.send(NoteOff(self.later(), InputId(device), n))

    def chord(self, notes: tuple[int, ...], device: str = KEYS) -> None:
        for n in notes:
            self.note(n, device=device)

    def lift(self, notes: tuple[int, ...], device: str = KEYS) -> None:
        for n in notes:
            self.off(n, device=device)

    def cc(self, control: int, value: int, device: str = KEYS) -> None:
        self.send(ControlChange(self.later(), InputId(device), control, value))

    def bend(self, value: int, device: str = KEYS) -> None:
        self.send(PitchBend(self.later(), InputId(device), value))

    # -- what was heard ----------------------------------------------------------------------

    def reset(self) -> None:
        """Look only at what follows from now on (balance checks still see everything)."""
        self.mark = len(self.synth.calls)
        self.log_mark = len(self.log)

    def calls(self, kind: str | None = None) -> list[tuple[object, ...]]:
        new = self.synth.calls[self.mark :]
        return [c for c in new if kind is None or c[0] == kind]

    def events(self, kind: SoundKind | None = None, source: str = "") -> list[SoundEvent]:
        return [
            e
            for e in self.log[self.log_mark :]
            if (kind is None or e.type is kind) and e.source.startswith(source)
        ]

    def ons(self, source: str = "") -> list[int]:
        return [e.note for e in self.events(SoundKind.NOTE_ON, source) if e.note is not None]

    def channel_of(self, source: str) -> int:
        """The channel ``source``'s last note started on."""
        ons = [e for e in self.log if e.type is SoundKind.NOTE_ON and e.source.startswith(source)]
        assert ons, f"{source} played nothing"
        channel = ons[-1].channel
        assert channel is not None
        return channel

    def sounding(self) -> set[tuple[int, int]]:
        """What the synth is sounding now, replaying every call it was given."""
        on: set[tuple[int, int]] = set()
        for call in self.synth.calls:
            if call[0] == "note_on":
                on.add((call[1], call[2]))  # type: ignore[arg-type]
            elif call[0] == "note_off":
                on.discard((call[1], call[2]))  # type: ignore[arg-type]
            elif call[0] in ("all_notes_off", "all_sounds_off"):
                on = set() if call[1] is None else {s for s in on if s[0] != call[1]}
            elif call[0] == "reset":
                on = set()
        return on

    def status_of(self, iid: str) -> InputStatus:
        return next(i for i in self.engine.status().inputs if i.id == iid)


def assert_balanced(calls: list[tuple[object, ...]]) -> None:
    """Every note_on has its own note_off, and no note_off comes before its note_on."""
    count: Counter[tuple[object, object]] = Counter()
    for call in calls:
        if call[0] == "note_on":
            count[call[1], call[2]] += 1
        elif call[0] == "note_off":
            count[call[1], call[2]] -= 1
            assert count[call[1], call[2]] >= 0, f"note_off without a note_on: {call}"
    assert +count == Counter(), f"note_ons never stopped: {+count}"
