"""The accompaniment over the control socket: loops and songs listed, a loop started and
stopped, names checked before the engine hears them, the profile's settings in the status."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from service.harness import HANG_S

from appliance.cli import main
from appliance.control.api import ControlError, ErrorCode
from appliance.events import BandAction, BandCommand
from appliance.music.loops import all_loops
from appliance.music.songs import all_songs
from appliance.service.band_methods import BandMethods

#: How often a test looks again at a state the box reaches in its own time.
POLL_S = 0.05


def eventually(condition: Callable[[], object], what: str) -> None:
    """Wait for the box to reach a state; fails only on a hang, never measures."""
    deadline = time.monotonic() + HANG_S
    pause = threading.Event()
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        pause.wait(POLL_S)


def refused(client, method: str, params: dict[str, Any] | None = None) -> ControlError:
    with pytest.raises(ControlError) as e:
        client.call(method, params)
    return e.value


# -- what there is ---------------------------------------------------------------------------


def test_loops_and_songs_are_listed_as_tonic_loops_and_songs_list_them(client):
    loops = client.call("loops.list")
    assert [x["name"] for x in loops] == [x.name for x in all_loops()]
    calypso = next(x for x in loops if x["name"] == "calypso")
    assert calypso == {
        "name": "calypso",
        "title": "Calypso",
        "mood": "bright, dancing",
        "metre": "4/4",
        "tempo": 104,
    }
    songs = client.call("songs.list")
    assert [x["name"] for x in songs] == [x.name for x in all_songs()]
    twinkle = next(x for x in songs if x["name"] == "twinkle_twinkle")
    assert twinkle["title"] == "Twinkle Twinkle Little Star" and twinkle["metre"] == "4/4"
    assert twinkle["bars"] == 12 and isinstance(twinkle["tempo"], int)


# -- the loop ---------------------------------------------------------------------------------


def test_a_loop_started_by_name_plays_shows_in_the_status_and_stops(client, stream):
    started = client.call("loop.start", {"name": "Calypso"})  # names are forgiving
    assert started["loop"].startswith("calypso")
    assert client.call("status")["loop"].startswith("calypso")
    heard = stream.until(lambda e: e["event"] == "note_on" and e["input"] == "loop")
    assert any(e["event"] == "band" and e["action"] == "loop start" for e in heard)
    client.call("loop.stop")  # at the next bar line; its last notes ring out
    eventually(lambda: client.call("status")["loop"] == "", "the loop stopped")
    assert client.call("status")["notes_sounding"] == 0


def test_loop_start_without_a_name_plays_the_profiles_loop(client):
    client.call("set", {"loop.name": "waltz"})
    assert client.call("loop.start")["loop"].startswith("waltz")
    client.call("panic")  # silences the loop at once
    assert client.call("status")["loop"] == ""


def test_an_unknown_loop_is_refused_with_the_nearest_name_and_nothing_plays(client):
    error = refused(client, "loop.start", {"name": "calypsso"})
    assert error.code == ErrorCode.REFUSED
    assert "unknown loop 'calypsso'" in error.message and "did you mean 'calypso'" in error.message
    assert client.call("status")["loop"] == ""


def test_a_song_started_by_name_takes_over_from_the_loop_and_stops(client, stream):
    client.call("loop.start", {"name": "calypso"})
    started = client.call("song.start", {"name": "Twinkle Twinkle"})
    assert started["song"] == "twinkle_twinkle"
    assert started["loop"] == client.call("status")["loop"] == "song: Twinkle Twinkle Little Star"
    stream.until(lambda e: e["event"] == "note_on" and e["input"] == "song")  # it has begun
    client.call("song.stop")  # at the next bar line
    eventually(lambda: client.call("status")["loop"] == "", "the song stopped")


def test_an_unknown_song_is_refused_with_the_nearest_name(client):
    error = refused(client, "song.start", {"name": "twinkle"})
    assert error.code == ErrorCode.REFUSED
    assert "did you mean 'twinkle_twinkle'" in error.message


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("loop.start", {"name": 5}),
        ("loop.start", {"loop": "calypso"}),
        ("loop.start", {"name": "x" * 500}),
        ("loop.stop", {"name": "calypso"}),
        ("song.start", {}),
        ("song.start", {"name": "  "}),
        ("song.stop", {"name": "twinkle_twinkle"}),
        ("turn.next", {"player": 2}),
        ("loops.list", {"all": True}),
        ("songs.list", {"all": True}),
    ],
)
def test_params_of_the_wrong_shape_are_invalid(client, method, params):
    assert refused(client, method, params).code == ErrorCode.INVALID_PARAMS


# -- tonic ctl ------------------------------------------------------------------------------


def test_tonic_ctl_starts_and_stops_the_loop_in_words_and_shows_it(service, tmp_path, capsys):
    sock = str(tmp_path / "c.sock")

    def ctl(*words: str) -> tuple[int, str, str]:
        code = main(["ctl", "--socket", sock, *words])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = ctl("loops")
    assert code == 0 and out.splitlines()[1].split()[:3] == ["calypso", "4/4", "104"]
    assert ctl("loop", "start", "sea", "shanty")[:2] == (0, "loop: sea_shanty, starting\n")
    code, out, _ = ctl("status")
    assert code == 0 and "loop: sea_shanty, " in out
    code, out, _ = ctl("loop", "stop")
    assert code == 0 and out.startswith(("stopping at the end of the bar: sea_shanty", "stopped"))
    code, _, err = ctl("song", "start", "twinkle twinkel")
    assert code == 2 and "did you mean 'twinkle_twinkle'" in err
    ctl("panic")
    assert "loop: none playing" in ctl("status")[1]


# -- the profile's accompaniment in the status ---------------------------------------------


def test_the_status_carries_the_profiles_tempo_harmony_and_loop_settings(client):
    status = client.call("status")
    assert (status["tempo"], status["harmony_from"], status["loop"]) == (0, "scale", "")
    assert status["loop_settings"] == {
        "name": "",
        "volume": 0.7,
        "play": False,
        "wait": False,
        "wait_beats": 0,
    }
    client.call(
        "set",
        {"tempo": "90", "harmony": "loop", "loop.name": "sea shanty", "loop.wait": "true"},
    )
    status = client.call("status")
    assert (status["tempo"], status["harmony_from"]) == (90, "loop")
    assert status["loop_settings"]["name"] == "sea_shanty"
    assert status["loop_settings"]["wait"] is True


# -- a command the engine could not carry out ----------------------------------------------


@dataclass(frozen=True)
class _Status:
    errors: int
    last_error: str
    loop: str = ""


class _Engine:
    """An engine that notes an error for every command, as the real one does for a
    command it cannot carry out (it never raises to its caller)."""

    def __init__(self) -> None:
        self.handled: list[BandCommand] = []

    def status(self) -> _Status:
        n = len(self.handled)
        return _Status(n, f"BandCommand(t=1.0, name=''): no players set up ({n})" if n else "")

    def handle(self, event: BandCommand) -> None:
        self.handled.append(event)


class _Api:
    def __init__(self) -> None:
        self.box = type("Box", (), {"engine": _Engine()})()
        self.feed = type("Feed", (), {"publish": lambda self, event: None})()
        self.changes = 0

    def clock(self) -> float:
        return 1.0

    def on_engine(self, fn: Callable[[], Any]) -> Any:
        return fn()

    def on_change(self) -> None:
        self.changes += 1


def test_a_command_the_engine_could_not_carry_out_is_refused_with_its_reason():
    api = _Api()
    with pytest.raises(ControlError) as e:
        BandMethods(api).methods()["turn.next"]({})  # type: ignore[arg-type]
    assert e.value.code == ErrorCode.REFUSED
    assert e.value.message == "no players set up (1)"
    assert [c.action for c in api.box.engine.handled] == [BandAction.TURN_NEXT]
    assert api.changes == 0
