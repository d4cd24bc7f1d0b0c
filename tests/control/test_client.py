"""The synchronous client, and ``tonic ctl`` on top of it, against a real server."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from control.harness import HANG_S, LineClient, wait_until

from appliance.cli import main
from appliance.cli.ctl import CtlUsageError, parse_params, readable, spoken, status_summary
from appliance.control.api import ControlError, ErrorCode
from appliance.control.client import (
    ControlClient,
    ControlTimeout,
    ServiceNotRunning,
    default_socket_path,
)

TONIC = Path(sys.executable).with_name("tonic")

# -- the client -----------------------------------------------------------------------


def test_call_returns_the_result_and_reuses_its_connection(server, api):
    with ControlClient(server.path) as client:
        assert client.call("set", {"key": "G"}) == {"changed": ["key"]}
        assert client.call("status")["key"] == "G"
        assert server.client_count() == 1


def test_an_error_reply_raises_control_error_with_its_code(server):
    with ControlClient(server.path) as client, pytest.raises(ControlError) as caught:
        client.call("set", {"key": "H#"})
    assert caught.value.code == ErrorCode.REFUSED
    assert "unknown note name 'H#'" in caught.value.message


def test_no_socket_means_not_running_said_plainly(sock_dir):
    path = sock_dir / "none.sock"
    with pytest.raises(ServiceNotRunning) as caught:
        ControlClient(path).call("status")
    assert str(caught.value) == f"the Tonic service is not running (no socket at {path})"
    assert isinstance(caught.value, ConnectionError)


def test_a_socket_nobody_answers_on_means_not_running(sock_dir):
    path = sock_dir / "dead.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))
    dead.close()
    with pytest.raises(ServiceNotRunning):
        ControlClient(path).call("status")


def test_a_call_not_answered_in_time_times_out_and_the_next_call_works(server, api):
    with ControlClient(server.path) as client:
        with pytest.raises(ControlTimeout):
            client.call("slow", timeout=0.2)
        api.gate.set()
        assert client.call("status")["key"] == "C"


def test_events_yields_the_stream_and_keeps_events_met_during_a_call(server, api):
    with ControlClient(server.path) as client:
        client.subscribe()
        api.emit({"event": "press", "input": "switch:1"})
        assert client.call("status")["key"] == "C"  # the event arrives meanwhile, or after
        api.emit({"event": "release", "input": "switch:1"})
        stream = client.events(timeout=HANG_S)
        assert [next(stream)["event"], next(stream)["event"]] == ["press", "release"]


def test_the_socket_comes_from_the_environment_first(monkeypatch):
    monkeypatch.setenv("TONIC_SOCKET", "/somewhere/else.sock")
    assert default_socket_path() == Path("/somewhere/else.sock")
    monkeypatch.delenv("TONIC_SOCKET")
    monkeypatch.setenv("RUNTIME_DIRECTORY", "/run/tonic")
    assert default_socket_path() == Path("/run/tonic/control.sock")


def test_the_client_loads_nothing_of_the_engine_the_synth_or_the_inputs():
    code = (
        "import sys\n"
        "from appliance.control.client import ControlClient, default_socket_path\n"
        "default_socket_path()\n"
        "heavy = ('appliance.engine', 'appliance.sound', 'appliance.inputs', 'appliance.box',"
        " 'fluidsynth', 'numpy', 'gpiozero')\n"
        "print([m for m in sys.modules if m.startswith(heavy)])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"


# -- tonic ctl ------------------------------------------------------------------------


def ctl(server, *args: str) -> int:
    return main(["ctl", "--socket", str(server.path), *args])


def test_ctl_status_prints_a_short_summary(server, capsys):
    assert ctl(server, "status") == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "profile: Test room",
        "key: C major",
        "volume: 0.60",
        "inputs:",
        "  switch:1  note",
    ]


def test_ctl_json_prints_the_raw_result(server, api, capsys):
    assert ctl(server, "--json", "status") == 0
    assert json.loads(capsys.readouterr().out) == api.status({})


def test_ctl_set_sends_key_value_pairs_as_text(server, api, capsys):
    assert ctl(server, "set", "key=G", "switch:1.mode=latch") == 0
    assert api.settings["key"] == "G" and api.settings["switch:1.mode"] == "latch"
    assert capsys.readouterr().out.splitlines() == ["changed:", "  - key", "  - switch:1.mode"]
    assert ctl(server, "status") == 0
    assert "profile: Test room (unsaved changes)" in capsys.readouterr().out


def test_ctl_refusal_is_one_line_and_a_nonzero_exit(server, api, capsys):
    assert ctl(server, "set", "key=H#") == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "tonic: error: key: unknown note name 'H#'\n"
    assert api.settings["key"] == "C"


def test_ctl_with_no_service_says_so(sock_dir, capsys):
    path = sock_dir / "none.sock"
    assert main(["ctl", "--socket", str(path), "status"]) == 2
    err = capsys.readouterr().err
    assert err == f"tonic: error: the Tonic service is not running (no socket at {path})\n"


def test_ctl_takes_the_socket_from_the_environment(server, monkeypatch, capsys):
    monkeypatch.setenv("TONIC_SOCKET", str(server.path))
    assert main(["ctl", "--json", "echo", "a=1"]) == 0
    assert json.loads(capsys.readouterr().out) == {"a": "1"}


def test_ctl_other_results_are_indented_lines(server, capsys):
    assert ctl(server, "echo", "name=First steps", "n:=3", 'tags:=["a", "b"]') == 0
    assert capsys.readouterr().out.splitlines() == [
        "name: First steps",
        "n: 3",
        "tags:",
        "  - a",
        "  - b",
    ]


def test_params_are_text_unless_given_as_json():
    assert parse_params(["key=G", "switch:2.mode=latch", "name=007", "flag=true"]) == {
        "key": "G",
        "switch:2.mode": "latch",
        "name": "007",
        "flag": "true",
    }
    assert parse_params(["n:=3", "on:=true", "x:=null", "eq=a=b"]) == {
        "n": 3,
        "on": True,
        "x": None,
        "eq": "a=b",
    }


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (["key"], "expected KEY=VALUE"),
        (["=G"], "expected KEY=VALUE"),
        (["key=G", "key=D"], "given twice"),
        (["n:=three"], "not a JSON value"),
    ],
)
def test_bad_params_are_refused_before_connecting(pairs, message):
    with pytest.raises(CtlUsageError, match=message):
        parse_params(pairs)


def test_ctl_subscribe_prints_one_json_line_per_event_until_the_box_stops(server, api, capsys):
    def produce() -> None:
        wait_until(lambda: server.queued_events() == [0], "ctl subscribed")
        for n in range(3):
            api.emit({"event": "note_on", "input": "switch:1", "note": 60 + n})
        # The loop delivers events in the order they were handed over: once a later
        # request is answered, the events are in ctl's socket.
        LineClient(server.path).request("status")
        server.stop()

    producer = threading.Thread(target=produce)
    producer.start()
    assert ctl(server, "subscribe") == 1
    producer.join(HANG_S)
    out, err = capsys.readouterr()
    assert [json.loads(line)["note"] for line in out.splitlines()] == [60, 61, 62]
    assert err == "tonic: the service closed the event stream\n"


@pytest.mark.skipif(not TONIC.exists(), reason="the tonic command is not installed in this venv")
def test_ctl_subscribe_ends_quietly_on_ctrl_c(server):
    proc = subprocess.Popen(
        [str(TONIC), "ctl", "--socket", str(server.path), "subscribe"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "CI": "true"},
    )
    try:
        wait_until(lambda: server.queued_events() == [0], "ctl subscribed")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=HANG_S * 3)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert b"Traceback" not in out + err


# -- the accompaniment, said in words ---------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "call"),
    [
        (["loop", "start"], ("loop.start", [])),
        (["loop", "start", "calypso"], ("loop.start", ["name=calypso"])),
        (["loop", "start", "sea", "shanty"], ("loop.start", ["name=sea shanty"])),
        (["loop", "start", "name=waltz"], ("loop.start", ["name=waltz"])),
        (["loop", "stop"], ("loop.stop", [])),
        (["song", "start", "twinkle_twinkle"], ("song.start", ["name=twinkle_twinkle"])),
        (["song", "stop"], ("song.stop", [])),
        (["turn", "next"], ("turn.next", [])),
        (["loops"], ("loops.list", [])),
        (["songs"], ("songs.list", [])),
        (["loop.start", "name=calypso"], ("loop.start", ["name=calypso"])),
        (["set", "loop.name=calypso"], ("set", ["loop.name=calypso"])),
    ],
)
def test_the_accompaniment_is_said_as_a_script_says_it(typed, call):
    assert spoken(typed[0], typed[1:]) == call


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (["loop"], "loop takes start or stop"),
        (["loop", "play"], "loop takes start or stop"),
        (["loop", "stop", "calypso"], "loop stop takes no name"),
        (["song", "start"], "song start needs a name"),
        (["turn", "next", "2"], "turn next takes no name"),
    ],
)
def test_an_accompaniment_command_said_wrongly_is_refused_before_connecting(typed, message):
    with pytest.raises(CtlUsageError, match=message):
        spoken(typed[0], typed[1:])


def test_ctl_loop_start_calls_loop_start_with_the_name(sock_dir, capsys):
    # No box at this path: the words were understood, and the call was what failed.
    assert main(["ctl", "--socket", str(sock_dir / "none.sock"), "loop", "start", "calypso"]) == 2
    assert "not running" in capsys.readouterr().err
    assert main(["ctl", "--socket", str(sock_dir / "none.sock"), "loop", "dance"]) == 2
    assert (
        capsys.readouterr().err == "tonic: error: loop takes start or stop: tonic ctl loop start\n"
    )


def test_the_status_summary_names_the_loop_playing_and_whose_turn_it_is():
    status = {"profile": "Sam", "key": "D", "scale": "major", "inputs": []}
    assert "loop: calypso, bar 5" in status_summary({**status, "loop": "calypso, bar 5"})
    assert "loop: none playing" in status_summary({**status, "loop": ""})
    assert not any(line.startswith("loop") for line in status_summary(status))
    turns = status_summary({**status, "loop": "", "turns": "player 2's turn"})
    assert "turns: player 2's turn" in turns


def test_loops_and_songs_print_a_line_each_as_tonic_loops_does():
    loops = [
        {"name": "calypso", "title": "Calypso", "mood": "bright", "metre": "4/4", "tempo": 104}
    ]
    assert readable("loops.list", loops) == ["calypso                   4/4   104 bpm  bright"]
    songs = [{"name": "ode_to_joy", "title": "Ode to Joy", "metre": "4/4", "tempo": 100}]
    assert readable("songs.list", songs) == ["ode_to_joy                4/4   100 bpm  Ode to Joy"]
    assert readable("loop.stop", {"loop": "calypso, bar 2"}) == [
        "stopping at the end of the bar: calypso, bar 2"
    ]
    assert readable("song.stop", {"loop": ""}) == ["stopped"]
