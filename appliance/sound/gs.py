"""The Roland GS System Exclusive messages the box sends FluidSynth.

FluidSynth 2.3 understands two GS messages the box needs, live and in its
MIDI record alike: the GS Reset (every voice, controller and program reset,
the reverb and chorus emptied) and "use for rhythm part", which makes a
channel other than 10 play a drum kit (a beam's own channel). The GS Reset is
used rather than General MIDI System On because after GM System On FluidSynth
ignores bank selects and the rhythm-part message until the next GS Reset.
"""

from __future__ import annotations

from appliance.sound.synth import DRUM_CHANNEL

# Roland GS SysEx (data bytes, without F0/F7). FluidSynth 2.3 listens on
# device id 0 by default; 0x7F, "all devices", reaches it whatever its id.
_ROLAND, _ALL_DEVICES, _GS_MODEL, _DT1 = 0x41, 0x7F, 0x42, 0x12
_GS_RESET_ADDRESS, _GS_RESET_DATA = (0x40, 0x00, 0x7F), 0x00
#: Part parameter "use for rhythm part": 0 melodic, 1 drum map 1.
_RHYTHM_PART, _MELODIC_PART, _DRUM_PART = 0x15, 0x00, 0x01
#: A part's parameters sit at 40 1p xx, p its number: GS numbers parts
#: 1..16 as 1..9, 0, A..F, so channel 10 is part 0.
_PART_ADDRESS, _PART_BLOCK = 0x40, 0x10
_GS_DRUM_PART_NUMBER = 0
_CHECKSUM_MODULUS = 128


def gs_sysex(address: tuple[int, int, int], value: int) -> tuple[int, ...]:
    """A Roland GS DT1 message setting one byte, with its checksum."""
    body = (*address, value)
    checksum = -sum(body) % _CHECKSUM_MODULUS
    return (_ROLAND, _ALL_DEVICES, _GS_MODEL, _DT1, *body, checksum)


def gs_rhythm_part(channel: int, drums: bool) -> tuple[int, ...]:
    """GS "use for rhythm part" for ``channel`` (0..15): drum kit or melodic."""
    if channel == DRUM_CHANNEL:
        part = _GS_DRUM_PART_NUMBER
    elif channel < DRUM_CHANNEL:
        part = channel + 1
    else:
        part = channel
    address = (_PART_ADDRESS, _PART_BLOCK | part, _RHYTHM_PART)
    return gs_sysex(address, _DRUM_PART if drums else _MELODIC_PART)


GS_RESET = gs_sysex(_GS_RESET_ADDRESS, _GS_RESET_DATA)
