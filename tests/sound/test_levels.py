"""Every General MIDI instrument is brought to a safe level before it sounds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from appliance.sound.fluid import FluidSynth
from appliance.sound.instruments import DRUM_KITS, GM_INSTRUMENTS, instrument_for
from appliance.sound.levels import LevelTrims
from appliance.sound.synth import Channel

TIMGM = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")


def chord_peak(synth: FluidSynth, name: str) -> float:
    instrument = instrument_for(name)
    channel = Channel(9 if instrument.is_drums else 0)
    synth.select_instrument(channel, instrument)
    notes = (36, 38, 42, 49) if instrument.is_drums else (60, 64, 67, 72)
    for note in notes:
        synth.note_on(channel, note, 127)
    audio = synth.render(3 * 48000)
    synth.all_notes_off()
    synth._fs.all_sounds_off(-1)
    synth.render(48000)  # let the reverb die before the next instrument
    return float(np.abs(audio.astype(np.int32)).max()) / 32768


def test_no_instrument_clips_a_full_velocity_chord_at_full_volume():
    synth = FluidSynth(TIMGM)
    synth.set_volume(1.0)
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
        assert trims.cc7_for(instrument_for("string_ensemble_1")) < 100
        assert trims.cc7_for(instrument_for("acoustic_grand_piano")) == 127
    finally:
        trims.close()


@pytest.mark.parametrize("ceiling", [0.25, 0.5])
def test_the_ceiling_scales_every_instrument_alike(ceiling):
    synth = FluidSynth(TIMGM, gain_ceiling=ceiling)
    synth.set_volume(1.0)
    try:
        ratio = chord_peak(synth, "string_ensemble_1") / chord_peak(synth, "marimba")
    finally:
        synth.close()
    # The same trims at any ceiling: the balance between instruments holds.
    assert ratio == pytest.approx(_reference_ratio(), rel=0.05)


def _reference_ratio() -> float:
    synth = FluidSynth(TIMGM, gain_ceiling=0.4)
    synth.set_volume(1.0)
    try:
        return chord_peak(synth, "string_ensemble_1") / chord_peak(synth, "marimba")
    finally:
        synth.close()


def test_the_level_probe_is_dropped_once_the_instruments_are_ready():
    synth = FluidSynth(TIMGM)
    try:
        synth.select_instrument(Channel(0), instrument_for("pad_3_polysynth"))
        synth.instruments_ready()
        assert synth.trims._probe is None  # its copy of the soundfont is freed
        # A later instrument is still levelled (the probe comes back on demand,
        # unless this process measured it already).
        synth.select_instrument(Channel(1), instrument_for("string_ensemble_1"))
        assert synth._fs.get_cc(1, 7) < 100
    finally:
        synth.close()
