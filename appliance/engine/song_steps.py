"""Sequence mode: each press of a switch or pad steps through a familiar song.

:class:`SongSteps` keeps one cursor per input in sequence mode (its place in
the song's melody) and sounds the song through :class:`Voicing`. It runs on
the engine's owner thread and keeps no clock: it acts at each press's time,
and a phrase's later notes come from one timer per input
(``<input>/sequence``), which the engine runs at its time.

The rules, and nothing else:

* **A press moves exactly one step on**: the next note (``step = "note"``) or
  the rest of the phrase the cursor is in (``step = "phrase"``), however late
  it comes. The song waits for the client; it never skips ahead.
* **Rests are not steps**: a press always sounds. (:meth:`Song.in_key` leaves
  rests out of the notes; inside a phrase they are silences in time.)
* **Note step**: the note sounds while the contact is held, like note mode,
  and no longer than ``max_note_s``.
* **Phrase step**: a press plays the phrase in time at the song's tempo (note
  *n* starts at ``press + (start_n - start_first) * 60 / tempo``). A press
  while it plays is ignored and counted, not queued: queued presses would
  play on after the client stopped.
* **At the end**: ``at_end = "restart"`` starts the song again on the next
  press; ``"stop"`` leaves presses silent until the song or the mode is set
  again (:meth:`reset`).
* **The chord** (each note's :attr:`PlacedNote.chord`) sounds softly on a pad
  under its own holder, ``<input>/chord``, while ``accompany`` is on. It
  changes when a note with another chord starts, and lets go when the song's
  last note ends, on :meth:`reset`, or ``max_note_s`` after the client's last
  step, so a session that pauses mid-song does not drone.
* **A key change** places the song in the new key; every cursor keeps its
  place, and a sounding chord moves to the new key at once. A sounding melody
  note is left to end as its press started it.
* Harmony locking does not apply: the song's notes are its own.

A phrase from one press (Twinkle at 100 counts a minute: 0.6 s a count)::

    press    |         |  (ignored: counted)               |
    melody   [D  ][D  ][A  ][A  ][B  ][B  ][A       ]      [G ...
    chord    [D major           ][G major ][D major  ..........][G ...
    seconds  0    0.6  1.2  1.8  2.4  3.0  3.6      4.8    5.5
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from appliance.engine.voicing import Voicing
from appliance.music import Key
from appliance.music.song import PlacedNote, Song, SongInKey
from appliance.music.songs import song_named
from appliance.profile import PlayMode
from appliance.profile.inputs import SequenceStep, SongEnd

#: The chord sits under the melody: about half the melody's default velocity
#: (100), soft enough that the client's note is always the one heard.
CHORD_VELOCITY = 50
#: A sustained, gentle sound that holds a chord without an attack of its own,
#: so the melody's onsets stay clear over it.
CHORD_INSTRUMENT = "string_ensemble_1"
#: Appended to an input's name, the holder its song's chord sounds under.
CHORD_HOLDER = "/chord"
#: The timer the engine runs for an input's phrase: ``<input>/sequence``.
TIMER = "sequence"
SECONDS_PER_MINUTE = 60

SetDeadline = Callable[[str, float | None], None]


@dataclass(slots=True)
class _Phrase:
    """A phrase playing from one press: notes ``next``..``last`` are still to start."""

    pressed: float  # when the press came: the phrase's first note starts then
    first: Fraction  # the count of the song the phrase's first note starts on
    next: int
    last: int
    settings: Any  # the press's settings: its instrument, velocity and accompaniment


@dataclass(slots=True)
class _Cursor:
    """One input's place in its song, and what it is sounding."""

    song: Song
    placed: SongInKey
    index: int = 0  # the note the next press starts from
    finished: bool = False  # at_end = "stop" reached: presses are silent
    ending: bool = False  # the song's last note has started: the chord goes with it
    ignored: int = 0  # presses that played nothing (during a phrase, or after the end)
    phrase: _Phrase | None = None
    melody_until: float | None = None  # when the sounding melody note stops
    chord_at: int | None = None  # the note whose chord is sounding
    chord: tuple[int, ...] = ()  # the chord's notes, as sounding now
    chord_until: float | None = None  # when the chord lets go if no step comes


class SongSteps:
    """The per-input song cursors of sequence mode (see the module's rules)."""

    def __init__(self, voicing: Voicing, set_deadline: SetDeadline) -> None:
        self._voicing = voicing
        #: The engine's timers: called with ``("<input>/sequence", when or None)``.
        self._set_deadline = set_deadline
        self._cursors: dict[str, _Cursor] = {}

    # -- what the engine calls ------------------------------------------------------

    def press(self, source: str, settings: Any, t: float) -> bool | None:
        """A press of ``source`` in sequence mode: the next note or phrase, or nothing.

        Returns None when nothing sounded, else whether the step ended a phrase
        of the song (turn-taking may pass the turn there).
        """
        cursor = self._cursor(source, settings)
        if cursor.phrase is not None or cursor.finished:
            cursor.ignored += 1
            return None
        notes = cursor.placed.notes
        first = cursor.index
        if settings.step is SequenceStep.PHRASE:
            last = _phrase_end(notes, first)
            phrase = cursor.phrase = _Phrase(t, notes[first].start, first, last, settings)
            self._moved(cursor, last + 1, settings)
            self._play_due(source, cursor, t)
            step_ends = self._at(cursor, phrase, notes[last].start + notes[last].counts)
        else:
            self._moved(cursor, first + 1, settings)
            self._play(source, cursor, first, settings)
            limited = settings.max_note_s > 0
            cursor.melody_until = t + settings.max_note_s if limited else None
            step_ends = t
        cursor.chord_until = step_ends + settings.max_note_s if settings.max_note_s > 0 else None
        self._schedule(source, cursor)
        return settings.step is SequenceStep.PHRASE or notes[first].phrase_end

    def release(self, source: str, t: float) -> None:
        """The contact let go: a note step's note stops; a phrase plays on."""
        cursor = self._cursors.get(source)
        if cursor is None or cursor.phrase is not None:
            return
        self._melody_off(source, cursor)
        self._schedule(source, cursor)

    def timer(self, source: str, t: float) -> None:
        """``<input>/sequence`` is due: notes end, a phrase's next note starts, a chord lets go."""
        cursor = self._cursors.get(source)
        if cursor is None:
            return
        if cursor.melody_until is not None and cursor.melody_until <= t:
            self._melody_off(source, cursor)
        if cursor.phrase is not None:
            self._play_due(source, cursor, t)
        if cursor.chord_until is not None and cursor.chord_until <= t:
            self._chord_off(source, cursor)
        self._schedule(source, cursor)

    def reset(self, source: str) -> None:
        """Start ``source``'s song afresh (mode or song set, input offline): silence it."""
        cursor = self._cursors.pop(source, None)
        if cursor is not None:
            self._voicing.stop(source)
            self._voicing.stop(source + CHORD_HOLDER)
        self._set_deadline(f"{source}/{TIMER}", None)

    def clear(self) -> None:
        """Every input's song afresh (stop, panic, a new profile)."""
        for source in list(self._cursors):
            self.reset(source)

    def rekey(self, key: Key) -> None:
        """The profile's key changed: every song placed in it, each cursor in its place."""
        for source, cursor in self._cursors.items():
            cursor.placed = cursor.song.in_key(key)
            if cursor.chord_at is not None:
                self._chord(source, cursor, cursor.chord_at)

    def ignored(self, source: str) -> int:
        """How many of ``source``'s presses played nothing, since its song began."""
        cursor = self._cursors.get(source)
        return cursor.ignored if cursor is not None else 0

    def position(self, source: str) -> int:
        """The melody note ``source``'s next press starts from (0 = the song's first)."""
        cursor = self._cursors.get(source)
        return cursor.index if cursor is not None else 0

    # -- steps --------------------------------------------------------------------

    def _cursor(self, source: str, settings: Any) -> _Cursor:
        cursor = self._cursors.get(source)
        if cursor is None or cursor.song.name != settings.song:
            self.reset(source)
            song = song_named(settings.song)
            cursor = self._cursors[source] = _Cursor(song, song.in_key(self._voicing.key))
        elif cursor.placed.key != self._voicing.key:  # a key change the engine did not pass on
            cursor.placed = cursor.song.in_key(self._voicing.key)
        return cursor

    def _moved(self, cursor: _Cursor, index: int, settings: Any) -> None:
        """The cursor to ``index``; past the last note, the song ends as ``at_end`` says."""
        if index < len(cursor.placed.notes):
            cursor.index = index
            return
        cursor.ending = True
        cursor.index = 0
        cursor.finished = settings.at_end is SongEnd.STOP

    def _play_due(self, source: str, cursor: _Cursor, t: float) -> None:
        """Start the phrase's notes due by ``t``; end the phrase once its last note has."""
        phrase = cursor.phrase
        assert phrase is not None
        notes = cursor.placed.notes
        while phrase.next <= phrase.last:
            note = notes[phrase.next]
            if self._at(cursor, phrase, note.start) > t:
                break
            self._play(source, cursor, phrase.next, phrase.settings)
            cursor.melody_until = self._at(cursor, phrase, note.start + note.counts)
            phrase.next += 1
        if phrase.next > phrase.last and cursor.melody_until is None:
            cursor.phrase = None
            if cursor.ending:
                self._chord_off(source, cursor)

    def _play(self, source: str, cursor: _Cursor, index: int, settings: Any) -> None:
        # The melody first, then its chord: a listener reading a press's first
        # note hears the client's note, not the accompaniment's.
        self._voicing.stop(source)  # a leftover note (a lost release) never sticks
        note = cursor.placed.notes[index].note
        self._voicing.play_notes(
            source, (note,), settings.velocity, PlayMode.SEQUENCE, settings.instrument
        )
        if settings.accompany:
            self._chord(source, cursor, index)
        else:
            self._chord_off(source, cursor)

    def _chord(self, source: str, cursor: _Cursor, index: int) -> None:
        """Sound note ``index``'s chord, unless that very chord is already sounding."""
        wanted = tuple(int(n) for n in cursor.placed.notes[index].chord)
        cursor.chord_at = index
        if cursor.chord == wanted:
            return
        holder = source + CHORD_HOLDER
        self._voicing.stop(holder)
        cursor.chord = wanted
        if wanted:  # a song's opening notes before its first chord have none
            self._voicing.play_notes(
                holder, wanted, CHORD_VELOCITY, PlayMode.SEQUENCE, CHORD_INSTRUMENT
            )

    def _melody_off(self, source: str, cursor: _Cursor) -> None:
        self._voicing.stop(source)
        cursor.melody_until = None
        if cursor.ending and cursor.phrase is None:  # the song's last note has ended
            self._chord_off(source, cursor)

    def _chord_off(self, source: str, cursor: _Cursor) -> None:
        self._voicing.stop(source + CHORD_HOLDER)
        cursor.chord_at = cursor.chord_until = None
        cursor.chord = ()
        cursor.ending = False

    def _schedule(self, source: str, cursor: _Cursor) -> None:
        times = [cursor.melody_until, cursor.chord_until]
        phrase = cursor.phrase
        if phrase is not None and phrase.next <= phrase.last:
            times.append(self._at(cursor, phrase, cursor.placed.notes[phrase.next].start))
        when = min((w for w in times if w is not None), default=None)
        self._set_deadline(f"{source}/{TIMER}", when)

    @staticmethod
    def _at(cursor: _Cursor, phrase: _Phrase, count: Fraction) -> float:
        """When the phrase reaches the song's ``count``, at the song's tempo.

        From the exact count, so the first note starts at the press itself, and
        a note's end and the next note's start are the same float: the timer
        stops one and starts the other together.
        """
        beats = (count - phrase.first) * Fraction(SECONDS_PER_MINUTE, cursor.song.tempo)
        return phrase.pressed + float(beats)


def _phrase_end(notes: tuple[PlacedNote, ...], first: int) -> int:
    """The index of the note that ends the phrase ``first`` is in (or the song's last)."""
    for index in range(first, len(notes)):
        if notes[index].phrase_end:
            return index
    return len(notes) - 1
