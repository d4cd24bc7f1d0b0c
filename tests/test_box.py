"""The whole box, end to end: a mock pin goes low, FluidSynth sounds the note.

Each test builds the box as the service does, but on gpiozero's mock pins and
with :class:`PacedRenderer` standing in for the sound card, so the audio the
box made can be read back from a WAV and listened to.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from audio_analysis import dominant_hz, midi_hz, read_wav, rms
from gpiozero import Button
from gpiozero.pins.mock import MockFactory

from appliance.box import Box, open_synth
from appliance.config import BoxConfig
from appliance.errors import AudioUnavailable
from appliance.events import SoundEvent, SoundKind
from appliance.profile import Profile, default_profile
from appliance.sound.fluid import AudioSettings
from appliance.sound.paced import PacedRenderer
from appliance.sound.synth import SynthState
from appliance.sound.wav import WavWriter

TIMGM = "/usr/share/sounds/sf2/TimGM6mb.sf2"
WAIT_S = 2.0


class Rig:
    """A box on mock pins, its synth rendered at real-time pace into a WAV."""

    def __init__(
        self, tmp_path: Path, factory: MockFactory, config: BoxConfig, profile: Profile
    ) -> None:
        self.factory = factory
        self.config = config
        self.synth = open_synth(config)
        self.wav = WavWriter(tmp_path / "box.wav", self.synth.sample_rate)
        self.renderer = PacedRenderer(self.synth, self.wav)
        #: Every sound event, with the frames already written when it was sent.
        self.heard: list[tuple[SoundEvent, int]] = []
        self._changed = threading.Condition()
        self.renderer.start()
        self.box = Box(config, profile, self.synth, pin_factory=factory, listeners=[self._hear])

    def _hear(self, event: SoundEvent) -> None:
        with self._changed:
            self.heard.append((event, self.wav.frames))
            self._changed.notify_all()

    def pin_of(self, switch: int):
        return self.factory.pin(self.config.switch_pins[switch - 1])

    def wait_for(self, kind: SoundKind, source: str) -> tuple[SoundEvent, int]:
        """Block until the engine has sent ``kind`` for ``source``; fail after WAIT_S."""

        def found() -> tuple[SoundEvent, int] | None:
            matches = ((e, f) for e, f in self.heard if e.type is kind and e.source == source)
            return next(matches, None)

        with self._changed:
            assert self._changed.wait_for(found, WAIT_S), f"no {kind} from {source}: {self.heard}"
            return found()  # type: ignore[return-value]

    def notes(self, source: str) -> list[int]:
        return [e.note for e, _ in self.heard if e.type is SoundKind.NOTE_ON and e.source == source]

    def press_and_release(self, switch: int, hold_s: float = 0.4) -> tuple[int, int]:
        """Play a switch; return the frames written at its note-on and note-off."""
        source = f"switch:{switch}"
        self.pin_of(switch).drive_low()
        _, on_at = self.wait_for(SoundKind.NOTE_ON, source)
        time.sleep(hold_s)  # how long the client holds the switch
        self.pin_of(switch).drive_high()
        _, off_at = self.wait_for(SoundKind.NOTE_OFF, source)
        return on_at, off_at

    def finish(self, tail_s: float = 0.3) -> tuple[np.ndarray, int]:
        """Stop the box, let the release ring out, and read the WAV back."""
        self.box.stop()
        time.sleep(tail_s)  # audio after the stop, to hear that it is silent
        self.renderer.stop()
        audio, rate = read_wav(self.wav.commit())
        return audio, rate

    def close(self) -> None:
        self.box.stop()
        self.renderer.stop()
        self.wav.discard()
        self.synth.close()


@pytest.fixture
def rig(tmp_path, mock_factory):
    made: list[Rig] = []

    def make(config: BoxConfig | None = None, profile: Profile | None = None) -> Rig:
        r = Rig(
            tmp_path,
            mock_factory,
            config or BoxConfig(soundfont=TIMGM, pads=None, beams=()),
            profile or default_profile(),
        )
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def ocarina_on(*switches: int) -> Profile:
    """The default profile with pure-toned ocarinas, so pitch can be measured."""
    profile = default_profile()
    for n in switches:
        profile = profile.with_setting(f"switch:{n}.instrument", "ocarina")
    return profile


def assert_heard(audio: np.ndarray, rate: int, start: int, stop: int, note: int) -> None:
    """The note sounds between frames ``start`` and ``stop`` (attack and release skipped)."""
    segment = audio[start + rate // 20 : stop]
    assert rms(segment) > 0.01, "the note is not in the audio"
    found = dominant_hz(segment, rate)
    assert found == pytest.approx(midi_hz(note), rel=0.01), f"heard {found:.1f} Hz"


# --- a press becomes a note ---------------------------------------------------------


def test_switch_1_press_plays_c4_into_the_audio_and_release_stops_it(rig):
    r = rig(profile=ocarina_on(1))
    r.box.start()
    on_at, off_at = r.press_and_release(1)
    audio, rate = r.finish()
    assert r.notes("switch:1") == [60]
    assert rms(audio[:on_at]) < 1e-4  # nothing before the press
    assert_heard(audio, rate, on_at, off_at, 60)
    # Released: the last 0.1 s of the file is back to near silence.
    assert rms(audio[-rate // 10 :]) < 1e-3
    assert float(np.abs(audio).max()) < 0.999


def test_a_five_switch_box_plays_switch_5(rig):
    config = BoxConfig(pads=None, beams=(), switch_pins=(5, 6, 13, 19, 26), soundfont=TIMGM)
    r = rig(config, ocarina_on(5))
    r.box.start()
    assert [s.id for s in r.box.switches] == [f"switch:{n}" for n in range(1, 6)]
    assert [s.pin for s in r.box.switches] == [5, 6, 13, 19, 26]
    on_at, off_at = r.press_and_release(5)
    audio, rate = r.finish()
    # switch:5 is not in the default profile: it plays degree 5, A4 in C major pentatonic.
    assert r.notes("switch:5") == [69]
    assert_heard(audio, rate, on_at, off_at, 69)


def test_stop_releases_a_held_note(rig):
    r = rig(profile=ocarina_on(1))
    r.box.start()
    r.pin_of(1).drive_low()
    _, on_at = r.wait_for(SoundKind.NOTE_ON, "switch:1")
    time.sleep(0.3)  # held, never released by the client
    audio, rate = r.finish(tail_s=0.5)
    kinds = [(e.type, e.source) for e, _ in r.heard if e.type is not SoundKind.PROGRAM]
    assert kinds == [
        (SoundKind.NOTE_ON, "switch:1"),
        (SoundKind.NOTE_OFF, "switch:1"),
        (SoundKind.ALL_NOTES_OFF, "stop"),
    ]
    assert rms(audio[on_at + rate // 10 : on_at + rate // 4]) > 0.01
    assert rms(audio[-rate // 10 :]) < 1e-3


def test_stop_silences_a_held_note_at_once(rig):
    config = BoxConfig(pads=None, beams=(), switch_pins=(5, 6, 13, 19, 26), soundfont=TIMGM)
    r = rig(config, ocarina_on(1))
    r.box.start()
    r.pin_of(1).drive_low()
    r.wait_for(SoundKind.NOTE_ON, "switch:1")
    time.sleep(0.2)  # held
    stop_at = r.wav.frames
    audio, rate = r.finish(tail_s=0.2)
    _, off_at = r.wait_for(SoundKind.NOTE_OFF, "switch:1")
    assert (off_at - stop_at) / rate < 0.05
    # 0.15 s after the stop was asked only the reverb tail is left (below -54 dBFS).
    assert rms(audio[stop_at + int(0.15 * rate) : stop_at + int(0.25 * rate)]) < 2e-3


def test_stop_closes_the_switches(rig, mock_factory):
    r = rig()
    r.box.start()
    r.box.stop()
    assert r.box.switches == []
    for pin in r.config.switch_pins:
        Button(pin, pin_factory=mock_factory).close()  # each pin is free again


# --- one bad jack -------------------------------------------------------------------------


@pytest.fixture
def pin_6_taken(mock_factory):
    holder = Button(6, pin_factory=mock_factory)
    yield holder
    holder.close()


def test_a_pin_gpiozero_refuses_marks_that_switch_offline_and_the_rest_play(rig, pin_6_taken):
    config = BoxConfig(pads=None, beams=(), switch_pins=(5, 6, 13), soundfont=TIMGM)
    r = rig(config, ocarina_on(1, 3))
    r.box.start()
    assert list(r.box.offline) == ["switch:2"]
    reason = r.box.offline["switch:2"]
    assert reason.startswith("GPIO6: ") and "in use" in reason
    assert [s.id for s in r.box.switches] == ["switch:1", "switch:3"]

    r.pin_of(2).drive_low()  # the other device on GPIO6 sees it; the box must not
    assert pin_6_taken.is_pressed
    on3, off3 = r.press_and_release(3)
    on1, off1 = r.press_and_release(1, hold_s=0.3)
    r.box.loop.call(lambda: None)  # everything submitted so far has been handled
    r.pin_of(2).drive_high()
    audio, rate = r.finish()
    assert r.notes("switch:2") == []
    assert r.notes("switch:3") == [67]  # degree 4: G4
    assert r.notes("switch:1") == [60]
    assert_heard(audio, rate, on3, off3, 67)
    assert_heard(audio, rate, on1, off1, 60)


def test_an_offline_switch_is_shown_offline_in_the_status(rig, pin_6_taken):
    r = rig(BoxConfig(pads=None, beams=(), switch_pins=(5, 6, 13), soundfont=TIMGM))
    r.box.start()
    by_id = {i.id: i for i in r.box.loop.status().inputs}
    assert by_id["switch:1"].online and by_id["switch:3"].online
    assert not by_id["switch:2"].online
    assert by_id["switch:2"].reason == r.box.offline["switch:2"]


# --- no sound card --------------------------------------------------------------------------


def test_without_a_sound_card_the_box_still_starts_plays_and_says_so(
    tmp_path, mock_factory: MockFactory
):
    config = BoxConfig(soundfont=TIMGM, audio=AudioSettings(device="tonic_test_no_such_device"))
    synth = open_synth(config)
    heard: list[SoundEvent] = []
    played = threading.Event()

    def hear(event: SoundEvent) -> None:
        heard.append(event)
        if event.type is SoundKind.NOTE_ON:
            played.set()

    try:
        with pytest.raises(AudioUnavailable):
            synth.start_audio(config.audio)
        box = Box(config, ocarina_on(1), synth, pin_factory=mock_factory, listeners=[hear])
        with box:
            status = box.loop.status()
            assert status.synth == SynthState.SILENT.value
            reason = status.synth_reason
            assert reason.startswith("no audio device (alsa tonic_test_no_such_device): ")
            mock_factory.pin(config.switch_pins[0]).drive_low()
            assert played.wait(WAIT_S)
            # With no device, the synth still renders: the note can be heard offline.
            audio = synth.render(24000).reshape(-1, 2) / 32768.0
            mock_factory.pin(config.switch_pins[0]).drive_high()
        assert dominant_hz(audio[4800:], synth.sample_rate) == pytest.approx(midi_hz(60), rel=0.01)
    finally:
        synth.close()


def _broken_listener(event: SoundEvent) -> None:
    raise RuntimeError("a broken listener")


def test_a_broken_listener_does_not_stop_the_music(rig):
    r = rig(profile=ocarina_on(1))
    r.box.engine.listeners.insert(0, _broken_listener)
    r.box.start()
    on_at, off_at = r.press_and_release(1)
    audio, rate = r.finish()
    assert_heard(audio, rate, on_at, off_at, 60)
