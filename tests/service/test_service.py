"""The service in this process, driven through its control socket as the setup UI drives it."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest
from service.harness import HANG_S

from appliance.control.api import ControlError, ErrorCode
from appliance.control.client import ControlClient
from appliance.events import DevicePlugged, DeviceUnplugged, NoteOn, midi_input_id
from appliance.service.run import Service, ServiceOptions
from appliance.service.systemd import Notifier


def notes(events, kind="note_on"):
    return [e for e in events if e["event"] == kind]


def test_ready_is_sent_once_the_engine_answers(service, notify):
    got = notify.recv(4096).decode()
    assert got.startswith('READY=1\nSTATUS=playing "Default", 4 switches, 12 pads, 1 beam')
    assert service.box is not None and service.box.loop.call(lambda: True)


def test_set_changes_several_settings_together(client):
    result = client.call("set", {"key": "G", "switch:2.mode": "latch"})
    assert result["changed"] == ["key", "switch:2.mode"]
    status = client.call("status")
    assert status["key"] == "G"
    assert next(i for i in status["inputs"] if i["id"] == "switch:2")["mode"] == "latch"
    assert status["unsaved"] is True


def test_a_bad_set_changes_nothing_and_says_why(client):
    with pytest.raises(ControlError) as e:
        client.call("set", {"key": "D", "switch:2.mode": "lach"})
    assert e.value.code == ErrorCode.REFUSED
    assert "switch:2.mode" in e.value.message and "latch" in e.value.message
    assert client.call("status")["key"] == "C"  # all or nothing


@pytest.mark.parametrize(
    "params",
    [{}, {"key": ["G"]}, {"key": None}, {"volume": {"level": 1}}, {"x" * 100: "1"}],
)
def test_set_params_of_the_wrong_shape_are_invalid(client, params):
    with pytest.raises(ControlError) as e:
        client.call("set", params)
    assert e.value.code == ErrorCode.INVALID_PARAMS


def test_input_test_sounds_the_inputs_note_and_stops_it(client, stream):
    client.call("input.test", {"input": "switch:1"})
    seen = stream.until(lambda e: e["event"] == "note_off" and e["input"] == "switch:1")
    on = notes(seen)
    assert [(e["input"], e["name"]) for e in on] == [("switch:1", "C4")]
    assert notes(seen, "note_off")[-1]["note"] == on[0]["note"]


def test_an_unknown_input_is_refused(client):
    with pytest.raises(ControlError) as e:
        client.call("input.test", {"input": "switch:9"})
    assert "switch:9" in e.value.message


def test_simulated_presses_play_and_panic_silences(client, stream):
    client.call("set", {"switch:1.mode": "latch"})
    client.call("simulate.press", {"input": "switch:1"})
    client.call("simulate.release", {"input": "switch:1"})
    stream.until(lambda e: e["event"] == "note_on")
    assert client.call("status")["notes_sounding"] == 1  # latched
    client.call("panic")
    seen = stream.until(lambda e: e["event"] == "all_notes_off")
    assert notes(seen, "note_off") and client.call("status")["notes_sounding"] == 0


def test_profiles_load_save_and_come_back_after_a_restart(service, client, tmp_path, notify):
    names = {p["name"] for p in client.call("profile.list")}
    assert {"First steps", "Calm space"} <= names
    loaded = client.call("profile.load", {"name": "Calm space"})
    assert loaded["slug"] == "calm-space"
    client.call("set", {"key": "D"})
    assert client.call("status")["unsaved"] is True
    client.call("profile.save")
    assert client.call("status")["unsaved"] is False
    service.stop()

    again = Service(
        ServiceOptions(simulate=True, data_dir=tmp_path / "data", socket=str(tmp_path / "c.sock")),
        Notifier(),
    )
    again.start()
    try:
        with ControlClient(tmp_path / "c.sock") as c:
            status = c.call("status")
        assert (status["profile"], status["key"], status["unsaved"]) == ("Calm space", "D", False)
    finally:
        again.stop()


def test_revert_and_save_as(client):
    client.call("set", {"volume": "0.2"})
    client.call("profile.revert")
    assert client.call("status")["volume"] == 0.6
    client.call("set", {"key": "A"})
    saved = client.call("profile.save_as", {"name": "Sam's morning"})
    assert saved["slug"] == "sam-s-morning"
    status = client.call("status")
    assert (status["profile"], status["key"], status["unsaved"]) == ("Sam's morning", "A", False)
    got = client.call("profile.get", {"name": "Sam's morning"})
    assert got["profile"]["key"] == "A" and 'key = "A"' in got["toml"]


@pytest.mark.parametrize("name", ["../../etc/passwd", "/tmp/escape", "a/../../b"])
def test_profile_names_never_leave_the_profiles_folder(client, tmp_path, name):
    with contextlib.suppress(ControlError):
        client.call("profile.save_as", {"name": name})
    written = [p for p in tmp_path.rglob("*.toml") if p.parent.name != "profiles"]
    assert written == []


def test_validate_names_every_problem(client):
    text = 'version = 1\nname = "x"\n[switch.1]\nmode = "lach"\nvelocity = 300\n'
    result = client.call("profile.validate", {"text": text})
    assert result["ok"] is False
    assert any("mode" in p for p in result["problems"])
    assert any("velocity" in p for p in result["problems"])


def watchdog_pings(notify, timeout: float) -> int:
    """WATCHDOG=1 messages that arrive before ``timeout`` passes with nothing; others skipped."""
    notify.settimeout(timeout)
    pings = 0
    try:
        while True:
            pings += notify.recv(4096) == b"WATCHDOG=1"
    except TimeoutError:
        return pings
    finally:
        notify.settimeout(HANG_S)


def test_the_watchdog_stops_when_the_engine_hangs(service, notify):
    service._watchdog(HANG_S)
    assert watchdog_pings(notify, 0.5) == 1
    release = threading.Event()
    assert service.box is not None
    hung = threading.Thread(target=service.box.loop.call, args=(release.wait, None), daemon=True)
    hung.start()
    try:
        # The engine's thread is stuck: the watchdog asks, gets no answer, and stays
        # quiet, so systemd restarts the box once WatchdogSec passes.
        service._watchdog(0.2)
        service._watchdog(0.2)
        assert watchdog_pings(notify, 0.5) == 0
    finally:
        release.set()
        hung.join(HANG_S)
    service._watchdog(HANG_S)
    assert watchdog_pings(notify, 0.5) == 1


def test_hup_restarts_with_a_changed_config_and_keeps_the_unsaved_profile(tmp_path, notify):
    config = tmp_path / "tonic.toml"
    config.write_text("switch_pins = [17, 27, 22, 23]\n")
    sock = str(tmp_path / "c.sock")
    options = ServiceOptions(simulate=True, config=config, data_dir=tmp_path / "d", socket=sock)
    svc = Service(options, Notifier())
    svc.start()
    try:
        with ControlClient(sock) as c:
            c.call("set", {"key": "E"})
        config.write_text("switch_pins = [17, 27]\n")
        svc._reload()
        with ControlClient(sock) as c:
            status = c.call("status")
        switches = [i["id"] for i in status["inputs"] if i["id"].startswith("switch:")]
        assert switches == ["switch:1", "switch:2"]
        assert (status["key"], status["unsaved"]) == ("E", True)

        config.write_text("switch_pins = [17, 17]\nbeams = 3\n")  # broken: kept as it was
        svc._reload()
        with ControlClient(sock) as c:
            assert len([i for i in c.call("status")["inputs"] if "switch" in i["id"]]) == 2
    finally:
        svc.stop()


def test_a_midi_devices_notes_reach_the_stream_and_the_status_as_its_own(service, client, stream):
    loop = service.box.loop
    now = time.monotonic()
    loop.submit(DevicePlugged(now, midi_input_id("keys"), port="Keys"))
    loop.submit(NoteOn(now, midi_input_id("keys"), 60, 90))
    seen = stream.until(lambda e: e["event"] == "note_on" and e["input"] == "midi:keys")
    assert notes(seen)[-1]["name"] == "C4"
    device = next(i for i in client.call("status")["inputs"] if i["id"] == "midi:keys")
    assert (device["mode"], device["active"], device["sounding"]) == ("client", True, ["C4"])
    loop.submit(DeviceUnplugged(time.monotonic(), midi_input_id("keys")))
    stream.until(lambda e: e["event"] == "note_off" and e["input"] == "midi:keys")
    assert client.call("status")["notes_sounding"] == 0
