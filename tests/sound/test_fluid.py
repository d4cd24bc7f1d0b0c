"""The real synth, rendered offline and listened to: pitch, level, silence.

Every figure here was measured with TimGM6mb at 48 kHz. Ocarina (GM 80,
program 79) is used wherever pitch matters: it is nearly a pure tone, so the
strongest FFT bin is the fundamental.
"""

from __future__ import annotations

import numpy as np
import pytest
from audio_analysis import dominant_hz, midi_hz, rms

from appliance.errors import AudioUnavailable, TonicError
from appliance.sound.fluid import SAMPLE_RATE, AudioSettings, FluidSynth
from appliance.sound.instruments import instrument_for
from appliance.sound.synth import DRUM_CHANNEL, Channel, SynthState

CH0, CH1 = Channel(0), Channel(1)
OCARINA = instrument_for("ocarina")
#: An ALSA device that exists on no machine, so the failure path runs the
#: same way here, on CI (no sound card) and on a laptop (no beep).
NO_SUCH_DEVICE = "tonic_test_no_such_device"


def listen(synth: FluidSynth, seconds: float) -> np.ndarray:
    """Render ``seconds`` of audio as float stereo, shape (frames, 2), full scale 1.0."""
    samples = synth.render(round(seconds * synth.sample_rate))
    assert samples.dtype == np.int16
    return samples.reshape(-1, 2).astype(np.float64) / 32768.0


def peak(audio: np.ndarray) -> float:
    return float(np.abs(audio).max())


def level_near(audio: np.ndarray, rate: int, hz: float) -> float:
    """The strongest spectral magnitude within 2 % of ``hz`` (arbitrary units)."""
    mono = audio.mean(axis=1)
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    freqs = np.fft.rfftfreq(len(mono), 1 / rate)
    band = (freqs > hz * 0.98) & (freqs < hz * 1.02)
    return float(spectrum[band].max())


def sounding(synth: FluidSynth, channel: Channel, note: int, instrument=OCARINA) -> None:
    synth.select_instrument(channel, instrument)
    synth.note_on(channel, note, 100)


def assert_pitch(audio: np.ndarray, hz: float, tolerance: float = 0.01) -> None:
    found = dominant_hz(audio, SAMPLE_RATE)
    assert found == pytest.approx(hz, rel=tolerance), f"heard {found:.1f} Hz, wanted {hz:.1f}"


# --- loading and pitch -------------------------------------------------------


def test_loads_the_soundfont_and_stays_silent_until_a_volume_is_chosen(new_synth):
    synth = new_synth(volume=None)
    assert synth.state is SynthState.OFFLINE
    assert synth.sample_rate == SAMPLE_RATE
    sounding(synth, CH0, 69)
    # Gain starts at zero: a note before set_volume() is at most dither.
    assert peak(listen(synth, 0.5)) <= 2 / 32768
    synth.set_volume(1.0)
    synth.note_on(CH0, 72, 100)
    audio = listen(synth, 0.5)
    assert rms(audio) > 0.02
    assert_pitch(audio[4800:], midi_hz(72))


@pytest.mark.parametrize(("note", "hz"), [(69, 440.0), (76, midi_hz(76)), (60, midi_hz(60))])
def test_note_on_sounds_the_right_pitch(new_synth, note, hz):
    synth = new_synth()
    sounding(synth, CH0, note)
    audio = listen(synth, 0.6)
    assert_pitch(audio[4800:], hz)  # skip the attack
    assert rms(audio) > 0.01
    assert peak(audio) < 0.999


def test_note_off_decays_to_near_silence(new_synth):
    synth = new_synth()
    sounding(synth, CH0, 69)
    held = rms(listen(synth, 0.5))
    synth.note_off(CH0, 69)
    listen(synth, 0.5)  # release and reverb tail
    after = listen(synth, 0.5)
    assert held > 0.02
    assert rms(after) < held * 0.01  # at least 40 dB down
    assert peak(after) < 0.005


def test_all_notes_off_releases_every_channel(new_synth):
    synth = new_synth()
    sounding(synth, CH0, 69)
    sounding(synth, CH1, 76)
    sounding(synth, Channel(5), 64)
    held = rms(listen(synth, 0.5))
    synth.all_notes_off()
    listen(synth, 0.5)
    after = listen(synth, 0.5)
    assert rms(after) < held * 0.01
    assert peak(after) < 0.005


def test_all_notes_off_on_one_channel_leaves_the_others_sounding(new_synth):
    synth = new_synth()
    sounding(synth, CH0, 69)  # A4, 440 Hz
    sounding(synth, CH1, 76)  # E5, 659 Hz
    before = listen(synth, 0.5)
    synth.all_notes_off(CH1)
    listen(synth, 0.5)
    after = listen(synth, 0.5)
    e5 = midi_hz(76)
    assert level_near(after, SAMPLE_RATE, e5) < level_near(before, SAMPLE_RATE, e5) * 0.05
    assert level_near(after, SAMPLE_RATE, 440.0) == pytest.approx(
        level_near(before, SAMPLE_RATE, 440.0), rel=0.3
    )
    assert_pitch(after, 440.0)


def test_channel_volume_cc7_zero_silences_the_channel_and_100_restores_it(new_synth):
    synth = new_synth()
    sounding(synth, CH0, 69)
    held = rms(listen(synth, 0.5))
    synth.control_change(CH0, 7, 0)
    listen(synth, 0.3)  # reverb tail of what was already playing
    muted = listen(synth, 0.3)
    synth.control_change(CH0, 7, 100)
    restored = listen(synth, 0.3)
    assert rms(muted) < held * 0.02
    assert rms(restored) == pytest.approx(held, rel=0.2)
    assert_pitch(restored, 440.0)


def test_pan_cc10_zero_puts_the_note_on_the_left(new_synth):
    synth = new_synth()
    synth.select_instrument(CH0, OCARINA)
    synth.control_change(CH0, 10, 0)
    synth.note_on(CH0, 69, 100)
    audio = listen(synth, 0.5)
    left, right = rms(audio[:, 0]), rms(audio[:, 1])
    assert left > 0.02
    assert right < left * 0.1


# The default bend range is +-2 semitones over -8192..8191, so +2048 is a
# quarter of it: half a semitone (measured 453 Hz), not a whole one. +4096 is
# one semitone.
@pytest.mark.parametrize(
    ("bend", "semitones"),
    [(4096, 1.0), (2048, 0.5), (8191, 2.0), (-4096, -1.0), (-8192, -2.0)],
)
def test_pitch_bend_shifts_the_pitch_by_the_measured_amount(new_synth, bend, semitones):
    synth = new_synth()
    sounding(synth, CH0, 69)
    assert_pitch(listen(synth, 0.5)[4800:], 440.0)
    synth.pitch_bend(CH0, bend)
    listen(synth, 0.05)
    assert_pitch(listen(synth, 0.5), 440.0 * 2 ** (semitones / 12), tolerance=0.005)
    synth.pitch_bend(CH0, 0)
    listen(synth, 0.05)
    assert_pitch(listen(synth, 0.5), 440.0, tolerance=0.005)


def test_drum_kit_on_channel_9_makes_sound(new_synth):
    synth = new_synth()
    synth.select_instrument(DRUM_CHANNEL, instrument_for("drums"))
    assert peak(listen(synth, 0.1)) <= 2 / 32768
    for note in (36, 38, 42):  # kick, snare, closed hi-hat
        synth.note_on(DRUM_CHANNEL, note, 110)
    audio = listen(synth, 0.5)
    assert rms(audio) > 0.01
    assert peak(audio) < 0.999


def test_velocity_sets_the_level_and_is_clamped_to_the_midi_range(new_synth):
    synth = new_synth()
    assert [synth.clamp_velocity(v) for v in (-5, 0, 1, 64, 127, 128, 500)] == [
        1,
        1,
        1,
        64,
        127,
        127,
        127,
    ]
    levels = []
    for velocity in (30, 127):
        one = new_synth()
        sounding_at = one.clamp_velocity(velocity)
        one.select_instrument(CH0, OCARINA)
        one.note_on(CH0, 69, sounding_at)
        levels.append(rms(listen(one, 0.5)))
    assert levels[1] > levels[0] * 2


# --- volume and the gain ceiling ----------------------------------------------


@pytest.mark.parametrize(
    ("volume", "expected"),
    [
        (1.0, 0.5),
        (0.5, 0.25),
        (0.0, 0.0),
        (5.0, 0.5),
        (1e9, 0.5),
        (float("inf"), 0.5),
        (-0.1, 0.0),
        (-1e9, 0.0),
        (float("-inf"), 0.0),
    ],
)
def test_set_volume_maps_onto_the_ceiling_and_clamps(new_synth, volume, expected):
    synth = new_synth(volume=None)
    assert synth.gain_ceiling == 0.5
    assert synth.set_volume(volume) == expected


def test_set_volume_one_gives_exactly_a_custom_ceiling(new_synth):
    synth = new_synth(volume=None, gain_ceiling=0.3)
    assert synth.set_volume(1.0) == synth.gain_ceiling == 0.3


@pytest.mark.parametrize("volume", [5.0, 1e9])
def test_too_loud_a_volume_sounds_exactly_like_full_volume(new_synth, volume):
    full, over = new_synth(1.0), new_synth(volume)
    for synth in (full, over):
        sounding(synth, CH0, 69)
    assert np.array_equal(listen(full, 0.5), listen(over, 0.5))


@pytest.mark.parametrize("volume", [-1.0, -1e9])
def test_negative_volume_is_silent(new_synth, volume):
    synth = new_synth(volume)
    sounding(synth, CH0, 69)
    assert peak(listen(synth, 0.5)) <= 2 / 32768


def test_nan_volume_never_makes_the_box_loud(new_synth):
    """A NaN gain makes FluidSynth render full scale; set_volume must stop it."""
    synth = new_synth()
    gain = synth.set_volume(float("nan"))
    sounding(synth, CH0, 69)
    assert 0.0 <= gain <= synth.gain_ceiling
    assert peak(listen(synth, 0.5)) < 0.2


def test_a_held_note_survives_the_volume_going_to_zero_and_back(new_synth):
    synth = new_synth(1.0)
    sounding(synth, CH0, 69)
    held = rms(listen(synth, 0.5))
    synth.set_volume(0.0)
    # FluidSynth ramps the gain over one block, and the reverb tail already
    # in flight decays on its own; after that the note is inaudible.
    silent = listen(synth, 0.5)[int(0.25 * 48000) :]
    assert rms(silent) < held * 0.05
    synth.set_volume(1.0)
    back = listen(synth, 0.5)
    assert rms(back) == pytest.approx(held, rel=0.2)


def test_rendered_level_scales_with_volume(new_synth):
    levels = {}
    for volume in (1.0, 0.5, 0.25):
        synth = new_synth(volume)
        sounding(synth, CH0, 69)
        levels[volume] = rms(listen(synth, 0.5))
    assert levels[0.5] / levels[1.0] == pytest.approx(0.5, rel=0.05)
    assert levels[0.25] / levels[1.0] == pytest.approx(0.25, rel=0.05)


def test_volume_change_takes_effect_on_a_sounding_note(new_synth):
    synth = new_synth(1.0)
    sounding(synth, CH0, 69)
    listen(synth, 0.2)
    loud = rms(listen(synth, 0.3))
    synth.set_volume(0.5)
    quiet = rms(listen(synth, 0.3))
    assert quiet / loud == pytest.approx(0.5, rel=0.1)


@pytest.mark.parametrize(
    "name",
    [
        "ocarina",
        "vibraphone",
        "string_ensemble_1",
        "synth_brass_2",
        "orchestral_harp",
        "pad_1_new_age",
    ],
)
def test_loud_four_note_chord_at_full_volume_does_not_clip(new_synth, name):
    synth = new_synth(1.0)
    assert synth.gain_ceiling == 0.5
    synth.select_instrument(CH0, instrument_for(name))
    for note in (60, 64, 67, 72):
        synth.note_on(CH0, note, 127)
    audio = listen(synth, 2.0)
    assert rms(audio) > 0.02
    assert peak(audio) < 0.999


# --- live audio where there is no sound card -----------------------------------


def test_start_audio_without_a_device_raises_goes_silent_and_still_renders(new_synth):
    synth = new_synth()
    with pytest.raises(AudioUnavailable) as caught:
        synth.start_audio(AudioSettings(device=NO_SUCH_DEVICE))
    error = caught.value
    assert isinstance(error, TonicError) and isinstance(error, OSError)
    message = str(error)
    assert "\n" not in message
    assert message.startswith(f"no audio device (alsa {NO_SUCH_DEVICE}): ")
    assert synth.state is SynthState.SILENT
    assert synth.state_reason == message
    # The synth is still whole: it renders offline as before.
    sounding(synth, CH0, 69)
    audio = listen(synth, 0.5)
    assert_pitch(audio[4800:], 440.0)


def test_start_audio_with_an_unknown_driver_names_it(new_synth):
    synth = new_synth()
    with pytest.raises(AudioUnavailable, match="nosuchdriver"):
        synth.start_audio(AudioSettings(driver="nosuchdriver"))
    assert synth.state is SynthState.SILENT
    assert "nosuchdriver" in synth.state_reason


@pytest.mark.parametrize("device", ["default", NO_SUCH_DEVICE])
def test_start_audio_failure_prints_nothing_to_stderr(new_synth, capfd, device):
    """libasound and FluidSynth both print the failure themselves; the box says it once."""
    synth = new_synth()
    capfd.readouterr()
    try:
        synth.start_audio(AudioSettings(device=device))
    except AudioUnavailable:
        pass
    finally:
        synth.close()  # stop the driver at once if this machine does have a sound card
    assert capfd.readouterr().err == ""


def test_close_is_idempotent_and_marks_the_synth_closed(new_synth):
    synth = new_synth()
    sounding(synth, CH0, 69)
    synth.close()
    synth.close()
    assert synth.state is SynthState.CLOSED
