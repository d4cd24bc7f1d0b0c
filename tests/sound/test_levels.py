"""Every General MIDI instrument is brought to a safe level before it sounds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from appliance.sound.fluid import FluidSynth
from appliance.sound.instruments import DRUM_KITS, GM_INSTRUMENTS, instrument_for
from appliance.sound.level import FULL_CC7, PITCH_MARGIN, REFERENCE_GAIN, TARGET_PEAK, Level
from appliance.sound.levels import LevelTrims
from appliance.sound.synth import Channel

TIMGM = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
#: A sample rate no other test levels instruments at.
OWN_RATE = 32000


def chord_peak(synth: FluidSynth, name: str) -> float:
    """The peak of the probe's chord at full velocity, on its channel at its trim."""
    instrument = instrument_for(name)
    channel = Channel(9 if instrument.is_drums else 0)
    synth.select_instrument(channel, instrument)
    synth.control_change(channel, 7, synth.level_of(instrument).trim)  # as the mixer at full volume
    notes = (36, 38, 42, 49) if instrument.is_drums else (60, 64, 67, 72)
    for note in notes:
        synth.note_on(channel, note, 127)
    audio = synth.render(3 * 48000)
    synth.all_notes_off()
    synth._fs.all_sounds_off(-1)
    synth.render(48000)  # let the reverb die before the next instrument
    return float(np.abs(audio.astype(np.int32)).max()) / 32768


def test_no_instrument_clips_a_full_velocity_chord_at_its_trim():
    synth = FluidSynth(TIMGM, gain_ceiling=REFERENCE_GAIN)
    try:
        peaks = {i.name: chord_peak(synth, i.name) for i in (*GM_INSTRUMENTS, *DRUM_KITS)}
    finally:
        synth.close()
    loudest = max(peaks, key=peaks.__getitem__)
    assert peaks[loudest] < 0.8, f"{loudest} peaks at {peaks[loudest]:.2f}"
    # Quiet patches are not boosted: the trim only ever turns down.
    assert peaks["acoustic_grand_piano"] > 0.2


def test_loud_patches_are_turned_down_and_quiet_ones_left_alone():
    trims = LevelTrims(TIMGM, 48000)
    try:
        strings = trims.level_for(instrument_for("string_ensemble_1"))
        piano = trims.level_for(instrument_for("acoustic_grand_piano"))
    finally:
        trims.close()
    assert strings.trim < 100
    assert strings.chord_peak == pytest.approx(TARGET_PEAK, rel=0.05)  # turned down to it
    assert piano.trim == FULL_CC7
    assert piano.chord_peak < TARGET_PEAK  # quiet already: left alone
    for level in (strings, piano):
        # One note is quieter than the chord, and its bound covers it with room to spare.
        assert 0 < level.single_peak < level.chord_peak
        assert level.note_peak == pytest.approx(level.single_peak * PITCH_MARGIN)


@pytest.mark.parametrize("ceiling", [0.25, 0.5])
def test_the_ceiling_scales_every_instrument_alike(ceiling):
    synth = FluidSynth(TIMGM, gain_ceiling=ceiling)
    try:
        ratio = chord_peak(synth, "string_ensemble_1") / chord_peak(synth, "marimba")
    finally:
        synth.close()
    # The same trims at any ceiling: the balance between instruments holds.
    assert ratio == pytest.approx(_reference_ratio(), rel=0.05)


def _reference_ratio() -> float:
    synth = FluidSynth(TIMGM, gain_ceiling=0.4)
    try:
        return chord_peak(synth, "string_ensemble_1") / chord_peak(synth, "marimba")
    finally:
        synth.close()


def test_the_level_probe_is_dropped_once_the_instruments_are_ready():
    # Levels are shared by every synth in a process at one rate: at a rate of
    # its own, this synth measures for itself.
    synth = FluidSynth(TIMGM, sample_rate=OWN_RATE)
    try:
        pad = instrument_for("pad_3_polysynth")
        synth.select_instrument(Channel(0), pad)
        assert synth.level_of(pad).trim <= FULL_CC7  # as the engine asks, measured here
        assert synth.trims._probe is not None
        synth.instruments_ready()
        assert synth.trims._probe is None  # its copy of the soundfont is freed
        # A later instrument is still levelled: the probe comes back on demand.
        strings = instrument_for("string_ensemble_1")
        synth.select_instrument(Channel(1), strings)
        assert synth.level_of(strings).trim < 100
        assert synth.trims._probe is not None
    finally:
        synth.close()


# -- the store in the data directory -------------------------------------------------

#: A sample rate no synth in the tests plays at: levels loaded for it reach no other test.
STORE_RATE = 11025


def _store(trims: LevelTrims, levels: list[list[object]], **fields: object) -> dict[str, object]:
    return {"format": 2, "soundfont": list(trims._identity), "levels": levels, **fields}


def test_a_stored_level_is_taken_with_its_trim_and_both_peaks(tmp_path):
    trims = LevelTrims(TIMGM, STORE_RATE)
    path = tmp_path / "levels.json"
    path.write_text(json.dumps(_store(trims, [[0, 52, STORE_RATE, 61, 0.58, 0.31]])))
    assert trims.load_store(path) == 1
    assert trims.known(instrument_for(53)) == Level(61, 0.58, 0.31)  # GM 53: choir aahs
    # and it is kept as it was read
    trims.save_store(tmp_path / "again.json")
    saved = json.loads((tmp_path / "again.json").read_text())
    assert saved["format"] == 2
    assert [0, 52, STORE_RATE, 61, 0.58, 0.31] in saved["levels"]


@pytest.mark.parametrize(
    "entry",
    [
        [0, 53, STORE_RATE, 0, 0.5, 0.2],  # a trim of 0 would silence the instrument
        [0, 53, STORE_RATE, 128, 0.5, 0.2],  # past full channel volume
        [0, 53, STORE_RATE, 90, -0.5, 0.2],
        [0, 53, STORE_RATE, 90, 0.5, float("inf")],
        [0, 53, STORE_RATE, 90, float("nan"), 0.2],
    ],
)
def test_an_impossible_stored_level_is_measured_again(tmp_path, entry):
    trims = LevelTrims(TIMGM, STORE_RATE)
    path = tmp_path / "levels.json"
    path.write_text(json.dumps(_store(trims, [entry])))
    assert trims.load_store(path) == 0
    assert trims.known(instrument_for(54)) is None


def test_a_store_in_the_old_format_or_of_another_soundfont_is_measured_again(tmp_path):
    trims = LevelTrims(TIMGM, STORE_RATE)
    old = tmp_path / "old.json"
    # Format 1 kept only a trim: no note peaks for the mixer's headroom rule.
    old.write_text(
        json.dumps({"soundfont": list(trims._identity), "trims": [[0, 54, STORE_RATE, 70]]})
    )
    assert trims.load_store(old) == 0
    other = tmp_path / "other.json"
    entry = [0, 54, STORE_RATE, 70, 0.5, 0.2]
    other.write_text(json.dumps(_store(trims, [entry], soundfont=["/x.sf2", 1, 2])))
    assert trims.load_store(other) == 0
    assert trims.known(instrument_for(55)) is None
