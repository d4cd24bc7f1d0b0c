"""The control socket's ``simulate.*`` methods: the keys of a laptop as the box's sensors.

Only under ``tonic run --simulate``. Each drives the simulated hardware at its
lowest level (a mock pin, the emulated MPR121, the mock HC-SR04's echo), so
everything above runs exactly as it would on a Pi.
"""

from __future__ import annotations

from typing import Any

from appliance.config import PAD_COUNT, BoxConfig
from appliance.control.api import Handler, Params
from appliance.events import InputKind, parse_input_id
from appliance.inputs.beams import MAX_RANGE_M
from appliance.inputs.simulated import SimulatedHardware
from appliance.service.params import bad, input_param


class SimulateMethods:
    def __init__(self, hardware: SimulatedHardware, config: BoxConfig) -> None:
        self.hardware = hardware
        self.config = config

    def methods(self) -> dict[str, Handler]:
        return {
            "simulate.press": self.press,
            "simulate.release": self.release,
            "simulate.beam": self.beam,
        }

    def press(self, params: Params) -> dict[str, Any]:
        """Close a simulated switch or touch a simulated pad."""
        return self._contact(params, pressed=True)

    def release(self, params: Params) -> dict[str, Any]:
        return self._contact(params, pressed=False)

    def beam(self, params: Params) -> dict[str, Any]:
        """Put a hand ``distance`` metres from a simulated beam's sensor (null: take it away)."""
        iid = input_param(params)
        kind, number = parse_input_id(iid)
        distance = params.get("distance")
        if kind is not InputKind.BEAM or number > len(self.config.beams):
            raise bad(f"{iid} is not a beam of this box")
        if distance is not None and (
            isinstance(distance, bool)
            or not isinstance(distance, int | float)
            or not 0.0 <= distance <= MAX_RANGE_M
        ):
            raise bad(f"distance must be 0..{MAX_RANGE_M} metres or null")
        self.hardware.hand_at(number, None if distance is None else float(distance))
        return {"input": iid, "distance": distance}

    def _contact(self, params: Params, *, pressed: bool) -> dict[str, Any]:
        iid = input_param(params)
        kind, number = parse_input_id(iid)
        hw = self.hardware
        if kind is InputKind.SWITCH and number <= len(self.config.switch_pins):
            (hw.press if pressed else hw.release)(number)
        elif kind is InputKind.PAD and self.config.pads is not None and number <= PAD_COUNT:
            (hw.touch if pressed else hw.untouch)(number)
        else:
            raise bad(f"{iid} is not a switch or pad of this box")
        return {"input": iid, "pressed": pressed}
