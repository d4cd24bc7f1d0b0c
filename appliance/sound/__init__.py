"""The sound layer: the Synth interface and FluidSynth behind it."""

from appliance.sound.synth import Channel, Synth, SynthState

__all__ = ["Channel", "Synth", "SynthState"]
