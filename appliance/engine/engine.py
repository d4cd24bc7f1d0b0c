"""The engine: the one owner of musical state.

Events come in (:meth:`Engine.handle`); synth calls go out, each one also
announced to listeners as a :class:`~appliance.events.SoundEvent`. The
engine keeps no clock of its own: it acts at each event's time, and runs
timers (:meth:`next_deadline` / :meth:`tick`) at theirs, so the live box
(monotonic time) and ``tonic render`` (script time) run the same code.

Client contact (switch, pad, beam trigger) passes through an access filter
(:mod:`appliance.engine.access`) before it becomes a press; beam readings
pass through a beam player (:mod:`appliance.engine.beam_player`).

Only one thread may call :meth:`handle` and :meth:`tick`: the engine loop's
owner thread on the live box (:mod:`appliance.engine.loop`), the render
loop offline.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from typing import Any

from appliance.engine.access import ACCESS_TIMER, Contacts
from appliance.engine.band import Band
from appliance.engine.beams import Beams
from appliance.engine.devices import DeviceRouter, device_of
from appliance.engine.play_modes import MAX_NOTE_TIMER, PlayModes
from appliance.engine.song_steps import SongSteps
from appliance.engine.status import EngineStatus, InputStatus
from appliance.engine.turns import Turns
from appliance.engine.voicing import Voicing
from appliance.errors import TonicError
from appliance.events import (
    BandAction,
    BandCommand,
    BeamReading,
    ControlChange,
    DevicePlugged,
    DeviceUnplugged,
    Event,
    InputId,
    InputOffline,
    InputOnline,
    InstrumentLevelled,
    NoteOff,
    NoteOn,
    Panic,
    PitchBend,
    Pressed,
    Released,
    SetSetting,
    SoundEvent,
    is_midi,
)
from appliance.profile import BeamSettings, PlayMode, Profile
from appliance.profile.accompaniment import SECTIONS
from appliance.sound.synth import Synth

log = logging.getLogger(__name__)

Listener = Callable[[SoundEvent], None]

#: The mixer's steps (volume fades, headroom, panic's fade: engine/mixer.py)
#: run as a timer of their own.
_MIX_TIMER = "box/mix"
#: The band's (engine/band.py): planning the loop's next beat, announcing its notes.
_BAND_TIMER = "box/band"
#: Turn-taking's (engine/turns.py): a turn's time, a phrase's rest, the cue's end.
_TURNS_TIMER = "box/turns"
#: How long ``sound_check`` holds an input's note: long enough to hear the
#: instrument's attack and pitch, short enough not to talk over the client.
CHECK_NOTE_S = 0.6

EventListener = Callable[[Event], None]


class Engine:
    def __init__(
        self,
        synth: Synth,
        profile: Profile,
        inputs: Iterable[InputId],
        listeners: Iterable[Listener] = (),
    ) -> None:
        self.inputs: tuple[InputId, ...] = tuple(inputs)
        self.voicing = Voicing(synth, profile, self.inputs, listeners)
        #: Pending timers: "<input>/<what>" -> when.
        self._deadlines: dict[str, float] = {}
        self.contacts = Contacts(self.set_deadline)  # each contact's access filter
        self._offline: dict[str, str] = {}  # input -> why it is offline
        #: Called on the owner thread with (old, new) after each profile change,
        #: e.g. to push pad thresholds to the chip.
        self.profile_listeners: list[Callable[[Profile, Profile], None]] = []
        #: Told of every event once the engine has acted on it, on the owner
        #: thread (the control API's live stream); each must return at once.
        self.event_listeners: list[EventListener] = []
        self._handled = 0
        self._errors = 0
        self._last_error = ""
        self.devices = DeviceRouter(self)
        self.band = Band(self.voicing)
        self.turns = Turns(self.voicing)
        self.turns.follow(profile, 0.0)
        self.songs = SongSteps(self.voicing, self.set_deadline)  # inputs in sequence mode
        self.modes = PlayModes(self.voicing, self.band, self.turns, self.songs, self.set_deadline)
        self.beams = Beams(
            self.voicing,
            self.band,
            self.turns,
            self._contact,
            self.contacts.touching,
            self.set_deadline,
        )
        self._handlers: dict[type[Event], Callable[[Any], None]] = {
            NoteOn: self.devices.note_on,
            NoteOff: self.devices.note_off,
            ControlChange: self.devices.control,
            PitchBend: self.devices.bend,
            DevicePlugged: self.devices.plugged,
            DeviceUnplugged: self.devices.unplugged,
            Pressed: self._on_pressed,
            Released: self._on_released,
            BeamReading: self._on_beam,
            SetSetting: self._on_set,
            BandCommand: self._on_band,
            Panic: self._on_panic,
            InputOffline: self._on_offline,
            InputOnline: self._on_online,
            InstrumentLevelled: self._on_levelled,
        }

    @property
    def synth(self) -> Synth:
        return self.voicing.synth

    @property
    def listeners(self) -> list[Listener]:
        return self.voicing.listeners

    @property
    def profile(self) -> Profile:
        return self.voicing.profile

    # -- the owner thread's entry points -------------------------------------

    def handle(self, event: Event) -> None:
        """Act on one event. Never raises: a bad event is logged and dropped,
        and the music keeps playing."""
        self.voicing.now = event.t
        self._handled += 1
        try:
            self._handlers[type(event)](event)
        except TonicError as e:
            self._note_error(f"{_describe(event)}: {e}")
        except Exception as e:  # a bug must not silence the box mid-session
            log.exception("engine failed on %r", event)
            self._note_error(f"{_describe(event)}: internal error: {e}")
        for listener in self.event_listeners:
            try:
                listener(event)
            except Exception:  # a broken listener must not stop the music
                log.exception("event listener failed")

    def next_deadline(self) -> float | None:
        """When the engine next needs :meth:`tick`, or None when nothing is pending."""
        self.set_deadline(_MIX_TIMER, self.voicing.mixer.deadline)
        self.set_deadline(_BAND_TIMER, self.band.deadline)
        self.set_deadline(_TURNS_TIMER, self.turns.deadline)
        return min(self._deadlines.values(), default=None)

    def tick(self, now: float) -> None:
        """Run every timer due at or before ``now``, each at its own time."""
        while (when := self.next_deadline()) is not None and when <= now:
            key = min(self._deadlines, key=self._deadlines.__getitem__)
            del self._deadlines[key]
            self.voicing.now = when
            source, _, what = key.partition("/")
            try:
                self._timer(source, what, when)
            except Exception as e:
                log.exception("timer %s failed", key)
                self._note_error(f"timer {key}: {e}")
        self.voicing.now = now

    def release_all(self, t: float, source: str = "stop") -> None:
        """Release every note with its own note-off, then all-notes-off.

        Used on stop, panic and sensor loss, so nothing is ever left droning.
        """
        self.voicing.now = t
        self.band.silence(t)
        self.turns.clear()
        self.voicing.release_all(source)
        self.songs.clear()
        self.contacts.reset()
        self.beams.clear()
        # Every timer goes but the mixer's, which the silence does not change.
        self._deadlines = {k: v for k, v in self._deadlines.items() if k == _MIX_TIMER}

    def status(self) -> EngineStatus:
        """A snapshot; call it on the owner thread (the loop offers a safe way)."""
        v = self.voicing
        inputs = []
        for iid in self.inputs:
            settings = self.profile.settings_for(iid)
            beam = self.beams.players.get(iid)
            inputs.append(
                InputStatus(
                    id=iid,
                    mode=str(settings.mode),
                    instrument=v.instrument_of(iid).title,
                    active=self.contacts.accepted(iid),
                    sounding=v.sounding_names(iid),
                    online=iid not in self._offline,
                    reason=self._offline.get(iid, ""),
                    distance=beam.distance if beam else None,
                    zone=beam.zone if beam else None,
                )
            )
        inputs.extend(self.devices.statuses())
        return EngineStatus(
            harmony=v.harmony.describe(v.key),
            loop=self.band.describe(),
            turns=self.turns.describe(),
            profile=self.profile.name,
            key=self.profile.key,  # as the therapist typed it (F# stays F#)
            scale=v.key.scale.name,
            volume=self.profile.volume,
            gain=v.gain,
            synth=str(self.synth.state),
            synth_reason=self.synth.state_reason,
            inputs=tuple(inputs),
            notes_sounding=v.sounding_count(),
            events_handled=self._handled,
            errors=self._errors,
            last_error=self._last_error,
        )

    # -- client contact ------------------------------------------------------------

    def _on_pressed(self, event: Pressed) -> None:
        self._contact(event.source, True, event.t)

    def _on_released(self, event: Released) -> None:
        self._contact(event.source, False, event.t)

    def _contact(self, source: str, active: bool, t: float) -> None:
        self._require_input(source)
        settings = self.profile.settings_for(InputId(source))
        edge = self.contacts.raw(source, active, t, settings.access)
        if edge is not None:
            self.modes.edge(source, edge, settings, t)

    def forget_timers(self, prefix: str) -> None:
        """Every pending timer of the sources whose names start with ``prefix``."""
        for key in [k for k in self._deadlines if k.startswith(prefix)]:
            del self._deadlines[key]

    def handle_panic(self, event: Panic) -> None:
        self._on_panic(event)

    def stop(self, source: str) -> None:
        """Stop what ``source`` sounds (an input, or a device's key), and its time limit."""
        self.modes.stop(source)

    # -- beams (engine/beams.py) -----------------------------------------------------

    def _on_beam(self, event: BeamReading) -> None:
        self._require_input(event.source)
        settings: BeamSettings = self.profile.settings_for(event.source)
        self.beams.reading(event.source, event.distance, event.t, settings)

    # -- timers ----------------------------------------------------------------------

    def _timer(self, source: str, what: str, t: float) -> None:
        if f"{source}/{what}" == _MIX_TIMER:
            self.voicing.tick(t)
            return
        if f"{source}/{what}" == _BAND_TIMER:
            self.band.tick(t)
            return
        if f"{source}/{what}" == _TURNS_TIMER:
            self.turns.tick(t)
            return
        if device_of(source) is not None:  # a client's key (engine/devices.py)
            self.devices.key_timer(source, what, t)
            return
        settings = self.profile.settings_for(InputId(source))
        if what == "check":
            self.voicing.stop(source)
        elif what == "sequence":
            self.songs.timer(source, t)
        elif what == ACCESS_TIMER:
            edge = self.contacts.tick(source, t, settings.access)
            if edge is not None:
                self.modes.edge(source, edge, settings, t)
        elif what == MAX_NOTE_TIMER:
            # A note held too long ends; the contact must be released and
            # pressed again (or the hand move on) to play, so a stuck switch
            # or a chair left in the beam stays quiet.
            if not self.beams.expire(source, settings):
                self.voicing.stop(source)
        elif what == "beam":
            self.beams.tick(source, t, settings)

    def set_deadline(self, key: str, when: float | None) -> None:
        """Run ``key``'s timer (``<source>/<what>``) at ``when``; None cancels it."""
        if when is None:
            self._deadlines.pop(key, None)
        else:
            self._deadlines[key] = when

    # -- settings and control --------------------------------------------------------

    def _on_set(self, event: SetSetting) -> None:
        self.change_settings([(event.path, event.value)], event.t)

    def change_settings(
        self,
        changes: Iterable[tuple[str, str]],
        t: float,
        checked: tuple[Profile, Profile] | None = None,
    ) -> Profile:
        """Change several settings together, or none (raising :class:`ProfileError`).

        ``checked`` is ``(before, after)`` when the caller has already applied
        and checked the changes on another thread: if the profile is still
        ``before``, ``after`` is taken as it is, and the engine's thread does not
        spend the time checking them again.
        """
        changes = list(changes)
        for path, _ in changes:
            target, dot, _field = path.partition(".")
            # A device's settings wait for it to plug in; a section is no input.
            if dot and not is_midi(target) and target not in SECTIONS:
                self._require_input(target)
        old = self.profile
        if checked is not None and checked[0] is old:
            new = checked[1]
        else:
            new = old.with_settings(changes)
        self._adopt(new, t)
        for path, _ in changes:
            target, _, field = path.partition(".")
            # Else the old mode's notes ring on; a new song starts from its beginning.
            if field in ("mode", "song") and not is_midi(target):
                self.stop(target)
                self._forget(target)
            elif field == "role" and target in self.devices.devices:
                self.devices.forget_keys(target)
                self.voicing.release_device(target)
        return self.profile

    def load_profile(self, profile: Profile, t: float) -> None:
        """Swap the whole profile at once: every note released cleanly first."""
        self.release_all(t, "profile")
        for source in [*self.contacts.sources(), *self.beams.players]:
            self._forget(source)
        self._adopt(profile, t)
        self.band.loaded(profile, t)

    def _adopt(self, new: Profile, t: float) -> None:
        old = self.profile
        self.voicing.now = t
        key = self.voicing.key
        self.voicing.apply(new)
        self.band.follow(self.profile, t)
        self.turns.follow(self.profile, t)
        if self.voicing.key != key:  # songs move to the new key, each in its place
            self.songs.rekey(self.voicing.key)
        for listener in self.profile_listeners:
            listener(old, self.profile)

    def sound_check(self, source: InputId, t: float) -> None:
        """Sound ``source``'s note (or chord) as if pressed and released, for the therapist."""
        self._require_input(source)
        self.voicing.now = t
        settings = self.profile.settings_for(source)
        mode = settings.mode if settings.mode is PlayMode.CHORD else PlayMode.NOTE
        self.stop(source)
        self.voicing.start(source, settings, mode)
        self.set_deadline(f"{source}/check", t + CHECK_NOTE_S)

    def beam_position(self, source: str) -> tuple[float | None, int | None]:
        """A beam's smoothed distance and zone, as the status shows them."""
        return self.beams.position(source)

    def _on_band(self, event: BandCommand) -> None:
        if event.action is BandAction.TURN_NEXT:
            self.turns.next(event.t)
        else:
            self.band.command(event)

    def _on_levelled(self, event: InstrumentLevelled) -> None:
        self.voicing.relevel(event.instrument)

    def _on_panic(self, event: Panic) -> None:
        """Every note released, and the box faded out and reset within a few
        milliseconds (engine/mixer.py): silent at once, and ready to play again."""
        self.release_all(event.t, event.source)
        self.voicing.panic()

    def _on_offline(self, event: InputOffline) -> None:
        # A sensor that vanished mid-note would otherwise leave its note droning.
        self._require_input(event.source)
        self._offline[event.source] = event.reason
        self.stop(event.source)
        self._forget(event.source)

    def _on_online(self, event: InputOnline) -> None:
        self._offline.pop(event.source, None)

    def _forget(self, source: str) -> None:
        """Drop an input's filter and beam state: it starts afresh."""
        self.contacts.forget(source)
        self.beams.forget(source)
        self.songs.reset(source)
        for what in (ACCESS_TIMER, "beam", MAX_NOTE_TIMER, "check"):
            self._deadlines.pop(f"{source}/{what}", None)

    # -- errors ------------------------------------------------------------------------

    def _require_input(self, iid: str) -> None:
        if iid not in self.inputs and iid not in self.devices.devices:
            have = ", ".join(self.inputs)
            raise UnknownInputError(f"no input '{iid}' on this box (have: {have})")

    def _note_error(self, message: str) -> None:
        self._errors += 1
        self._last_error = message
        log.warning("%s", message, extra={"error": message, "profile": self.profile.name})


class UnknownInputError(TonicError, LookupError):
    """An event for an input the box does not have."""


def _describe(event: Event) -> str:
    fields = ", ".join(f"{f.name}={getattr(event, f.name)!r}" for f in dataclasses.fields(event))
    return f"{type(event).__name__}({fields})"
