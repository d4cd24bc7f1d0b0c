"""The box's hardware, faked at the lowest level.

For ``tonic demo``, benchmarks and running on a laptop: gpiozero's mock pins
stand in for the switch jacks, an emulated MPR121 on a fake I2C bus (with its
IRQ line on a mock pin) stands in for the pads, and mock HC-SR04s echo from
whatever distance is set. Everything above these (gpiozero devices, the
Adafruit driver, the scanner, the engine) runs unchanged.
"""

from __future__ import annotations

from gpiozero.pins.mock import MockFactory, MockTriggerPin

from appliance.config import BoxConfig
from appliance.inputs.beams import SPEED_OF_SOUND
from appliance.inputs.mpr121_emulator import MPR121Emulator

#: How long a real HC-SR04 holds ECHO high when nothing comes back (about
#: 38 ms): the scanner reads it as an empty beam.
NOTHING_ECHO_S = 0.038


class SimulatedHardware:
    def __init__(self, config: BoxConfig) -> None:
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
                pin_class=MockTriggerPin,
                echo_pin=self.factory.pin(b.echo),
                echo_time=NOTHING_ECHO_S,
            )
            for b in config.beams
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
        """Put a hand ``metres`` from beam ``beam``'s sensor, or take it away (None)."""
        sensor = self._sensors[beam - 1]
        sensor.echo_time = NOTHING_ECHO_S if metres is None else 2 * metres / SPEED_OF_SOUND

    def close(self) -> None:
        if self.mpr121 is not None:
            self.mpr121.close()
        self.factory.reset()
