"""The engine: the one owner of musical state.

Events come in (:meth:`Engine.handle`); synth calls go out, each one also
announced to listeners as a :class:`~appliance.events.SoundEvent`. The
engine keeps no clock of its own: it acts at each event's time, so the live
box (monotonic time) and ``tonic render`` (script time) run the same code.

Only one thread may call :meth:`handle`: the engine loop's owner thread on
the live box (:mod:`appliance.engine.loop`), the render loop offline.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from typing import Any

from appliance.engine.channels import ChannelMap
from appliance.engine.status import EngineStatus, InputStatus
from appliance.engine.voices import Held, Voices
from appliance.errors import TonicError
from appliance.events import (
    Event,
    InputId,
    InputOffline,
    InputOnline,
    Panic,
    Pressed,
    Released,
    SetSetting,
    SoundEvent,
    SoundKind,
)
from appliance.music import ChordShape, Key, chord_on
from appliance.profile import PlayMode, Profile
from appliance.sound.instruments import Instrument, instrument_for
from appliance.sound.synth import Channel, Synth

log = logging.getLogger(__name__)

Listener = Callable[[SoundEvent], None]


class Engine:
    def __init__(
        self,
        synth: Synth,
        profile: Profile,
        inputs: Iterable[InputId],
        listeners: Iterable[Listener] = (),
    ) -> None:
        self.synth = synth
        self.inputs: tuple[InputId, ...] = tuple(inputs)
        #: Told of every synth call, on the owner thread; each must return at once.
        self.listeners: list[Listener] = list(listeners)
        self._profile = profile
        self._key = Key.parse(profile.key, profile.scale)
        self._voices = Voices()
        self._channels = ChannelMap(self._assign)
        self._pressed: set[str] = set()
        self._offline: dict[str, str] = {}  # input -> why it is offline
        self._now = 0.0
        self._source = "engine"
        self._handled = 0
        self._errors = 0
        self._last_error = ""
        self._gain = synth.set_volume(profile.volume)
        self._prepare_channels()
        self._handlers: dict[type[Event], Callable[[Any], None]] = {
            Pressed: self._on_pressed,
            Released: self._on_released,
            SetSetting: self._on_set,
            Panic: self._on_panic,
            InputOffline: self._on_offline,
            InputOnline: self._on_online,
        }

    # -- the owner thread's entry points -------------------------------------

    def handle(self, event: Event) -> None:
        """Act on one event. Never raises: a bad event is logged and dropped,
        and the music keeps playing."""
        self._now = event.t
        self._handled += 1
        try:
            self._handlers[type(event)](event)
        except TonicError as e:
            self._note_error(f"{_describe(event)}: {e}")
        except Exception as e:  # a bug must not silence the box mid-session
            log.exception("engine failed on %r", event)
            self._note_error(f"{_describe(event)}: internal error: {e}")

    def next_deadline(self) -> float | None:
        """When the engine next needs :meth:`tick`, or None. (Timers arrive
        with the access settings; the loops already honour this.)"""
        return None

    def tick(self, now: float) -> None:
        """Run whatever timers are due at ``now``."""
        self._now = now

    def release_all(self, t: float, source: str = "stop") -> None:
        """Release every note with its own note-off, then all-notes-off.

        Used on stop, panic, profile change and (later) device unplug, so
        nothing is ever left droning.
        """
        self._now = t
        for holder in self._voices.sources():
            self._stop(holder)
        self._pressed.clear()
        self.synth.all_notes_off()
        self._emit(SoundKind.ALL_NOTES_OFF, None, source)

    @property
    def profile(self) -> Profile:
        return self._profile

    @property
    def key(self) -> Key:
        return self._key

    def status(self) -> EngineStatus:
        """A snapshot; call it on the owner thread (the loop offers a safe way)."""
        inputs = []
        for iid in self.inputs:
            settings = self._profile.settings_for(iid)
            held = self._voices.held_by(iid)
            inputs.append(
                InputStatus(
                    id=iid,
                    mode=str(settings.mode),
                    instrument=instrument_for(settings.instrument).title,
                    active=iid in self._pressed,
                    sounding=tuple(self._key.spell(n) for _, n in held.notes) if held else (),
                    online=iid not in self._offline,
                    reason=self._offline.get(iid, ""),
                )
            )
        return EngineStatus(
            profile=self._profile.name,
            key=self._profile.key,  # as the therapist typed it (F# stays F#)
            scale=self._key.scale.name,
            volume=self._profile.volume,
            gain=self._gain,
            synth=str(self.synth.state),
            synth_reason=self.synth.state_reason,
            inputs=tuple(inputs),
            notes_sounding=self._voices.sounding_count(),
            events_handled=self._handled,
            errors=self._errors,
            last_error=self._last_error,
        )

    # -- events -----------------------------------------------------------------

    def _on_pressed(self, event: Pressed) -> None:
        source = event.source
        self._require_input(source)
        self._pressed.add(source)
        settings = self._profile.settings_for(source)
        held = self._voices.held_by(source)
        if held is not None:
            # A latched note is toggled off; any other leftover note (a lost
            # release) is stopped so the new press starts cleanly.
            self._stop(source)
            if held.mode is PlayMode.LATCH and settings.mode is PlayMode.LATCH:
                return
        self._start(source, settings)

    def _on_released(self, event: Released) -> None:
        source = event.source
        self._require_input(source)
        self._pressed.discard(source)
        held = self._voices.held_by(source)
        if held is not None and held.mode is not PlayMode.LATCH:
            self._stop(source)

    def _on_set(self, event: SetSetting) -> None:
        profile = self._profile.with_setting(event.path, event.value)
        target, dot, field = event.path.partition(".")
        if dot:
            self._require_input(target)
        self._apply_profile(profile, event.source)
        if field == "mode":  # the old mode's notes would otherwise never be released
            self._stop(target)

    def _on_panic(self, event: Panic) -> None:
        self.release_all(event.t, event.source)

    def _on_offline(self, event: InputOffline) -> None:
        # A sensor that vanished mid-note would otherwise leave its note droning.
        self._require_input(event.source)
        self._offline[event.source] = event.reason
        self._pressed.discard(event.source)
        self._stop(event.source)

    def _on_online(self, event: InputOnline) -> None:
        self._offline.pop(event.source, None)

    # -- profile ------------------------------------------------------------------

    def _apply_profile(self, profile: Profile, source: str) -> None:
        key = Key.parse(profile.key, profile.scale)
        old = self._profile
        self._profile, self._key = profile, key
        if profile.volume != old.volume:
            self._gain = self.synth.set_volume(profile.volume)
        self._prepare_channels()

    def _prepare_channels(self) -> None:
        """Program every input's instrument now, not on its first press, so
        the first note is as quick as every other one."""
        # A dict keeps the inputs' order, so channels follow the switch numbers.
        instruments = {
            instrument_for(self._profile.settings_for(iid).instrument): None for iid in self.inputs
        }
        self._channels.retain({i.name for i in instruments}, self._voices.busy_channels())
        for instrument in instruments:
            self._channels.channel_for(instrument)

    # -- sounding ----------------------------------------------------------------

    def _start(self, source: str, settings: Any) -> None:
        instrument = instrument_for(settings.instrument)
        channel = self._channels.channel_for(instrument)
        shape = ChordShape.TRIAD if settings.mode is PlayMode.CHORD else None
        if shape is None:
            notes = (self._key.degree_to_note(settings.degree, settings.octave),)
        else:
            notes = chord_on(self._key, settings.degree, settings.octave, shape)
        velocity = self.synth.clamp_velocity(settings.velocity)
        held = Held(tuple((channel, int(n)) for n in notes), settings.mode)
        for (ch, note), restrike in self._voices.start(source, held):
            if restrike:
                self.synth.note_off(ch, note)
                self._emit(SoundKind.NOTE_OFF, ch, source, note=note)
            self.synth.note_on(ch, note, velocity)
            self._emit(SoundKind.NOTE_ON, ch, source, note=note, velocity=velocity)

    def _stop(self, source: str) -> None:
        for ch, note in self._voices.stop(source):
            self.synth.note_off(ch, note)
            self._emit(SoundKind.NOTE_OFF, ch, source, note=note)

    def _assign(self, channel: Channel, instrument: Instrument) -> None:
        self.synth.select_instrument(channel, instrument)
        self._emit(
            SoundKind.PROGRAM,
            channel,
            "engine",
            value=instrument.program,
            instrument=instrument.name,
        )

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
    ) -> None:
        if not self.listeners:
            return
        event = SoundEvent(self._now, kind, channel, source, note, velocity, value, instrument)
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:  # a broken listener must not stop the music
                log.exception("sound-event listener failed")

    # -- errors ---------------------------------------------------------------------

    def _require_input(self, iid: str) -> None:
        if iid not in self.inputs:
            raise UnknownInputError(
                f"no input '{iid}' on this box (have: {', '.join(self.inputs)})"
            )

    def _note_error(self, message: str) -> None:
        self._errors += 1
        self._last_error = message
        log.warning("%s", message)


class UnknownInputError(TonicError, LookupError):
    """An event for an input the box does not have."""


def _describe(event: Event) -> str:
    fields = ", ".join(f"{f.name}={getattr(event, f.name)!r}" for f in dataclasses.fields(event))
    return f"{type(event).__name__}({fields})"
