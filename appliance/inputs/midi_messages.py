"""One MIDI message, as the port delivers its bytes, to the event the engine acts on.

The box plays notes and follows controllers and pitch bend; everything else
a device sends is dropped here, on the port's own thread, before it costs
the engine anything:

=====================  ============================================================
bytes (status first)   becomes
=====================  ============================================================
``9n kk vv``           :class:`NoteOn` (``vv`` 1..127); ``vv`` = 0 is a :class:`NoteOff`
``8n kk vv``           :class:`NoteOff` (release velocity ignored)
``Bn cc vv``           :class:`ControlChange` (sustain pedal, knobs, a pad's CC)
``En ll mm``           :class:`PitchBend`, ``mm``/``ll`` as -8192..8191
``An ..``, ``Dn ..``   dropped: aftertouch, the storm a cheap keyboard sends
``Cn ..``              dropped: the profile chooses instruments, not the device
``F0 .. F7``, ``F1..FF``  dropped: SysEx, clock, active sensing, start/stop, etc.
anything else          dropped as malformed (a data byte without a status, a short
                       message, a data byte over 127): counted, never raised
=====================  ============================================================

Running status never reaches here: ALSA's sequencer and JACK hand over
whole messages, each with its status byte. The bytes are decoded directly
rather than through ``mido.Message``: a flood is 5,000 messages a second on
the port's thread, and most of them are dropped by their first byte alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from appliance.events import ControlChange, InputId, NoteOff, NoteOn, PitchBend

#: The events a MIDI device's messages become.
MidiEvent = NoteOn | NoteOff | ControlChange | PitchBend


class Dropped(StrEnum):
    """Why a message did not become an event."""

    AFTERTOUCH = "aftertouch"  # polyphonic (An) or channel (Dn) pressure
    PROGRAM = "program"  # program change (Cn)
    SYSTEM = "system"  # SysEx, clock, active sensing and every other Fx message
    MALFORMED = "malformed"  # bytes no MIDI message has


NOTE_OFF = 0x80
NOTE_ON = 0x90
POLY_AFTERTOUCH = 0xA0
CONTROL_CHANGE = 0xB0
PROGRAM_CHANGE = 0xC0
CHANNEL_AFTERTOUCH = 0xD0
PITCH_BEND = 0xE0
#: Status bytes from here up are system messages, for no one channel.
SYSTEM = 0xF0
#: Status bytes have the top bit set; data bytes never do.
STATUS_BIT = 0x80
#: Pitch bend's two 7-bit data bytes make 0..16383; this is its centre, no bend.
BEND_CENTRE = 8192
#: A note, controller or bend message: a status byte and two data bytes.
VOICE_MESSAGE_LENGTH = 3


def to_event(data: Sequence[int], t: float, source: InputId) -> MidiEvent | Dropped:
    """The event ``data`` (one whole message) means, at time ``t`` from ``source``."""
    if not data:
        return Dropped.MALFORMED
    status = data[0]
    if status < STATUS_BIT:
        return Dropped.MALFORMED
    if status >= SYSTEM:
        return Dropped.SYSTEM
    kind = status & 0xF0
    if kind in (POLY_AFTERTOUCH, CHANNEL_AFTERTOUCH):
        return Dropped.AFTERTOUCH
    if kind == PROGRAM_CHANGE:
        return Dropped.PROGRAM
    if len(data) != VOICE_MESSAGE_LENGTH:
        return Dropped.MALFORMED
    first, second = data[1], data[2]
    if (first | second) & STATUS_BIT:
        return Dropped.MALFORMED
    channel = status & 0x0F
    if kind == NOTE_ON:
        if second:
            return NoteOn(t, source, first, second, channel)
        return NoteOff(t, source, first, channel)
    if kind == NOTE_OFF:
        return NoteOff(t, source, first, channel)
    if kind == CONTROL_CHANGE:
        return ControlChange(t, source, first, second, channel)
    # Only pitch bend is left (En): least significant 7 bits first.
    return PitchBend(t, source, (second << 7 | first) - BEND_CENTRE, channel)
