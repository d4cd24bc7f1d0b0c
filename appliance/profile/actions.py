"""What a controller device's keys and knobs do: a MIDI device in the `controller` role.

The profile keeps the mapping as one line of text, so it reads and edits
the same in a profile file, a script and the control API::

    note36=panic note37=volume_down note38=volume_up cc7=volume

``noteN`` fires when key ``N`` is struck; ``ccN`` when controller ``N`` moves:
``volume`` follows the controller's position (0..127 is volume 0..1, under
the box's ceiling), and a stepping action fires when it crosses the middle
going up (a button sending 127 then 0 fires once). ``volume`` needs a
position, so it belongs on a controller, never on a key; and each key or
controller does one thing, so naming one twice is a mistake, not an override.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from appliance.textfile import excerpt

MIDI_MAX = 127
# ASCII digits only: \d would also take other scripts' digits, which int() reads.
_ENTRY = re.compile(r"^(note|cc)([0-9]{1,3})=([a-z_]+)$")


class Action(StrEnum):
    PANIC = "panic"
    VOLUME_UP = "volume_up"
    VOLUME_DOWN = "volume_down"
    VOLUME = "volume"  # a controller's position: only on a ccN
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
            raise ValueError(f"{excerpt(entry)} is not noteN=action or ccN=action")
        kind, number, name = m.group(1), int(m.group(2)), m.group(3)
        if number > MIDI_MAX:
            raise ValueError(f"{excerpt(entry)}: MIDI numbers are 0..{MIDI_MAX}")
        try:
            action = Action(name)
        except ValueError:
            known = ", ".join(a.value for a in Action)
            raise ValueError(f"{excerpt(entry)}: unknown action (known: {known})") from None
        if kind == "note" and action is Action.VOLUME:
            raise ValueError(f"{excerpt(entry)}: volume follows a controller, use ccN=volume")
        table = notes if kind == "note" else controls
        if number in table:
            raise ValueError(f"{excerpt(entry)}: {kind}{number} is already {table[number]}")
        table[number] = action
    return Actions(MappingProxyType(notes), MappingProxyType(controls))
