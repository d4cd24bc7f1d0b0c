"""``tonic demo``: a scripted session through the real box, on mock pins."""

from __future__ import annotations

import io
import json
import threading
from collections import Counter
from pathlib import Path

import mido
import numpy as np
import pytest
from audio_analysis import dominant_hz, midi_hz, read_wav, rms

from appliance.config import BoxConfig
from appliance.engine.accompaniment import LOOP_CHANNELS
from appliance.engine.song_player import CHORD_CHANNEL, MELODY_CHANNEL
from appliance.errors import ScriptError
from appliance.events import (
    BandAction,
    BandCommand,
    BeamReading,
    DevicePlugged,
    DeviceUnplugged,
    Pressed,
    Released,
    SetSetting,
    SoundKind,
)
from appliance.music.loop import PartRole
from appliance.profile import default_profile
from appliance.session.demo import DEMO_SCRIPT, midi_path, run_demo
from appliance.session.midi_record import playback_options
from appliance.session.render import check_script, render_script
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


def test_the_built_in_demo_script_is_a_tour_of_the_box_in_under_a_minute():
    script = parse_script(DEMO_SCRIPT, "demo")
    config, profile = BoxConfig(), default_profile()
    check_script(script, profile, config, "demo")  # every input and setting is valid here
    assert script.end is not None and 40.0 <= script.end <= 46.0

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
    assert modes_played == {"note", "latch", "chord", "sequence"}
    assert keys and keys[0] != default_profile().key  # the key moves, and comes home
    assert keys[-1] == default_profile().key
    # A therapist's keyboard plays chords the clients follow, and is unplugged.
    events = [ln.event for ln in script.lines]
    assert any(isinstance(e, DevicePlugged) and e.role == "therapist" for e in events)
    assert any(isinstance(e, DeviceUnplugged) for e in events)
    # Then the band: a loop the clients play over, locked to its chords, and a
    # song the box plays by itself, each stopped by the therapist.
    band = [(e.action, e.name) for e in events if isinstance(e, BandCommand)]
    assert band == [
        (BandAction.LOOP_START, "gentle_pulse"),
        (BandAction.LOOP_STOP, ""),
        (BandAction.SONG_START, "hot_cross_buns"),
        (BandAction.SONG_STOP, ""),
    ]
    assert profile.harmony == "loop"
    loop_start = next(e.t for e in events if isinstance(e, BandCommand))
    assert sum(isinstance(e, Pressed) and e.t > loop_start for e in events) >= 10


# --- the built-in demo, rendered offline through the same engine -------------------

TWINKLE_IN_C = [60, 60, 67, 67, 69, 69, 67]  # "Twinkle, twinkle, little star"
HOT_CROSS_BUNS_TWO_BARS = [64, 62, 60, 64, 62, 60]
#: The loudest a demo may be: well short of full scale, so nothing clips.
PEAK_MAX = 0.9
#: The longest the demo may fall silent between its first note and its last.
SILENCE_MAX_S = 1.0
SILENT_DBFS = -50.0  # quieter than this, a 50 ms stretch counts as silence
WINDOW_S = 0.05


@pytest.fixture(scope="module")
def rendered_demo(tmp_path_factory):
    """The built-in demo script rendered offline: the engine's calls, heard."""
    folder = tmp_path_factory.mktemp("rendered")
    out, events = folder / "demo.wav", folder / "demo.jsonl"
    result = render_script(
        parse_script(DEMO_SCRIPT, "demo"), default_profile(), BoxConfig(), out, events_out=events
    )
    audio, rate = read_wav(out)
    return result, audio, rate, [json.loads(line) for line in events.read_text().splitlines()]


def _stuck(events: list[dict]) -> Counter:
    """Notes started and not stopped before the script's end stopped everything."""
    held: Counter = Counter()
    for e in events:
        if e["source"] in ("end", "stop"):
            break
        if e["type"] == "note_on":
            held[e["channel"], e["note"]] += 1
        elif e["type"] == "note_off":
            held[e["channel"], e["note"]] -= 1
    return +held


def _longest_silence_s(audio, rate: int, start_s: float, end_s: float) -> float:
    window = int(WINDOW_S * rate)
    mono = audio[int(start_s * rate) : int(end_s * rate)].mean(axis=1)
    count = len(mono) // window
    levels = np.sqrt((mono[: count * window].reshape(count, window) ** 2).mean(axis=1))
    longest = run = 0
    for quiet in 20 * np.log10(levels + 1e-12) < SILENT_DBFS:
        run = run + 1 if quiet else 0
        longest = max(longest, run)
    return longest * WINDOW_S


def test_the_demo_sounds_musical_no_clipping_no_silence_no_stuck_notes(rendered_demo):
    result, audio, rate, events = rendered_demo
    assert result.peak < PEAK_MAX
    notes = [e for e in events if e["type"] in ("note_on", "note_off")]
    first, last = notes[0]["t"], notes[-1]["t"]
    assert _longest_silence_s(audio, rate, first, last) <= SILENCE_MAX_S
    assert _stuck(events) == Counter()


def test_the_demo_plays_a_loop_the_clients_fit_then_twinkle_then_a_song(rendered_demo):
    _, _, _, events = rendered_demo
    ons = [e for e in events if e["type"] == "note_on"]
    script = parse_script(DEMO_SCRIPT, "demo")
    band = {e.action: e.t for e in (ln.event for ln in script.lines) if isinstance(e, BandCommand)}

    loop = [e for e in ons if e["source"] == "loop"]
    assert {e["channel"] for e in loop} == set(LOOP_CHANNELS.values())
    assert (
        band[BandAction.LOOP_START] < loop[0]["t"] and loop[-1]["t"] < band[BandAction.SONG_START]
    )
    # Each bar's chord is the one its pad holds; every client note in the bar is of it.
    pad = LOOP_CHANNELS[PartRole.PAD]
    bars: dict[float, set[int]] = {}
    for e in loop:
        if e["channel"] == pad:
            bars.setdefault(e["t"], set()).add(e["note"] % 12)
    assert [sorted(tones) for _, tones in sorted(bars.items())] == [[0, 4, 7], [0, 5, 9], [0, 4, 7]]
    clients = [
        e
        for e in ons
        if ":" in e["source"] and loop[0]["t"] <= e["t"] <= band[BandAction.LOOP_STOP]
    ]
    assert len(clients) >= 8
    for e in clients:
        tones = [tones for t, tones in sorted(bars.items()) if t <= e["t"]][-1]
        assert e["note"] % 12 in tones, e

    # Switch 4 steps through Twinkle Twinkle, a note a press, over the loop's last bar.
    steps = [e for e in ons if e["source"] == "switch:4" and e["t"] > loop[0]["t"]]
    assert [e["note"] for e in steps] == TWINKLE_IN_C
    assert all(band[BandAction.LOOP_STOP] - 1 < e["t"] < band[BandAction.SONG_START] for e in steps)
    # Then the box plays Hot Cross Buns by itself until the therapist stops it.
    song = [e for e in ons if e["source"] == "song"]
    melody = [e["note"] for e in song if e["channel"] == MELODY_CHANNEL]
    assert melody == HOT_CROSS_BUNS_TWO_BARS
    assert band[BandAction.SONG_START] < song[0]["t"]


# --- the band, live: a short session through the real box ----------------------------

# At 160 beats a minute a march's bar is 0.75 s and a song's 1.5 s, so a
# loop, a few song steps and a song fit in four seconds.
BAND_SCRIPT = """\
0.00 set tempo=160
0.00 set harmony=loop
0.00 set switch:4.mode=sequence
0.00 set switch:4.accompany=false
0.00 loop start march
0.30 switch:1 press
0.50 switch:1 release
0.55 loop stop
0.60 switch:4 press
0.75 switch:4 release
0.80 switch:4 press
0.95 switch:4 release
1.00 switch:4 press
1.15 switch:4 release
1.20 song start hot_cross_buns
1.85 switch:2 press
2.00 switch:2 release
2.20 song stop
3.40 end
"""


@pytest.fixture(scope="module")
def band_demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("band") / "demo.wav"
    stream = io.StringIO()
    result = run_demo(
        BoxConfig(soundfont=TIMGM),
        default_profile(),
        out,
        soundfont=TIMGM,
        live=False,
        stream=stream,
        script=parse_script(BAND_SCRIPT, "band"),
    )
    return result, stream.getvalue()


def test_the_demo_tells_the_loop_by_its_bars_and_the_song_by_its_tune(band_demo):
    result, text = band_demo
    said = [line[8:].strip() for line in text.splitlines()]  # without the times
    assert "therapist  loop start march" in said
    assert any(
        line.startswith("loop       March begins (proud, steady, 160 beats") for line in said
    )
    assert "loop       a bar of C major" in said
    assert "therapist  loop stop: it ends at the bar line" in said
    assert "loop       ends" in said
    steps = [line.split()[2] for line in said if line.startswith("switch:4   plays")]
    assert steps == ["C4", "C4", "G4"]
    assert any(line.startswith("song       Hot Cross Buns begins, in C") for line in said)
    assert "song       plays E4   on Flute over C major" in said
    assert "song       plays D4   on Flute over G major" in said
    assert "song       ends" in said
    # The band's notes are counted, not told one a line.
    assert result.notes_by_input["loop"] > sum(line.startswith("loop ") for line in said)
    assert result.notes_by_input["song"] > 0


def test_the_demo_record_holds_the_band_and_no_stuck_notes(band_demo):
    result, _ = band_demo
    ons = [e for e in result.events if e.type is SoundKind.NOTE_ON]
    assert {e.channel for e in ons if e.source == "loop"} == set(LOOP_CHANNELS.values())
    song = [e for e in ons if e.source == "song"]
    assert [e.note for e in song if e.channel == MELODY_CHANNEL][:2] == [64, 62]
    # Switch 2 plays over the song: its note is of the song's chord sounding then.
    (client,) = [e for e in ons if e.source == "switch:2"]
    chords: dict[float, set[int]] = {}
    for e in song:
        if e.channel == CHORD_CHANNEL and e.t <= client.t and e.note is not None:
            chords.setdefault(e.t, set()).add(e.note % 12)
    assert client.note is not None and client.note % 12 in chords[max(chords)]
    held: Counter = Counter()
    for e in result.events:
        if e.type is SoundKind.NOTE_ON:
            held[e.channel, e.note] += 1
        elif e.type is SoundKind.NOTE_OFF:
            held[e.channel, e.note] -= 1
    assert +held == Counter()
    # The MIDI record holds the same notes, each stopped.
    record = [m for m in mido.MidiFile(result.midi) if m.type in ("note_on", "note_off")]
    assert sum(m.type == "note_on" and m.velocity > 0 for m in record) == len(ons)
    assert result.peak < PEAK_MAX


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
