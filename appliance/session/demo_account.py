"""What ``tonic demo`` prints: an account of the session, as it happens.

Each client note is one line (which input, which note, which instrument).
The band is told in the terms a therapist hears it, not note by note: a
loop's bars by their chord, a song's tune by its melody notes over their
chords, and when each begins and ends::

     28.05s  loop       Gentle Pulse begins (calm, steady, 72 beats a minute); ...
     28.05s  loop       a bar of C major
     38.25s  song       plays E4   on Flute over C major

Notes that start together reach the account one by one, so a band's notes
are gathered until something else happens, or a moment passes, and told as
one line.
"""

from __future__ import annotations

import queue
import time
from collections import Counter
from dataclasses import replace
from typing import TextIO

from appliance.engine.accompaniment import LOOP_CHANNELS
from appliance.engine.accompaniment import SOURCE as LOOP_SOURCE
from appliance.engine.band import DEFAULT_LOOP
from appliance.engine.devices import device_of
from appliance.engine.song_player import CHORD_CHANNEL, MELODY_CHANNEL
from appliance.engine.song_player import SOURCE as SONG_SOURCE
from appliance.events import (
    BandAction,
    BandCommand,
    InputId,
    SetSetting,
    SoundEvent,
    SoundKind,
    is_midi,
)
from appliance.music import Key
from appliance.music.heard_chord import hear_chord
from appliance.music.loop import PartRole
from appliance.music.loops import loop_named
from appliance.music.songs import song_named
from appliance.profile import HarmonySource, MidiRole, Profile
from appliance.sound.instruments import instrument_for

#: Every loop's pad holds the bar's whole chord from its downbeat (docs/loops.md):
#: the bar's chord is read there.
LOOP_CHORD_CHANNEL = LOOP_CHANNELS[PartRole.PAD]
BAND_SOURCES = (LOOP_SOURCE, SONG_SOURCE)
#: What the therapist's stop is told as: the band finishes the bar it is in.
STOPS = {BandAction.LOOP_STOP: LOOP_SOURCE, BandAction.SONG_STOP: SONG_SOURCE}
#: The band's notes that start together are handed over in one engine tick,
#: well within this: once it has passed with nothing more, they are all here.
GATHER_S = 0.02
#: A band's note struck again (at a bar line, on a beat) is stopped one synth
#: block (1.3 ms at 48 kHz) before it starts again: a silence this short is not
#: an end. Short, so an end is told before a client's note that follows it.
RESTRIKE_S = 0.01


class DemoAccount:
    """Prints what happened, as it happens: which input, which note, which instrument."""

    def __init__(self, stream: TextIO, profile: Profile) -> None:
        self.stream = stream
        # The therapist's view of the key, so notes are spelled as the key
        # spells them (Bb in G minor, not A#).
        self.profile = profile
        self.key = Key.parse(profile.key, profile.scale)
        self.start = 0.0
        self.events: list[SoundEvent] = []
        self.notes_by_input: Counter[str] = Counter()
        self._instrument: dict[int | None, str] = {}
        self._held: dict[str, set[int]] = {}  # the therapists' keys down now
        self._chord = ""
        # The band: notes starting together, not yet told; what each source
        # sounds now; the line its first note is to bring; stops asked for,
        # and an end seen but not yet told (a note may start again at once).
        self._onset: list[SoundEvent] = []
        self._sounding: dict[str, Counter[tuple[int | None, int]]] = {}
        self._intro: dict[str, str] = {}
        self._stopping: set[str] = set()
        self._ended: SoundEvent | None = None
        self._song_chord = ""

    def record(self) -> list[SoundEvent]:
        """Every synth call so far, timed from the session's start."""
        return [replace(e, t=e.t - self.start) for e in self.events]

    def say(self, t: float, who: str, what: str) -> None:
        self.stream.write(f"{t - self.start:6.2f}s  {who:<10} {what}\n")
        self.stream.flush()

    def settle(self, now: float) -> None:
        """Nothing has come since the last event, and it is ``now``: tell the
        band's news that was waiting to be sure."""
        if self._onset and now - self._onset[0].t >= GATHER_S:
            onset, self._onset = self._onset, []
            self._tell_onset(onset)
        if self._ended is not None and now - self._ended.t >= RESTRIKE_S:
            self._tell_end()

    def report(self, event: SoundEvent) -> None:
        self.events.append(event)
        if self._onset and not _together(self._onset[0], event):
            onset, self._onset = self._onset, []
            self._tell_onset(onset)
        ended = self._ended
        if ended is not None:
            if event.source == ended.source and event.type is SoundKind.NOTE_ON:
                if event.t - ended.t < RESTRIKE_S:
                    self._ended = None  # struck again: it goes on
                else:
                    self._tell_end()  # it ended, and now starts anew
            elif event.t - ended.t >= RESTRIKE_S:
                self._tell_end()
        if event.type is SoundKind.PROGRAM and event.instrument:
            self._instrument[event.channel] = instrument_for(event.instrument).title
        elif event.source in BAND_SOURCES:
            self._band(event)
        elif event.type is SoundKind.NOTE_ON and event.note is not None:
            who = device_of(event.source) or event.source  # a key is its device's
            self.notes_by_input[who] += 1
            name = self.key.spell(event.note)
            instrument = self._instrument.get(event.channel, "?")
            self.say(event.t, who, f"plays {name:<4} on {instrument} (velocity {event.velocity})")
            self._therapist_holds(event.t, who, event.note)
        elif event.type is SoundKind.NOTE_OFF and event.note is not None:
            who = device_of(event.source) or event.source
            self._held.get(who, set()).discard(event.note)
            self.say(event.t, who, f"stops {self.key.spell(event.note)}")

    def _therapist_holds(self, t: float, who: str, note: int) -> None:
        """Say which chord a therapist's keyboard holds, when the clients follow it."""
        if not is_midi(who):
            return
        settings = self.profile.settings_for(InputId(who))
        if settings.role is not MidiRole.THERAPIST:
            return
        held = self._held.setdefault(who, set())
        held.add(note)
        chord = hear_chord(held, self.key)
        follows = self.profile.harmony is HarmonySource.THERAPIST
        if chord is not None and follows and chord.name != self._chord:
            self._chord = chord.name
            self.say(t, who, f"holds {chord.name}: every client input follows it")

    def therapist_sets(self, event: SetSetting) -> None:
        self.settle(time.monotonic())
        self.say(time.monotonic(), "therapist", f"set {event.path}={event.value}")
        self.profile = self.profile.with_setting(event.path, event.value)
        self.key = Key.parse(self.profile.key, self.profile.scale)

    def therapist_asks(self, event: BandCommand) -> None:
        """The therapist starts or stops the loop or a song (or passes the turn)."""
        self.settle(time.monotonic())
        fits = "; client notes fit its chords" if self.profile.harmony is HarmonySource.LOOP else ""
        if event.action is BandAction.LOOP_START:
            loop = loop_named(event.name or self.profile.loop.name or DEFAULT_LOOP)
            tempo = self.profile.tempo or loop.tempo
            self._intro[LOOP_SOURCE] = (
                f"{loop.title} begins ({loop.mood}, {tempo} beats a minute){fits}"
            )
            self._stopping.discard(LOOP_SOURCE)
        elif event.action is BandAction.SONG_START:
            song = song_named(event.name)
            self._intro[SONG_SOURCE] = f"{song.title} begins, in {self.profile.key}{fits}"
            self._stopping.discard(SONG_SOURCE)
            self._song_chord = ""
        what = f"{event.action} {event.name}".strip()
        if event.action in STOPS:
            self._stopping.add(STOPS[event.action])
            what += ": it ends at the bar line"
        self.say(time.monotonic(), "therapist", what)

    def drain(self, sound_events: queue.SimpleQueue[SoundEvent]) -> None:
        while True:
            try:
                self.report(sound_events.get_nowait())
            except queue.Empty:
                break
        self.settle(float("inf"))

    # -- the band ------------------------------------------------------------------------

    def _band(self, event: SoundEvent) -> None:
        if event.note is None:
            return
        sounding = self._sounding.setdefault(event.source, Counter())
        if event.type is SoundKind.NOTE_ON:
            self.notes_by_input[event.source] += 1
            sounding[event.channel, event.note] += 1
            self._onset.append(event)
        elif event.type is SoundKind.NOTE_OFF:
            sounding[event.channel, event.note] -= 1
            if sounding[event.channel, event.note] <= 0:
                del sounding[event.channel, event.note]
            if not sounding and event.source in self._stopping:
                self._ended = event

    def _tell_end(self) -> None:
        ended, self._ended = self._ended, None
        if ended is not None and not self._sounding.get(ended.source):
            self._stopping.discard(ended.source)
            self.say(ended.t, ended.source, "ends")

    def _tell_onset(self, onset: list[SoundEvent]) -> None:
        first = onset[0]
        source, t = first.source, first.t
        intro = self._intro.pop(source, None)
        if intro:
            self.say(t, source, intro)
        if source == LOOP_SOURCE:
            chord = hear_chord(_notes_on(onset, LOOP_CHORD_CHANNEL), self.key)
            if chord is not None:
                self.say(t, source, f"a bar of {chord.name}")
            return
        chord = hear_chord(_notes_on(onset, CHORD_CHANNEL), self.key)
        if chord is not None:
            self._song_chord = chord.name
        over = f" over {self._song_chord}" if self._song_chord else ""
        instrument = self._instrument.get(MELODY_CHANNEL, "?")
        for note in _notes_on(onset, MELODY_CHANNEL):
            self.say(t, source, f"plays {self.key.spell(note):<4} on {instrument}{over}")


def _notes_on(onset: list[SoundEvent], channel: int) -> list[int]:
    return [e.note for e in onset if e.channel == channel and e.note is not None]


def _together(first: SoundEvent, event: SoundEvent | None) -> bool:
    """Whether ``event`` is another of the band's notes starting with ``first``."""
    return (
        event is not None
        and event.type is SoundKind.NOTE_ON
        and event.source == first.source
        and event.t == first.t
    )
