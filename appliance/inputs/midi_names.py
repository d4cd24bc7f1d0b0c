"""Short, stable names for MIDI devices, from the names their ports carry.

A port's name is what the MIDI system calls it, and it changes between plugs:
ALSA appends the sequencer client and port numbers (``20:0``), JACK numbers
a second client of the same name (``-01``), bridges add their own tags. The
therapist needs a name that stays put, because the profile remembers each
device's role by it (``midi:keystep-32.role=therapist``)::

    Arturia KeyStep 32:Arturia KeyStep 32 MIDI 1 20:0         -> keystep-32
    nanoKEY Studio:nanoKEY Studio _ CTRL 24:1                 -> nanokey-studio-ctrl
    Launchkey Mini:Launchkey Mini MIDI 2 28:1                 -> launchkey-mini-midi-2
    RtMidiOut Client-01:keys                (JACK)            -> keys
    a2j:Arturia KeyStep 32 [20] (capture): Arturia KeyStep 32 MIDI 1   -> keystep-32

The rule, in order: drop the numbers and tags the system added; take the
client's name, or the port's when the client is only a bridge or a library
(``a2j``, ``RtMidiOut Client``); add what the port's own name says beyond
its client's, unless that is just ``MIDI 1`` (a device's first and often only
port); drop a maker's name in front when words remain (``Arturia``,
``Korg``: it says nothing that tells two devices apart); then lower-case
letters and digits joined by single hyphens.

Two devices with the same name (two identical keyboards) are told apart by
a number: ``keys`` and ``keys-2``. :func:`assign_names` keeps every plugged
device's name while it stays plugged, and gives a replugged port the name it
last had whenever that name is free.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from appliance.events import MAX_MIDI_NAME

#: What a device is called when its port's name has no letters or digits at all.
FALLBACK_NAME = "midi"

#: ALSA's sequencer address at the end of a port's name: "client:port" numbers,
#: given out afresh when a device is plugged.
_ALSA_ADDRESS = re.compile(r"\s+\d+:\d+$")
#: JACK's number for a second client of the same name ("RtMidiOut Client-01").
_JACK_DUPLICATE = re.compile(r"-\d+$")
#: Tags the a2j bridge adds to an ALSA device it carries into JACK: "[20] (capture)".
_BRIDGE_TAGS = re.compile(r"\s*(\[\d+\]|\((capture|playback)\))")
#: A device's first port, which says nothing its client's name does not.
_FIRST_PORT = re.compile(r"(^|\s)(midi\s*1|port[\s-]*[01])$", re.IGNORECASE)
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")

#: Clients that are not a device but carry one (bridges) or are a library's
#: default name (what RtMidi calls a port it opened without a name): the port
#: part of the name says which device it is.
_CARRIERS = ("a2j", "rtmidiout client", "rtmidiin client", "system")

#: Ports that are never a device the therapist plugged in: the kernel's
#: loop-back ("Midi Through"), and the box's own inputs (RtMidi's default
#: client name for an input, should a MIDI system ever list one as a source).
_NOT_DEVICES = (re.compile(r"midi\s*through", re.IGNORECASE), re.compile(r"^RtMidiIn Client"))

#: Makers' names, lower case, dropped from the front of a device's name when
#: words remain: "Arturia KeyStep 32" is "keystep-32".
MAKERS = (
    "akai professional",
    "akai",
    "alesis",
    "arturia",
    "behringer",
    "casio",
    "donner",
    "elektron",
    "focusrite",
    "ik multimedia",
    "kawai",
    "keith mcmillen",
    "korg",
    "m-audio",
    "midiplus",
    "native instruments",
    "nektar",
    "novation",
    "roland",
    "studiologic",
    "yamaha",
)

#: Room kept for a number after a name (``-2`` .. ``-99``), so a numbered
#: name still fits :data:`~appliance.events.MAX_MIDI_NAME`.
_SUFFIX_ROOM = 3


def is_device_port(port: str) -> bool:
    """Whether ``port`` may be a device: not a loop-back nor the box's own."""
    return not any(pattern.search(port) for pattern in _NOT_DEVICES)


def device_name(port: str) -> str:
    """The short name a device on ``port`` is known by (before any ``-2``)."""
    text = _ALSA_ADDRESS.sub("", port.strip())
    text = _BRIDGE_TAGS.sub("", text).strip()
    client, colon, rest = text.partition(":")
    client = _JACK_DUPLICATE.sub("", client.strip())
    rest = rest.strip()
    while colon and client.lower() in _CARRIERS and rest:
        # The device is in the port's name, which may itself be "client: port".
        client, colon, rest = rest.partition(":")
        client, rest = _JACK_DUPLICATE.sub("", client.strip()), rest.strip()
    words = _without_maker(client)
    extra = rest[len(client) :] if rest.lower().startswith(client.lower()) else rest
    extra = _FIRST_PORT.sub("", extra.strip(" _-")).strip(" _-")
    if extra:
        words = f"{words} {extra}"
    return _slug(words, MAX_MIDI_NAME - _SUFFIX_ROOM) or FALLBACK_NAME


def assign_names(
    ports: Iterable[str],
    plugged: Mapping[str, str],
    remembered: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """A distinct name for each of ``ports``, the ports listed now.

    ``plugged`` maps the ports already open to their names: those keep them.
    ``remembered`` maps ports seen before to the name each last had: a port
    that comes back gets that name again if nobody holds it. Every other new
    port gets its :func:`device_name`, or the first of ``name-2``, ``name-3``..
    that is free. New ports are named in the order given.
    """
    ports = list(ports)
    remembered = remembered or {}
    kept = {port: plugged[port] for port in ports if port in plugged}
    taken = set(kept.values())
    names: dict[str, str] = {}
    for port in ports:
        if port in kept:
            names[port] = kept[port]
            continue
        base = device_name(port)
        old = remembered.get(port)
        # A remembered name is only reused for the same device name: a port
        # string JACK or ALSA hands to another device must not carry it over.
        if old is not None and old not in taken and _numbered_from(old, base):
            name = old
        else:
            name = _first_free(base, taken)
        names[port] = name
        taken.add(name)
    return names


def _first_free(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    number = 2
    while (name := _numbered(base, number)) in taken:
        number += 1
    return name


def _numbered(base: str, number: int) -> str:
    suffix = f"-{number}"
    # Past 99 twins the room kept for the number runs out: shorten the base.
    return base[: MAX_MIDI_NAME - len(suffix)].rstrip("-") + suffix


def _numbered_from(name: str, base: str) -> bool:
    """Whether ``name`` is ``base`` or one of its numbered twins (``keys-2``)."""
    if name == base:
        return True
    _, hyphen, number = name.rpartition("-")
    return bool(hyphen) and number.isdigit() and _numbered(base, int(number)) == name


def _without_maker(words: str) -> str:
    lowered = words.lower()
    for maker in MAKERS:
        if lowered.startswith(maker + " ") and words[len(maker) :].strip():
            return words[len(maker) :].strip()
    return words


def _slug(text: str, limit: int) -> str:
    slug = _NOT_ALNUM.sub("-", text.lower()).strip("-")
    return slug[:limit].rstrip("-")
