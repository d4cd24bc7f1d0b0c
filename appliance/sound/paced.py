"""A stand-in for a live audio driver: render in small blocks at real-time pace.

On the Pi, FluidSynth's ALSA driver pulls 64-frame periods from its own
thread. Where there is no sound card (a laptop, CI, the demo on a build
machine) this thread does the same job: one ``render(64)`` every 1.33 ms at
48 kHz, sleeping between blocks, optionally keeping the audio in a WAV. The
engine plays into a synth that is rendering exactly as it would live, which
is what the latency benchmark and the demo need.

With ``idle_after_s`` set (the service, where no WAV is kept and nobody
listens), the thread stops rendering once no voice has sounded for that long
(reverb tails included) and sleeps until the next note-on wakes it: 750
wake-ups a second of silence would otherwise be the idle box's whole CPU.
"""

from __future__ import annotations

import threading
import time

from appliance.sound.fluid import BLOCK_FRAMES, FluidSynth
from appliance.sound.synth import SynthState
from appliance.sound.wav import WavWriter


class PacedRenderer:
    def __init__(
        self,
        synth: FluidSynth,
        wav: WavWriter | None = None,
        block: int = BLOCK_FRAMES,
        idle_after_s: float | None = None,
    ) -> None:
        self.synth = synth
        self.idle_after_s = idle_after_s
        self.wav = wav
        self.block = block
        self.blocks = 0
        self.late_blocks = 0  # blocks rendered after their deadline (an underrun, live)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.synth.state = SynthState.SILENT
        self.synth.state_reason = "no audio device: rendering at real-time pace without output"
        self._thread = threading.Thread(target=self._run, name="tonic-audio", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.synth.woken.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        period = self.block / self.synth.sample_rate
        render, wav = self.synth.render, self.wav
        next_due = time.perf_counter()
        idle_blocks = None if self.idle_after_s is None else round(self.idle_after_s / period)
        quiet = 0
        while not self._stop.is_set():
            if idle_blocks is not None:
                quiet = quiet + 1 if self.synth.active_voices() == 0 else 0
                if quiet > idle_blocks:
                    self._sleep_until_woken()
                    quiet = 0
                    next_due = time.perf_counter()
            samples = render(self.block)
            if wav is not None:
                wav.write(samples)
            self.blocks += 1
            next_due += period
            delay = next_due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            elif delay < -period:
                # Fell behind by more than a block: count it and resynchronise
                # rather than rendering a burst to catch up.
                self.late_blocks += 1
                next_due = time.perf_counter()

    def _sleep_until_woken(self) -> None:
        woken = self.synth.woken
        woken.clear()
        if self.synth.active_voices() == 0:  # a note between the check and the clear
            woken.wait()
