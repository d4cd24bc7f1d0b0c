"""Big accessibility switches on 3.5 mm jacks.

Each jack is wired between a GPIO pin and ground, and read with gpiozero's
``DigitalInputDevice`` using the Pi's internal pull-up: pressing the switch
pulls the pin low, which gpiozero calls active. (``Button`` would add a
"hold" thread per switch that wakes on every edge and polls when idle; the
box never uses hold events, and that thread measurably delays notes.)

No hardware debounce time is set, because lgpio implements ``bounce_time``
by delaying every edge; bounce and tremor are the access
settings' job, on the engine's thread.

The callbacks run on gpiozero's thread and do one thing: build an immutable
event stamped with the monotonic time and hand it over.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from gpiozero import DigitalInputDevice, Factory

from appliance.events import Event, InputId, InputKind, Pressed, Released, input_id


class Switch:
    """One switch jack, labelled ``switch:N`` on the box."""

    def __init__(
        self,
        number: int,
        pin: int,
        submit: Callable[[Event], None],
        *,
        pin_factory: Factory | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.number = number
        self.id: InputId = input_id(InputKind.SWITCH, number)
        self.pin = pin
        self._submit = submit
        self._clock = clock
        self._device = DigitalInputDevice(
            pin, pull_up=True, bounce_time=None, pin_factory=pin_factory
        )
        self._device.when_activated = self._on_press
        self._device.when_deactivated = self._on_release

    def _on_press(self) -> None:
        self._submit(Pressed(self._clock(), self.id))

    def _on_release(self) -> None:
        self._submit(Released(self._clock(), self.id))

    @property
    def is_pressed(self) -> bool:
        return bool(self._device.is_active)

    def close(self) -> None:
        self._device.close()
