"""What the box really sounds like: pitch, timing and silence in the rendered audio."""

from __future__ import annotations

import numpy as np
import pytest
from audio_analysis import dominant_hz, midi_hz, rms

from appliance.sound.fluid import BLOCK_FRAMES

LSB = 1 / 32768
#: FluidSynth dithers its 16-bit output, so digital silence is +-1 LSB, never more.
DITHER = 1 * LSB
#: An event lands on the next FluidSynth block (64 frames = 1.33 ms at 48 kHz).
ONSET_TOLERANCE_S = 0.003


def _tone(rendered, start: float, end: float) -> float:
    return dominant_hz(rendered.segment(start, end), rendered.rate)


def _cents(hz: float, expected: float) -> float:
    return 1200 * np.log2(hz / expected)


def test_c4_on_the_ocarina(render):
    rendered = render(
        "0.0 set switch:1.instrument=ocarina\n0.1 switch:1 press\n0.8 switch:1 release\n1.0 end\n"
    )
    assert rendered.note_ons()[0]["note"] == 60
    hz = _tone(rendered, 0.3, 0.7)
    assert hz == pytest.approx(261.63, rel=0.01)
    assert hz == pytest.approx(midi_hz(60), rel=0.01)


@pytest.mark.parametrize(
    ("key", "note"),
    [("C", 60), ("E", 64), ("F#", 66), ("A", 69), ("Bb", 70), ("B", 71)],
)
def test_the_fundamental_follows_the_key(render, key, note):
    rendered = render(
        f"0.0 set key={key}\n"
        "0.0 set switch:1.instrument=ocarina\n"
        "0.1 switch:1 press\n"
        "0.6 switch:1 release\n"
        "0.7 end\n"
    )
    assert [e["note"] for e in rendered.note_ons()] == [note]
    hz = _tone(rendered, 0.2, 0.55)
    assert hz == pytest.approx(midi_hz(note), rel=0.01), f"{hz:.1f} Hz in key {key}"


def test_key_changes_move_the_fundamental_within_one_session(render):
    rendered = render(
        "0.0 set switch:1.instrument=ocarina\n"
        "0.1 switch:1 press\n"
        "0.6 switch:1 release\n"
        "0.7 set key=E\n"
        "1.0 switch:1 press\n"
        "1.5 switch:1 release\n"
        "1.6 set key=G\n"
        "1.9 switch:1 press\n"
        "2.4 switch:1 release\n"
        "2.5 end\n"
    )
    heard = [_tone(rendered, s, s + 0.35) for s in (0.2, 1.1, 2.0)]
    expected = [midi_hz(n) for n in (60, 64, 67)]  # C4, E4, G4
    for hz, want in zip(heard, expected, strict=True):
        assert abs(_cents(hz, want)) < 17, f"heard {heard}, expected {expected}"  # ~1 %


def test_another_degree_is_another_note(render):
    # switch:2 is degree 3 of C major pentatonic: E4
    rendered = render(
        "0.0 set switch:2.instrument=ocarina\n0.1 switch:2 press\n0.6 switch:2 release\n0.7 end\n"
    )
    assert _tone(rendered, 0.2, 0.55) == pytest.approx(midi_hz(64), rel=0.01)


def test_octave_setting_moves_the_note_an_octave(render):
    rendered = render(
        "0.0 set switch:1.instrument=ocarina\n"
        "0.0 set switch:1.octave=5\n"
        "0.1 switch:1 press\n0.6 switch:1 release\n0.7 end\n"
    )
    assert _tone(rendered, 0.2, 0.55) == pytest.approx(midi_hz(72), rel=0.01)


@pytest.mark.parametrize("t", [0.25, 0.3, 0.4567, 0.61234, 1.0001])
def test_onset_is_on_time_and_silence_before_it_is_silent(render, t):
    # Marimba: a hard, immediate attack, so the onset measures the engine, not the patch.
    rendered = render(f"{t} switch:1 press\n{t + 0.3} switch:1 release\n{t + 0.4} end\n")
    level = np.abs(rendered.audio).max(axis=1)
    before = level[: round(t * rendered.rate)]
    assert len(before) > 0
    assert before.max() <= DITHER, f"sound before the press: {before.max() / LSB:.0f} LSB"
    onset = int(np.argmax(level > 4 * LSB)) / rendered.rate
    assert t <= onset <= t + ONSET_TOLERANCE_S, f"onset {1000 * (onset - t):.2f} ms after {t}"
    assert BLOCK_FRAMES / rendered.rate < ONSET_TOLERANCE_S


def test_the_note_really_sounds(render):
    rendered = render("0.1 switch:1 press\n0.5 switch:1 release\n0.7 end\n")
    assert rms(rendered.segment(0.1, 0.4)) > 100 * LSB
    assert rendered.result.peak > 0.01


def test_after_the_release_tail_it_is_silent_again(render):
    rendered = render("0.1 switch:1 press\n0.3 switch:1 release\n3.0 end\n")
    tail = rendered.segment(2.5, 3.5)
    assert np.abs(tail).max() <= DITHER


def test_silence_with_no_presses(render):
    rendered = render("0.0 set key=G\n1.0 end\n")
    assert np.abs(rendered.audio).max() <= DITHER
    assert rendered.note_ons() == []
