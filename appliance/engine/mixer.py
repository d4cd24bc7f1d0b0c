"""The box's mixer: channel levels, volume fades, the headroom rule and panic's fade.

FluidSynth's master gain is the box's ceiling, set once (appliance/sound/synth.py).
Everything the box does to loudness after that, it does here, with each
channel's volume (CC7), so it sounds the same live and in a render, and the
MIDI record carries it (the ``fluidsynth`` command line reproduces it)::

    CC7 = trim * sqrt(volume gain * headroom gain) * panic fade

* **Trim**: the instrument's level (appliance/sound/level.py), so every
  instrument is about as loud as every other.
* **Volume**: the profile's 0..1 on a taper, ``volume ** VOLUME_TAPER``, so the
  default 0.6 sits 6 dB under full. It moves block by block (one block is 64
  samples, 1.3 ms at 48 kHz): lowering completes within :data:`FALL_S`,
  raising glides at :data:`RISE_DB_PER_S`. FluidSynth ramps each voice's
  gain across a block, so the steps join into a smooth line: no thump, no
  zipper::

      volume 0.8 ──╮                         ╭─────── 0.8
                   ╰╮  24 ms              ╭──╯  glides up at 40 dB/s
                    ╰───── 0.2 ───────────╯

* **Headroom**: every channel's notes add up to a bound on its peak: each
  note the instrument's loudest note, scaled by its velocity, but no more
  than its measured four-note chord (with :data:`CHORD_MARGIN`) for each four
  notes; a released note's bound fades with :data:`RELEASE_TAU_S`. When the
  channels' bounds add up past :data:`LIMIT` the headroom gain drops, in the
  same block as the note that would pass it, so the sum never does, however
  many inputs play at full velocity. It comes back at
  :data:`RECOVER_DB_PER_S` as notes end. A sum of peaks bounds the peak of
  the sum, so the box does not reach full scale.
* **Panic**: every channel fades to nothing in :data:`PANIC_FADE_S` (a cut
  would click), then the voices are cut, the synth reset (the reverb and
  chorus emptied with it) and the channels set up again, a block apart
  (:class:`PanicStep`): silent within 20 ms, and ready to play.

It runs on the engine's owner thread; :meth:`Mixer.tick` is due at
:attr:`Mixer.deadline`, on block boundaries, only while something moves.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from appliance.sound.level import FULL_CC7, REFERENCE_GAIN, Level
from appliance.sound.synth import Channel

#: The default volume sits this far under full volume...
DEFAULT_UNDER_FULL_DB = 7.5
#: ...on the volume's taper, ``gain = volume ** VOLUME_TAPER`` (docs/sound.md's
#: level plan). The headroom rule takes back some of the top 7.5 dB in busy
#: moments, so full volume measures about 6 dB louder than the default.
VOLUME_TAPER = math.log(10 ** (-DEFAULT_UNDER_FULL_DB / 20)) / math.log(0.6)
#: A volume of 0, in dB: the quietest channel volume FluidSynth plays.
FLOOR_DB = -80.0
#: Lowering the volume completes within this, whatever the step.
FALL_S = 0.024
#: Raising the volume glides this fast (0.2 to 0.8 in about half a second)...
RISE_DB_PER_S = 40.0
#: ...starting no lower than this, where it begins to be heard.
RISE_FROM_DB = -40.0
#: The sum of the bounds of every note sounding stays under this (-1 dBFS).
LIMIT = 10 ** (-1 / 20)
#: A chord other than the probe's (another voicing, another register) may peak
#: a little higher than the probe's measured chord: this much.
CHORD_MARGIN = 1.25
#: The notes in the probe's chord.
CHORD_NOTES = 4
#: How fast the headroom gain comes back once the loud moment has passed.
RECOVER_DB_PER_S = 24.0
#: A released note still rings (its release, the reverb): its bound fades
#: with this time constant, and is forgotten below FORGET_BELOW of itself.
RELEASE_TAU_S = 0.15
FORGET_BELOW = 0.02
#: Panic fades every channel out over this (12 blocks at 48 kHz).
PANIC_FADE_S = 0.016
#: Full velocity, for the velocity curve of FluidSynth's default modulator.
_FULL_VELOCITY = 127
#: Two times this close are one block boundary (floating point).
_SAME_TIME_S = 1e-9

SendLevel = Callable[[Channel, int], None]
#: What every channel's trim is scaled by: the volume and headroom gain (as
#: a CC7 factor), panic's fade, and whether a panic is fading (which may reach 0).
_Gain = tuple[float, float, bool]


class PanicStep(Enum):
    """What a panic asks of the caller at a tick, one block apart.

    FluidSynth applies calls at its next block, and these three must not share
    one: a reset in the block of the cut brings the cut voices back; a cut in
    the block of the reset feeds their last block to the chorus after it was
    emptied (heard as faint bursts for a quarter of a second); channel
    volumes restored in the block of the cut reach the voices being cut.
    """

    NONE = "none"
    #: The fade is over: cut every voice.
    CUT = "cut"
    #: Reset the synth: controllers and programs, and the reverb and chorus emptied.
    RESET = "reset"
    #: Set the channels up again, ready to play.
    RESTORE = "restore"


@dataclass(slots=True)
class _Strip:
    level: Level
    sent: int | None = None
    #: A fraction of the level (amplitude): the accompaniment's channels sit under the client's.
    share: float = 1.0


class _Ringing:
    """The bounds of released notes, each fading with :data:`RELEASE_TAU_S`.

    The mixer reads their sum on every note and every block while it is
    turned down, and a client drumming on every input (or a bench pressing
    hundreds of times a second) leaves a few hundred notes ringing: so the
    sum is kept as one total, faded as time moves on, instead of being added
    up note by note (which cost about 0.09 ms on every press, and 0.06 ms on
    every block, with 300 notes ringing). A note is forgotten once it has
    faded below :data:`FORGET_BELOW` of its bound, exactly when the list of
    notes used to drop it; its share leaves the total then, and the total is
    exactly 0 once nothing rings.
    """

    __slots__ = ("_at", "_notes", "_total")

    def __init__(self) -> None:
        #: (released at, bound), oldest first: a heap, as events from several
        #: threads may reach the engine a few microseconds out of order.
        self._notes: list[tuple[float, float]] = []
        self._total = 0.0  # every bound, faded to ``_at``
        self._at = 0.0

    def __bool__(self) -> bool:
        return bool(self._notes)

    def add(self, released: float, bound: float) -> None:
        """A note released at ``released`` rings on with ``bound`` as its peak."""
        if self._notes:
            self._fade_to(released)
            self._total += bound * math.exp(-(self._at - released) / RELEASE_TAU_S)
        else:
            self._at, self._total = released, bound
        heapq.heappush(self._notes, (released, bound))

    def forget(self, t: float) -> None:
        """Forget the notes that have faded below :data:`FORGET_BELOW` by ``t``."""
        notes = self._notes
        if not notes:
            return
        self._fade_to(t)
        while notes and math.exp(-(t - notes[0][0]) / RELEASE_TAU_S) <= FORGET_BELOW:
            released, bound = heapq.heappop(notes)
            self._total -= bound * math.exp(-(self._at - released) / RELEASE_TAU_S)
        if not notes:
            self._total = 0.0  # no rounding left behind

    def at(self, t: float) -> float:
        """The sum of the bounds at ``t``."""
        if not self._notes:
            return 0.0
        return max(0.0, self._total) * math.exp(-(t - self._at) / RELEASE_TAU_S)

    def clear(self) -> None:
        self._notes.clear()
        self._total = 0.0

    def _fade_to(self, t: float) -> None:
        # Only forward: a note released before ``_at`` (events may come a
        # little out of order) is faded from its own time by :meth:`add`.
        if t > self._at:
            self._total *= math.exp(-(t - self._at) / RELEASE_TAU_S)
            self._at = t


def volume_db(volume: float) -> float:
    """The profile's 0..1 volume as a gain in dB, on the taper."""
    if not volume > 0.0:  # 0, negative, NaN: the floor
        return FLOOR_DB
    return max(FLOOR_DB, 20 * VOLUME_TAPER * math.log10(min(volume, 1.0)))


class Mixer:
    def __init__(
        self,
        send_level: SendLevel,
        *,
        volume: float,
        gain_ceiling: float,
        block_s: float,
    ) -> None:
        #: Sets a channel's volume on the synth (and records it).
        self._send = send_level
        self._scale = gain_ceiling / REFERENCE_GAIN  # note bounds are measured at the reference
        self.gain_ceiling = gain_ceiling
        self.block_s = block_s
        self._strips: dict[Channel, _Strip] = {}
        self._volume_db = self._target_db = volume_db(volume)
        self._fall_db_per_s = 0.0
        self._headroom_db = 0.0
        #: Velocity weights of the notes held, by channel and note.
        self._held: dict[Channel, dict[int, float]] = {}
        self._ringing = _Ringing()
        self._panic_from: float | None = None
        self._after_fade: list[PanicStep] = []  # a panic's steps still to come
        self._last = 0.0
        #: The gain every strip was last sent at together, or None when one may differ.
        self._pushed: _Gain | None = None
        #: When :meth:`tick` is next due, or None while nothing moves.
        self.deadline: float | None = None

    # -- what the rest of the box reads ------------------------------------------

    @property
    def gain(self) -> float:
        """The master gain the channels add up to now (the ceiling at full volume)."""
        return self.gain_ceiling * 10 ** ((self._volume_db + self._headroom_db) / 20)

    @property
    def headroom_db(self) -> float:
        """How far the headroom rule has turned the box down now (0 or less)."""
        return self._headroom_db

    @property
    def panicking(self) -> bool:
        """From a panic until the channels are set up again (about 19 ms)."""
        return self._panic_from is not None

    # -- channels -------------------------------------------------------------------

    def add_channel(self, channel: Channel, level: Level, share: float = 1.0) -> None:
        """A channel given an instrument: set its volume now, before any note."""
        self._strips[channel] = _Strip(level, share=share)
        self._push(channel)

    def set_share(self, channel: Channel, share: float) -> None:
        """Move a channel's share of its level (the loop's volume), at once."""
        strip = self._strips.get(channel)
        if strip is not None and strip.share != share:
            strip.share = share
            self._push(channel)

    def reserve(self, channel: Channel, notes: dict[int, int], t: float) -> None:
        """Count ``notes`` (note: velocity) as held on ``channel`` from ``t``, in
        place of what it held: the accompaniment's next bar, counted before any
        of it sounds, so the headroom is there when it does."""
        if channel not in self._strips:
            return
        for note in [n for n in self._held.get(channel, {}) if n not in notes]:
            self.note_off(channel, note, t)
        self._catch_up(t)
        self._held[channel] = {n: (v / _FULL_VELOCITY) ** 2 for n, v in notes.items()}
        target = self._headroom_target(t)
        if target < self._headroom_db:
            self._headroom_db = target
            self._push_all()
        self._schedule(t)

    def relevel(self, channel: Channel, level: Level) -> None:
        strip = self._strips.get(channel)
        if strip is not None and strip.level != level:
            strip.level = level
            self._push(channel)

    # -- notes ------------------------------------------------------------------------

    def note_on(self, channel: Channel, note: int, velocity: int, t: float) -> None:
        """Count a note about to start; call it before the synth's note-on, so a
        lower headroom gain reaches the synth in the same block as the note."""
        if channel not in self._strips:
            return
        self._catch_up(t)
        self._held.setdefault(channel, {})[note] = (velocity / _FULL_VELOCITY) ** 2
        target = self._headroom_target(t)
        if target < self._headroom_db:
            self._headroom_db = target
            self._push_all()
        self._schedule(t)

    def note_off(self, channel: Channel, note: int, t: float) -> None:
        weight = self._held.get(channel, {}).pop(note, None)
        strip = self._strips.get(channel)
        if weight is not None and strip is not None:
            self._ringing.add(t, strip.level.note_peak * weight * self._scale * strip.share)
            self._schedule(t)

    def all_released(self, t: float) -> None:
        for channel, notes in self._held.items():
            for note in list(notes):
                self.note_off(channel, note, t)
        self._held.clear()
        self._schedule(t)

    # -- volume and panic -------------------------------------------------------------

    def set_volume(self, volume: float, t: float) -> None:
        self._catch_up(t)
        target = volume_db(volume)
        if target == self._target_db:
            return
        self._target_db = target
        if target < self._volume_db:
            self._fall_db_per_s = (self._volume_db - target) / FALL_S
        else:
            self._volume_db = max(self._volume_db, min(RISE_FROM_DB, target))
        self._schedule(t)

    def panic(self, t: float) -> None:
        """Start the fade to silence; :meth:`tick` says when it is over."""
        self._catch_up(t)
        if self._panic_from is None:
            self._panic_from = t
        self._schedule(t)

    def tick(self, t: float) -> PanicStep:
        """Take the steps due by ``t``; say what a panic needs of the caller now."""
        self._advance(t)
        step = PanicStep.NONE
        if self._after_fade:
            step = self._after_fade.pop(0)
            if step is PanicStep.RESTORE:
                self._panic_from = None
        elif self._panic_from is not None and t >= self._panic_from + PANIC_FADE_S - _SAME_TIME_S:
            self._held.clear()
            self._ringing.clear()
            self._headroom_db = 0.0
            self._strips.clear()  # the reset takes every channel's volume with it
            self._after_fade = [PanicStep.RESET, PanicStep.RESTORE]
            step = PanicStep.CUT
        else:
            self._push_all()
        self._schedule(t)
        return step

    # -- inside -------------------------------------------------------------------------

    def _catch_up(self, t: float) -> None:
        """Move on to ``t`` and send what moved: an event may come before an
        overdue tick (the live loop takes events first), and a fade it
        finished must still reach the synth."""
        self._advance(t)
        if self._panic_from is None:
            self._push_all()

    def _advance(self, t: float) -> None:
        """Move the volume and the headroom gain on to time ``t``."""
        dt = max(0.0, t - self._last)
        self._last = max(self._last, t)
        if self._volume_db > self._target_db:
            self._volume_db = max(self._target_db, self._volume_db - self._fall_db_per_s * dt)
        elif self._volume_db < self._target_db:
            self._volume_db = min(self._target_db, self._volume_db + RISE_DB_PER_S * dt)
        self._ringing.forget(t)
        target = self._headroom_target(t)
        if target < self._headroom_db:
            self._headroom_db = target
        else:
            self._headroom_db = min(target, self._headroom_db + RECOVER_DB_PER_S * dt)

    def _headroom_target(self, t: float) -> float:
        ringing = self._ringing.at(t)
        # A channel whose notes have all ended keeps its empty book: skip it.
        held = sum(self._channel_bound(ch, notes) for ch, notes in self._held.items() if notes)
        total = (held + ringing) * 10 ** (self._volume_db / 20)
        if total <= LIMIT:
            return 0.0
        return 20 * math.log10(LIMIT / total)

    def _channel_bound(self, channel: Channel, weights: dict[int, float]) -> float:
        """The most the notes held on ``channel`` can peak at, at full volume."""
        strip = self._strips.get(channel)
        if strip is None or not weights:
            return 0.0
        level = strip.level
        each = level.note_peak * sum(weights.values())
        chords = math.ceil(len(weights) / CHORD_NOTES)
        as_chords = level.chord_peak * CHORD_MARGIN * chords * max(weights.values())
        return min(each, as_chords) * self._scale * strip.share

    def _moving(self) -> bool:
        # A held chord at a steady headroom gain needs no ticks; a recovering
        # gain, or ringing notes whose bounds still fade, do.
        governed = self._headroom_db < 0.0 and (
            bool(self._ringing) or self._headroom_db < self._headroom_target(self._last)
        )
        return self._panic_from is not None or self._volume_db != self._target_db or governed

    def _schedule(self, t: float) -> None:
        if not self._moving():
            self.deadline = None
            return
        self.deadline = next_block(t, self.block_s)

    def _fade(self) -> float:
        if self._panic_from is None:
            return 1.0
        return max(0.0, 1.0 - (self._last - self._panic_from) / PANIC_FADE_S)

    def _gain(self) -> _Gain:
        """What every strip's trim is scaled by now."""
        return (10 ** ((self._volume_db + self._headroom_db) / 40), self._fade(), self.panicking)

    def _push(self, channel: Channel) -> None:
        self._pushed = None  # one strip sent on its own: the next _push_all looks at each
        self._send_strip(channel, self._strips[channel], self._gain())

    def _push_all(self) -> None:
        # Called on every note and every block: when the gain has not moved
        # since every strip was last sent, no strip has anything new to send.
        gain = self._gain()
        if gain == self._pushed:
            return
        for channel, strip in self._strips.items():
            self._send_strip(channel, strip, gain)
        self._pushed = gain

    def _send_strip(self, channel: Channel, strip: _Strip, gain: _Gain) -> None:
        scale, fade, panicking = gain
        # CC7 scales amplitude by its square (FluidSynth's curve), so a share
        # of the level is its square root in CC7.
        cc = strip.level.trim * math.sqrt(strip.share) * scale * fade
        # A panic's fade may reach 0; otherwise a channel keeps its quietest
        # volume, so FluidSynth does not drop a held note as inaudible.
        value = min(FULL_CC7, round(cc)) if panicking else min(FULL_CC7, max(1, round(cc)))
        if value != strip.sent:
            strip.sent = value
            self._send(channel, value)


def next_block(t: float, block_s: float) -> float:
    """The first block boundary after ``t`` (one within a nanosecond counts as ``t``).

    Always later than ``t``: a live box's clock is its uptime, and after a few
    hours ``t / block_s`` is so large that a boundary computed from it can come
    out equal to ``t`` itself; a timer due again at once would never let go.
    """
    boundary = (math.floor(t / block_s) + 1) * block_s
    while boundary <= t + _SAME_TIME_S:
        boundary += block_s
    return boundary
