"""The whole box with pads and a beam on simulated hardware: touch, listen, fail, recover.

The pads are the real PadBoard and Adafruit driver on the register-level
MPR121 emulator (its IRQ on a mock pin); the beam is the real scanner on a
simulated HC-SR04 whose echo is exactly as long as the distance set (not
gpiozero's MockTriggerPin, whose sleeping thread reads long on a busy
machine). The synth renders at real-time pace into a WAV, so what the box
played is listened to. Nothing here times the wall clock: waits only bound
a hang.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from audio_analysis import dominant_hz, midi_hz, read_wav, rms

from appliance.box import Box, open_synth
from appliance.config import BoxConfig
from appliance.events import SetSetting, SoundEvent, SoundKind
from appliance.inputs.simulated import SimulatedHardware
from appliance.profile import Profile, default_profile
from appliance.sound.paced import PacedRenderer
from appliance.sound.wav import WavWriter

WAIT_S = 5.0


class Session:
    def __init__(self, tmp_path: Path, profile: Profile) -> None:
        self.config = BoxConfig()
        self.hw = SimulatedHardware(self.config)
        self.synth = open_synth(self.config)
        self.wav = WavWriter(tmp_path / "session.wav", self.synth.sample_rate)
        self.renderer = PacedRenderer(self.synth, self.wav)
        self.heard: list[tuple[SoundEvent, int]] = []
        self._changed = threading.Condition()
        self.renderer.start()
        self.box = Box(
            self.config,
            profile,
            self.synth,
            pin_factory=self.hw.factory,
            i2c=self.hw.i2c,
            listeners=[self._hear],
        )
        self.box.start()

    def _hear(self, event: SoundEvent) -> None:
        with self._changed:
            self.heard.append((event, self.wav.frames))
            self._changed.notify_all()

    def wait_for(self, kind: SoundKind, source: str, after: int = 0) -> tuple[SoundEvent, int]:
        def found() -> tuple[SoundEvent, int] | None:
            hits = [(e, f) for e, f in self.heard[after:] if e.type is kind and e.source == source]
            return hits[0] if hits else None

        with self._changed:
            assert self._changed.wait_for(found, WAIT_S), f"no {kind} from {source}"
            return found()  # type: ignore[return-value]

    def wait_until(self, condition, what: str) -> None:
        deadline = time.monotonic() + WAIT_S
        while not condition():
            assert time.monotonic() < deadline, what
            time.sleep(0.01)

    def input(self, iid: str):
        return next(i for i in self.box.status().inputs if i.id == iid)

    def mark(self) -> int:
        with self._changed:
            return len(self.heard)

    def close(self) -> None:
        self.box.stop()
        self.renderer.stop()
        self.wav.discard()
        self.synth.close()
        self.hw.close()


@pytest.fixture
def session(tmp_path):
    made: list[Session] = []

    def make(profile: Profile | None = None) -> Session:
        s = Session(tmp_path, profile or default_profile())
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


def test_touching_an_emulated_pad_sounds_its_note(session):
    s = session(default_profile().with_setting("pad:3.instrument", "ocarina"))
    s.wait_until(lambda: s.box.pads is not None and s.box.pads.online, "pads online")
    s.hw.touch(3)
    event, on_at = s.wait_for(SoundKind.NOTE_ON, "pad:3")
    assert event.note == 64  # degree 3 of C major pentatonic: E4
    time.sleep(0.5)
    s.hw.untouch(3)
    _, off_at = s.wait_for(SoundKind.NOTE_OFF, "pad:3")
    s.box.stop()
    s.renderer.stop()
    audio, rate = read_wav(s.wav.commit())
    segment = audio[on_at + rate // 10 : off_at]
    assert rms(segment) > 0.01
    assert abs(dominant_hz(segment, rate) / midi_hz(64) - 1) < 0.01


def test_pad_levels_show_a_touch_against_the_baseline(session):
    s = session()
    s.wait_until(lambda: s.box.pads is not None and s.box.pads.online, "pads online")
    s.hw.touch(5)
    s.wait_for(SoundKind.NOTE_ON, "pad:5")
    pad5, pad6 = s.input("pad:5"), s.input("pad:6")
    assert pad5.filtered is not None and pad5.baseline is not None
    assert pad5.baseline - pad5.filtered > 12  # past the touch threshold
    assert abs(pad6.baseline - pad6.filtered) < 6  # untouched
    # Status reads the levels on the caller's thread, never on the engine's.
    assert "tonic-engine" not in set(s.hw.mpr121.reader_threads)


def test_a_pad_threshold_set_in_the_profile_reaches_the_chip_from_the_pad_thread(session):
    s = session()
    s.wait_until(lambda: s.box.pads is not None and s.box.pads.online, "pads online")
    chip = s.hw.mpr121
    set_up = len(chip.write_log)
    s.box.loop.submit(SetSetting(time.monotonic(), "pad:2.touch_threshold", "40"))
    s.box.loop.submit(SetSetting(time.monotonic(), "pad:2.release_threshold", "20"))
    s.wait_until(lambda: chip.register(0x42 + 2 * 1) == 20, "release threshold written")
    assert chip.register(0x41 + 2 * 1) == 40
    # The engine's thread asked; the pad thread wrote. Never I2C on the engine's thread.
    writers = {name for _, name in list(chip.write_log)[set_up:]}
    assert writers == {f"tonic-pads-{s.config.pads.address:#x}"}
    # A weak touch below the new threshold is no longer a touch: the chip's
    # status does not change, so it never even raises IRQ.
    chip.set_signal(1, 30)
    assert chip.touched_mask == 0 and not chip.irq
    chip.set_signal(1, 60)
    s.wait_for(SoundKind.NOTE_ON, "pad:2")
    assert not [e for e, _ in s.heard if e.source == "pad:2" and e.type is SoundKind.NOTE_OFF]


def test_the_pads_fail_mid_session_and_everything_else_keeps_playing(session):
    s = session()
    board = s.box.pads
    assert board is not None
    s.wait_until(lambda: board.online, "pads online")

    # A pad is held when the chip goes away: its note must not drone on.
    s.hw.touch(1)
    s.wait_for(SoundKind.NOTE_ON, "pad:1")
    mark = s.mark()
    s.hw.mpr121.unplug()
    s.wait_for(SoundKind.NOTE_OFF, "pad:1", after=mark)
    s.wait_until(lambda: not s.input("pad:1").online, "pads shown offline")
    reason = s.input("pad:7").reason
    assert "MPR121 at 0x5A" in reason and "Errno" in reason

    # Switches and the beam still play while the pads are gone.
    mark = s.mark()
    s.hw.press(2)
    s.wait_for(SoundKind.NOTE_ON, "switch:2", after=mark)
    s.hw.release(2)
    s.hw.hand_at(1, 0.5)
    s.wait_for(SoundKind.NOTE_ON, "beam:1", after=mark)
    s.hw.hand_at(1, None)
    s.wait_for(SoundKind.NOTE_OFF, "beam:1", after=mark)

    # The chip comes back: the pads are online and play again, at the board's
    # next retry (it backs off 0.5, 1, 2 s...; the chip was away about 1 s).
    s.hw.mpr121.replug()
    s.wait_until(lambda: s.input("pad:1").online, "pads back online")
    assert s.input("pad:1").reason == ""
    mark = s.mark()
    s.hw.untouch(1)
    s.hw.touch(4)
    event, _ = s.wait_for(SoundKind.NOTE_ON, "pad:4", after=mark)
    assert event.note == 67  # G4
    assert s.box.status().errors == 0


def test_the_beam_plays_zones_from_the_mock_sensor(session):
    s = session(default_profile().with_setting("beam:1.zones", "5"))
    s.hw.hand_at(1, 0.25)  # zone 1 of 5 (0.15..0.32): C4
    first, _ = s.wait_for(SoundKind.NOTE_ON, "beam:1")
    assert first.note == 60
    mark = s.mark()
    s.hw.hand_at(1, 0.58)  # zone 3 (0.49..0.66): E4, confirmed by the next ping
    moved, _ = s.wait_for(SoundKind.NOTE_ON, "beam:1", after=mark)
    assert moved.note == 64
    status = s.input("beam:1")
    # The simulated echo is exact, so the box measures what was set, busy or not.
    assert status.zone == 2 and status.distance == pytest.approx(0.58, abs=0.001)
