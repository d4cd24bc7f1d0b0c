"""What a controller device's keys and knobs do: a MIDI device in the `controller` role.

The profile keeps the mapping as one line of text, so it reads and edits
the same in a profile file, a script and the control API::

    note36=panic note37=volume_down note38=volume_up cc7=volume

``noteN`` fires when key ``N`` is struck; ``ccN`` when controller ``N`` moves:
``volume`` follows the controller's position (0..127 is volume 0..1, under
the box's ceiling), and a stepping action fires when it crosses the middle
going up (a button sending 127 then 0 fires once).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

MIDI_MAX = 127
_ENTRY = re.compile(r"^(note|cc)(\d{1,3})=([a-z_]+)$")


class Action(StrEnum):
    PANIC = "panic"
    VOLUME_UP = "volume_up"
    VOLUME_DOWN = "volume_down"
    VOLUME = "volume"  # a controller's position; on a key, it does nothing
    KEY_UP = "key_up"
    KEY_DOWN = "key_down"
    NEXT_SCALE = "next_scale"


@dataclass(frozen=True, slots=True)
class Actions:
    notes: Mapping[int, Action] = field(default_factory=lambda: MappingProxyType({}))
    controls: Mapping[int, Action] = field(default_factory=lambda: MappingProxyType({}))


def parse_actions(text: str) -> Actions:
    """Read a mapping, or raise ValueError naming the first bad entry."""
    notes: dict[int, Action] = {}
    controls: dict[int, Action] = {}
    for entry in text.split():
        m = _ENTRY.match(entry)
        if not m:
            raise ValueError(f"'{entry[:40]}' is not noteN=action or ccN=action")
        kind, number, name = m.group(1), int(m.group(2)), m.group(3)
        if number > MIDI_MAX:
            raise ValueError(f"'{entry}': MIDI numbers are 0..{MIDI_MAX}")
        try:
            action = Action(name)
        except ValueError:
            known = ", ".join(a.value for a in Action)
            raise ValueError(f"'{entry}': unknown action '{name}' (known: {known})") from None
        (notes if kind == "note" else controls)[number] = action
    return Actions(MappingProxyType(notes), MappingProxyType(controls))
