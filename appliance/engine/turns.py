"""Turn-taking: players take turns, and only the current player's inputs sound.

Each input may belong to a player (its ``player`` setting, 1..8; 0 means it
is in no group and always sounds, as a therapist's keyboard does). While the
profile has two or more players, a press from another player's input is not
sounded: it is counted for the session record (a client reaching out of turn
is worth knowing about) and shown in the status.

The turn passes (the profile's ``[turns]`` section):

* ``notes``: after the player has sounded ``turns.notes`` notes;
* ``phrase``: once the player has played and then rested for
  :data:`PHRASE_REST_S` (a musical phrase ends in a breath), or at the end
  of a song phrase in sequence mode;
* ``time``: ``turns.seconds`` after the turn began;
* ``command``: only when the therapist says (``turn next``).

A gentle cue marks each handover (``turns.cue``): a soft chime on the key
note, or the next player's own first note, softly. It runs on the engine's
owner thread.
"""

from __future__ import annotations

from typing import Any

from appliance.engine.voicing import Voicing
from appliance.events import InputId
from appliance.profile import PlayMode, Profile
from appliance.profile.accompaniment import TurnCue, TurnPass, TurnSettings

#: A phrase ends when the player rests this long after playing.
PHRASE_REST_S = 2.0
#: The cue is soft, and short: a marker, not a note to play over.
CUE_VELOCITY = 45
CUE_S = 0.8
#: The chime: tubular bells on the key note, two octaves above middle C's.
CHIME_INSTRUMENT = "tubular_bells"
CHIME_OCTAVE = 5
#: The cue's holder in the voicing's book.
CUE_SOURCE = "turns"


class Turns:
    def __init__(self, voicing: Voicing) -> None:
        self._voicing = voicing
        self._cue_until: float | None = None
        self.players: tuple[int, ...] = ()
        self._first_input: dict[int, InputId] = {}
        self._settings = TurnSettings()
        self.current: int | None = None
        self._began = 0.0
        self._notes = 0
        self._last_note: float | None = None
        #: Presses not sounded because it was not the input's turn, by input.
        self.out_of_turn: dict[str, int] = {}
        self._turn_ends: float | None = None

    @property
    def deadline(self) -> float | None:
        times = [t for t in (self._turn_ends, self._cue_until) if t is not None]
        return min(times, default=None)

    def follow(self, profile: Profile, t: float) -> None:
        """The profile changed: the players are who its inputs say."""
        members: dict[int, InputId] = {}
        for iid, settings in sorted(profile.inputs.items()):
            player = getattr(settings, "player", 0)
            if player:
                members.setdefault(player, iid)
        players = tuple(sorted(members))
        self._first_input = members
        self._settings = profile.turns
        if players != self.players:
            self.players = players
            self.current = players[0] if len(players) > 1 else None
            self._restart(t)
        else:
            self._arm()

    def may_sound(self, source: str, settings: Any) -> bool:
        """Whether ``source`` may sound now; a press out of turn is counted."""
        if self.in_turn(settings):
            return True
        self.count_out_of_turn(source)
        return False

    def count_out_of_turn(self, source: str) -> None:
        """``source`` tried to play in another player's turn (for the session record)."""
        self.out_of_turn[source] = self.out_of_turn.get(source, 0) + 1

    def in_turn(self, settings: Any) -> bool:
        player = getattr(settings, "player", 0)
        return self.current is None or not player or player == self.current

    def sounded(self, settings: Any, t: float, phrase_end: bool = False) -> None:
        """The current player sounded a note (``phrase_end``: it ended a song phrase)."""
        if self.current is None or getattr(settings, "player", 0) != self.current:
            return
        self._notes += 1
        self._last_note = t
        if self._turn_is_over(phrase_end):
            self.next(t)
        else:
            self._arm()

    def _turn_is_over(self, phrase_end: bool) -> bool:
        rule = self._settings.pass_after
        if rule is TurnPass.NOTES:
            return self._notes >= self._settings.notes
        return rule is TurnPass.PHRASE and phrase_end

    def next(self, t: float) -> None:
        """Pass the turn to the next player, with the cue."""
        if self.current is None:
            return
        at = self.players.index(self.current)
        self.current = self.players[(at + 1) % len(self.players)]
        self._restart(t)
        self._sound_cue(self._first_input.get(self.current), t)

    def tick(self, t: float) -> None:
        """A turn's time is up, the player's phrase has ended in a rest, or the cue ends."""
        if self._cue_until is not None and self._cue_until <= t:
            self._cue_until = None
            self._voicing.stop(CUE_SOURCE)
        if self._turn_ends is not None and self._turn_ends <= t:
            self._turn_ends = None
            self.next(t)

    def clear(self) -> None:
        """Everything was silenced (panic, a new profile): the cue is gone."""
        self._cue_until = None

    def _sound_cue(self, first: InputId | None, t: float) -> None:
        cue = self._settings.cue
        if cue is TurnCue.NONE:
            return
        voicing = self._voicing
        voicing.stop(CUE_SOURCE)
        if cue is TurnCue.NOTE and first is not None:
            # The next player's own sound, so the client hears whose turn it is.
            note = voicing.note_at(first, 0)
            instrument = voicing.instrument_of(first).name
        else:
            note = int(voicing.key.degree_to_note(1, CHIME_OCTAVE))
            instrument = CHIME_INSTRUMENT
        voicing.play_notes(CUE_SOURCE, (note,), CUE_VELOCITY, PlayMode.NOTE, instrument)
        self._cue_until = t + CUE_S

    def describe(self) -> str:
        """``"player 2's turn"`` (and the presses out of turn), or ``""``."""
        if self.current is None:
            return ""
        out = sum(self.out_of_turn.values())
        extra = f"; {out} out of turn" if out else ""
        return f"player {self.current}'s turn{extra}"

    def _restart(self, t: float) -> None:
        self._began = t
        self._notes = 0
        self._last_note = None
        self._arm()

    def _arm(self) -> None:
        rule = self._settings.pass_after
        if self.current is None:
            self._turn_ends = None
        elif rule is TurnPass.TIME:
            self._turn_ends = self._began + self._settings.seconds
        elif rule is TurnPass.PHRASE and self._last_note is not None:
            self._turn_ends = self._last_note + PHRASE_REST_S
        else:
            self._turn_ends = None
