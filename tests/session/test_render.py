"""``tonic render``: deterministic WAVs and event logs, or no files at all."""

from __future__ import annotations

import json
import os
import wave
from pathlib import Path

import mido
import numpy as np
import pytest
from audio_analysis import read_wav

from appliance.atomic import create_temp_file
from appliance.config import BoxConfig
from appliance.errors import OutputError, ScriptError, SoundfontError
from appliance.events import SoundKind
from appliance.profile import default_profile
from appliance.session import render as render_module
from appliance.session.midi_record import event_tick, playback_options
from appliance.session.render import (
    RELEASE_TAIL_S,
    RING_OUT_S,
    check_length,
    check_outputs,
    check_space,
    render_script,
)
from appliance.session.script import parse_script

SCRIPT = """\
0.0 set switch:2.mode=chord
0.1 switch:1 press
0.3 switch:2 press
0.5 switch:1 release
0.6 switch:2 release
0.7 switch:3 press
1.0 end
"""


def _render(tmp_path: Path, text: str = SCRIPT, name: str = "out", **kwargs):
    wav, events = tmp_path / f"{name}.wav", tmp_path / f"{name}.jsonl"
    kwargs.setdefault("events_out", events)
    result = render_script(
        parse_script(text, "s.txt"),
        kwargs.pop("profile", default_profile()),
        kwargs.pop("config", BoxConfig()),
        wav,
        origin="s.txt",
        **kwargs,
    )
    return result, wav, events


def test_rendering_is_deterministic(tmp_path):
    _, first, first_events = _render(tmp_path, name="a")
    _, second, second_events = _render(tmp_path, name="b")
    assert first.read_bytes() == second.read_bytes()
    assert first_events.read_bytes() == second_events.read_bytes()
    assert len(first.read_bytes()) > 100_000


def test_format_is_48k_stereo_16_bit(tmp_path):
    result, wav_path, _ = _render(tmp_path)
    assert result.wav == wav_path
    with wave.open(str(wav_path)) as w:
        assert w.getframerate() == 48000
        assert w.getnchannels() == 2
        assert w.getsampwidth() == 2
        assert w.getnframes() == round((1.0 + RELEASE_TAIL_S) * 48000)


def test_length_is_end_plus_release_tail(tmp_path):
    result, wav_path, _ = _render(tmp_path, "0.2 switch:1 press\n2.25 end\n")
    assert RELEASE_TAIL_S == 0.5
    assert result.seconds == pytest.approx(2.75)
    audio, rate = read_wav(wav_path)
    assert len(audio) == round(2.75 * rate)


def test_without_end_it_rings_out(tmp_path):
    result, _, events = _render(tmp_path, "0.2 switch:1 press\n0.4 switch:1 release\n")
    assert RING_OUT_S == 2.0
    assert result.seconds == pytest.approx(0.4 + RING_OUT_S + RELEASE_TAIL_S)
    last = json.loads(events.read_text().splitlines()[-1])
    assert last == {"t": pytest.approx(2.4), "type": "all_notes_off", "source": "end"}


def test_an_empty_script_is_the_ring_out_of_silence(tmp_path):
    result, wav_path, _ = _render(tmp_path, "")
    assert result.seconds == pytest.approx(RING_OUT_S + RELEASE_TAIL_S)
    audio, _ = read_wav(wav_path)
    assert np.abs(audio).max() <= 1 / 32768  # FluidSynth's dither, nothing more
    assert result.peak <= 1 / 32768


def test_events_jsonl_has_the_required_fields(tmp_path):
    result, _, events_path = _render(tmp_path)
    lines = events_path.read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert len(events) == len(result.events)
    assert [e.as_json() for e in result.events] == events
    for e in events:
        assert {"t", "type", "source"} <= set(e), e
        assert isinstance(e["t"], float | int)
        if e["type"] in ("note_on", "note_off", "program"):
            assert isinstance(e["channel"], int), e
        if e["type"] == "note_on":
            assert set(e) == {"t", "type", "channel", "note", "velocity", "source"}
            assert 1 <= e["velocity"] <= 127
        if e["type"] == "note_off":
            assert set(e) == {"t", "type", "channel", "note", "source"}
        if e["type"] == "program":
            assert {"value", "instrument"} <= set(e)
    notes = [(e["t"], e["type"], e["note"], e["source"]) for e in events if "note" in e]
    assert notes == [
        (0.1, "note_on", 60, "switch:1"),
        (0.3, "note_on", 64, "switch:2"),  # chord on degree 3: E A D
        (0.3, "note_on", 69, "switch:2"),
        (0.3, "note_on", 74, "switch:2"),
        (0.5, "note_off", 60, "switch:1"),
        (0.6, "note_off", 64, "switch:2"),
        (0.6, "note_off", 69, "switch:2"),
        (0.6, "note_off", 74, "switch:2"),
        (0.7, "note_on", 67, "switch:3"),
        (1.0, "note_off", 67, "switch:3"),  # still held at the end: released by the end
    ]
    assert events[-1] == {"t": 1.0, "type": "all_notes_off", "source": "end"}


def test_result_levels_match_the_audio(tmp_path):
    result, wav_path, _ = _render(tmp_path)
    audio, _ = read_wav(wav_path)
    assert result.peak == pytest.approx(np.abs(audio).max(), abs=1 / 32768)
    assert result.rms == pytest.approx(float(np.sqrt(np.mean(audio**2))), rel=1e-6)
    assert 0.001 < result.peak < 1.0


def test_no_events_file_unless_asked(tmp_path):
    result, wav_path, events = _render(tmp_path, events_out=None)
    assert wav_path.exists()
    assert not events.exists()
    assert result.events  # still returned


def test_panic_in_a_script_silences_everything(tmp_path):
    result, wav_path, _ = _render(
        tmp_path,
        "0.0 set switch:1.mode=latch\n0.1 switch:1 press\n0.1 switch:2 press\n0.4 panic\n3 end\n",
    )
    kinds = [(e.t, str(e.type), e.source) for e in result.events if e.t == pytest.approx(0.4)]
    assert (0.4, "all_notes_off", "script") in kinds
    assert sum(k[1] == "note_off" for k in kinds) == 2
    audio, rate = read_wav(wav_path)
    assert np.abs(audio[int(2.5 * rate) :]).max() <= 1 / 32768


def test_the_gain_ceiling_bounds_the_real_audio(tmp_path):
    text = "0 set volume=1\n0.1 switch:1 press\n0.1 switch:2 press\n0.5 end\n"
    loud, _, _ = _render(tmp_path, text, name="loud", config=BoxConfig(gain_ceiling=0.5))
    quiet, _, _ = _render(tmp_path, text, name="quiet", config=BoxConfig(gain_ceiling=0.25))
    assert quiet.peak == pytest.approx(loud.peak / 2, rel=0.1)
    assert loud.peak < 1.0


def _files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_a_bad_soundfont_leaves_no_files(tmp_path):
    with pytest.raises(SoundfontError, match=r"^soundfont not found: /nonexistent\.sf2$"):
        _render(tmp_path, soundfont="/nonexistent.sf2")
    assert _files(tmp_path) == []


def test_a_corrupt_soundfont_leaves_no_files(tmp_path):
    bad = tmp_path / "bad.sf2"
    bad.write_bytes(b"not a soundfont at all" * 100)
    with pytest.raises(SoundfontError, match="corrupt soundfont"):
        _render(tmp_path, soundfont=str(bad))
    assert _files(tmp_path) == ["bad.sf2"]


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("0 switch:1 press\n0.5 switch:9 press\n", 2, "this box has no input 'switch:9'"),
        ("0 set scale=majestic\n", 1, "scale: unknown scale 'majestic'"),
        ("0 set key=H\n", 1, "key: unknown note name 'H'"),
        ("0.1 switch:1 press\n0.2 set switch:1.velocity=300\n", 2, "switch:1.velocity"),
        ("0 set switch:7.mode=latch\n", 1, "this box has no input 'switch:7'"),
        ("0 set tempo=200\n", 1, "tempo: must be 0 (each loop's own) or in range 40..160"),
        ("0 loop start calypsso\n", 1, "did you mean 'calypso'"),
        ("0 song start twinkle_twinkel\n", 1, "did you mean 'twinkle_twinkle'"),
        ("0 loop begin\n", 1, "expected loop start [name] or loop stop"),
    ],
)
def test_bad_script_lines_fail_before_any_audio(tmp_path, text, line, says):
    with pytest.raises(ScriptError) as e:
        _render(tmp_path, text)
    message = str(e.value)
    assert message.startswith(f"s.txt line {line}: ")
    assert says in message
    assert _files(tmp_path) == []


def test_set_lines_are_checked_in_order(tmp_path):
    # Valid only because the scale was changed first: degree 7 of a 7-note scale.
    text = "0 set scale=major\n0 set switch:1.degree=7\n0.1 switch:1 press\n"
    result, _, _ = _render(tmp_path, text)
    assert [e.note for e in result.events if str(e.type) == "note_on"] == [71]


def test_a_box_with_fewer_switches(tmp_path):
    config = BoxConfig(switch_pins=(17, 27), pads=None, beams=())
    with pytest.raises(ScriptError, match="line 1: this box has no input 'switch:3'"):
        _render(tmp_path, "0 switch:3 press\n", config=config)
    result, _, _ = _render(tmp_path, "0 switch:2 press\n", config=config)
    programs = [e for e in result.events if str(e.type) == "program"]
    assert len(programs) == 2


def test_a_failure_while_writing_events_leaves_no_wav(tmp_path, monkeypatch):
    def disk_full(path, text):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(render_module, "write_text_atomic", disk_full)
    with pytest.raises(OSError, match="No space"):
        _render(tmp_path)
    assert _files(tmp_path) == []


def test_a_failure_mid_render_leaves_no_files(tmp_path, monkeypatch):
    real_render = render_module.FluidSynth.render
    calls = []

    def failing(self, frames):
        calls.append(frames)
        if len(calls) > 3:
            raise RuntimeError("audio went away")
        return real_render(self, frames)

    monkeypatch.setattr(render_module.FluidSynth, "render", failing)
    with pytest.raises(RuntimeError, match="audio went away"):
        _render(tmp_path)
    assert _files(tmp_path) == []


def test_rendering_over_an_existing_file_replaces_it(tmp_path):
    (tmp_path / "out.wav").write_bytes(b"old")
    (tmp_path / "out.jsonl").write_text("old\n")
    _render(tmp_path)
    assert (tmp_path / "out.wav").read_bytes()[:4] == b"RIFF"
    assert (tmp_path / "out.jsonl").read_text().startswith("{")
    assert _files(tmp_path) == ["out.jsonl", "out.wav"]


# -- refused before the first frame --------------------------------------------------


def _no_synth(monkeypatch) -> list[str]:
    """Record any attempt to open the synth: a refusal must come before it."""
    opened: list[str] = []
    real = render_module.open_synth

    def spy(*args, **kwargs):
        opened.append("synth")
        return real(*args, **kwargs)

    monkeypatch.setattr(render_module, "open_synth", spy)
    return opened


def test_an_output_that_is_the_script_is_refused_before_the_synth(tmp_path, monkeypatch):
    opened = _no_synth(monkeypatch)
    script = tmp_path / "s.txt"
    script.write_text(SCRIPT)
    with pytest.raises(OutputError, match=r"^-o .*s\.txt is the file being read"):
        render_script(
            parse_script(SCRIPT), default_profile(), BoxConfig(), script, sources=[script]
        )
    assert opened == []
    assert script.read_text() == SCRIPT


def test_the_same_file_by_a_hard_link_is_one_file(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"old")
    (tmp_path / "b.jsonl").hardlink_to(tmp_path / "a.wav")
    with pytest.raises(OutputError, match="is the same file as -o"):
        check_outputs(tmp_path / "a.wav", tmp_path / "b.jsonl")
    assert (tmp_path / "a.wav").read_bytes() == b"old"


def test_outputs_that_do_not_exist_yet_pass(tmp_path):
    check_outputs(tmp_path / "a.wav", tmp_path / "a.jsonl", sources=[tmp_path / "s.txt"])


def test_a_render_too_long_for_a_wav_is_refused_naming_the_last_line():
    # No script can be this long (the parser stops at 6 hours), so build one
    # as a future, higher sample rate would see it: 6 h at 192 kHz.
    script = parse_script("0 switch:1 press\n21599 end\n")
    check_length(script, 48_000, "s.txt")
    with pytest.raises(ScriptError) as e:
        check_length(script, 192_000, "s.txt")
    assert str(e.value) == (
        "s.txt line 1: a render of 21,600 s at 192000 Hz would pass a WAV file's 4 GiB limit"
    )


def test_a_render_larger_than_the_free_space_is_refused(tmp_path, monkeypatch):
    class Full:
        f_bavail, f_frsize = 100, 4096  # 409,600 bytes: about 2 s of audio

    monkeypatch.setattr(render_module.os, "statvfs", lambda path: Full())
    check_space(tmp_path / "a.wav", parse_script("1 end\n"), 48_000)
    with pytest.raises(OutputError) as e:
        check_space(tmp_path / "a.wav", parse_script("0 switch:1 press\n60 end\n"), 48_000)
    assert str(e.value) == (
        f"cannot write {tmp_path / 'a.wav'}: the render needs 11.6 MB and only 0.4 MB are free"
    )


def test_a_render_sweeps_temp_files_an_interrupted_render_left(tmp_path):
    for name in ("out.wav", "out.jsonl", "other.wav"):
        fd, _ = create_temp_file(tmp_path / name)
        os.close(fd)  # its writer is gone
    _render(tmp_path)
    left = [name for name in _files(tmp_path) if name.endswith(".tmp")]
    assert len(left) == 1 and left[0].startswith(".other.wav.")  # not this render's to sweep
    assert {"out.wav", "out.jsonl"} <= set(_files(tmp_path))


# -- the MIDI record (--midi) ----------------------------------------------------------


def test_the_midi_record_holds_every_note_at_its_block(tmp_path):
    result, _, _ = _render(tmp_path, midi_out=tmp_path / "out.mid")
    assert _files(tmp_path) == ["out.jsonl", "out.mid", "out.wav"]
    record = mido.MidiFile(tmp_path / "out.mid")
    ons, now = [], 0.0
    for message in record:  # iterating a file gives seconds between messages
        now += message.time
        if message.type == "note_on":
            ons.append((round(now, 4), message.channel, message.note))
    played = [
        (round(event_tick(e.t, 48000) / 1000, 4), e.channel, e.note)
        for e in result.events
        if e.type is SoundKind.NOTE_ON
    ]
    assert ons == played and len(played) == 5  # a note, a chord of three, a note
    assert record.length == pytest.approx(result.seconds, abs=0.002)
    assert playback_options(tmp_path / "out.mid")[:2] == ("-r", "48000")


@pytest.mark.parametrize(
    ("outputs", "says"),
    [
        ({"out": "a.wav", "midi_out": "a.wav"}, r"^--midi .*a\.wav is the same file as -o"),
        (
            {"out": "a.wav", "events_out": "b.jsonl", "midi_out": "b.jsonl"},
            r"^--midi .*b\.jsonl is the same file as --events",
        ),
        ({"out": "a.wav", "midi_out": "s.txt"}, r"^--midi .*s\.txt is the file being read"),
        ({"out": "a.wav", "midi_out": "d"}, r"^cannot write .*d \(--midi\): it exists and is not"),
    ],
)
def test_a_midi_output_that_would_destroy_something_is_refused(tmp_path, outputs, says):
    (tmp_path / "s.txt").write_text(SCRIPT)
    (tmp_path / "d").mkdir()
    paths = {key: tmp_path / name for key, name in outputs.items()}
    out = paths.pop("out")
    with pytest.raises(OutputError, match=says):
        check_outputs(
            out, paths.get("events_out"), [tmp_path / "s.txt"], midi_out=paths["midi_out"]
        )
    assert (tmp_path / "s.txt").read_text() == SCRIPT


def test_a_failure_while_writing_the_midi_record_leaves_no_files(tmp_path, monkeypatch):
    def disk_full(path, events, rate, *, end_s=None):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(render_module, "write_midi_record", disk_full)
    with pytest.raises(OutputError, match=r"cannot write .*out\.mid: No space"):
        _render(tmp_path, events_out=None, midi_out=tmp_path / "out.mid")
    assert _files(tmp_path) == []


def test_a_render_sweeps_the_midi_records_stale_temp_files(tmp_path):
    fd, _ = create_temp_file(tmp_path / "out.mid")
    os.close(fd)  # its writer is gone
    _render(tmp_path, midi_out=tmp_path / "out.mid")
    assert _files(tmp_path) == ["out.jsonl", "out.mid", "out.wav"]
