"""The MIDI record played by FluidSynth's command line sounds as the box did, one block later.

The box's side is the box's own code: ``tonic render`` for scripts, and for
event lists the replay the demo uses (the box's FluidSynth, fed each call at
its frame). The peer is ``fluidsynth -ni -F``, which shares nothing with the
box above the synth itself.
"""

from __future__ import annotations

import random
from pathlib import Path

import mido
import numpy as np
import pytest
from audio_analysis import read_wav
from session.midi_peer import (
    SAME_SOUND_DB,
    TIMGM,
    best_match,
    peer_render,
    worst_window_db,
)

from appliance.box import open_synth
from appliance.cli import main
from appliance.config import BoxConfig
from appliance.events import SoundEvent, SoundKind
from appliance.session.midi_record import write_midi_record
from appliance.session.replay import replay
from appliance.sound.binding import fluidsynth
from appliance.sound.wav import WavWriter

#: Everything in place: what is left is the two renders' 16-bit rounding.
EXACT_DB = -55.0
#: An event a block out of place leaves more than this in its 50 ms.
EXACT_WINDOW_DB = -35.0
#: The wrong sound altogether (a piano for a drum kit) leaves more than this.
DIFFERENT_DB = -20.0
TAIL_S = 1.0


def _event(t: float, kind: SoundKind, channel: int | None = 0, **fields: object) -> SoundEvent:
    return SoundEvent(t, kind, channel, "test", **fields)  # type: ignore[arg-type]


def _box(events: list[SoundEvent], path: Path, rate: int = 48000) -> np.ndarray:
    """The box's audio for ``events``: its FluidSynth, each call at its frame."""
    synth = open_synth(BoxConfig(soundfont=TIMGM, sample_rate=rate))
    try:
        with WavWriter(path, synth.sample_rate) as wav:
            replay(events, synth, wav, tail_s=TAIL_S)
            wav.commit()
    finally:
        synth.close()
    audio, _ = read_wav(path)
    return audio


def _set_up(gain: float = BoxConfig().gain_ceiling) -> list[SoundEvent]:
    return [
        _event(0.0, SoundKind.GAIN, None, gain=gain),
        _event(0.0, SoundKind.PROGRAM, 0, bank=0, value=12, instrument="marimba"),
        _event(0.0, SoundKind.PROGRAM, 1, bank=0, value=73, instrument="flute"),
        _event(0.0, SoundKind.PROGRAM, 2, bank=0, value=0, instrument="acoustic_grand_piano"),
        *[_event(0.0, SoundKind.CC, c, control=7, value=70) for c in range(3)],
    ]


def _random_session(seed: int, rate: int) -> list[SoundEvent]:
    """Notes, expression and bends at arbitrary frames, most between blocks."""
    rng = random.Random(seed)
    events = _set_up()
    t = 0.05
    for _ in range(40):
        t += rng.randint(1, 5000) / rate
        channel, note = rng.randrange(3), rng.randint(55, 80)
        events.append(
            _event(t, SoundKind.NOTE_ON, channel, note=note, velocity=rng.randint(60, 110))
        )
        off = t + rng.randint(1, 9000) / rate
        events.append(_event(off, SoundKind.NOTE_OFF, channel, note=note))
        if rng.random() < 0.3:
            value = rng.randint(30, 127)
            events.append(
                _event(t + rng.randint(0, 3000) / rate, SoundKind.CC, 1, control=11, value=value)
            )
        if rng.random() < 0.3:
            bend = rng.randint(-8192, 8191)
            events.append(
                _event(t + rng.randint(0, 3000) / rate, SoundKind.PITCH_BEND, 1, value=bend)
            )
    return sorted(events, key=lambda e: e.t)


def _record(events: list[SoundEvent], tmp_path: Path, rate: int = 48000) -> Path:
    end = max(e.t for e in events) + TAIL_S
    return write_midi_record(tmp_path / "record.mid", events, rate, end_s=end)


@pytest.mark.parametrize("rate", [48000, 44100])
def test_every_event_sounds_exactly_one_block_later(tmp_path, rate):
    events = _random_session(seed=rate, rate=rate)
    ours = _box(events, tmp_path / "box.wav", rate)
    theirs = peer_render(_record(events, tmp_path, rate), tmp_path / "peer.wav")
    match = best_match(ours, theirs)
    assert match.shift_blocks == 1
    assert match.residual_db <= EXACT_DB
    assert worst_window_db(ours, theirs, match, rate) <= EXACT_WINDOW_DB
    assert match.gain == pytest.approx(1.0, rel=0.01)  # the record names its gain for -g


def _kit_session(with_reset: bool) -> list[SoundEvent]:
    """A drum kit on channel 6, as the box gives a beam in expression mode."""
    events = [*_set_up(), _event(0.0, SoundKind.PROGRAM, 5, bank=128, value=0)]
    t = 0.1
    for i in range(8):
        if with_reset and i == 4:
            events += [
                _event(t, SoundKind.RESET, None),
                _event(t, SoundKind.PROGRAM, 5, bank=128, value=0),
                _event(t, SoundKind.PROGRAM, 0, bank=0, value=12),
            ]
        events += [
            _event(t, SoundKind.NOTE_ON, 5, note=36 + 2 * i, velocity=100),
            _event(t + 0.05, SoundKind.NOTE_ON, 0, note=60 + i, velocity=90),
            _event(t + 0.2, SoundKind.NOTE_OFF, 0, note=60 + i),
        ]
        t += 0.25
    return events


def _without(path: Path, kind: str) -> Path:
    record = mido.MidiFile(path)
    track = mido.MidiTrack()
    carried = 0
    for message in record.tracks[0]:
        if message.type == kind:
            carried += message.time
            continue
        track.append(message.copy(time=message.time + carried))
        carried = 0
    record.tracks[0] = track
    out = path.with_name(f"without-{kind}.mid")
    record.save(out)
    return out


def test_a_kit_on_another_channel_plays_drums_through_the_gs_rhythm_part(tmp_path):
    events = _kit_session(with_reset=False)
    ours = _box(events, tmp_path / "box.wav")
    record = _record(events, tmp_path)
    match = best_match(ours, peer_render(record, tmp_path / "peer.wav"))
    assert (match.shift_blocks, match.residual_db <= EXACT_DB) == (1, True), match
    # Without the SysEx, FluidSynth 2.3 plays bank 128 on channel 6 as a piano.
    without = best_match(ours, peer_render(_without(record, "sysex"), tmp_path / "piano.wav"))
    assert without.residual_db > DIFFERENT_DB


def test_after_a_reset_the_kit_is_still_drums(tmp_path, monkeypatch):
    events = _kit_session(with_reset=True)
    ours = _box(events, tmp_path / "box.wav")
    match = best_match(ours, peer_render(_record(events, tmp_path), tmp_path / "peer.wav"))
    assert (match.shift_blocks, match.residual_db <= EXACT_DB) == (1, True), match
    # GM System On would reset the same, but leave FluidSynth deaf to the rhythm part.
    import appliance.session.midi_record as midi_record

    monkeypatch.setattr(midi_record, "GS_RESET", (0x7E, 0x7F, 0x09, 0x01))
    gm = best_match(ours, peer_render(_record(events, tmp_path), tmp_path / "gm.wav"))
    assert gm.residual_db > DIFFERENT_DB


def test_a_gain_the_box_changes_is_carried_within_a_twentieth_of_a_db(tmp_path):
    """The box sets its gain once; a record of an older box that turned it is still played
    right. FluidSynth's own gain setting stands in for such a box."""
    events = _set_up(gain=0.5)[1:]
    gains = [(0.0, 0.5), (0.6, 0.25), (1.2, 0.4)]
    events += [_event(t, SoundKind.GAIN, None, gain=g) for t, g in gains]
    for i in range(16):
        t = 0.05 + 0.1 * i
        events += [
            _event(t, SoundKind.NOTE_ON, i % 3, note=60 + i, velocity=100),
            _event(t + 0.3, SoundKind.NOTE_OFF, i % 3, note=60 + i),
        ]
    events.sort(key=lambda e: e.t)
    synth = fluidsynth.Synth(gain=0.5, samplerate=48000, channels=16)
    sfid = synth.sfload(TIMGM)
    chunks, position = [], 0
    for e in events:
        frame = round(e.t * 48000)
        chunks.append(synth.get_samples(frame - position))
        position = frame
        if e.type is SoundKind.GAIN:
            synth.setting("synth.gain", e.gain)
        elif e.type is SoundKind.PROGRAM:
            synth.program_select(e.channel, sfid, e.bank, e.value)
        elif e.type is SoundKind.CC:
            synth.cc(e.channel, e.control, e.value)
        elif e.type is SoundKind.NOTE_ON:
            synth.noteon(e.channel, e.note, e.velocity)
        else:
            synth.noteoff(e.channel, e.note)
    chunks.append(synth.get_samples(round(TAIL_S * 48000)))
    synth.delete()
    ours = np.concatenate(chunks).reshape(-1, 2).astype(np.float64) / 32768
    match = best_match(ours, peer_render(_record(events, tmp_path), tmp_path / "peer.wav"))
    # 0.25 is 60 cB under 0.5, 0.501 of it: 0.24 % off, at most 0.58 % (0.05 dB).
    assert match.shift_blocks == 1 and match.residual_db <= SAME_SOUND_DB, match


# -- tonic render --midi --------------------------------------------------------------------

#: The acceptance script: a note, a latch and a chord on switches, the volume
#: turned down, a pad, a beam in expression mode moving away, the latch released.
SWITCHES_AND_BEAM = (
    "0.0 set switch:2.mode=latch\n0.0 set beam:1.mode=expression\n"
    "0.3 switch:1 press\n0.8 switch:1 release\n1.0 switch:2 press\n1.4 switch:2 release\n"
    "1.6 switch:3 press\n2.2 switch:3 release\n2.4 set volume=0.3\n"
    "2.5 pad:4 touch\n2.9 pad:4 release\n"
    + "".join(f"{3.0 + i * 0.0625:.4f} beam:1 distance {0.2 + 0.02 * i:.3f}\n" for i in range(30))
    + "5.0 beam:1 distance none\n5.1 switch:2 press\n5.6 switch:2 release\n7.0 end\n"
)
#: Pads in all three modes, the volume up and down, a beam's drum kit on its own channel, a panic.
PADS_KIT_AND_PANIC = """\
0.0 set pad:2.mode=latch
0.0 set pad:3.mode=chord
0.0 set beam:1.mode=expression
0.0 set beam:1.instrument=drums
0.1 pad:1 touch
0.3 pad:1 release
0.4 pad:2 touch
0.5 pad:2 release
0.6 pad:3 touch
0.9 set volume=0.9
1.2 pad:3 release
1.3 beam:1 distance 0.30
1.5 beam:1 distance 0.45
1.7 beam:1 distance 0.60
1.9 set volume=0.2
2.0 pad:2 touch
2.1 pad:2 release
2.2 panic
2.4 beam:1 distance 0.35
2.6 pad:5 touch
2.9 pad:5 release
3.0 beam:1 distance none
4.0 end
"""
#: The key and scale moving under held notes, chords on switches, the beam playing notes.
KEYS_AND_CHORDS = """\
0.0 set switch:1.mode=chord
0.0 set switch:4.mode=latch
0.1 switch:1 press
0.6 set key=G
0.9 switch:1 release
1.0 switch:4 press
1.1 switch:4 release
1.2 beam:1 distance 0.25
1.5 beam:1 distance 0.55
1.8 beam:1 distance 0.85
2.0 set scale=minor_pentatonic
2.1 switch:2 press
2.6 switch:2 release
2.7 switch:4 press
2.8 switch:4 release
2.9 beam:1 distance none
4.0 end
"""


@pytest.mark.parametrize(
    "script",
    [SWITCHES_AND_BEAM, PADS_KIT_AND_PANIC, KEYS_AND_CHORDS],
    ids=["switches-and-beam", "pads-kit-and-panic", "keys-and-chords"],
)
def test_a_renders_midi_record_played_by_fluidsynth_is_the_render(tmp_path, monkeypatch, script):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TONIC_CONFIG", raising=False)
    monkeypatch.setenv("TONIC_SOUNDFONT", TIMGM)
    Path("box.toml").write_text("# the built-in defaults\n")
    Path("s.txt").write_text(script)
    assert (
        main(["render", "s.txt", "-o", "box.wav", "--midi", "box.mid", "--config", "box.toml"]) == 0
    )
    ours, rate = read_wav(tmp_path / "box.wav")
    theirs = peer_render(tmp_path / "box.mid", tmp_path / "peer.wav")
    match = best_match(ours, theirs)
    assert match.shift_blocks == 1, match
    assert match.residual_db <= SAME_SOUND_DB, match
    assert worst_window_db(ours, theirs, match, rate) <= EXACT_WINDOW_DB
    assert match.gain == pytest.approx(1.0, rel=0.01)


def test_the_acceptance_measure_holds_at_fluidsynths_default_gain(tmp_path, monkeypatch):
    """The acceptance check plays the record with no -g: the record is lifted to
    the box's level as far as its voices allow, so FluidSynth's rounding stays small."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TONIC_SOUNDFONT", TIMGM)
    Path("box.toml").write_text("# the built-in defaults\n")
    Path("s.txt").write_text(SWITCHES_AND_BEAM)
    assert (
        main(["render", "s.txt", "-o", "box.wav", "--midi", "box.mid", "--config", "box.toml"]) == 0
    )
    ours, _ = read_wav(tmp_path / "box.wav")
    best = min(
        best_match(
            ours, peer_render(tmp_path / "box.mid", tmp_path / "peer.wav", *options, "-g", "0.2")
        ).residual_db
        for options in (["-R", "0", "-C", "0"], ["-R", "1", "-C", "1"])
    )
    assert best <= SAME_SOUND_DB
