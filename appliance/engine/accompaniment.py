"""The accompaniment loop player: a band that keeps time on the synth's own clock.

Notes are never played by waking a thread at their time. A beat's notes are
handed to the synth :data:`LEAD_S` before the beat, stamped with the block
they sound in (:meth:`appliance.sound.synth.Synth.schedule`: FluidSynth's
sequencer, counting the synth's samples), so an onset is exact to the
64-sample block however busy the machine is, live and in ``tonic render``
alike. The engine's owner thread only has to wake once a beat, some time in
the :data:`LEAD_S` before it, which a loaded machine manages easily.

The grid is kept in samples from the loop's first downbeat, so tempo changes
and long sessions never drift. Everything the player decides, it decides
bar by bar or beat by beat:

* **At each bar line**: the chord (the progression moves on, or, waiting for
  the client, holds), the tempo, the key and its major or minor flavour, a
  change of loop and a stop all take effect on a bar line. The next bar is
  decided only as its downbeat is planned, :data:`LEAD_S` before it, so a
  change that comes during a bar's last beat is in the very next bar::

      bar 4 ......|beat 4 .......|bar 5
                  |   set tempo  |  <- bar 5 at the new tempo
                          ^ LEAD_S before bar 5: bar 5 is decided here

  A change of loop sets the channels' instruments up between the last loop's
  last note and the new loop's first, so neither plays on the other's sounds.
* **At each beat**: full band or the soft drone (wait mode). A beat already
  handed to the synth but not yet begun is taken back and planned again when
  something changes before it (a press that ends a drone, a new key, a stop),
  so a change is heard from the next beat or bar, never a bar late.

Every note is announced as a :class:`~appliance.events.SoundEvent` with
source ``"loop"`` when it sounds (an engine timer, not the sound's clock), so
the events log and the MIDI record hold exactly what was heard, and a note
taken back before it sounded is never announced.

The loop plays on channels of its own (:data:`LOOP_CHANNELS`), set a few dB
under the client's instruments by the mixer, so the client is always heard
over it. It runs on the engine's owner thread only.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass

from appliance.engine.loop_bar import LOOP_CHANNELS, PlannedBar
from appliance.engine.mixer import VOLUME_TAPER
from appliance.engine.timeline import Announce, TimedNote, Timeline, nearest_block
from appliance.music import Key
from appliance.music.heard_chord import HeardChord, hear_chord
from appliance.music.loop import Loop, PartRole
from appliance.music.notes import PitchClass
from appliance.profile.accompaniment import LoopSettings
from appliance.sound.synth import BLOCK_FRAMES, Channel, Synth

#: A beat is handed to the synth this long before it sounds: more than the
#: owner thread's worst wake-up on a loaded machine, less than a beat at the
#: fastest tempo (160 BPM is 0.375 s), so changes still land on the next beat.
LEAD_S = 0.15
#: A loop started from silence begins this long after the command, so its
#: first beat is scheduled ahead like every other.
START_S = LEAD_S
#: A scheduled beat may be taken back only while it is at least this far
#: ahead of the synth's clock (a live audio driver renders a few ms ahead).
TAKE_BACK_S = 0.02
#: At loop.volume 1 the loop sits this far under a client's instrument, so a
#: client's note is always heard over the band.
LOOP_UNDER_DB = -6.0
#: The drone (wait mode, nobody playing) is softer than the band.
DRONE_VELOCITY = 0.6
SOURCE = "loop"


@dataclass(slots=True)
class _Beat:
    """A beat handed to the synth: enough to take it back and plan it again."""

    bar: PlannedBar
    beat: int
    start_block: int
    group: int
    #: On a downbeat, the bar before it: planning starts again from that bar
    #: line if the downbeat is taken back, so the line is decided afresh.
    before: PlannedBar | None = None
    #: Its first block, or its last note-off's: until then it has notes to end.
    end_block: int = 0


#: (each loop channel's notes and their loudest velocity, time): the mixer's reservation.
Reserve = Callable[[dict[Channel, dict[int, int]], float], None]


class LoopPlayer:
    def __init__(
        self,
        synth: Synth,
        announce: Announce,
        set_chord: Callable[[HeardChord | None], None],
        on_loop: Callable[[Loop], None],
        reserve: Reserve | None = None,
    ) -> None:
        self.synth = synth
        #: Tells the harmony the chord of the bar now sounding (or None when stopped).
        self._set_chord = set_chord
        #: Sets the channels up for a loop, before its first downbeat (see _set_up).
        self._on_loop = on_loop
        #: Tells the mixer what each loop channel may hold in the bar planned
        #: next, so its headroom rule counts the band before a note of it sounds.
        self._reserve = reserve or (lambda notes, t: None)
        self.loop: Loop | None = None
        self.settings = LoopSettings()
        self.tempo = 0  # the profile's; 0 is each loop's own
        self.key = Key.parse("C", "major")
        self._next: Loop | None = None  # a change of loop, at the next bar line
        self._stopping = False
        #: The notes handed to the synth, and told to the box as they sound.
        self._timeline = Timeline(synth, announce)
        self._bar: PlannedBar | None = None  # the bar the next beat belongs to
        #: The next beat to plan, in that bar; its ``loop.beats`` is the next
        #: bar's downbeat, that bar not decided yet.
        self._beat = 0
        self._before: PlannedBar | None = None  # the bar before the one being planned
        self._scheduled: list[_Beat] = []  # handed to the synth, oldest first
        self._order = itertools.count()
        #: Downbeats still to tell the harmony: (time, order, bar), a heap.
        self._bar_lines: list[tuple[float, int, PlannedBar]] = []
        #: Loops whose instruments to set up: (time, order, downbeat sample, loop), a heap.
        self._switches: list[tuple[float, int, float, Loop]] = []
        self.last_client_t: float | None = None

    # -- what the engine asks ------------------------------------------------------

    @property
    def playing(self) -> bool:
        return self.loop is not None

    @property
    def deadline(self) -> float | None:
        """When :meth:`tick` is next due (engine time), or None while nothing plays."""
        times = []
        if (announce := self._timeline.next_announcement) is not None:
            times.append(announce)
        if self._bar_lines:
            times.append(self._bar_lines[0][0])
        if self._switches:
            times.append(self._switches[0][0])
        if self.loop is not None and self._bar is not None:
            times.append(self._time_of(self._bar.beat_start(self._beat)) - LEAD_S)
        return min(times, default=None)

    def describe(self) -> str:
        """What the status shows: ``"calypso, bar 5, F major"`` or ``""``."""
        if self.loop is None:
            return ""
        bar = self._sounding_bar()
        where = f", bar {bar.number + 1}" if bar is not None else ", starting"
        stopping = ", stopping" if self._stopping else ""
        return f"{self.loop.name}{where}{stopping}"

    def follow(self, settings: LoopSettings, tempo: int, key: Key, t: float) -> bool:
        """The profile changed: the next bar (or beat) plays it. Returns whether
        the loop's volume changed, for the mixer."""
        volume_changed = settings.volume != self.settings.volume
        wait_changed = settings.wait != self.settings.wait
        changed_music = (tempo, key) != (self.tempo, self.key) or wait_changed
        self.settings, self.tempo, self.key = settings, tempo, key
        if changed_music and self.loop is not None:
            self._take_back(t)
        return volume_changed

    def start(self, loop: Loop, t: float) -> None:
        """Play ``loop``: now if nothing plays, else from the next bar line."""
        self._stopping = False
        if self.loop is not None and self._bar is None and self._line_ahead(self._before):
            # Stopping at a bar line not yet reached: play on, into ``loop``.
            assert self._before is not None
            self._bar, self._beat = self._before, self._before.loop.beats
        if self.loop is not None and self._bar is not None:
            self._next = loop
            self._take_back(t)
            return
        # Nothing plays, or the last loop's last bar rings out: begin afresh.
        self.loop, self._next, self._bar = loop, None, None
        self._timeline.begin(t)
        self.last_client_t = None
        # The first downbeat on a block, where the synth can sound it exactly.
        start = float(nearest_block(self._timeline.samples_at(t + START_S)) * BLOCK_FRAMES)
        self._bar = self._plan_bar(0, start, loop, progress=0)
        self._beat = 0
        self._before = None

    def stop(self, t: float) -> None:
        """Stop at the next bar line; the last notes ring out as written."""
        if self.loop is None:
            return
        self._stopping = True
        self._next = None
        self._take_back(t)
        self._forget_begun()  # stopped before it sounded: it ends now

    def client_played(self, t: float) -> None:
        """A client's input sounded: wait mode moves on, and a drone wakes on the next beat."""
        self.last_client_t = t
        if self.loop is not None and self.settings.wait:
            self._take_back(t)

    def tick(self, t: float) -> None:
        """Plan the beats due by ``t`` and announce the notes sounding by then."""
        while self._switches and self._switches[0][0] <= t:
            self._on_loop(heapq.heappop(self._switches)[3])
        while self._bar_lines and self._bar_lines[0][0] <= t:
            _, _, bar = heapq.heappop(self._bar_lines)
            self._set_chord(hear_chord(bar.chord.notes(bar.tonic), self.key))
        self._timeline.announce_due(t)
        while self.loop is not None and self._bar is not None:
            start = self._bar.beat_start(self._beat)
            if self._time_of(start) - LEAD_S > t:
                break
            if self._beat == self._bar.loop.beats:
                self._cross_bar_line()
            else:
                self._plan_beat()
        self._forget_begun()

    def silence(self, t: float) -> None:
        """Stop at once (panic, the end of a render, a new profile): nothing more
        is played, and every loop note sounding is released now."""
        self._timeline.silence(t)
        self._scheduled.clear()
        self._bar_lines.clear()
        self._switches.clear()
        self._end()

    def channels(self) -> dict[PartRole, str]:
        """The instrument of each role the current (or next) loop uses."""
        loop = self._next or self.loop
        return {p.role: p.instrument for p in loop.parts} if loop is not None else {}

    def share(self) -> float:
        """The loop's level as a fraction of a client instrument's (amplitude)."""
        return 10 ** (LOOP_UNDER_DB / 20) * self.settings.volume**VOLUME_TAPER

    # -- planning --------------------------------------------------------------------

    def _plan_bar(self, number: int, start: float, loop: Loop, progress: int) -> PlannedBar:
        if number == 0 or self._bar is None or loop is not self._bar.loop:
            self._set_up(loop, start)
        tempo = self.tempo or loop.tempo
        length = loop.beats * 60.0 / tempo * self.synth.sample_rate
        minor = self.key.is_minor
        chord = loop.chord_at(progress, minor)
        return PlannedBar(
            number, start, length, loop, progress, chord, PitchClass(self.key.tonic), minor
        )

    def _plan_beat(self) -> None:
        bar, beat = self._bar, self._beat
        assert bar is not None and self.loop is not None
        if beat == 0:
            heapq.heappush(self._bar_lines, (self._time_of(bar.start), next(self._order), bar))
            self._reserve(bar.busiest_notes(), self._time_of(bar.start) - LEAD_S)
        drone = self._drone(bar.beat_start(beat))
        step_length = bar.length / bar.loop.steps
        hits = bar.hits_in_beat(beat, drone)
        before = self._before if beat == 0 else None
        start_block = nearest_block(bar.beat_start(beat))
        notes = [
            TimedNote(
                bar.start + hit.step * step_length,
                bar.start + (hit.step + hit.length) * step_length,
                LOOP_CHANNELS[hit.role],
                note,
                round(hit.velocity * (DRONE_VELOCITY if drone else 1.0)),
            )
            for hit in hits
            for note in hit.notes
        ]
        played = self._timeline.play(notes, at_least=start_block)
        planned = _Beat(bar, beat, start_block, played.group, before, max(played.last, start_block))
        self._scheduled.append(planned)
        self._beat += 1  # past the last beat: the bar line, decided when it is due

    def _cross_bar_line(self) -> None:
        """Decide the next bar as its downbeat is planned: the chord, tempo, key
        and loop of that moment, or the end of the loop."""
        bar = self._bar
        assert bar is not None
        self._before = bar
        if self._stopping:
            self._bar = None  # the last bar is planned; its notes ring out
            return
        loop = self._next or bar.loop
        moved = not self.settings.wait or self._client_in(bar)
        progress = 0 if loop is not bar.loop else bar.progress + (1 if moved else 0)
        self._next = None
        self._bar = self._plan_bar(bar.number + 1, bar.start + bar.length, loop, progress)
        self.loop = loop
        self._beat = 0

    def _set_up(self, loop: Loop, downbeat: float) -> None:
        """Set the channels up for ``loop``, whose first downbeat is at sample
        ``downbeat``: at once from silence, else halfway between the last note
        still to be struck and that downbeat, so the old loop's last notes keep
        their instruments and the new loop's first ones have theirs (live, the
        engine's wake-up may be late by a little of that margin)."""
        struck = self._timeline.last_onset()
        if struck is None:
            self._on_loop(loop)
            return
        first = self._time_of(float(nearest_block(downbeat) * BLOCK_FRAMES))
        at = (struck + first) / 2
        heapq.heappush(self._switches, (at, next(self._order), downbeat, loop))

    def _drone(self, beat_start: float) -> bool:
        if not self.settings.wait:
            return False
        if self.last_client_t is None:
            return True
        bar = self._bar
        assert bar is not None
        return self.last_client_t < self._time_of(beat_start) - self._window(bar)

    def _client_in(self, bar: PlannedBar) -> bool:
        """Did a client play in ``bar`` (or in the last ``wait_beats`` beats of it)?"""
        if self.last_client_t is None:
            return False
        end = self._time_of(bar.start + bar.length)
        return self.last_client_t >= end - self._window(bar)

    def _window(self, bar: PlannedBar) -> float:
        beats = self.settings.wait_beats or bar.loop.beats
        return beats * bar.beat_length / self.synth.sample_rate

    # -- taking back what has not begun ---------------------------------------------

    def _take_back(self, t: float) -> None:
        """Cancel the planned beats that have not begun, and plan them again."""
        floor = self.synth.sample_clock() / BLOCK_FRAMES + TAKE_BACK_S * self._blocks_per_s()
        keep = [b for b in self._scheduled if b.start_block <= floor]
        back = self._scheduled[len(keep) :]
        if not back:
            return
        self._timeline.take_back(b.group for b in back)
        first = back[0]
        if first.beat == 0:  # the bar line is decided again: its chord, and its instruments
            line = first.bar.start
            self._bar_lines = [x for x in self._bar_lines if x[2].start < line]
            heapq.heapify(self._bar_lines)
            self._switches = [x for x in self._switches if x[2] < line]
            heapq.heapify(self._switches)
        self._scheduled = keep
        if self.loop is None:
            return
        before = first.before
        if first.beat > 0:
            self._bar, self._beat = first.bar, first.beat
        elif before is not None:
            # Crossed again when due, with what holds then: chord, tempo, key, loop, a stop.
            if first.bar.loop is not before.loop and self._next is None and not self._stopping:
                self._next = first.bar.loop
            self.loop = before.loop
            self._bar, self._beat = before, before.loop.beats
        elif self._stopping:  # stopped before its first downbeat: it never plays
            self._bar = None
        else:  # the loop's first downbeat, planned again
            loop = self._next or first.bar.loop
            self._next, self.loop, self._bar = None, loop, None
            self._bar = self._plan_bar(0, first.bar.start, loop, progress=0)
            self._beat = 0

    def _forget_begun(self) -> None:
        """Beats whose every note has ended are done with (a beat with a note
        still to end stays, so a silence takes that note-off back too); the
        loop ends when the last planned beat has sounded out."""
        done = self.synth.sample_clock() / BLOCK_FRAMES
        begun = [b for b in self._scheduled if b.start_block <= done]
        latest = begun[-1] if begun else None  # the bar sounding, for describe()
        self._scheduled = [b for b in self._scheduled if b.end_block >= done or b is latest]
        if self._bar is None and not self._timeline.busy and self.loop is not None:
            self._end()

    def _line_ahead(self, bar: PlannedBar | None) -> bool:
        """Whether the bar line ending ``bar`` may still be taken back."""
        if bar is None:
            return False
        floor = self.synth.sample_clock() / BLOCK_FRAMES + TAKE_BACK_S * self._blocks_per_s()
        return nearest_block(bar.start + bar.length) > floor

    def _end(self) -> None:
        self._reserve({channel: {} for channel in LOOP_CHANNELS.values()}, 0.0)
        self.loop = self._next = self._bar = self._before = None
        self._stopping = False
        self._scheduled.clear()
        self._set_chord(None)

    def _sounding_bar(self) -> PlannedBar | None:
        clock = self.synth.sample_clock()
        bars = [b.bar for b in self._scheduled if b.bar.start <= clock]
        return bars[-1] if bars else None

    # -- time -----------------------------------------------------------------------------

    def _blocks_per_s(self) -> float:
        return self.synth.sample_rate / BLOCK_FRAMES

    def _time_of(self, samples: float) -> float:
        return self._timeline.time_of(samples)
