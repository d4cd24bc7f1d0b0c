"""What a beam plays in zones and expression modes.

The engine owns one :class:`BeamPlayer` per beam and hands it each raw
reading; the player filters it (:class:`~appliance.engine.beam.PositionFilter`,
the one place a ping's meaning is decided, live or rendered) and tells the
engine, through the narrow :class:`Voice` interface, which notes to start
and stop and which controllers to move. Trigger mode is not here: a beam
trigger is a client contact like a switch, and goes through the engine's
access filter.
"""

from __future__ import annotations

from typing import Protocol

from appliance.engine.beam import Beam, PositionFilter
from appliance.engine.glide import Glide
from appliance.profile import BeamMode, BeamSettings, Expression

CC_EXPRESSION = 11
CC_CUTOFF = 74
_BEND_MAX = 8191
# Expression sweeps between these CC values: never quite silent or dull, so
# the client always hears that the beam is listening.
_CC_NEAR, _CC_FAR = 127, 24


class Voice(Protocol):
    """What a beam player may ask of the engine."""

    def play(self, source: str, degree_offset: int, exclusive: bool) -> int | None:
        """Start the beam's note ``degree_offset`` scale steps above its degree;
        return the MIDI note started."""

    def silence(self, source: str) -> None: ...

    def control(self, source: str, control: int, value: int) -> None: ...

    def bend(self, source: str, value: int) -> None: ...

    def bend_range(self, source: str, semitones: int) -> None: ...

    def note_at(self, source: str, degree_offset: int) -> int: ...


class BeamPlayer:
    def __init__(self, source: str) -> None:
        self.source = source
        self.filter = PositionFilter()
        self.zone: int | None = None
        self.base_note: int | None = None  # expression: the note the bend is relative to
        self.bend_range = 2  # semitones either way, as set on the channel (RPN 0)
        self.glide: Glide | None = None
        #: When the note now sounding started (for max_note_s), or None.
        self.note_started: float | None = None
        #: The zone the hand is in while another player has the turn (nothing sounds).
        self.quiet_zone: int | None = None

    @property
    def deadline(self) -> float | None:
        deadlines = [d for d in (self.filter.deadline, self.glide and self.glide.deadline) if d]
        return min(deadlines, default=None)

    @property
    def distance(self) -> float | None:
        return self.filter.estimate

    def reading(self, t: float, distance: float | None, s: BeamSettings) -> bool:
        """Filter one ping; True when the smoothed position moved."""
        return self.filter.reading(t, distance, s.confirm_ms / 1000)

    def tick(self, t: float, s: BeamSettings, voice: Voice) -> bool:
        """Run due timers; True when the smoothed position moved (the caller
        then calls :meth:`moved`)."""
        moved = self.filter.tick(t)
        if self.glide is not None and (value := self.glide.tick(t)) is not None:
            self._send(s, voice, value)
        return moved

    def moved(self, t: float, s: BeamSettings, voice: Voice) -> None:
        """React to a new smoothed position."""
        self.quiet_zone = None
        if s.mode is BeamMode.ZONES:
            self._zones(t, s, voice)
        elif s.mode is BeamMode.EXPRESSION:
            self._expression(t, s, voice)

    def entered_quietly(self, s: BeamSettings) -> bool:
        """Out of turn: whether the hand has just done what would have sounded a note.

        In zones mode that is entering any zone; in expression mode, coming into
        the beam (moving within it only shapes the note already sounding).
        """
        zone = Beam.from_settings(s).zone_for(self.filter.estimate, self.quiet_zone)
        before, self.quiet_zone = self.quiet_zone, zone
        if zone is None or zone == before:
            return False
        return s.mode is BeamMode.ZONES or before is None

    def reset(self, voice: Voice) -> None:
        voice.silence(self.source)
        self.filter.clear()
        self.zone = self.base_note = self.note_started = self.quiet_zone = None
        self.glide = None

    def expire(self, voice: Voice) -> None:
        """The note has sounded for max_note_s: silence it. Nothing restarts
        until the hand moves to another zone or leaves and comes back."""
        voice.silence(self.source)
        self.note_started = None

    # -- zones ---------------------------------------------------------------

    def _zones(self, t: float, s: BeamSettings, voice: Voice) -> None:
        zone = Beam.from_settings(s).zone_for(self.filter.estimate, self.zone)
        if zone == self.zone:
            return
        voice.silence(self.source)
        self.zone, self.note_started = zone, None
        if zone is not None:
            voice.play(self.source, zone, exclusive=False)
            self.note_started = t

    # -- expression ------------------------------------------------------------

    def _expression(self, t: float, s: BeamSettings, voice: Voice) -> None:
        beam = Beam.from_settings(s)
        distance = self.filter.estimate
        in_range = beam.zone_for(distance, 0 if self.base_note is not None else None) is not None
        if distance is None or not in_range:
            if self.base_note is not None:
                voice.silence(self.source)
                self.base_note = self.glide = self.zone = self.note_started = None
            return
        if self.base_note is None:
            self._begin(t, beam, distance, s, voice)
        else:
            target = self._target(beam, distance, s, voice)
            assert self.glide is not None
            self.glide.aim(t, target)

    def _target(self, beam: Beam, distance: float, s: BeamSettings, voice: Voice) -> float:
        position = beam.position(distance)
        if s.expression is Expression.PITCH:
            # Snapped to the scale: the zone's scale note, as a bend from the base.
            zone = beam.zone_for(distance, self.zone) or 0
            self.zone = zone
            # Relative to the note really sounding, so a key change mid-note
            # still lands on the new key's notes.
            base = self.base_note if self.base_note is not None else voice.note_at(self.source, 0)
            semitones = voice.note_at(self.source, zone) - base
            semitones = max(-self.bend_range, min(self.bend_range, semitones))
            return min(_BEND_MAX, semitones * 8192 / self.bend_range)
        return _CC_NEAR + (_CC_FAR - _CC_NEAR) * position

    def _begin(self, t: float, beam: Beam, distance: float, s: BeamSettings, voice: Voice) -> None:
        pitch = s.expression is Expression.PITCH
        if pitch:
            # Wide enough for the top zone's note, and a little room for a key change.
            span = voice.note_at(self.source, s.zones - 1) - voice.note_at(self.source, 0)
            self.bend_range = min(max(span + 2, 2), 96)
            voice.bend_range(self.source, self.bend_range)
        target = self._target(beam, distance, s, voice)
        self.glide = Glide(target, settle_within=2.0 if pitch else 0.3)
        # The controller is set before the note starts, so the note begins
        # at the hand's position instead of sweeping there.
        self._send(s, voice, self.glide.take() or 0)
        self.base_note = voice.play(self.source, 0, exclusive=True)
        self.note_started = t

    def _send(self, s: BeamSettings, voice: Voice, value: int) -> None:
        if s.expression is Expression.PITCH:
            voice.bend(self.source, value)
        else:
            control = CC_EXPRESSION if s.expression is Expression.VOLUME else CC_CUTOFF
            voice.control(self.source, control, value)
