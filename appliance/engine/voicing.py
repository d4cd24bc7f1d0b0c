"""The sounding half of the engine: notes, channels and the synth.

:class:`Voicing` holds the profile and key, decides which notes an input's
settings mean, gives instruments their channels, keeps the book of who holds
which note, and makes every synth call, announcing each one to listeners.
It runs on the engine's owner thread only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from appliance.engine.channels import ChannelMap
from appliance.engine.harmony import Harmony
from appliance.engine.mixer import Mixer, PanicStep
from appliance.engine.voices import Held, Voices
from appliance.events import InputId, SoundEvent, SoundKind
from appliance.music import ChordShape, Key, chord_on
from appliance.profile import PlayMode, Profile
from appliance.sound.instruments import Instrument, instrument_for
from appliance.sound.synth import DRUM_CHANNEL, Channel, Synth

log = logging.getLogger(__name__)

Listener = Callable[[SoundEvent], None]
_RPN_MSB, _RPN_LSB, _DATA_MSB, _DATA_LSB = 101, 100, 6, 38
_RESET_ALL_CONTROLLERS = 121
CC_VOLUME = 7


class Voicing:
    def __init__(
        self,
        synth: Synth,
        profile: Profile,
        inputs: tuple[InputId, ...],
        listeners: Iterable[Listener] = (),
    ) -> None:
        self.synth = synth
        self.inputs = inputs
        #: Told of every synth call, on the owner thread; each must return at once.
        self.listeners: list[Listener] = list(listeners)
        self.profile = profile
        self.key = Key.parse(profile.key, profile.scale)
        self.harmony = Harmony(profile.harmony)
        #: Voices that keep their channel while they exist, whatever the profile
        #: says: a plugged MIDI device, whose pedal and bend live on its channel.
        self.kept_voices: set[str] = set()
        self.now = 0.0  # the time of what the engine is doing now
        self._voices = Voices()
        self._channels = ChannelMap(self._assign)
        #: The accompaniment's channels and their instruments (engine/accompaniment.py).
        self._band: dict[Channel, Instrument] = {}
        self.mixer = Mixer(
            self._send_level,
            volume=profile.volume,
            gain_ceiling=synth.gain_ceiling,
            block_s=synth.block_s,
        )
        # The master gain is set once, by the synth; the record says what it is.
        self._emit(SoundKind.GAIN, None, "engine", gain=synth.gain_ceiling)
        self._prepare_channels()

    @property
    def gain(self) -> float:
        """The master gain the box plays at now: the ceiling, turned down by the mixer."""
        return self.mixer.gain

    # -- profile ---------------------------------------------------------------

    def apply(self, profile: Profile) -> None:
        key = Key.parse(profile.key, profile.scale)
        self.profile, self.key = profile, key
        self.harmony.source = profile.harmony
        self.mixer.set_volume(profile.volume, self.now)
        self._prepare_channels()

    def _prepare_channels(self) -> None:
        """Program every input's instrument now, not on its first press, so
        the first note is as quick as every other one."""
        # A dict keeps the inputs' order, so channels follow the input numbers.
        instruments = {self.instrument_of(iid): None for iid in self.inputs}
        voices = {i.name for i in instruments} | self.kept_voices
        self._channels.retain(voices, self._voices.busy_channels())
        for instrument in instruments:
            self._channels.channel_for(instrument)
        self.synth.instruments_ready()

    def relevel(self, instrument_name: str) -> None:
        """Set the level of every channel playing this instrument, now it is measured."""
        for channel, instrument in [*self._channels.assigned().items(), *self._band.items()]:
            if instrument.name == instrument_name:
                self.mixer.relevel(channel, self.synth.level_of(instrument))

    # -- the accompaniment's channels -------------------------------------------------

    def program_band(self, instruments: dict[Channel, Instrument], share: float) -> None:
        """Set the accompaniment's channels up: programs, and levels at ``share``
        of a client instrument's. The drum channel is left to a client whose
        input plays a kit: the loop's drums then play on the client's kit."""
        client_kit = DRUM_CHANNEL in self._channels.assigned()
        for channel, instrument in instruments.items():
            if channel == DRUM_CHANNEL and client_kit:
                continue
            if self._band.get(channel) == instrument:
                self.mixer.set_share(channel, share)
                continue
            self._band[channel] = instrument
            self.synth.control_change(channel, _RESET_ALL_CONTROLLERS, 0)
            self._emit(SoundKind.CC, channel, "loop", control=_RESET_ALL_CONTROLLERS, value=0)
            bank, program = self.synth.select_instrument(channel, instrument)
            self._emit(
                SoundKind.PROGRAM,
                channel,
                "loop",
                value=program,
                bank=bank,
                instrument=instrument.name,
            )
            self.mixer.add_channel(channel, self.synth.level_of(instrument), share)

    def band_share(self, share: float) -> None:
        for channel in self._band:
            self.mixer.set_share(channel, share)

    def announce(
        self, t: float, kind: SoundKind, channel: Channel, source: str, note: int, velocity: int
    ) -> None:
        """Record a note the synth played by itself (scheduled ahead), at its time."""
        self.now = t
        if kind is SoundKind.NOTE_ON:
            self._emit(kind, channel, source, note=note, velocity=velocity)
        else:
            self._emit(kind, channel, source, note=note)

    def instrument_of(self, iid: str) -> Instrument:
        return instrument_for(self.profile.settings_for(InputId(iid)).instrument)

    # -- notes --------------------------------------------------------------------

    def start(self, source: str, settings: Any, mode: PlayMode, offset: int = 0) -> None:
        """Sound what ``settings`` mean for a press: a note, or a chord."""
        degree = settings.degree + offset
        if mode is PlayMode.CHORD:
            notes = chord_on(self.key, degree, settings.octave, ChordShape.TRIAD)
        else:
            notes = (self.key.degree_to_note(degree, settings.octave),)
        locked = self.harmony.lock(tuple(notes), chord_shape=mode is PlayMode.CHORD)
        channel = self._channels.channel_for(self.instrument_of(source))
        self._sound(source, channel, tuple(int(n) for n in locked), settings.velocity, mode)

    def play_key(self, source: str, device: str, note: int, velocity: int) -> None:
        """A key struck on a MIDI device, as ``note`` (already locked, if a client's).

        ``source`` holds the note (one per key, so each key's note-off stops its
        own note); the device's channel is its own, for its sustain and bend.
        """
        channel = self._channel(device, exclusive=True)
        self._sound(source, channel, (note,), velocity, PlayMode.NOTE)

    def play_notes(
        self,
        source: str,
        notes: tuple[int, ...],
        velocity: int,
        mode: PlayMode,
        instrument: str | None = None,
    ) -> None:
        """Sound ``notes`` as given, with no harmony lock: a song's own melody or chord.

        On ``source``'s instrument's channel, or ``instrument``'s when named
        (a song's accompaniment). ``source`` holds them until :meth:`stop`;
        stop it first if it holds anything, as each press's notes replace the last.
        """
        chosen = instrument_for(instrument) if instrument else self.instrument_of(source)
        channel = self._channels.channel_for(chosen)
        self._sound(source, channel, notes, velocity, mode)

    def _sound(
        self, source: str, channel: Channel, notes: tuple[int, ...], velocity: int, mode: PlayMode
    ) -> None:
        if self.mixer.panicking:
            return  # a press in the panic's few milliseconds is silenced with the rest
        velocity = self.synth.clamp_velocity(velocity)
        held = Held(tuple((channel, n) for n in notes), mode)
        for (ch, note), restrike in self._voices.start(source, held):
            if restrike:
                self._note_off(ch, note, source)
            self.mixer.note_on(ch, note, velocity, self.now)
            self.synth.note_on(ch, note, velocity)
            self._emit(SoundKind.NOTE_ON, ch, source, note=note, velocity=velocity)

    def _note_off(self, channel: Channel, note: int, source: str) -> None:
        self.synth.note_off(channel, note)
        self.mixer.note_off(channel, note, self.now)
        self._emit(SoundKind.NOTE_OFF, channel, source, note=note)

    def stop(self, source: str) -> None:
        for ch, note in self._voices.stop(source):
            self._note_off(ch, note, source)

    def release_device(self, device: str) -> None:
        """A device went away: every note its keys hold stops, and its channel's
        pedal and bend are let go, so nothing it started keeps sounding."""
        prefix = f"{device}#"
        for holder in self._voices.sources():
            if holder.startswith(prefix):
                self.stop(holder)
        if self._channels.has_voice(device):
            self.control(device, _RESET_ALL_CONTROLLERS, 0)

    def release_all(self, cause: str) -> None:
        for holder in self._voices.sources():
            self.stop(holder)
        self.synth.all_notes_off()
        self.mixer.all_released(self.now)
        self._emit(SoundKind.ALL_NOTES_OFF, None, cause)

    def panic(self) -> None:
        """Fade the box out (after :meth:`release_all`); :meth:`tick` finishes the job."""
        self.mixer.panic(self.now)

    def tick(self, t: float) -> None:
        """The mixer's step, due at ``mixer.deadline``."""
        self.now = t
        step = self.mixer.tick(t)
        if step is PanicStep.CUT:  # the fade is over: cut what still rings
            self.synth.all_sounds_off()
            self._emit(SoundKind.ALL_SOUNDS_OFF, None, "panic")
        elif step is PanicStep.RESET:  # which empties the reverb and chorus
            self.synth.reset()
            self._emit(SoundKind.RESET, None, "panic")
        elif step is PanicStep.RESTORE:
            # Every channel set up again, ready to play at once.
            self._band.clear()  # the reset took the accompaniment's programs too
            self._channels = ChannelMap(self._assign)
            self._prepare_channels()

    def holders(self) -> tuple[str, ...]:
        """Every holder with notes sounding (inputs, and MIDI keys as ``midi:keys#60``)."""
        return self._voices.sources()

    def held_mode(self, source: str) -> PlayMode | None:
        held = self._voices.held_by(source)
        return held.mode if held is not None else None

    def sounding_names(self, source: str) -> tuple[str, ...]:
        held = self._voices.held_by(source)
        return tuple(self.key.spell(n) for _, n in held.notes) if held else ()

    def sounding_count(self) -> int:
        return self._voices.sounding_count()

    # -- the Voice interface beam players use ---------------------------------------

    def play(self, source: str, degree_offset: int, exclusive: bool) -> int | None:
        settings = self.profile.settings_for(InputId(source))
        note = self.note_at(source, degree_offset)
        channel = self._channel(source, exclusive)
        self._sound(source, channel, (note,), settings.velocity, PlayMode.NOTE)
        return note

    def note_at(self, source: str, degree_offset: int) -> int:
        settings = self.profile.settings_for(InputId(source))
        note = self.key.degree_to_note(settings.degree + degree_offset, settings.octave)
        return int(self.harmony.lock((note,))[0])

    def silence(self, source: str) -> None:
        self.stop(source)

    def control(self, source: str, control: int, value: int) -> None:
        channel = self._channel(source, exclusive=True)
        value = min(max(value, 0), 127)
        self.synth.control_change(channel, control, value)
        self._emit(SoundKind.CC, channel, source, control=control, value=value)

    def bend(self, source: str, value: int) -> None:
        channel = self._channel(source, exclusive=True)
        value = min(max(value, -8192), 8191)
        self.synth.pitch_bend(channel, value)
        self._emit(SoundKind.PITCH_BEND, channel, source, value=value)

    def bend_range(self, source: str, semitones: int) -> None:
        """Set the channel's pitch-bend range (RPN 0), then close the RPN."""
        for control, value in (
            (_RPN_MSB, 0),
            (_RPN_LSB, 0),
            (_DATA_MSB, semitones),
            (_DATA_LSB, 0),
            (_RPN_MSB, 127),
            (_RPN_LSB, 127),
        ):
            self.control(source, control, value)

    def _channel(self, source: str, exclusive: bool) -> Channel:
        instrument = self.instrument_of(source)
        # Expression moves controllers that act on a whole channel, so that
        # beam gets a channel of its own rather than sharing its instrument's.
        return self._channels.channel_for(instrument, voice=source if exclusive else None)

    # -- synth plumbing -----------------------------------------------------------------

    def _assign(self, channel: Channel, instrument: Instrument) -> None:
        # A reused channel may carry a beam's expression or bend: start clean.
        self.synth.control_change(channel, _RESET_ALL_CONTROLLERS, 0)
        self._emit(SoundKind.CC, channel, "engine", control=_RESET_ALL_CONTROLLERS, value=0)
        bank, program = self.synth.select_instrument(channel, instrument)
        self._emit(
            SoundKind.PROGRAM,
            channel,
            "engine",
            value=program,
            bank=bank,
            instrument=instrument.name,
        )
        self.mixer.add_channel(channel, self.synth.level_of(instrument))

    def _send_level(self, channel: Channel, value: int) -> None:
        self.synth.control_change(channel, CC_VOLUME, value)
        self._emit(SoundKind.CC, channel, "mixer", control=CC_VOLUME, value=value)

    def _emit(
        self,
        kind: SoundKind,
        channel: int | None,
        source: str,
        *,
        note: int | None = None,
        velocity: int | None = None,
        value: int | None = None,
        instrument: str | None = None,
        control: int | None = None,
        bank: int | None = None,
        gain: float | None = None,
    ) -> None:
        if not self.listeners:
            return
        event = SoundEvent(
            self.now, kind, channel, source, note, velocity, value, instrument, control, bank, gain
        )
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:  # a broken listener must not stop the music
                log.exception("sound-event listener failed")
