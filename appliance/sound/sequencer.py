"""Notes played by FluidSynth itself, on its own sample clock: its sequencer.

The loop and a song playing by itself hand their notes over ahead of time
(:class:`~appliance.sound.synth.Scheduled`, by block number); FluidSynth's
sequencer, driven by the synth's sample clock, plays each exactly at its
block, however late any thread wakes.

How its clock reads, measured (tests/sound/test_fluid_schedule.py): at the
start of each 64-frame block it takes the time since it was made in whole
milliseconds, times :data:`TICKS_PER_MS`, and plays every event due by then;
what it plays is heard from the next block. So an event for block ``m`` is
stamped within the ticks that block ``m - 1`` reaches first, and is heard
exactly as a call made when ``64 m`` frames have been rendered.

Events of one block get a tick each, in the order they were handed over:
FluidSynth plays events of one tick in its own order, which would pick other
voices than the MIDI record's player does, and the record would no longer
reproduce the render. A block spans more than a millisecond, so it has at
least :data:`TICKS_PER_MS` ticks; a busier block shares its last tick.

The tick counter is 32 bits: at :data:`TICKS_PER_MS` it wraps after 12 days.
So the sequencer is made afresh, from the current block, whenever nothing is
scheduled and it is older than :data:`RENEW_AFTER_S`: a box left playing for
weeks never meets the wrap.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterable, Sequence

from appliance.audio_settings import BLOCK_FRAMES
from appliance.sound.binding import fluidsynth
from appliance.sound.synth import Scheduled

_remove_events = fluidsynth._fl.fluid_sequencer_remove_events
_remove_events.argtypes = (ctypes.c_void_p, ctypes.c_short, ctypes.c_short, ctypes.c_int)
_remove_events.restype = None

#: FluidSynth's "any" for a sequencer event's source or type.
_ANY = -1
_MS_PER_S = 1000
#: Ticks a millisecond: enough to keep a block's events in order.
TICKS_PER_MS = 4
#: A sequencer older than this is made afresh when next nothing is scheduled.
RENEW_AFTER_S = 24 * 3600


class BlockSequencer:
    """FluidSynth's sequencer for one synth, addressed in the synth's blocks."""

    def __init__(self, synth: fluidsynth.Synth, sample_rate: int, block: int = 0) -> None:
        self._synth = synth
        self._rate = sample_rate
        self._seq: fluidsynth.Sequencer | None = None
        self._dest = 0
        self._origin = 0  # the synth's block when the sequencer was made
        self._until = 0  # the last block anything is scheduled for
        self._used: dict[int, int] = {}  # block -> ticks given to its events so far
        self._make(block)

    def _make(self, block: int) -> None:
        if self._seq is not None:
            self._seq.delete()
        self._seq = fluidsynth.Sequencer(
            time_scale=_MS_PER_S * TICKS_PER_MS, use_system_timer=False
        )
        self._dest = self._seq.register_fluidsynth(self._synth)
        self._origin = block
        self._used.clear()

    def frames(self) -> int:
        """Frames the synth has rendered, as the sequencer counts them (live)."""
        assert self._seq is not None
        ms = self._seq.get_tick() / TICKS_PER_MS
        return self._origin * BLOCK_FRAMES + round(ms * self._rate / _MS_PER_S)

    def pending(self, block_now: float) -> bool:
        return self._until >= block_now

    def schedule(self, events: Sequence[Scheduled], block_now: int) -> None:
        if not self.pending(block_now) and self._age_s(block_now) > RENEW_AFTER_S:
            self._make(block_now)
        seq, dest = self._seq, self._dest
        assert seq is not None
        for e in events:
            at = self._tick_for(e.block)
            if e.velocity > 0:
                seq.note_on(at, e.channel, e.note, e.velocity, source=e.group, dest=dest)
            else:
                seq.note_off(at, e.channel, e.note, source=e.group, dest=dest)
            self._until = max(self._until, e.block)
        for block in [b for b in self._used if b < block_now]:
            del self._used[block]

    def cancel(self, groups: Iterable[int] | None = None) -> None:
        assert self._seq is not None
        seq = self._seq.sequencer
        if groups is None:
            _remove_events(seq, _ANY, self._dest, _ANY)
            return
        for group in groups:
            _remove_events(seq, group, self._dest, _ANY)

    def delete(self) -> None:
        if self._seq is not None:
            self._seq.delete()
            self._seq = None

    def _now_tick(self, block: int) -> int:
        """The tick the sequencer reads at the start of ``block`` (from its origin)."""
        ms = max(0, block - self._origin) * BLOCK_FRAMES * _MS_PER_S // self._rate
        return ms * TICKS_PER_MS

    def _tick_for(self, block: int) -> int:
        """A tick first reached at block ``block - 1``, the next unused one of them."""
        reached = self._now_tick(block - 1)
        before = self._now_tick(block - 2) if block - 2 >= self._origin else -1
        used = self._used.get(block, 0)
        self._used[block] = used + 1
        return max(0, min(before + 1 + used, reached))

    def _age_s(self, block_now: int) -> float:
        return (block_now - self._origin) * BLOCK_FRAMES / self._rate
