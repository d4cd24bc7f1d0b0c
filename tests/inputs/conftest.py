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


@pytest.fixture(scope="module")
def jack_session():
    """A dummy JACK server for the module's tests; skips only where jackd cannot start."""
    from inputs.jack_server import JackUnavailable, jack_server

    try:
        with jack_server() as name:
            yield name
    except JackUnavailable as e:
        pytest.skip(str(e))


@pytest.fixture
def jack(jack_session):
    """mido on python-rtmidi's JACK API for the test (its backend), then mido's own again."""
    import mido
    from inputs.jack_server import JACK_BACKEND

    previous = mido.backend
    mido.set_backend(JACK_BACKEND)
    try:
        yield mido.backend
    finally:
        mido.set_backend(previous)
