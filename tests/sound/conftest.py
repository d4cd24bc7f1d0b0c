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

    ``volume`` is applied through :meth:`Synth.set_volume`, as the engine does;
    ``None`` leaves the synth at the gain it starts with.
    """
    made: list[FluidSynth] = []

    def make(volume: float | None = 1.0, **kwargs: object) -> FluidSynth:
        synth = FluidSynth(TIMGM, **kwargs)
        made.append(synth)
        if volume is not None:
            synth.set_volume(volume)
        return synth

    yield make
    for synth in made:
        synth.close()
