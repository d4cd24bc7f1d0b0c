"""Giving each instrument voice its own MIDI channel.

Inputs that play the same instrument share a channel, so twelve pads on a
marimba take one channel, not twelve. Drum kits always go to channel 10
(index 9), as General MIDI expects. FluidSynth has 16 channels; a profile
with more than 15 melodic instruments at once is refused with a clear message.
"""

from __future__ import annotations

from collections.abc import Callable

from appliance.errors import ProfileError
from appliance.sound.instruments import Instrument
from appliance.sound.synth import CHANNELS, DRUM_CHANNEL, Channel

#: The top four channels belong to the accompaniment (engine/accompaniment.py:
#: a song's melody, the loop's bass, chords and pad), so a loop starting mid-session
#: never takes a client's channel from under a held note.
ACCOMPANIMENT = frozenset(Channel(c) for c in range(12, CHANNELS))
MELODIC = tuple(Channel(c) for c in range(CHANNELS) if c != DRUM_CHANNEL and c not in ACCOMPANIMENT)


class ChannelMap:
    def __init__(self, on_assign: Callable[[Channel, Instrument], None]) -> None:
        #: Called once when a channel is given an instrument, to program the synth.
        self._on_assign = on_assign
        self._by_voice: dict[str, Channel] = {}
        self._instrument: dict[Channel, Instrument] = {}

    def channel_for(self, instrument: Instrument, voice: str | None = None) -> Channel:
        """The channel for ``voice`` (by default, the instrument's shared voice)."""
        voice = voice or instrument.name
        channel = self._by_voice.get(voice)
        if channel is not None and self._instrument[channel] != instrument:
            # An exclusive voice whose input changed instrument: reprogram it.
            self._instrument[channel] = instrument
            self._on_assign(channel, instrument)
            return channel
        if channel is not None:
            return channel
        if instrument.is_drums and voice == instrument.name:
            channel = DRUM_CHANNEL
            old = self._instrument.get(channel)
            if old is not None:
                self._by_voice.pop(old.name, None)
        else:
            free = [c for c in MELODIC if c not in self._instrument]
            if not free:
                raise ProfileError(
                    f"cannot give {instrument.title} a channel: at most {len(MELODIC)} "
                    "different instruments can sound at once"
                )
            channel = free[0]
        self._by_voice[voice] = channel
        self._instrument[channel] = instrument
        self._on_assign(channel, instrument)
        return channel

    def has_voice(self, voice: str) -> bool:
        return voice in self._by_voice

    def assigned(self) -> dict[Channel, Instrument]:
        return dict(self._instrument)

    def retain(self, voices: set[str], busy: set[Channel]) -> None:
        """Free the channels of instruments no input uses any more, unless a
        note is still sounding on them, so changing instruments all session
        never runs out of channels."""
        for voice, channel in list(self._by_voice.items()):
            if voice not in voices and channel not in busy:
                del self._by_voice[voice]
                del self._instrument[channel]
