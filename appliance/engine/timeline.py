"""Notes handed to the synth ahead of time, and told to the box when they sound.

What an accompaniment player (a song playing by itself: engine/song_player.py)
shares with every other: a time base that maps the engine's clock onto the
synth's samples, notes scheduled on the synth by block (so they sound exactly
on the synth's sample clock, however late a thread wakes), and each note
announced as a :class:`~appliance.events.SoundEvent` when it sounds, so the
events log and the MIDI record hold exactly what was heard. A group of notes
not yet begun can be taken back; :meth:`Timeline.silence` ends everything.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from appliance.events import SoundKind
from appliance.sound.synth import BLOCK_FRAMES, MAX_GROUP, Channel, Scheduled, Synth

Announce = Callable[[float, SoundKind, Channel, int, int], None]


@dataclass(frozen=True, slots=True)
class Played:
    """A group of notes handed to the synth: its first note's block and its last note-off's."""

    group: int
    first: int
    last: int


@dataclass(frozen=True, slots=True)
class TimedNote:
    """A note from sample ``start`` to sample ``end`` (the engine's grid, unrounded)."""

    start: float
    end: float
    channel: Channel
    note: int
    velocity: int


class Timeline:
    def __init__(self, synth: Synth, announce: Announce) -> None:
        self.synth = synth
        self._announce = announce
        self._origin = (0.0, 0.0)  # (engine time, synth samples) at the same moment
        self._pending: list[tuple[float, int, SoundKind, Channel, int, int, int]] = []
        self._order = itertools.count()
        self._groups = itertools.cycle(range(1, MAX_GROUP + 1))
        self._sounding: dict[tuple[Channel, int], int] = {}
        #: Groups with a note still to end: group -> (first block, last block).
        self._groups_out: dict[int, tuple[int, int]] = {}

    def begin(self, t: float) -> None:
        """Tie the engine's time ``t`` to the synth's sample clock now."""
        self._origin = (t, float(self.synth.sample_clock()))

    @property
    def next_announcement(self) -> float | None:
        return self._pending[0][0] if self._pending else None

    @property
    def busy(self) -> bool:
        """Whether notes are still to sound or end."""
        return bool(self._pending)

    def samples_at(self, t: float) -> float:
        t0, s0 = self._origin
        return s0 + (t - t0) * self.synth.sample_rate

    def time_of(self, samples: float) -> float:
        t0, s0 = self._origin
        return t0 + (samples - s0) / self.synth.sample_rate

    def last_onset(self) -> float | None:
        """When the last note still to start starts (engine time), if any."""
        ons = [p[0] for p in self._pending if p[2] is SoundKind.NOTE_ON]
        return max(ons, default=None)

    def play(self, notes: Iterable[TimedNote], at_least: int | None = None) -> Played:
        """Hand ``notes`` to the synth as one group, to take back while it has
        not begun; ``at_least`` is its first block if it has no note there."""
        self._forget_ended()
        group = next(self._groups)
        events: list[Scheduled] = []
        first = last = at_least
        for n in notes:
            on = nearest_block(n.start)
            # A note ends a block before a repeat of it starts, so the repeat
            # is struck again rather than cut by the first one's note-off.
            off = max(on + 1, nearest_block(n.end) - 1)
            velocity = self.synth.clamp_velocity(n.velocity)
            events += [
                Scheduled(on, n.channel, n.note, velocity, group),
                Scheduled(off, n.channel, n.note, 0, group),
            ]
            self._push(on, SoundKind.NOTE_ON, n.channel, n.note, velocity, group)
            self._push(off, SoundKind.NOTE_OFF, n.channel, n.note, 0, group)
            first = on if first is None else min(first, on)
            last = off if last is None else max(last, off)
        self.synth.schedule(events)
        if first is not None and last is not None:
            self._groups_out[group] = (first, last)
        return Played(group, first or 0, last or 0)

    def begun(self, group: int, margin_s: float) -> bool:
        """Whether ``group``'s first note is nearer than ``margin_s`` (or past)."""
        start = self._groups_out.get(group, (None, None))[0]
        if start is None:
            return True
        clock = self.synth.sample_clock() + margin_s * self.synth.sample_rate
        return start * BLOCK_FRAMES <= clock

    def take_back(self, groups: Iterable[int]) -> None:
        """Cancel groups that have not begun: none of their notes sound, or are told."""
        dropped = set(groups)
        self.synth.cancel(dropped)
        self._pending = [p for p in self._pending if p[6] not in dropped]
        heapq.heapify(self._pending)
        for group in dropped:
            self._groups_out.pop(group, None)

    def announce_due(self, t: float) -> None:
        """Tell the box of every note that has sounded (or ended) by ``t``."""
        while self._pending and self._pending[0][0] <= t:
            when, _, kind, channel, note, velocity, _group = heapq.heappop(self._pending)
            key = (channel, note)
            if kind is SoundKind.NOTE_ON:
                self._sounding[key] = self._sounding.get(key, 0) + 1
            elif self._sounding.get(key):
                self._sounding[key] -= 1
                if not self._sounding[key]:
                    del self._sounding[key]
            self._announce(when, kind, channel, note, velocity)

    def silence(self, t: float) -> None:
        """Take everything back (note-offs of notes begun too) and release
        every note sounding now."""
        self.synth.cancel(list(self._groups_out))
        self._groups_out.clear()
        self._pending.clear()
        for (channel, note), count in list(self._sounding.items()):
            for _ in range(count):
                self.synth.note_off(channel, note)
                self._announce(t, SoundKind.NOTE_OFF, channel, note, 0)
        self._sounding.clear()

    def _forget_ended(self) -> None:
        # A group whose last note has ended has nothing left to take back.
        now = self.synth.sample_clock() / BLOCK_FRAMES
        for group in [g for g, (_, last) in self._groups_out.items() if last < now]:
            del self._groups_out[group]

    def _push(
        self, block: int, kind: SoundKind, channel: Channel, note: int, velocity: int, group: int
    ) -> None:
        when = self.time_of(float(block * BLOCK_FRAMES))
        item = (when, next(self._order), kind, channel, note, velocity, group)
        heapq.heappush(self._pending, item)


def nearest_block(samples: float) -> int:
    """The block nearest a sample position: onsets land within half a block of the grid."""
    return max(0, math.floor(samples / BLOCK_FRAMES + 0.5))
