"""Fixtures for listening to the real synth: fresh offline FluidSynths on TimGM6mb."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.sound.fluid import FluidSynth

#: The soundfont every pitch figure in these tests was measured with.
TIMGM = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")


@pytest.fixture
def new_synth():
    """Make offline FluidSynths on TimGM6mb, each closed at teardown.

    A synth plays at its master gain, its ``gain_ceiling``, from the start, and
    its channels at MIDI's default volume (CC7 100) until a test sets one, as
    the box's mixer does (appliance/engine/mixer.py).
    """
    made: list[FluidSynth] = []

    def make(**kwargs: object) -> FluidSynth:
        synth = FluidSynth(TIMGM, **kwargs)
        made.append(synth)
        return synth

    yield make
    for synth in made:
        synth.close()
