"""Fixtures shared by the input tests."""

from __future__ import annotations

import pytest

from appliance.inputs.mpr121_emulator import MPR121Emulator


@pytest.fixture
def chip():
    """A register-level MPR121 on its own fake I2C bus, closed after the test."""
    emulator = MPR121Emulator()
    yield emulator
    emulator.close()
