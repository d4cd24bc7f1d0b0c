"""One bar of an accompaniment loop, as the loop player plans it at its bar line.

The bar line decides what the whole bar plays over (engine/accompaniment.py):
its chord from the progression, its length from the tempo, the key's tonic
and whether the scale plays the loop's minor chords. Each beat's hits, and
the most the bar sounds at once (for the mixer's headroom rule), come from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from appliance.music.loop import Loop, PartRole, PlacedHit
from appliance.music.notes import PitchClass
from appliance.music.song import Chord
from appliance.sound.synth import DRUM_CHANNEL, Channel

#: Each role's channel: the kit on General MIDI's drum channel, the rest at
#: the top of the range, which client inputs never take (engine/channels.py).
LOOP_CHANNELS: MappingProxyType[PartRole, Channel] = MappingProxyType(
    {
        PartRole.DRUMS: DRUM_CHANNEL,
        PartRole.BASS: Channel(13),
        PartRole.CHORDS: Channel(14),
        PartRole.PAD: Channel(15),
    }
)


@dataclass(frozen=True, slots=True)
class PlannedBar:
    """One bar as planned at its line: what every beat of it plays over."""

    number: int  # bars since the loop started
    start: float  # sample position of the downbeat
    length: float  # samples
    loop: Loop
    progress: int  # the progression's position (bar index into the chords)
    chord: Chord
    tonic: PitchClass
    minor: bool

    @property
    def beat_length(self) -> float:
        return self.length / self.loop.beats

    def beat_start(self, beat: int) -> float:
        return self.start + beat * self.beat_length

    def hits_in_beat(self, beat: int, drone: bool) -> list[PlacedHit]:
        """The bar's hits whose steps fall in ``beat`` (the drone's parts alone, with ``drone``)."""
        per_beat = self.loop.steps_per_beat
        hits = self.loop.notes_in_bar(self.chord, self.tonic, drone=drone)
        return [h for h in hits if beat * per_beat <= h.step < (beat + 1) * per_beat]

    def busiest_notes(self) -> dict[Channel, dict[int, int]]:
        """What each loop channel holds at the bar's busiest step (note: velocity):
        the most the bar sounds at once, counted by the mixer's headroom rule."""
        hits = self.loop.notes_in_bar(self.chord, self.tonic)
        busiest: dict[Channel, dict[int, int]] = {c: {} for c in LOOP_CHANNELS.values()}
        for step in range(self.loop.steps):
            now: dict[Channel, dict[int, int]] = {c: {} for c in LOOP_CHANNELS.values()}
            for hit in hits:
                if hit.step <= step < hit.step + max(hit.length, 1):
                    for note in hit.notes:
                        now[LOOP_CHANNELS[hit.role]][note] = hit.velocity
            for channel, notes in now.items():
                if _weight(notes) > _weight(busiest[channel]):
                    busiest[channel] = notes
        return busiest


def _weight(notes: dict[int, int]) -> int:
    return sum(v * v for v in notes.values())
