"""USB-MIDI devices in the engine: inputs that come and go, each with a role.

A device is the input ``midi:<name>`` from its ``DevicePlugged`` until its
``DeviceUnplugged``; its settings (role, instrument, touch) are the
profile's, remembered by name. What its keys do depends on the role:

* ``therapist``: every key plays as struck, on the device's own channel
  (its sustain pedal and pitch bend act there), and the keys held make the
  harmony clients follow (appliance/engine/harmony.py);
* ``client``: each key goes through the device's access settings, like a
  switch, then plays locked to the harmony, with the device's velocity curve;
* ``controller``: keys and controllers drive the box (appliance/profile/actions.py).

Each key is a holder of its own in the voicing's book (``midi:keys#60``), so
a key's note-off stops exactly the note its note-on started, whatever the
harmony did in between, and unplugging stops every one of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from appliance.engine.access import ACCESS_TIMER, Edge
from appliance.engine.play_modes import MAX_NOTE_TIMER
from appliance.engine.status import InputStatus
from appliance.errors import TonicError
from appliance.events import (
    ControlChange,
    DevicePlugged,
    DeviceUnplugged,
    InputId,
    NoteOff,
    NoteOn,
    Panic,
    PitchBend,
)
from appliance.music.notes import pitch_class_name
from appliance.profile import MidiRole, MidiSettings, VelocityCurve
from appliance.profile.actions import Action, Actions, parse_actions

if TYPE_CHECKING:
    from appliance.engine.engine import Engine

KEY_MARK = "#"
CC_SUSTAIN = 64
#: Controllers a therapist's keyboard may not send on to the synth: bank
#: select (programs are the profile's), channel volume (the mixer's), the
#: parameter numbers (the box sets bend ranges) and the channel-mode messages.
_NOT_PASSED = frozenset({0, 6, 7, 32, 38, 98, 99, 100, 101, *range(120, 128)})
MIDI_MAX = 127
#: A controller's button counts as pressed when its value crosses this going up.
_BUTTON_MIDDLE = 64
#: How far one press of "volume up" or "volume down" moves the volume.
VOLUME_STEP = 0.1
#: Volumes a controller sets are rounded to this many places: finer than a
#: fader's 128 steps, and free of float dust (0.6 - 0.1 is 0.49999...).
_VOLUME_DIGITS = 3
#: The scales "next scale" steps through, in order: the ones clients know.
SCALE_CYCLE = (
    "major_pentatonic",
    "minor_pentatonic",
    "major",
    "natural_minor",
    "blues",
    "dorian",
)
#: "gentle" halves the distance between the struck velocity and the device's own.
_GENTLE_SHARE = 0.5


@dataclass(slots=True)
class Device:
    """A plugged device's state in the engine."""

    port: str
    #: Therapist: keys held now (their notes make the chord).
    held: set[int] = field(default_factory=set)
    #: Client: the velocity a key was struck with, while its access filter decides.
    struck: dict[int, int] = field(default_factory=dict)
    #: Controller: each controller's last value, to see a button cross the middle.
    controls: dict[int, int] = field(default_factory=dict)


def key_source(device: str, note: int) -> str:
    return f"{device}{KEY_MARK}{note}"


def device_of(source: str) -> str | None:
    """The device a key holder belongs to (``midi:keys#60`` -> ``midi:keys``)."""
    device, mark, _ = source.partition(KEY_MARK)
    return device if mark else None


def shaped_velocity(settings: MidiSettings, struck: int) -> int:
    """A client's velocity through the device's curve."""
    if settings.velocity_curve is VelocityCurve.FIXED:
        return settings.velocity
    if settings.velocity_curve is VelocityCurve.GENTLE:
        return round(settings.velocity + (struck - settings.velocity) * _GENTLE_SHARE)
    return struck


class DeviceRouter:
    """The engine's MIDI devices; runs on the engine's owner thread."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.devices: dict[str, Device] = {}

    # -- plugging --------------------------------------------------------------------

    def plugged(self, event: DevicePlugged) -> None:
        source = str(event.source)
        if source in self.devices:  # plugged again unannounced: start it afresh
            self.unplugged(DeviceUnplugged(event.t, event.source))
        self.devices[source] = Device(event.port)
        # Its channel stays its own while it is plugged, through every profile
        # change: a pedal held down there must be let go when it is unplugged.
        self._engine.voicing.kept_voices.add(source)
        if event.role is not None:  # a script's plug line says the role
            self._engine.change_settings([(f"{source}.role", event.role)], event.t)

    def unplugged(self, event: DeviceUnplugged) -> None:
        source = str(event.source)
        if self.devices.pop(source, None) is None:
            return
        self.forget_keys(source)
        self._engine.voicing.release_device(source)
        self._engine.voicing.kept_voices.discard(source)
        self._follow_therapists()

    # -- keys ---------------------------------------------------------------------------

    def note_on(self, event: NoteOn) -> None:
        device, settings = self._device(event.source)
        role = settings.role
        if role is MidiRole.THERAPIST:
            device.held.add(event.note)
            self._follow_therapists()
            source = key_source(event.source, event.note)
            # A key struck again without its note-off (a second channel, a
            # lost message) restarts its note, so one note-off still ends it.
            self._engine.voicing.stop(source)
            self._engine.voicing.play_key(source, event.source, event.note, event.velocity)
        elif role is MidiRole.CLIENT:
            device.struck[event.note] = event.velocity
            self._key_contact(event.source, event.note, True, event.t)
        else:
            self._act(settings, settings_actions(settings).notes.get(event.note), event, None)

    def note_off(self, event: NoteOff) -> None:
        device, settings = self._device(event.source)
        source = key_source(event.source, event.note)
        # Whatever the role is now: a key held while the device was a
        # therapist's must not linger in its next chord.
        device.held.discard(event.note)  # the chord stays: clients keep their harmony
        if settings.role is MidiRole.THERAPIST:
            self._engine.voicing.stop(source)
        elif settings.role is MidiRole.CLIENT:
            self._key_contact(event.source, event.note, False, event.t)
        else:
            self._engine.voicing.stop(source)  # a role changed while a key was down

    # -- a client's keys: each through the device's access settings, like a switch ------------

    def _key_contact(self, device: InputId, note: int, active: bool, t: float) -> None:
        access = self._engine.profile.settings_for(device).access
        edge = self._engine.contacts.raw(key_source(device, note), active, t, access)
        if edge is not None:
            self._key_edge(device, note, edge, t)

    def key_timer(self, source: str, what: str, t: float) -> None:
        """A timer of a client's key is due: its access filter's, or its note's limit."""
        device, _, note = source.partition(KEY_MARK)
        if what == MAX_NOTE_TIMER:
            self._engine.voicing.stop(source)
        elif what == ACCESS_TIMER and device in self.devices:
            access = self._engine.profile.settings_for(InputId(device)).access
            edge = self._engine.contacts.tick(source, t, access)
            if edge is not None:
                self._key_edge(InputId(device), int(note), edge, t)

    def _key_edge(self, device_id: InputId, note: int, edge: Edge, t: float) -> None:
        engine = self._engine
        source = key_source(device_id, note)
        engine.stop(source)
        if edge is not Edge.PRESS:
            return
        device, settings = self._device(device_id)
        if not engine.modes.admit(source, settings, t):
            return
        engine.turns.sounded(settings, t)
        voicing = engine.voicing
        struck = device.struck.get(note, settings.velocity)
        locked = voicing.harmony.lock_note(note, voicing.key)
        velocity = shaped_velocity(settings, struck)
        voicing.play_key(source, device_id, int(locked), velocity)
        # A key held down (or a book on the keyboard) must not drone.
        engine.modes.limit(source, settings.max_note_s, t)

    def forget_keys(self, device: str) -> None:
        """A device went away or changed role: its keys' filters and timers go with it."""
        prefix = f"{device}{KEY_MARK}"
        self._engine.contacts.forget_starting(prefix)
        self._engine.forget_timers(prefix)

    # -- controllers and bends ----------------------------------------------------------------

    def control(self, event: ControlChange) -> None:
        device, settings = self._device(event.source)
        if settings.role is MidiRole.THERAPIST:
            if event.control not in _NOT_PASSED:
                self._engine.voicing.control(event.source, event.control, event.value)
        elif settings.role is MidiRole.CONTROLLER:
            before = device.controls.get(event.control, 0)
            device.controls[event.control] = event.value
            action = settings_actions(settings).controls.get(event.control)
            self._act(settings, action, event, before)

    def bend(self, event: PitchBend) -> None:
        _, settings = self._device(event.source)
        if settings.role is MidiRole.THERAPIST:
            self._engine.voicing.bend(event.source, event.value)

    def statuses(self) -> list[InputStatus]:
        """Each plugged device as an input of the status: its role, and the keys it sounds."""
        voicing = self._engine.voicing
        found = []
        for did in self.devices:
            held = [h for h in voicing.holders() if device_of(h) == did]
            found.append(
                InputStatus(
                    id=did,
                    mode=str(self._engine.profile.settings_for(InputId(did)).role),
                    instrument=voicing.instrument_of(did).title,
                    active=bool(held),
                    sounding=tuple(n for h in held for n in voicing.sounding_names(h)),
                )
            )
        return found

    # -- inside -----------------------------------------------------------------------------------

    def _device(self, source: InputId) -> tuple[Device, MidiSettings]:
        device = self.devices.get(str(source))
        if device is None:
            raise UnpluggedDeviceError(f"{source} is not plugged in")
        return device, self._engine.profile.settings_for(source)

    def _follow_therapists(self) -> None:
        """The chord is every note the therapists' keyboards hold together."""
        engine = self._engine
        held = [
            note
            for source, device in self.devices.items()
            if engine.profile.settings_for(InputId(source)).role is MidiRole.THERAPIST
            for note in device.held
        ]
        if held:
            engine.voicing.harmony.therapist_holds(held, engine.voicing.key)

    def _act(
        self,
        settings: MidiSettings,
        action: Action | None,
        event: NoteOn | ControlChange,
        before: int | None,
    ) -> None:
        if action is None:
            return
        engine, t = self._engine, event.t
        if action is Action.VOLUME:  # a controller's position (a key cannot have it)
            if isinstance(event, ControlChange):
                volume = round(event.value / MIDI_MAX, _VOLUME_DIGITS)
                if volume != engine.profile.volume:  # a fader resends its position
                    engine.change_settings([("volume", f"{volume}")], t)
            return
        if isinstance(event, ControlChange) and not (
            before is not None and before < _BUTTON_MIDDLE <= event.value
        ):
            return  # a button fires once, as it goes down
        profile = engine.profile
        if action is Action.PANIC:
            engine.handle_panic(Panic(t, str(event.source)))
        elif action in (Action.VOLUME_UP, Action.VOLUME_DOWN):
            step = VOLUME_STEP if action is Action.VOLUME_UP else -VOLUME_STEP
            volume = round(min(1.0, max(0.0, profile.volume + step)), _VOLUME_DIGITS)
            engine.change_settings([("volume", f"{volume}")], t)
        elif action in (Action.KEY_UP, Action.KEY_DOWN):
            step = 1 if action is Action.KEY_UP else -1
            key = engine.voicing.key
            name = pitch_class_name((key.tonic + step) % 12, prefer_flats=key.prefers_flats)
            engine.change_settings([("key", name)], t)
        elif action is Action.NEXT_SCALE:
            now = profile.scale
            cycle = SCALE_CYCLE
            following = cycle[(cycle.index(now) + 1) % len(cycle)] if now in cycle else cycle[0]
            engine.change_settings([("scale", following)], t)


def settings_actions(settings: MidiSettings) -> Actions:
    return parse_actions(settings.actions)  # checked when it was set: cannot fail


class UnpluggedDeviceError(TonicError, LookupError):
    """An event from a MIDI device the engine has not seen plugged in."""
