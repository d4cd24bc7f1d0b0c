"""What the dashboard says, as pure functions of the box's status and profile.

Nothing here draws or talks to the box: each function takes the ``status``
and ``profile.get`` results (plain JSON, docs/control-api.md) and returns the
words or numbers a widget shows, so each is tested without a terminal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: A pad's bar reaches its end at this many times its touch threshold.
PAD_SCALE = 2.0
#: A beam's bar runs this far past its far edge, so a hand just beyond shows.
BEAM_MARGIN = 0.15
#: Centimetres in a metre, for the distances people read.
CM = 100


def input_label(iid: str) -> str:
    """``switch:1`` → ``Switch 1``."""
    kind, _, number = iid.partition(":")
    return f"{kind.capitalize()} {number}".strip()


def input_kind(iid: str) -> str:
    return iid.partition(":")[0]


def inputs_of(status: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    """The status's inputs of one kind (``switch``, ``pad``, ``beam``), in box order."""
    items = status.get("inputs")
    if not isinstance(items, list):
        return []
    return [i for i in items if isinstance(i, dict) and input_kind(str(i.get("id"))) == kind]


def input_settings(profile: Mapping[str, Any] | None, iid: str) -> dict[str, Any]:
    """One input's settings from ``profile.get``'s JSON, or {} when not known yet."""
    if not profile:
        return {}
    inputs = profile.get("inputs")
    found = inputs.get(iid) if isinstance(inputs, dict) else None
    return found if isinstance(found, dict) else {}


def pad_depth(info: Mapping[str, Any]) -> int | None:
    """How deep a pad is touched: its baseline minus its filtered reading."""
    filtered, baseline = info.get("filtered"), info.get("baseline")
    if not isinstance(filtered, int) or not isinstance(baseline, int):
        return None
    return max(baseline - filtered, 0)


def scale_words(scale: object) -> str:
    return str(scale).replace("_", " ")


def profile_line(status: Mapping[str, Any]) -> str:
    name = status.get("profile") or "?"
    unsaved = " (unsaved changes)" if status.get("unsaved") else ""
    return f"Profile: {name}{unsaved}"


def music_line(status: Mapping[str, Any]) -> str:
    key = status.get("key") or "?"
    return f"Key: {key} {scale_words(status.get('scale') or '')}".rstrip()


def midi_line(status: Mapping[str, Any]) -> str:
    """The MIDI devices plugged in, each with its role and whether it is playing."""
    midi = status.get("midi")
    if not isinstance(midi, dict):
        return "MIDI: ?"
    if midi.get("available") is False:
        return f"MIDI: {midi.get('reason') or 'not available'}"
    devices = [
        i
        for i in status.get("inputs") or []
        if isinstance(i, dict) and input_kind(str(i.get("id"))) == "midi"
    ]
    if not devices:
        return "MIDI: no devices plugged in"
    parts = []
    for info in devices:
        playing = " playing " + " ".join(str(n) for n in info.get("sounding") or [])
        parts.append(
            f"{info.get('id')} ({info.get('mode')}){playing if info.get('active') else ''}"
        )
    line = "MIDI: " + ", ".join(parts)
    harmony = status.get("harmony")
    key_name = f"{status.get('key') or ''} {scale_words(status.get('scale') or '')}".strip()
    if isinstance(harmony, str) and harmony and harmony.lower() != key_name.lower():
        line += f" · clients follow {harmony}"  # the therapist's chord
    return line


#: The input names the box gives the band's notes in the live stream: the loop's, a song's.
BAND_SOURCES = frozenset({"loop", "song"})


#: How the status's ``loop`` names a song the band plays ("song: Ode to Joy").
SONG_PREFIX = "song: "


def band_line(status: Mapping[str, Any]) -> str:
    """``Loop: calypso, bar 5 · player 2's turn``: what the band plays now."""
    loop = status.get("loop")
    if not isinstance(loop, str) or not loop:
        text = "Loop: none playing"
    elif loop.startswith(SONG_PREFIX):
        text = f"Song: {loop.removeprefix(SONG_PREFIX)}"
    else:
        text = f"Loop: {loop}"
    tempo = status.get("tempo")
    if loop and isinstance(tempo, int) and tempo > 0:
        text += f" at {tempo} bpm"
    turns = status.get("turns")
    if isinstance(turns, str) and turns:
        text += f" · {turns}"
    return text


def volume_line(status: Mapping[str, Any]) -> str:
    volume = status.get("volume")
    text = f"Volume: {round(volume * 100)} %" if isinstance(volume, int | float) else "Volume: ?"
    ceiling = status.get("gain_ceiling")
    if isinstance(ceiling, int | float):
        text += f" (gain ceiling {ceiling:.2f})"
    return text


def audio_line(status: Mapping[str, Any]) -> str:
    """``Audio: playing, 4.0 ms (64 x 3)`` or ``Audio: silent (why)``."""
    audio = status.get("audio")
    if not isinstance(audio, dict):
        audio = {"state": status.get("synth"), "reason": status.get("synth_reason")}
    text = f"Audio: {audio.get('state') or '?'}"
    latency = audio.get("latency_ms")
    if isinstance(latency, int | float):
        text += f", {latency:.1f} ms"
        size, periods = audio.get("period_size"), audio.get("periods")
        if isinstance(size, int) and isinstance(periods, int):
            text += f" ({size} x {periods})"
    if audio.get("reason"):
        text += f" — {audio['reason']}"
    return text


def health_line(status: Mapping[str, Any]) -> str:
    """Which inputs are offline and why, grouped by reason; or that all answer."""
    items = status.get("inputs")
    if not isinstance(items, list):
        return "Sensors: ?"
    by_reason: dict[str, list[str]] = {}
    for info in items:
        if isinstance(info, dict) and info.get("online") is False:
            reason = str(info.get("reason") or "not answering")
            by_reason.setdefault(reason, []).append(str(info.get("id")))
    if not by_reason:
        return "Sensors: all answering"
    parts = [f"{_span(ids)} offline ({reason})" for reason, ids in by_reason.items()]
    return "Sensors: " + "; ".join(parts)


def _span(ids: list[str]) -> str:
    """``pad:1 … pad:12`` as ``Pads 1-12``; a single input by its label."""
    if len(ids) == 1:
        return input_label(ids[0])
    kind = input_kind(ids[0])
    numbers = [i.partition(":")[2] for i in ids]
    if all(input_kind(i) == kind for i in ids) and all(n.isdigit() for n in numbers):
        plural = "Switches" if kind == "switch" else f"{kind.capitalize()}s"
        return f"{plural} {numbers[0]}-{numbers[-1]}"
    return ", ".join(input_label(i) for i in ids)


def sounding_line(sounding: Mapping[str, Iterable[str]]) -> str:
    """``Sounding: Switch 1 C4 · Pad 3 E4``, in the order the inputs started."""
    parts = [f"{input_label(iid)} {' '.join(names)}" for iid, names in sounding.items() if names]
    return "Sounding: " + (" · ".join(parts) if parts else "nothing")


@dataclass(frozen=True)
class BeamRange:
    """A beam's playing range from its profile settings, for drawing its bar."""

    near: float
    far: float
    zones: int

    @classmethod
    def of(cls, settings: Mapping[str, Any]) -> BeamRange | None:
        near, far, zones = settings.get("near"), settings.get("far"), settings.get("zones")
        if not isinstance(near, int | float) or not isinstance(far, int | float):
            return None
        if not isinstance(zones, int) or zones < 1 or far <= near:
            return None
        return cls(float(near), float(far), zones)

    @property
    def top(self) -> float:
        """Where the bar ends: a little past ``far``."""
        return self.far + BEAM_MARGIN * (self.far - self.near)

    def zone_at(self, distance: float) -> int | None:
        """The zone (0 = nearest) a distance falls in, without hysteresis; None past far."""
        if distance > self.far:
            return None
        width = (self.far - self.near) / self.zones
        return min(max(int((distance - self.near) // width), 0), self.zones - 1)


def activity_line(event: Mapping[str, Any]) -> str:
    """One event of the live stream in words, for the activity list; "" to leave it out.

    The band's own notes are left out: a bar of them would push the client's
    presses off the list, and the loop line says what it plays."""
    kind = event.get("event")
    if event.get("input") in BAND_SOURCES:
        return ""
    if kind == "band":
        return f"{str(event.get('action', '?')).capitalize()} {event.get('name') or ''}".rstrip()
    who = input_label(str(event.get("input", "")))
    if kind == "press":
        return f"{who} pressed"
    if kind == "release":
        return f"{who} released"
    if kind == "note_on":
        return f"{who} plays {event.get('name', '?')}"
    if kind == "offline":
        return f"{who} offline: {event.get('reason') or 'not answering'}"
    if kind == "online":
        return f"{who} back online"
    if kind == "all_notes_off":
        return f"All notes off ({event.get('cause', '?')})"
    if kind == "profile":
        return f"Profile {event.get('name', '?')}" + (" (unsaved)" if event.get("unsaved") else "")
    return ""
