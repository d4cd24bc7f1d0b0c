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

Falling behind (a busy machine) loses the late stretch of time, as an
underrun does live. With ``catch_up`` (the demo, whose WAV is the session's
record and has no listener to wait for) the missed blocks are rendered back
to back instead, and ``stop()`` renders up to the moment it was called, so
the WAV lasts as long as the session and every note sits at its time.

The pace comes from two functions it is given: ``clock`` (``perf_counter``)
and ``wait`` (``Event.wait`` on the stop event, so ``stop()`` never waits
out a sleep). Tests give a simulated clock, so what they check does not
depend on how busy the machine is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from appliance.sound.fluid import BLOCK_FRAMES, FluidSynth
from appliance.sound.synth import SynthState
from appliance.sound.wav import WavWriter

#: How long stop() waits for the thread: a render of one block takes well under 1 ms.
STOP_TIMEOUT_S = 2.0


def wait_for_event(event: threading.Event, timeout: float) -> bool:
    return event.wait(timeout)


class PacedRenderer:
    def __init__(
        self,
        synth: FluidSynth,
        wav: WavWriter | None = None,
        block: int = BLOCK_FRAMES,
        idle_after_s: float | None = None,
        *,
        clock: Callable[[], float] = time.perf_counter,
        wait: Callable[[threading.Event, float], bool] = wait_for_event,
        catch_up: bool = False,
    ) -> None:
        self.synth = synth
        self._clock = clock
        self._wait = wait
        self.idle_after_s = idle_after_s
        self.wav = wav
        self.block = block
        self.blocks = 0
        self.late_blocks = 0  # blocks rendered after their deadline (an underrun, live)
        self.catch_up = catch_up
        self._stop = threading.Event()
        self._stop_at = 0.0  # the clock when stop() was called
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.synth.state = SynthState.SILENT
        self.synth.state_reason = "no audio device: rendering at real-time pace without output"
        self._thread = threading.Thread(target=self._run, name="tonic-audio", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop_at = self._clock()
        self._stop.set()
        self.synth.woken.set()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S)
            self._thread = None

    def _run(self) -> None:
        period = self.block / self.synth.sample_rate
        render, wav, clock = self.synth.render, self.wav, self._clock
        next_due = clock()
        idle_blocks = None if self.idle_after_s is None else round(self.idle_after_s / period)
        quiet = 0
        # At the top of the loop the blocks rendered reach next_due.
        while not self._stop.is_set() or (self.catch_up and next_due < self._stop_at):
            if idle_blocks is not None:
                quiet = quiet + 1 if self._silent() else 0
                if quiet > idle_blocks:
                    self._sleep_until_woken()
                    quiet = 0
                    next_due = clock()
            samples = render(self.block)
            if wav is not None:
                wav.write(samples)
            self.blocks += 1
            next_due += period
            delay = next_due - clock()
            if delay > 0:
                self._wait(self._stop, delay)
            elif delay < -period:
                # Fell behind by more than a block: count it, and resynchronise
                # rather than render a burst, unless catching up.
                self.late_blocks += 1
                if not self.catch_up:
                    next_due = clock()

    def _silent(self) -> bool:
        # Scheduled notes still to come keep the clock going: they are played
        # by the synth's own sequencer, which only moves while it renders.
        return self.synth.active_voices() == 0 and not self.synth.has_scheduled()

    def _sleep_until_woken(self) -> None:
        woken = self.synth.woken
        woken.clear()
        if self._silent():  # a note between the check and the clear
            woken.wait()
