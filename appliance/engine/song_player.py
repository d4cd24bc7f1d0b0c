"""A familiar song playing by itself: the box sings it, and the client joins in.

``song start twinkle_twinkle`` plays the song's melody, its chords and a bass
under them, in the profile's key, at its own tempo (or the profile's), on the
accompaniment's channels. The client fills in a part: their notes lock to the
song's chords (``harmony = "loop"`` follows the song's chord too), or an input
in sequence mode steps through the same tune alongside.

Like the loop (engine/accompaniment.py), every note is handed to the synth
ahead of time, a bar at a time, on the synth's sample clock
(engine/timeline.py), and announced with source ``"song"`` when it sounds. A
key change is heard from the next bar; ``song stop`` ends at the next bar line
and the last notes ring out. The song plays once and ends by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from appliance.engine.accompaniment import LOOP_CHANNELS
from appliance.engine.timeline import Announce, TimedNote, Timeline
from appliance.music import Key
from appliance.music.heard_chord import HeardChord, hear_chord
from appliance.music.loop import PartRole
from appliance.music.song import Song, SongInKey
from appliance.sound.synth import Channel, Synth

#: A bar is handed to the synth this long before it begins (see accompaniment.LEAD_S).
LEAD_S = 0.15
#: A song started from silence begins this long after the command.
START_S = LEAD_S
#: The melody's own channel, beside the loop's (engine/channels.py keeps 12-15).
MELODY_CHANNEL = Channel(12)
CHORD_CHANNEL = LOOP_CHANNELS[PartRole.CHORDS]
BASS_CHANNEL = LOOP_CHANNELS[PartRole.BASS]
#: A clear, singable melody over soft chords and a bass.
MELODY_INSTRUMENT = "flute"
CHORD_INSTRUMENT = "acoustic_guitar_nylon"
BASS_INSTRUMENT = "acoustic_bass"
MELODY_VELOCITY = 80
CHORD_VELOCITY = 50
BASS_VELOCITY = 60
#: The bass plays each chord's root this far below the chord (one octave).
BASS_DROP = 12
SECONDS_PER_MINUTE = 60
SOURCE = "song"


@dataclass(frozen=True, slots=True)
class _Bar:
    index: int  # the song's bar
    start: float  # samples
    counts: Fraction  # its length, in the song's counts
    count_samples: float  # one count, in samples
    group: int = 0


class SongPlayer:
    def __init__(
        self,
        synth: Synth,
        announce: Announce,
        set_chord: Callable[[HeardChord | None], None],
    ) -> None:
        self.synth = synth
        self._timeline = Timeline(synth, announce)
        self._set_chord = set_chord
        self.song: Song | None = None
        self.key = Key.parse("C", "major")
        self.tempo = 0  # the profile's; 0 is the song's own
        self._placed: SongInKey | None = None
        self._bars: list[_Bar] = []  # planned, not yet wholly begun
        self._next_bar: _Bar | None = None  # the next bar to plan
        self._bar_starts: list[Fraction] = []  # each bar's first count
        self._chord_changes: list[tuple[float, tuple[int, ...]]] = []
        self._stopping = False

    @property
    def playing(self) -> bool:
        return self.song is not None

    @property
    def deadline(self) -> float | None:
        times = [t for t, _ in self._chord_changes[:1]]
        if (announce := self._timeline.next_announcement) is not None:
            times.append(announce)
        if self._next_bar is not None:
            times.append(self._timeline.time_of(self._next_bar.start) - LEAD_S)
        return min(times, default=None)

    def describe(self) -> str:
        if self.song is None:
            return ""
        return f"{self.song.title}, stopping" if self._stopping else self.song.title

    def follow(self, key: Key, tempo: int) -> None:
        """The profile's key and tempo, from the next bar planned."""
        self.key, self.tempo = key, tempo

    def start(self, song: Song, t: float) -> None:
        """Play ``song`` from its beginning (any song playing stops at once)."""
        self.silence(t)
        self.song, self._stopping = song, False
        self._timeline.begin(t)
        starts, at = [], Fraction(0)
        for bar in song.bars:
            starts.append(at)
            at += bar.counts
        self._bar_starts = starts
        self._next_bar = self._bar(0, self._timeline.samples_at(t + START_S))

    def stop(self, t: float) -> None:
        """Stop at the next bar line: a bar not yet begun is taken back."""
        if self.song is None:
            return
        self._stopping = True
        waiting = [b for b in self._bars if not self._timeline.begun(b.group, LEAD_S / 2)]
        self._timeline.take_back(b.group for b in waiting)
        self._bars = [b for b in self._bars if b not in waiting]
        self._next_bar = None
        self._chord_changes = [c for c in self._chord_changes if c[0] <= t]
        self._end_if_done()  # stopped before it sounded: it ends now

    def tick(self, t: float) -> None:
        while self._chord_changes and self._chord_changes[0][0] <= t:
            _, notes = self._chord_changes.pop(0)
            self._set_chord(hear_chord(notes, self.key) if notes else None)
        self._timeline.announce_due(t)
        while (
            self._next_bar is not None
            and self._timeline.time_of(self._next_bar.start) - LEAD_S <= t
        ):
            self._plan(self._next_bar)
        self._end_if_done()

    def _end_if_done(self) -> None:
        if self._next_bar is None and not self._timeline.busy and self.song is not None:
            self.song = None
            self._bars.clear()
            self._set_chord(None)

    def silence(self, t: float) -> None:
        """Stop now: every song note released."""
        self._timeline.silence(t)
        self._bars.clear()
        self._next_bar = None
        self._chord_changes.clear()
        if self.song is not None:
            self._set_chord(None)
        self.song = None

    # -- planning ----------------------------------------------------------------------

    def _bar(self, index: int, start: float) -> _Bar:
        assert self.song is not None
        tempo = self.tempo or self.song.tempo
        count = SECONDS_PER_MINUTE / tempo * self.synth.sample_rate
        return _Bar(index, start, self.song.bars[index].counts, count)

    def _plan(self, bar: _Bar) -> None:
        assert self.song is not None
        placed = self._placed_in_key()
        first, last = self._bar_starts[bar.index], self._bar_starts[bar.index] + bar.counts

        def at(counts: Fraction) -> float:
            return bar.start + float(counts - first) * bar.count_samples

        notes = [
            TimedNote(at(n.start), at(n.start + n.counts), MELODY_CHANNEL, n.note, MELODY_VELOCITY)
            for n in placed.notes
            if first <= n.start < last
        ]
        for chord in placed.chords:
            if not first <= chord.start < last:
                continue
            end = at(min(chord.start + chord.counts, last))
            notes += [
                TimedNote(at(chord.start), end, CHORD_CHANNEL, n, CHORD_VELOCITY)
                for n in chord.notes
            ]
            root = chord.notes[0] - BASS_DROP
            notes.append(TimedNote(at(chord.start), end, BASS_CHANNEL, root, BASS_VELOCITY))
            self._chord_changes.append((self._timeline.time_of(at(chord.start)), chord.notes))
        self._chord_changes.sort()
        group = self._timeline.play(notes).group
        self._bars = [b for b in self._bars if not self._timeline.begun(b.group, 0.0)]
        self._bars.append(_Bar(bar.index, bar.start, bar.counts, bar.count_samples, group))
        following = bar.index + 1
        end = bar.start + float(bar.counts) * bar.count_samples
        done = following >= len(self.song.bars) or self._stopping
        self._next_bar = None if done else self._bar(following, end)

    def _placed_in_key(self) -> SongInKey:
        assert self.song is not None
        if (
            self._placed is None
            or self._placed.song is not self.song
            or self._placed.key != self.key
        ):
            self._placed = self.song.in_key(self.key)
        return self._placed
