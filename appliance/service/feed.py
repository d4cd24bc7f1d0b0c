"""The live stream the control socket's ``subscribe`` sends: what happens, as it happens.

The engine tells the feed of every event it acted on and every synth call it
made, on its owner thread. The feed turns the ones a person cares about into
small JSON objects and hands them to each subscriber's sink, which only queues
them (the control server's rule), so the engine is never held up::

    engine thread ── SoundEvent ──► note_on / note_off / all_notes_off
                  ── Pressed, Released ──► press / release
                  ── BeamReading ──► beam (the smoothed distance and zone)
                  ── InputOffline / InputOnline ──► offline / online
    service       ── profile, status ──► profile / status
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from appliance.control.api import EventSink
from appliance.engine import Engine
from appliance.engine.devices import device_of
from appliance.events import (
    BeamReading,
    Event,
    InputOffline,
    InputOnline,
    Pressed,
    Released,
    SoundEvent,
    SoundKind,
)

log = logging.getLogger(__name__)

_NOTES = {SoundKind.NOTE_ON: "note_on", SoundKind.NOTE_OFF: "note_off"}
#: Beam distances are sent to the millimetre: finer is noise.
_DISTANCE_DIGITS = 3


class Feed:
    """Fans engine happenings out to control-socket subscribers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        # Copied on change and read without the lock, so the engine's thread
        # never waits for a subscriber joining or leaving.
        self._sinks: tuple[EventSink, ...] = ()
        # Each beam's last position sent: an empty beam is pinged 16 times a
        # second, and subscribers need to hear only when something moved.
        self._beams: dict[str, tuple[float | None, int | None]] = {}

    def attach(self) -> None:
        """Start listening to the engine (call before the engine's thread starts)."""
        self.engine.listeners.append(self._on_sound)
        self.engine.event_listeners.append(self._on_event)

    def subscribe(self, sink: EventSink) -> Callable[[], None]:
        with self._lock:
            self._sinks = (*self._sinks, sink)

        def unsubscribe() -> None:
            with self._lock:
                self._sinks = tuple(s for s in self._sinks if s is not sink)

        return unsubscribe

    def publish(self, event: dict[str, Any]) -> None:
        """Send one event to every subscriber; safe from any thread."""
        for sink in self._sinks:
            try:
                sink(event)
            except Exception:  # a broken subscriber must not stop the music
                log.exception("control subscriber failed")

    # -- on the engine's owner thread ------------------------------------------------

    def _on_sound(self, event: SoundEvent) -> None:
        if not self._sinks:
            return
        kind = _NOTES.get(event.type)
        if kind is not None and event.note is not None:
            self.publish(
                {
                    "event": kind,
                    "t": round(event.t, 4),
                    # A MIDI key's note is its device's: midi:keys#60 is midi:keys.
                    "input": device_of(event.source) or event.source,
                    "note": event.note,
                    "name": self.engine.voicing.key.spell(event.note),
                    "velocity": event.velocity,
                    "channel": event.channel,
                }
            )
        elif event.type is SoundKind.ALL_NOTES_OFF:
            self.publish({"event": "all_notes_off", "t": round(event.t, 4), "cause": event.source})

    def _on_event(self, event: Event) -> None:
        if not self._sinks:
            return
        t = round(event.t, 4)
        if isinstance(event, Pressed | Released):
            kind = "press" if isinstance(event, Pressed) else "release"
            self.publish({"event": kind, "t": t, "input": event.source})
        elif isinstance(event, BeamReading):
            distance, zone = self.engine.beam_position(event.source)
            shown = None if distance is None else round(distance, _DISTANCE_DIGITS)
            if self._beams.get(event.source) == (shown, zone):
                return
            self._beams[event.source] = (shown, zone)
            self.publish(
                {"event": "beam", "t": t, "input": event.source, "distance": shown, "zone": zone}
            )
        elif isinstance(event, InputOffline):
            self.publish(
                {"event": "offline", "t": t, "input": event.source, "reason": event.reason}
            )
        elif isinstance(event, InputOnline):
            self.publish({"event": "online", "t": t, "input": event.source})
