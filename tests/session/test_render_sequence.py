"""Sequence mode heard: a script's presses step through a song, through FluidSynth.

The melody plays on an ocarina (a nearly pure tone, so the strongest
frequency is the note's own); the chord under it is soft enough that the
melody's pitch still leads every note's spectrum.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import pytest
from audio_analysis import dominant_hz, midi_hz, rms

from appliance.music import Key
from appliance.music.songs import song_named

TWINKLE_IN_D = [62, 62, 69, 69, 71, 71, 69]
#: 1 % is a sixth of a semitone: a wrong note is six times further off.
PITCH_TOLERANCE = 0.01
#: Analyse a note from this long after its onset (past the attack) ...
SETTLE_S = 0.1
#: ... for this long, ending before the note stops.
WINDOW_S = 0.25

SETUP = """\
0.0 set key=D
0.0 set scale=major
0.0 set switch:1.mode=sequence
0.0 set switch:1.song=twinkle_twinkle
0.0 set switch:1.instrument=ocarina
"""


def _presses(count: int, first: float = 0.5, every: float = 0.5, held: float = 0.4) -> str:
    lines = []
    for i in range(count):
        t = first + i * every
        lines += [f"{t:.2f} switch:1 press", f"{t + held:.2f} switch:1 release"]
    return "\n".join(lines) + "\n"


def _melody(rendered) -> list[dict]:
    return [e for e in rendered.note_ons("switch:1") if e["source"] == "switch:1"]


def _unmatched(events: list[dict]) -> Counter:
    """Note-ons the record never stops with a note-off of their own."""
    count: Counter = Counter()
    for e in events:
        if e["type"] == "note_on":
            count[e["channel"], e["note"]] += 1
        elif e["type"] == "note_off":
            count[e["channel"], e["note"]] -= 1
    return +count


def test_seven_presses_play_twinkle_in_d_and_sound_it(render):
    rendered = render(SETUP + _presses(7) + "5.0 end\n")
    melody = _melody(rendered)
    assert [e["note"] for e in melody] == TWINKLE_IN_D
    assert [e["t"] for e in melody] == pytest.approx([0.5 + i * 0.5 for i in range(7)])
    for e in melody:
        segment = rendered.segment(e["t"] + SETTLE_S, e["t"] + SETTLE_S + WINDOW_S)
        hz = dominant_hz(segment, rendered.rate)
        assert hz == pytest.approx(midi_hz(e["note"]), rel=PITCH_TOLERANCE), (e, hz)
    assert not _unmatched(rendered.events)


def test_the_chord_is_heard_under_the_melody_and_not_without_accompany(render):
    press = _presses(1, first=0.5, held=0.3) + "3.0 end\n"
    with_chord = render(SETUP + press)
    without = render(SETUP + "0.0 set switch:1.accompany=false\n" + press)
    assert [e["note"] for e in with_chord.note_ons("switch:1/chord")] == [50, 54, 57]
    assert without.note_ons("switch:1/chord") == []
    # Well after the ocarina's note has died away, only the chord is left.
    gap = (2.0, 2.8)
    chord = with_chord.segment(*gap)
    assert dominant_hz(chord, with_chord.rate) == pytest.approx(midi_hz(50), rel=PITCH_TOLERANCE)
    assert rms(chord) > 100 * rms(without.segment(*gap))
    for rendered in (with_chord, without):
        assert not _unmatched(rendered.events)


def test_one_press_plays_the_first_phrase_in_time(render):
    rendered = render(SETUP + "0.0 set switch:1.step=phrase\n" + _presses(1) + "7.0 end\n")
    song = song_named("twinkle_twinkle")
    phrase = song.in_key(Key.parse("D", "major")).phrases[0]
    count_s = Fraction(60, song.tempo)
    melody = _melody(rendered)
    assert [e["note"] for e in melody] == TWINKLE_IN_D
    assert [e["t"] for e in melody] == pytest.approx(
        [0.5 + float(n.start * count_s) for n in phrase], abs=1e-6
    )
    for e in melody:
        segment = rendered.segment(e["t"] + SETTLE_S, e["t"] + SETTLE_S + WINDOW_S)
        hz = dominant_hz(segment, rendered.rate)
        assert hz == pytest.approx(midi_hz(e["note"]), rel=PITCH_TOLERANCE), (e, hz)
    assert not _unmatched(rendered.events)
