"""What an accepted press or release does, by the input's play mode.

The access filter (engine/access.py) has decided that the client meant a
press or a release; turn-taking (engine/turns.py) decides whether it may
sound now. Then the mode says what it plays:

* ``note``: a note while held; ``latch``: one press on, the next off;
  ``chord``: a chord while held (all in engine/voicing.py);
* ``sequence``: the next note or phrase of the input's song (engine/song_steps.py);
* ``choice``: the band plays the song or loop the input stands for (engine/band.py).

``max_note_s`` starts a timer on the sounding note, so a switch left pressed
never drones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from appliance.engine.access import Edge
from appliance.engine.band import Band
from appliance.engine.song_steps import SongSteps
from appliance.engine.turns import Turns
from appliance.engine.voicing import Voicing
from appliance.profile import PlayMode

#: The timer on a sounding note's length (``<source>/max_note``).
MAX_NOTE_TIMER = "max_note"


class PlayModes:
    """Plays an input's accepted presses and releases in its mode; on the owner thread."""

    def __init__(
        self,
        voicing: Voicing,
        band: Band,
        turns: Turns,
        songs: SongSteps,
        set_deadline: Callable[[str, float | None], None],
    ) -> None:
        self._voicing = voicing
        self._band = band
        self._turns = turns
        self._songs = songs
        self._set_deadline = set_deadline

    def edge(self, source: str, edge: Edge, settings: Any, t: float) -> None:
        """``source`` was pressed or released (accepted) at ``t``.

        ``settings`` are the input's: a switch's or a pad's, or a beam's for its
        trigger (whose mode is always a note).
        """
        if edge is Edge.PRESS and not self.admit(source, settings, t):
            return
        if settings.mode is PlayMode.CHOICE:  # the band plays what the press chooses
            if edge is Edge.PRESS:
                self._band.choose(source, settings.choice or settings.song, t)
            return
        if settings.mode is PlayMode.SEQUENCE:  # the input's song plays
            if edge is Edge.PRESS:
                phrase_end = self._songs.press(source, settings, t)
                if phrase_end is not None:
                    self._turns.sounded(settings, t, phrase_end)
            else:
                self._songs.release(source, t)
            return
        if edge is Edge.PRESS:
            self._turns.sounded(settings, t)
        mode = settings.mode if isinstance(settings.mode, PlayMode) else PlayMode.NOTE
        held = self._voicing.held_mode(source)
        if edge is Edge.PRESS:
            if held is not None:
                # A latched note is toggled off; any other leftover note (a
                # lost release) is stopped so the new press starts cleanly.
                self.stop(source)
                if held is PlayMode.LATCH and mode is PlayMode.LATCH:
                    return
            self._voicing.start(source, settings, mode)
            self.limit(source, settings.max_note_s, t)
        elif held is not None and held is not PlayMode.LATCH:
            self.stop(source)

    def admit(self, source: str, settings: Any, t: float) -> bool:
        """Whether a press of ``source`` at ``t`` may sound: False out of turn (counted).

        A press that may is one the band hears: "wait for me" moves on while the
        client plays.
        """
        if not self._turns.may_sound(source, settings):
            return False
        self._band.client_played(t)
        return True

    def limit(self, source: str, max_note_s: float, t: float) -> None:
        """The note ``source`` started at ``t`` ends after ``max_note_s`` (0: never)."""
        if max_note_s > 0:
            self._set_deadline(f"{source}/{MAX_NOTE_TIMER}", t + max_note_s)

    def stop(self, source: str) -> None:
        """Stop what ``source`` sounds (an input, or a device's key), and its time limit."""
        self._voicing.stop(source)
        self._set_deadline(f"{source}/{MAX_NOTE_TIMER}", None)
