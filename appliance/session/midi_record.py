"""The MIDI record: every synth call of a session as a standard MIDI file.

``tonic render --midi`` and ``tonic demo`` write one beside the WAV. Played by
FluidSynth's command line (``fluidsynth -ni -F peer.wav -r 48000 -g GAIN SF2
FILE.mid``) it gives the box's audio back, one 64-frame block later: a record a
therapist can open in any MIDI editor, and a second opinion on the box's
sound from a program that shares none of its code above the synth.

Timing. FluidSynth renders in blocks of 64 frames. A call the box makes after
``n`` frames have been rendered is heard from block ``m = ceil(n / 64)``. The
command line's player runs on FluidSynth's sample timer: before rendering block
``j`` it reads the time as whole milliseconds, ``floor(64000 * j / rate)``,
and sends every event whose tick has come (here one tick is one millisecond).
What it sends is queued and heard from the next block::

    box       call after n frames ──────────────────────────► heard in block m
    file      tick floor(64000·m/rate) ─► sent before block m ─► heard in block m+1

So the event for block ``m`` is written at tick ``floor(64000 * m / rate)``.
Block ``m - 1`` reads at least one millisecond less as long as a block lasts
at least a millisecond (rates up to 64 kHz; the box uses 44.1 and 48), so no
event is sent early, and none late: every event is heard exactly one block
after the box heard it. (FluidSynth 2.3.1, ``fluid_player_callback`` and
``fluid_synth_render_blocks``; checked against the player's arithmetic in
tests/session/test_midi_record.py and against the command line itself in
tests/session/test_midi_peer.py.)

What MIDI cannot say directly is said with what FluidSynth 2.3 honours:

* A drum kit away from channel 10 (the box gives a beam its own channel): the
  Roland GS "use for rhythm part" SysEx makes that channel a drum channel.
* A reset: the GS Reset SysEx. GM System On would reset the same things, but
  FluidSynth then ignores bank selects and the rhythm-part SysEx until the
  next GS Reset, so a kit on a beam's channel would come back as a piano.
* The master gain: as an attenuation on every channel, set so the record
  sounds at the box's level at FluidSynth's default gain
  (:mod:`appliance.session.midi_gain`); a text event names the ``-g`` that
  plays it so, for :func:`playback_options`.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

import mido

from appliance.atomic import (
    create_temp_file,
    file_mode,
    fsync_dir,
    interrupts_deferred,
    remove_stale_temp_files,
)
from appliance.audio_settings import BLOCK_FRAMES
from appliance.events import SoundEvent, SoundKind
from appliance.session.midi_gain import GainPlan, plan_gain
from appliance.sound.gs import GS_RESET, gs_rhythm_part
from appliance.sound.instruments import DRUM_BANK, MELODIC_BANK, instrument_for
from appliance.sound.synth import CHANNELS, DRUM_CHANNEL

Message: TypeAlias = mido.Message | mido.MetaMessage

#: One tick is one millisecond (500 ticks a beat at 500,000 µs a beat), the
#: unit the player's clock counts in, so each block's tick is exact.
TICKS_PER_BEAT = 500
TEMPO_US_PER_BEAT = 500_000
_MS_PER_S = 1000
#: Above this a block lasts less than the player's millisecond and two blocks
#: can share a tick: the record could no longer say which block an event is in.
MAX_EXACT_RATE = BLOCK_FRAMES * _MS_PER_S

# Controllers (MIDI 1.0 numbers).
CC_BANK_MSB = 0
CC_BANK_LSB = 32
CC_DATA_MSB = 6
CC_DATA_LSB = 38
CC_NRPN_LSB = 98
CC_NRPN_MSB = 99
CC_RPN_LSB = 100
CC_RPN_MSB = 101
CC_ALL_SOUNDS_OFF = 120
CC_RESET_ALL_CONTROLLERS = 121
CC_ALL_NOTES_OFF = 123
#: The value of CC98-101 that selects no parameter, as a reset leaves them.
NULL_PARAMETER = 127

#: SoundFont 2.01 §9.6: NRPN MSB 120 addresses a generator by its number in
#: the LSB, with a 14-bit value centred on 8192, in the generator's own units.
SF2_NRPN_MSB = 120
GEN_ATTENUATION = 48  # initial attenuation, in centibels
NRPN_CENTRE = 8192
_DATA_BITS = 7  # each data-entry byte carries 7 bits

#: What the record's first text events say, for :func:`playback_options`.
_OPTIONS_PREFIX = "tonic fluidsynth "
_GAIN_PREFIX = "tonic synth.gain="
#: The -g a record names is within 0.05 dB (0.6 %) anyway; four digits say it.
_GAIN_DIGITS = 4


def event_tick(t: float, rate: int) -> int:
    """The tick for a call the box made at ``t`` seconds into the render.

    The render pulls ``round(t * rate)`` frames before acting at ``t``
    (appliance/session/render.py), and the call is heard from the next block.
    """
    frames = round(max(t, 0.0) * rate)
    block = -(-frames // BLOCK_FRAMES)
    return block * BLOCK_FRAMES * _MS_PER_S // rate


@dataclass(slots=True)
class _Channel:
    """What the peer's channel holds that the box's does differently.

    ``drums``: FluidSynth plays a channel as drums by its type, the box by the
    preset it selected. ``attenuation_cb``: the gain the record carries as an
    NRPN. ``params``: the engine's own RPN/NRPN selection (CC 99, 98, 101,
    100, 38), put back after each of the record's NRPNs so the engine's next
    data entry lands where the box's did.
    """

    number: int
    drums: bool = False
    attenuation_cb: int = 0
    params: dict[int, int] = field(default_factory=dict)
    nrpn_selected: bool = False

    def reset(self) -> None:
        """As a reset leaves a channel: a drum channel only on channel 10."""
        self.drums = self.number == DRUM_CHANNEL
        self.nrpn_selected = False
        self.reset_controllers()

    def reset_controllers(self) -> None:
        # CC121 clears FluidSynth's NRPN generator offsets and parameter
        # numbers, but leaves which of RPN or NRPN was selected.
        self.attenuation_cb = 0
        self.params = {
            CC_NRPN_MSB: NULL_PARAMETER,
            CC_NRPN_LSB: NULL_PARAMETER,
            CC_RPN_MSB: NULL_PARAMETER,
            CC_RPN_LSB: NULL_PARAMETER,
            CC_DATA_LSB: 0,
        }


class _Recorder:
    """Turns sound events into (tick, message) pairs, in the box's order."""

    def __init__(self, rate: int, gain: GainPlan) -> None:
        self.rate = rate
        self.gain = gain
        self.channels = [_Channel(n) for n in range(CHANNELS)]
        for channel in self.channels:
            channel.reset()
        self.attenuation_cb = 0  # what the session's gain asks of every channel
        self.out: list[tuple[int, Message]] = []
        self._tick = 0

    def add(self, event: SoundEvent) -> None:
        self._tick = event_tick(event.t, self.rate)
        match event.type:
            case SoundKind.NOTE_ON:
                self._send(
                    "note_on", event, note=_need(event, "note"), velocity=_need(event, "velocity")
                )
            case SoundKind.NOTE_OFF:
                self._send("note_off", event, note=_need(event, "note"))
            case SoundKind.CC:
                self._control(event)
            case SoundKind.PITCH_BEND:
                self._send("pitchwheel", event, pitch=_need(event, "value"))
            case SoundKind.PROGRAM:
                self._program(event)
            case SoundKind.ALL_NOTES_OFF:
                self._every(event, CC_ALL_NOTES_OFF)
            case SoundKind.ALL_SOUNDS_OFF:
                self._every(event, CC_ALL_SOUNDS_OFF)
            case SoundKind.RESET:
                self._emit(mido.Message("sysex", data=GS_RESET))
                for channel in self.channels:
                    channel.reset()
                    self._carry_gain(channel)
            case SoundKind.GAIN:
                self._gain(event)

    def _emit(self, message: Message) -> None:
        self.out.append((self._tick, message))

    def _send(self, kind: str, event: SoundEvent, **fields: int) -> None:
        self._emit(mido.Message(kind, channel=_channel_of(event), **fields))

    def _cc(self, channel: int, control: int, value: int) -> None:
        self._emit(mido.Message("control_change", channel=channel, control=control, value=value))

    def _every(self, event: SoundEvent, control: int) -> None:
        numbers = range(CHANNELS) if event.channel is None else [_channel_of(event)]
        for number in numbers:
            self._cc(number, control, 0)

    def _control(self, event: SoundEvent) -> None:
        number, control = _channel_of(event), _need(event, "control")
        value = _need(event, "value")
        self._cc(number, control, value)
        channel = self.channels[number]
        if control == CC_RESET_ALL_CONTROLLERS:
            channel.reset_controllers()
            self._carry_gain(channel)
        elif control in channel.params:
            channel.params[control] = value
            if control in (CC_NRPN_MSB, CC_NRPN_LSB):
                channel.nrpn_selected = True
            elif control in (CC_RPN_MSB, CC_RPN_LSB):
                channel.nrpn_selected = False

    def _program(self, event: SoundEvent) -> None:
        number = _channel_of(event)
        bank, program = _bank_and_program(event)
        channel = self.channels[number]
        drums = bank == DRUM_BANK
        if channel.drums != drums:
            # FluidSynth picks a drum channel's kit from bank 128 and ignores
            # its bank selects, so the channel's type must change first.
            self._emit(mido.Message("sysex", data=gs_rhythm_part(number, drums)))
            channel.drums = drums
        if not drums:
            self._cc(number, CC_BANK_MSB, bank)
            self._cc(number, CC_BANK_LSB, 0)
        self._emit(mido.Message("program_change", channel=number, program=program))

    def _gain(self, event: SoundEvent) -> None:
        gain = event.gain
        if gain is None:
            raise ValueError(f"a gain event at {event.t:.3f} s has no gain")
        self._emit(mido.MetaMessage("text", text=f"{_GAIN_PREFIX}{gain!r}"))
        self.attenuation_cb = self.gain.offset_cb(gain)
        for channel in self.channels:
            self._carry_gain(channel)

    def _carry_gain(self, channel: _Channel) -> None:
        """Give ``channel`` the session's attenuation, if it does not have it."""
        if channel.attenuation_cb == self.attenuation_cb:
            return
        channel.attenuation_cb = self.attenuation_cb
        data = NRPN_CENTRE + self.attenuation_cb
        n = channel.number
        self._cc(n, CC_NRPN_MSB, SF2_NRPN_MSB)
        self._cc(n, CC_NRPN_LSB, GEN_ATTENUATION)
        self._cc(n, CC_DATA_LSB, data & ((1 << _DATA_BITS) - 1))
        self._cc(n, CC_DATA_MSB, data >> _DATA_BITS)
        # Back to the engine's selection: the one it chose last goes last.
        nrpn = [CC_NRPN_MSB, CC_NRPN_LSB]
        rpn = [CC_RPN_MSB, CC_RPN_LSB]
        for control in (rpn + nrpn if channel.nrpn_selected else nrpn + rpn) + [CC_DATA_LSB]:
            self._cc(n, control, channel.params[control])


def _need(event: SoundEvent, name: str) -> int:
    value = getattr(event, name)
    if value is None:
        raise ValueError(f"a {event.type} event at {event.t:.3f} s has no {name}")
    return int(value)


def _channel_of(event: SoundEvent) -> int:
    if event.channel is None:
        raise ValueError(f"a {event.type} event at {event.t:.3f} s has no channel")
    return event.channel


def _bank_and_program(event: SoundEvent) -> tuple[int, int]:
    """The preset the box selected; older records name only the instrument."""
    if event.instrument is not None and (event.bank is None or event.value is None):
        instrument = instrument_for(event.instrument)
        return instrument.bank, instrument.program
    bank = MELODIC_BANK if event.bank is None else event.bank
    return bank, _need(event, "value")


def midi_record(
    events: Sequence[SoundEvent], rate: int, *, end_s: float | None = None
) -> mido.MidiFile:
    """The record of ``events`` (times in seconds from the render's start).

    ``end_s`` places the end of the track, so the command line renders at
    least as long as the box did.
    """
    if rate > MAX_EXACT_RATE:
        raise ValueError(
            f"a MIDI record is exact only up to {MAX_EXACT_RATE} Hz "
            f"(a {BLOCK_FRAMES}-frame block must last a millisecond), not {rate} Hz"
        )
    gain = plan_gain(events)
    recorder = _Recorder(rate, gain)
    for event in events:
        recorder.add(event)
    # Stable: events the box made in one block keep the box's order.
    timed = sorted(recorder.out, key=lambda pair: pair[0])

    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=TEMPO_US_PER_BEAT, time=0))
    options = f"-r {rate}"
    if (command_line_gain := gain.command_line_gain) is not None:
        options += f" -g {command_line_gain:.{_GAIN_DIGITS}g}"
    track.append(mido.MetaMessage("text", text=_OPTIONS_PREFIX + options, time=0))
    last = 0
    for tick, message in timed:
        track.append(message.copy(time=tick - last))
        last = tick
    end = max(last, event_tick(end_s, rate)) if end_s is not None else last
    track.append(mido.MetaMessage("end_of_track", time=end - last))
    record = mido.MidiFile(type=0, ticks_per_beat=TICKS_PER_BEAT)
    record.tracks.append(track)
    return record


def write_midi_record(
    path: str | os.PathLike[str],
    events: Sequence[SoundEvent],
    rate: int,
    *,
    end_s: float | None = None,
) -> Path:
    """Write the record of ``events`` to ``path``: the whole file or none."""
    buffer = io.BytesIO()
    midi_record(events, rate, end_s=end_s).save(file=buffer)
    path = Path(path)
    _write_bytes_atomic(path, buffer.getvalue())
    return path


def playback_options(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """The command-line options a record asks for, e.g. ``("-r", "48000", "-g", "0.3")``."""
    for message in _texts(mido.MidiFile(path)):
        if message.startswith(_OPTIONS_PREFIX):
            return tuple(message[len(_OPTIONS_PREFIX) :].split())
    return ()


def midi_playback_hint(path: str | os.PathLike[str]) -> str:
    """One line saying how to hear the record as the box sounded."""
    options = " ".join(playback_options(path))
    return f"the MIDI record (fluidsynth -ni {options} -F OUT.wav SOUNDFONT {path})"


def _texts(record: mido.MidiFile) -> Iterator[str]:
    for track in record.tracks:
        for message in track:
            if message.type == "text":
                yield str(message.text)


def _write_bytes_atomic(path: Path, data: bytes) -> None:
    """appliance.atomic's write, for bytes: a hidden locked temporary file,
    flushed, renamed over ``path``, and the directory flushed."""
    remove_stale_temp_files(path.parent, path.name)
    with ExitStack() as cleanup:
        with interrupts_deferred():  # no Ctrl-C between creating the temp and its cleanup
            fd, tmp = create_temp_file(path)
            cleanup.callback(_discard, fd, tmp)
        os.fchmod(fd, file_mode(path))
        with open(fd, "wb", closefd=False) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # still locked, so no sweep takes it mid-rename
        fsync_dir(path.parent)


def _discard(fd: int, tmp: Path) -> None:
    # After a successful write the temporary name is gone (renamed): only the fd is left.
    tmp.unlink(missing_ok=True)
    with suppress(OSError):
        os.close(fd)
