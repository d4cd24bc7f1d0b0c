"""The box's hardware, faked at the lowest level.

For ``tonic demo``, benchmarks and running on a laptop: gpiozero's mock pins
stand in for the switch jacks, an emulated MPR121 on a fake I2C bus (with its
IRQ line on a mock pin) stands in for the pads, and simulated HC-SR04s
(:class:`EchoingTriggerPin`) echo from whatever distance is set. Everything
above these (gpiozero devices, the Adafruit driver, the scanner, the engine)
runs unchanged.

A simulated beam reads exactly by default. Given a
:class:`~appliance.inputs.beam_noise.BeamNoise`, each ping reads through it
instead, with a seeded generator per beam, so the simulated box hears what
a real HC-SR04 says (and its filter is put to work) and a run with the same
seed and the same pings reads the same.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from gpiozero.pins.mock import MockFactory, MockPin, PinState

from appliance.config import BoxConfig
from appliance.inputs.beam_noise import BeamNoise, NoisySensor
from appliance.inputs.beams import SPEED_OF_SOUND
from appliance.inputs.mpr121_emulator import MPR121Emulator

#: How long a real HC-SR04 holds ECHO high when nothing comes back (about
#: 38 ms): the scanner reads it as an empty beam.
NOTHING_ECHO_S = 0.038
#: How many trigger times a simulated sensor remembers, for tests.
PINGS_KEPT = 1024
#: The noisy beams' seed unless one is given: beam N draws from seed + N - 1.
BEAM_NOISE_SEED = 2024


def drive_at(pin: MockPin, high: bool, t: float) -> None:
    """Drive an input mock pin as ``drive_high``/``drive_low`` do, stamped ``t``, not now.

    The stamp is what a listener gets as the edge's ``ticks``. (This mirrors
    ``MockPin._change_state``, which always stamps ``monotonic()``.)
    """
    if pin._state == high:
        return
    pin._state = high
    pin.states.append(PinState(t - pin._last_change, high))
    pin._last_change = t
    if pin._edges in ("both", "rising" if high else "falling") and pin._when_changed is not None:
        pin._call_when_changed()


class EchoingTriggerPin(MockPin):
    """TRIG of a simulated HC-SR04 whose echo is exactly ``echo_time`` long.

    gpiozero's ``MockTriggerPin`` times its echo with a thread that sleeps,
    so on a busy machine (or a Pi) the sleep overruns and a hand reads
    centimetres, sometimes a whole zone, too far away. Here the echo
    happens on the thread that raised TRIG, and its two edges are stamped
    from ``clock`` exactly ``echo_time`` apart, so the scanner measures the
    distance that was set, whatever the load::

        TRIG  __|~~ (the scanner's trigger.on())
        ECHO  __|~~~~~~~~~~~~~~|____    rise at clock(), fall at clock() + echo_time
                <- echo_time ->         (``sleep(echo_time)`` between, if given)

    ``sleep`` lets simulated time pass during the echo, as it would for a
    real one; without it the echo is instant. ``pings`` records when TRIG
    went high, by ``clock``. ``next_echo``, when set, gives each ping's own
    echo time instead of ``echo_time`` (a noisy sensor).
    """

    def __init__(
        self,
        factory: MockFactory,
        info: object,
        echo_pin: MockPin | None = None,
        echo_time: float = NOTHING_ECHO_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        super().__init__(factory, info)
        self.echo_pin = echo_pin
        self.echo_time = echo_time
        self.clock = clock
        self.sleep = sleep
        self.next_echo: Callable[[], float] | None = None
        self.pings: deque[float] = deque(maxlen=PINGS_KEPT)

    def _set_state(self, value: bool) -> None:
        super()._set_state(value)
        if value:
            self._echo()

    def _echo(self) -> None:
        t = self.clock()
        self.pings.append(t)
        echo, width = self.echo_pin, self.echo_time
        if echo is None:
            return  # no ECHO wire: the scanner hears nothing
        if self.next_echo is not None:
            width = self.next_echo()
        drive_at(echo, True, t)
        if self.sleep is not None:
            self.sleep(width)
        drive_at(echo, False, t + width)


class SimulatedHardware:
    """The box's switches, pads and beams on mock pins and an emulated chip.

    ``beam_noise`` makes every simulated beam read through that noise model
    (beam N with its own generator, seeded ``beam_seed + N - 1``); None, the
    default, reads exactly what :meth:`hand_at` set.
    """

    def __init__(
        self,
        config: BoxConfig,
        *,
        beam_noise: BeamNoise | None = None,
        beam_seed: int = BEAM_NOISE_SEED,
    ) -> None:
        self.config = config
        self.factory = MockFactory()
        self.mpr121: MPR121Emulator | None = None
        if config.pads is not None:
            self.mpr121 = MPR121Emulator(address=config.pads.address)
            irq = config.pads.irq_pin
            if irq is not None:
                self._irq = self.factory.pin(irq)
                self._irq.drive_high()  # open drain, pulled up: idle high
                self.mpr121.on_irq = self._drive_irq
        self._sensors = [
            self.factory.pin(
                b.trigger,
                pin_class=EchoingTriggerPin,
                echo_pin=self.factory.pin(b.echo),
                echo_time=NOTHING_ECHO_S,
            )
            for b in config.beams
        ]
        self._noisy = [
            None if beam_noise is None else NoisySensor(beam_noise, beam_seed + n)
            for n in range(len(config.beams))
        ]

    def _drive_irq(self, low: bool) -> None:
        # The chip pulls IRQ low on a touch change, as the real one does.
        if low:
            self._irq.drive_low()
        else:
            self._irq.drive_high()

    @property
    def i2c(self) -> MPR121Emulator | None:
        return self.mpr121

    def press(self, switch: int) -> None:
        self.factory.pin(self.config.switch_pins[switch - 1]).drive_low()  # closes to ground

    def release(self, switch: int) -> None:
        self.factory.pin(self.config.switch_pins[switch - 1]).drive_high()

    def touch(self, pad: int) -> None:
        if self.mpr121 is not None:
            self.mpr121.touch(pad - 1)

    def untouch(self, pad: int) -> None:
        if self.mpr121 is not None:
            self.mpr121.release(pad - 1)

    def hand_at(self, beam: int, metres: float | None) -> None:
        """Put a hand ``metres`` from beam ``beam``'s sensor, or take it away (None).

        With a noise model, each later ping of that beam reads the hand
        through it; an empty beam reads as empty, as a real one does.
        """
        sensor = self._sensors[beam - 1]
        assert isinstance(sensor, EchoingTriggerPin)
        noisy = self._noisy[beam - 1]
        sensor.echo_time = NOTHING_ECHO_S if metres is None else _echo_time(metres)
        if noisy is None or metres is None:
            sensor.next_echo = None
        else:
            sensor.next_echo = lambda: _echo_time(noisy.read(metres))

    def close(self) -> None:
        if self.mpr121 is not None:
            self.mpr121.close()
        self.factory.reset()


def _echo_time(metres: float) -> float:
    """How long an HC-SR04 holds ECHO high for a hand ``metres`` away: there and back."""
    return 2 * metres / SPEED_OF_SOUND
