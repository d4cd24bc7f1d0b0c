"""A profile's accompaniment: the loop under the client, and turn-taking.

These are sections of a profile (``[loop]`` and ``[turns]`` in its file,
``loop.<field>`` and ``turns.<field>`` in ``set``), declared with
:func:`~appliance.profile.fields.setting` like every input's settings.
The engine plays them (appliance/engine/accompaniment.py, appliance/engine/turns.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from appliance.profile.fields import Named, in_range, setting


def _loop_name(name: str) -> str:
    if not name.strip():
        return ""
    from appliance.music.loops import loop_named  # the loop files load on first use

    try:
        return loop_named(name).name
    except LookupError as e:  # keep the did-you-mean, as a bad value
        raise ValueError(str(e)) from None


def _loop_names() -> tuple[str, ...]:
    from appliance.music.loops import loop_names

    return ("", *loop_names())


@dataclass(frozen=True, slots=True)
class LoopSettings:
    """The accompaniment loop: which, how loud, and whether it waits for the client."""

    name: str = setting(
        "", str, "a name from `tonic loops`; empty: none chosen", Named(_loop_name, _loop_names)
    )
    volume: float = setting(
        0.7, float, "0..1; at 1 the loop is still well under a client's notes", in_range(0.0, 1.0)
    )
    play: bool = setting(False, bool, "start the loop when this profile is loaded")
    wait: bool = setting(False, bool, "wait for me: the chords move on only while the client plays")
    wait_beats: int = setting(
        0,
        int,
        "wait mode: a bar moves on if the client played in it (0) or the last N beats",
        in_range(0, 16),
    )


class TurnPass(StrEnum):
    """When the turn passes to the next player."""

    NOTES = "notes"  # after the player has played ``notes`` notes
    PHRASE = "phrase"  # after a song phrase (sequence mode) or a bar of the loop
    TIME = "time"  # after ``seconds``
    COMMAND = "command"  # only when the therapist says (`turn next`)


class TurnCue(StrEnum):
    """What marks a handover, gently."""

    CHIME = "chime"  # a soft chime
    NOTE = "note"  # the next player's own first note, softly
    NONE = "none"


@dataclass(frozen=True, slots=True)
class TurnSettings:
    """Turn-taking between players (inputs with a ``player`` number)."""

    pass_after: TurnPass = setting(TurnPass.NOTES, TurnPass, "notes, phrase, time or command")
    notes: int = setting(4, int, "notes in a turn (pass_after = notes)", in_range(1, 64))
    seconds: float = setting(
        15.0, float, "length of a turn (pass_after = time)", in_range(2.0, 300.0)
    )
    cue: TurnCue = setting(TurnCue.CHIME, TurnCue, "chime, note or none")


#: The sections a profile has, by their name in files and ``set`` paths.
SECTIONS: dict[str, type] = {"loop": LoopSettings, "turns": TurnSettings}
