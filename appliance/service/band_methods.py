"""The control socket's accompaniment methods: the loop, familiar songs, turns.

Each command is checked here, on the server's worker, before the engine sees
it: an unknown loop or song is refused with the nearest name ("did you
mean 'calypso'?"), so a typo never reaches the music. The command then goes to
the engine as a :class:`~appliance.events.BandCommand`, as a script's
``loop start`` does, on the engine's owner thread.

The engine never raises to its callers (a bad event is noted and dropped, the
music plays on), so a command it could not carry out (a song while no input
plays one) is read back from its error count in the same hop, and answered
``REFUSED`` with the engine's own reason.

``loops.list`` and ``songs.list`` give the setup UI what ``tonic loops`` and
``tonic songs`` print, so it can offer them without reading the box's files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from appliance.control.api import ControlError, ErrorCode, Handler, Params
from appliance.events import BandAction, BandCommand
from appliance.music.loops import all_loops, loop_named
from appliance.music.songs import all_songs, song_named
from appliance.service.params import bad, no_params, text_param

if TYPE_CHECKING:
    from appliance.engine.status import EngineStatus
    from appliance.service.methods import BoxApi

#: Longer than any loop's or song's name; a longer one is not worth a did-you-mean.
MAX_NAME_CHARS = 64


class BandMethods:
    def __init__(self, api: BoxApi) -> None:
        self.api = api

    def methods(self) -> dict[str, Handler]:
        return {
            "loop.start": self.loop_start,
            "loop.stop": self.loop_stop,
            "song.start": self.song_start,
            "song.stop": self.song_stop,
            "turn.next": self.turn_next,
            "loops.list": self.loops_list,
            "songs.list": self.songs_list,
        }

    # -- commands ----------------------------------------------------------------------------

    def loop_start(self, params: Params) -> dict[str, Any]:
        """Start a loop by name, or the profile's own (``loop.name``) when none is given."""
        _only(params, "name")
        name = _name(params, required=False)
        if name:
            name = loop_named(name).name  # a TonicError: REFUSED, with the did-you-mean
        return {"loop": self._command(BandAction.LOOP_START, name).loop}

    def loop_stop(self, params: Params) -> dict[str, Any]:
        no_params(params)
        return {"loop": self._command(BandAction.LOOP_STOP).loop}

    def song_start(self, params: Params) -> dict[str, Any]:
        _only(params, "name")
        name = song_named(_name(params, required=True)).name
        return {"song": name, "loop": self._command(BandAction.SONG_START, name).loop}

    def song_stop(self, params: Params) -> dict[str, Any]:
        no_params(params)
        return {"loop": self._command(BandAction.SONG_STOP).loop}

    def turn_next(self, params: Params) -> dict[str, Any]:
        no_params(params)
        after = self._command(BandAction.TURN_NEXT)
        return {"turns": str(getattr(after, "turns", ""))}  # whose turn it is now

    # -- what there is -----------------------------------------------------------------------

    def loops_list(self, params: Params) -> list[dict[str, Any]]:
        no_params(params)
        return [
            {
                "name": loop.name,
                "title": loop.title,
                "mood": loop.mood,
                "metre": str(loop.metre),
                "tempo": loop.tempo,
            }
            for loop in all_loops()
        ]

    def songs_list(self, params: Params) -> list[dict[str, Any]]:
        no_params(params)
        return [
            {
                "name": song.name,
                "title": song.title,
                "metre": str(song.metre),
                "tempo": song.tempo,
                "bars": len(song.bars),
            }
            for song in all_songs()
        ]

    # -- inside ------------------------------------------------------------------------------

    def _command(self, action: BandAction, name: str = "") -> EngineStatus:
        """Hand the engine one command; its status after, or REFUSED with its reason."""
        engine = self.api.box.engine
        event = BandCommand(self.api.clock(), action, name)

        def act() -> tuple[EngineStatus, EngineStatus]:
            before = engine.status()
            engine.handle(event)
            return before, engine.status()

        before, after = self.api.on_engine(act)
        if after.errors > before.errors:
            # The engine notes "BandCommand(t=..., ...): why"; the caller needs the why.
            reason = after.last_error.partition("): ")[2] or after.last_error
            raise ControlError(ErrorCode.REFUSED, reason or f"the box could not {action}")
        # Other clients (a second setup UI) hear of it at once, not at their next status.
        self.api.feed.publish(
            {"event": "band", "action": str(action), "name": name, "loop": after.loop}
        )
        self.api.on_change()
        return after


def _only(params: Params, *names: str) -> None:
    extra = sorted(str(p) for p in params if p not in names)
    if extra:
        raise bad(f"takes only {', '.join(names)}, got {', '.join(extra[:5])}")


def _name(params: Params, *, required: bool) -> str:
    name = text_param(params, "name", required=required, limit=MAX_NAME_CHARS)
    if required and not name.strip():
        raise bad("'name' must not be empty")
    return str(name or "").strip()
