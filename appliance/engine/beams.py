"""The engine's beams: what a hand's move in a beam means in the session.

Each beam has a :class:`~appliance.engine.beam_player.BeamPlayer` that smooths
its readings and plays its zones or expression. This module decides what a
move is for, on the engine's owner thread:

* in trigger mode, a contact like a switch's, through the input's access filter
  (the engine's ``contact``), with hysteresis so a hand on the line does not
  flutter;
* in its player's turn, a note: the band hears that the client played ("wait
  for me"), the turn counts it, and its ``max_note_s`` limit starts;
* out of turn, silence, and each note it would have played counted.
"""

from __future__ import annotations

from collections.abc import Callable

from appliance.engine.band import Band
from appliance.engine.beam_player import BeamPlayer
from appliance.engine.play_modes import MAX_NOTE_TIMER
from appliance.engine.turns import Turns
from appliance.engine.voicing import Voicing
from appliance.profile import BeamMode, BeamSettings

#: ``contact(source, active, t)``: a raw contact, as a switch's press or release.
Contact = Callable[[str, bool, float], None]
#: ``set_deadline("<input>/<what>", when)``: an engine timer set, or cleared by None.
SetDeadline = Callable[[str, float | None], None]
#: ``touching(source)``: whether the input's raw contact is on now.
Touching = Callable[[str], bool]


class Beams:
    """Every beam's player, created on its first reading."""

    def __init__(
        self,
        voicing: Voicing,
        band: Band,
        turns: Turns,
        contact: Contact,
        touching: Touching,
        set_deadline: SetDeadline,
    ) -> None:
        self.players: dict[str, BeamPlayer] = {}
        self._voicing = voicing
        self._band = band
        self._turns = turns
        self._contact = contact
        self._touching = touching
        self._set_deadline = set_deadline

    def reading(self, source: str, distance: float | None, t: float, s: BeamSettings) -> None:
        """One raw ping from ``source``."""
        player = self.players.get(source)
        if player is None:
            player = self.players[source] = BeamPlayer(source)
        if player.reading(t, distance, s):
            self._moved(source, s, player, t)
        self._set_deadline(f"{source}/beam", player.deadline)

    def tick(self, source: str, t: float, s: BeamSettings) -> None:
        """The beam's own timer: a confirmation or a glide step is due."""
        player = self.players[source]
        if player.tick(t, s, self._voicing):
            self._moved(source, s, player, t)
        self._set_deadline(f"{source}/beam", player.deadline)

    def expire(self, source: str, s: BeamSettings) -> bool:
        """A note held for ``max_note_s`` ends; False if this beam plays as a switch."""
        player = self.players.get(source)
        if player is None or s.mode is BeamMode.TRIGGER:
            return False
        # Nothing restarts until the hand moves on, so a chair left in the beam stays quiet.
        player.expire(self._voicing)
        return True

    def position(self, source: str) -> tuple[float | None, int | None]:
        """The smoothed distance and zone, as the status shows them."""
        player = self.players.get(source)
        return (player.distance, player.zone) if player is not None else (None, None)

    def forget(self, source: str) -> None:
        """The beam starts afresh (offline, a new mode or profile); its note stops."""
        player = self.players.pop(source, None)
        if player is not None:
            player.reset(self._voicing)

    def clear(self) -> None:
        """Everything was silenced: every beam forgets where the hand was."""
        for player in self.players.values():
            player.filter.clear()
            player.zone = player.base_note = player.glide = player.quiet_zone = None

    def _moved(self, source: str, s: BeamSettings, player: BeamPlayer, t: float) -> None:
        if s.mode is BeamMode.TRIGGER:
            self._contact(source, self._triggered(s, player), t)
            return
        if not self._turns.in_turn(s):
            # Another player's turn: the beam stays quiet, and each note it would
            # have played is counted as a press out of turn is.
            if player.entered_quietly(s):
                self._turns.count_out_of_turn(source)
            return
        started = player.note_started
        player.moved(t, s, self._voicing)
        if player.note_started != started:  # a new note, or silence: restart the limit
            end = player.note_started
            if end is not None:
                self._band.client_played(t)
                self._turns.sounded(s, t)
            limited = end is not None and s.max_note_s > 0
            deadline = end + s.max_note_s if end is not None and limited else None
            self._set_deadline(f"{source}/{MAX_NOTE_TIMER}", deadline)

    def _triggered(self, s: BeamSettings, player: BeamPlayer) -> bool:
        distance = player.distance
        if distance is None:
            return False
        # Hysteresis: once triggered, the hand must pull back past the line by
        # the hysteresis before it counts as a release. Keyed on the raw contact,
        # so a hand jittering on the line during a dwell does not keep restarting it.
        held = self._touching(player.source)
        return distance < s.trigger_m + (s.hysteresis_m if held else 0.0)
