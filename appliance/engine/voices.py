"""Which notes are sounding, and who started them.

Two rules keep notes from sticking or being cut short:

* A note-off always stops exactly the notes its press started, stored at
  press time. A switch released after the key changed stops the note it
  started, not the note it would start now.
* Inputs that share a channel (same instrument) may sound the same note.
  Each (channel, note) is counted; the synth hears a note-off only when the
  last holder lets go. A second holder re-strikes the note with an explicit
  off-then-on, so every note-on in the event log has its own note-off.
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.profile import PlayMode
from appliance.sound.synth import Channel

Sounding = tuple[Channel, int]
"""A (channel, note) pair that the synth is sounding."""


@dataclass(frozen=True, slots=True)
class Held:
    """What one input is sounding, and the mode it was started in."""

    notes: tuple[Sounding, ...]
    mode: PlayMode


class Voices:
    def __init__(self) -> None:
        self._holders: dict[Sounding, int] = {}
        self._held: dict[str, Held] = {}

    def held_by(self, source: str) -> Held | None:
        return self._held.get(source)

    def sources(self) -> tuple[str, ...]:
        return tuple(self._held)

    def sounding_count(self) -> int:
        return len(self._holders)

    def busy_channels(self) -> set[Channel]:
        return {channel for channel, _ in self._holders}

    def start(self, source: str, held: Held) -> list[tuple[Sounding, bool]]:
        """Record ``held`` for ``source``; return each note with whether it must
        first be stopped (re-struck) because another input already holds it."""
        self._held[source] = held
        out = []
        for s in held.notes:
            count = self._holders.get(s, 0)
            self._holders[s] = count + 1
            out.append((s, count > 0))
        return out

    def stop(self, source: str) -> list[Sounding]:
        """Forget ``source``'s notes; return the ones no other input still holds."""
        held = self._held.pop(source, None)
        if held is None:
            return []
        silent = []
        for s in held.notes:
            count = self._holders.get(s, 0) - 1
            if count <= 0:
                self._holders.pop(s, None)
                silent.append(s)
            else:
                self._holders[s] = count
        return silent

    def clear(self) -> None:
        self._holders.clear()
        self._held.clear()
