"""``tonic demo``: a scripted session through the real box, on mock pins."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import mido
import pytest
from audio_analysis import dominant_hz, midi_hz, read_wav, rms

from appliance.config import BoxConfig
from appliance.errors import ScriptError
from appliance.events import (
    BeamReading,
    DevicePlugged,
    DeviceUnplugged,
    Pressed,
    Released,
    SetSetting,
)
from appliance.profile import default_profile
from appliance.session.demo import DEMO_SCRIPT, midi_path, run_demo
from appliance.session.midi_record import playback_options
from appliance.session.render import check_script
from appliance.session.script import parse_script
from appliance.sound.fluid import AudioSettings
from appliance.sound.wav import WavWriter

TIMGM = "/usr/share/sounds/sf2/TimGM6mb.sf2"

# A press, a latch and a key change in 1.5 s. Default profile: switch:1 is a
# marimba on degree 1 (C4, then G4 in G), switch:2 a vibraphone on degree 3 (E4).
SHORT_SCRIPT = """\
0.10  switch:1 press
0.40  switch:1 release
0.45  set switch:2.mode=latch
0.50  switch:2 press
0.55  switch:2 release
0.80  switch:2 press      # the latched E4 stops
0.85  switch:2 release
0.90  set key=G
1.00  switch:1 press
1.35  switch:1 release
1.50  end
"""


@pytest.fixture(scope="module")
def short_demo(tmp_path_factory):
    """Run the short demo once (it takes real time) and share what it left."""
    out = tmp_path_factory.mktemp("demo") / "demo.wav"
    stream = io.StringIO()
    result = run_demo(
        BoxConfig(soundfont=TIMGM),
        default_profile(),
        out,
        soundfont=TIMGM,
        live=False,
        stream=stream,
        script=parse_script(SHORT_SCRIPT, "short"),
    )
    audio, rate = read_wav(out)
    return result, stream.getvalue(), audio, rate, out


def test_the_demo_leaves_a_wav_that_sounds_and_does_not_clip(short_demo):
    result, _, audio, rate, out = short_demo
    assert result.wav == out and out.is_file()
    # No temp file left; the MIDI record beside the WAV.
    assert sorted(p.name for p in out.parent.iterdir()) == ["demo.mid", "demo.wav"]
    assert rate == 48000
    assert result.live is False
    # 1.5 s of script and the box's stop: real time, give or take the machine.
    assert 1.5 <= result.seconds <= 3.0
    assert len(audio) / rate == pytest.approx(result.seconds, abs=1e-3)
    assert rms(audio) > 0.005 and result.rms > 0.005
    assert float(abs(audio).max()) < 0.999 and result.peak < 0.999


def test_the_demo_audio_has_each_note_where_the_script_put_it(short_demo):
    _, _, audio, rate, _ = short_demo

    def heard(start_s: float, end_s: float) -> float:
        return dominant_hz(audio[int(start_s * rate) : int(end_s * rate)], rate)

    assert heard(0.18, 0.38) == pytest.approx(midi_hz(60), rel=0.01)  # C4, marimba
    assert heard(0.6, 0.8) == pytest.approx(midi_hz(64), rel=0.01)  # E4, latched vibraphone
    assert heard(1.08, 1.3) == pytest.approx(midi_hz(67), rel=0.01)  # G4 after the key change


def test_the_account_names_inputs_notes_and_instruments(short_demo):
    result, text, _, _, _ = short_demo
    lines = text.splitlines()
    played = [line for line in lines if " plays " in line]
    assert len(played) == 3
    assert "switch:1" in played[0] and "plays C4" in played[0] and "on Marimba" in played[0]
    assert "switch:2" in played[1] and "plays E4" in played[1] and "on Vibraphone" in played[1]
    assert "switch:1" in played[2] and "plays G4" in played[2] and "on Marimba" in played[2]
    assert any("therapist" in line and "set switch:2.mode=latch" in line for line in lines)
    assert any("therapist" in line and "set key=G" in line for line in lines)
    assert any("switch:2" in line and "stops E4" in line for line in lines)
    assert result.notes_by_input == {"switch:1": 2, "switch:2": 1}


def test_the_demo_leaves_its_midi_record_beside_the_wav(short_demo):
    result, _, _, _, out = short_demo
    assert result.midi == out.with_suffix(".mid")
    record = mido.MidiFile(result.midi)
    messages = [m for m in record if not m.is_meta]
    notes = [(m.channel, m.note) for m in messages if m.type == "note_on"]
    programs = {m.channel: m.program for m in messages if m.type == "program_change"}
    # C4 on the marimba (program 12), E4 on the vibraphone (11), G4 on the marimba.
    assert [note for _, note in notes] == [60, 64, 67]
    assert [programs[channel] for channel, _ in notes] == [12, 11, 12]
    assert playback_options(result.midi)[:2] == ("-r", "48000")
    # Timed from the session's start, as the account prints it, and as long as the WAV.
    first = next(i for i, m in enumerate(record) if m.type == "note_on")
    assert sum(m.time for m in list(record)[: first + 1]) == pytest.approx(0.10, abs=0.05)
    assert record.length == pytest.approx(result.seconds, abs=0.01)


@pytest.mark.parametrize(
    ("wav", "midi"),
    [("demo.wav", "demo.mid"), ("session", "session.mid"), ("take.mid", "take.mid.mid")],
)
def test_the_midi_record_is_named_after_the_wav_and_never_is_the_wav(wav, midi):
    assert midi_path(Path("out") / wav) == Path("out") / midi


def test_without_a_sound_card_the_demo_says_so_and_still_writes_the_wav(tmp_path):
    out = tmp_path / "demo.wav"
    stream = io.StringIO()
    config = BoxConfig(soundfont=TIMGM, audio=AudioSettings(device="tonic_test_no_such_device"))
    script = parse_script("0.05 switch:4 press\n0.35 switch:4 release\n0.4 end\n")
    result = run_demo(config, default_profile(), out, live=True, stream=stream, script=script)
    text = stream.getvalue()
    assert text.startswith("no audio device (alsa tonic_test_no_such_device): ")
    assert f"No sound card, so the demo is heard only in {out}." in text
    assert result.live is False
    assert result.notes_by_input == {"switch:4": 1}
    audio, rate = read_wav(out)
    # switch:4 is a flute on degree 6: C5.
    assert dominant_hz(audio[int(0.12 * rate) : int(0.35 * rate)], rate) == pytest.approx(
        midi_hz(72), rel=0.01
    )


# --- the built-in demo, parsed but not played --------------------------------------


def test_the_built_in_demo_script_is_a_half_minute_tour_of_the_box():
    script = parse_script(DEMO_SCRIPT, "demo")
    config, profile = BoxConfig(), default_profile()
    check_script(script, profile, config, "demo")  # every input and setting is valid here
    assert script.end is not None and 25.0 <= script.end <= 32.0

    modes_played: set[str] = set()
    pressed: set[str] = set()
    keys: list[str] = []
    for line in script.lines:
        event = line.event
        if isinstance(event, SetSetting):
            profile = profile.with_setting(event.path, event.value)
            if event.path == "key":
                keys.append(event.value)
        elif isinstance(event, Pressed):
            assert event.source not in pressed, f"line {line.number}: pressed twice"
            pressed.add(event.source)
            modes_played.add(str(profile.settings_for(event.source).mode))
        elif isinstance(event, Released):
            assert event.source in pressed, f"line {line.number}: released while up"
            pressed.discard(event.source)
    assert pressed == set(), "a switch is left held at the end"
    played = {e.source for e in (ln.event for ln in script.lines) if isinstance(e, Pressed)}
    switches = {i for i in config.input_ids() if i.startswith("switch:")}
    assert switches <= played  # every switch
    assert any(i.startswith("pad:") for i in played)  # pads too
    beam = [e for e in (ln.event for ln in script.lines) if isinstance(e, BeamReading)]
    assert len({e.distance for e in beam}) >= 5  # a sweep through the beam
    assert beam[-1].distance is None  # and the hand leaves it
    assert modes_played == {"note", "latch", "chord"}
    assert keys and keys[0] != default_profile().key  # the key moves, and comes home
    assert keys[-1] == default_profile().key
    # A therapist's keyboard plays chords the clients follow, and is unplugged.
    events = [ln.event for ln in script.lines]
    assert any(isinstance(e, DevicePlugged) and e.role == "therapist" for e in events)
    assert profile.harmony == "therapist"
    assert isinstance(events[-1], DeviceUnplugged)


# --- when the demo goes wrong ---------------------------------------------------------


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_script_for_a_switch_the_box_lacks_is_refused_in_one_line(tmp_path):
    out = tmp_path / "demo.wav"
    config = BoxConfig(switch_pins=(17, 27, 22), soundfont=TIMGM)
    script = parse_script("0.0 switch:4 press\n0.1 switch:4 release\n0.2 end\n", "demo")
    with pytest.raises(ScriptError, match="switch:4"):
        run_demo(config, default_profile(), out, live=False, stream=io.StringIO(), script=script)
    assert list(tmp_path.iterdir()) == []


class _BrokenPipe(io.StringIO):
    """A stream like ``tonic demo | head -1`` once head has gone."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_failing_demo_stops_its_audio_before_discarding_the_wav(tmp_path, monkeypatch):
    out = tmp_path / "demo.wav"
    thread_errors: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: thread_errors.append(args.exc_value))
    audio_running_at_discard: list[bool] = []
    real_discard = WavWriter.discard

    def discard(self: WavWriter) -> None:
        audio_running_at_discard.append(
            any(t.name == "tonic-audio" and t.is_alive() for t in threading.enumerate())
        )
        real_discard(self)

    monkeypatch.setattr(WavWriter, "discard", discard)
    script = parse_script("0.0 switch:1 press\n0.1 switch:1 release\n0.2 end\n", "demo")
    with pytest.raises(BrokenPipeError):
        run_demo(
            BoxConfig(soundfont=TIMGM),
            default_profile(),
            out,
            live=False,
            stream=_BrokenPipe(),
            script=script,
        )
    assert list(tmp_path.iterdir()) == []
    assert audio_running_at_discard and not any(audio_running_at_discard)
    assert thread_errors == []


KEYBOARD_SCRIPT = """\
0.0 set harmony=therapist
0.0 midi:keys plug therapist
0.1 midi:keys note 57 70
0.1 midi:keys note 60 70
0.1 midi:keys note 64 70
0.3 switch:2 press
0.5 switch:2 release
0.6 midi:keys unplug
0.8 end
"""


def test_the_demo_plays_a_therapist_keyboard_through_the_midi_ports_and_clients_follow_it(
    tmp_path,
):
    stream = io.StringIO()
    result = run_demo(
        BoxConfig(soundfont=TIMGM),
        default_profile(),
        tmp_path / "demo.wav",
        soundfont=TIMGM,
        live=False,
        stream=stream,
        script=parse_script(KEYBOARD_SCRIPT, "keys"),
    )
    text = stream.getvalue()
    assert "midi:keys  holds A minor: every client input follows it" in text
    # Switch 2 plays E4 in C major pentatonic: a tone of A minor, so it stays.
    switch = [line for line in text.splitlines() if "switch:2" in line and " plays " in line]
    assert len(switch) == 1 and "plays E4" in switch[0]
    assert result.notes_by_input["midi:keys"] == 3
    # Unplugged with its keys down: every key's note stopped.
    assert sum("midi:keys  stops" in line for line in text.splitlines()) == 3
