"""What client notes lock to: the one thing the voicing asks.

The profile's ``harmony`` chooses the source:

* ``scale``: the key and scale (a client's degree is already a scale note);
* ``therapist``: the chord the therapist's MIDI keyboard holds
  (appliance/music/heard_chord.py reads it). The chord changes when the
  therapist strikes a key; lifting the hands keeps the last chord, so clients
  are never left without a harmony. Until the therapist plays, it is the key.

* ``loop``: the chord of the accompaniment loop's bar now sounding
  (appliance/engine/accompaniment.py tells it at each downbeat). With no loop
  playing, it is the key.

Notes already
sounding keep sounding when the harmony moves: their note-offs stop exactly
what was started (engine/voices.py), so nothing is left stuck.
"""

from __future__ import annotations

from collections.abc import Iterable

from appliance.music import Key
from appliance.music.heard_chord import HeardChord, hear_chord
from appliance.music.notes import MidiNote
from appliance.profile.model import HarmonySource


class Harmony:
    def __init__(self, source: HarmonySource = HarmonySource.SCALE) -> None:
        self.source = source
        #: The therapist's last chord, kept when the keys are released.
        self.heard: HeardChord | None = None
        #: The loop's chord in the bar sounding now; None while no loop plays.
        self.accompaniment: HeardChord | None = None

    @property
    def chord(self) -> HeardChord | None:
        """The chord clients lock to now, or None when they play the scale."""
        if self.source is HarmonySource.THERAPIST:
            return self.heard
        if self.source is HarmonySource.LOOP:
            return self.accompaniment
        return None

    def describe(self, key: Key) -> str:
        chord = self.chord
        return chord.name if chord is not None else key.name

    def therapist_holds(self, notes: Iterable[int], key: Key) -> None:
        """The therapist struck a key: the notes held now make the chord."""
        heard = hear_chord(notes, key)
        if heard is not None:
            self.heard = heard

    def lock(self, notes: tuple[int, ...], chord_shape: bool = False) -> tuple[MidiNote, ...]:
        """``notes`` (the scale's, ascending) as clients play them in this harmony.

        A single note moves to the nearest chord tone, ties down. A chord keeps
        its root's nearest chord tone and stacks the next chord tones above it,
        so a client's chord is the therapist's chord, voiced where the client's
        chord would be.
        """
        chord = self.chord
        if chord is None or not notes:
            return tuple(MidiNote(n) for n in notes)
        if not chord_shape:
            return tuple(dict.fromkeys(chord.nearest(n) for n in notes))
        voiced = [chord.nearest(notes[0])]
        while len(voiced) < len(notes):
            voiced.append(chord.above(voiced[-1]))
        return tuple(voiced)

    def lock_note(self, note: int, key: Key) -> MidiNote:
        """A note struck on a client's keyboard: onto the chord, else onto the scale."""
        chord = self.chord
        return chord.nearest(note) if chord is not None else key.quantize(note)
