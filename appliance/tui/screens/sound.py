"""Sound and music: the key and scale the client plays in, the harmony, the volume.

Every change is sent at once with ``set`` (docs/control-api.md), so the music
changes while the client plays; the profile then has unsaved changes, which
the Profiles screen saves. What the screen shows is the box's own ``status``,
re-read after each change and whenever the box says its profile changed (a
second setup UI or ``tonic ctl`` changing the key shows here too).

Accompaniment (loops and songs, with a preview and a tempo) is not on the
box yet: the screen says so, and shows what the box plays today.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from textual import on
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Label, RadioButton, Select

from appliance.errors import TonicError
from appliance.music import Key, parse_pitch_class, scale_names
from appliance.music.notes import pitch_class_name
from appliance.tui.link import BoxEvent, Connected
from appliance.tui.screens.base import SetupScreen
from appliance.tui.view import input_label, scale_words
from appliance.tui.widgets.volume import VolumeBar
from appliance.tui.widgets.words import Words

#: The twelve keys as a therapist writes them: the sharp or flat of the usual key signature.
KEYS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
INTRO = "What the client's notes are made of. Every change plays at once."
HARMONY = "the profile's scale"
HARMONY_LATER = "Chords and loops of your own come later; today every note stays in the scale."
CEILING = "the loudest this box will ever play; the client cannot exceed it"
LOOPS = (
    "Accompaniment is not on this box yet: loops and songs, with a preview and a tempo, "
    "come with the accompaniment issue. Today the box plays the client's own notes:"
)


def key_label(key: object) -> str | None:
    """The box's key as one of :data:`KEYS` ("D#" → "Eb"), or None when it is not a key."""
    try:
        return KEYS[parse_pitch_class(str(key))]
    except (TonicError, ValueError):
        return None


def scale_notes(key: str, scale: str) -> str:
    """``C major pentatonic: C D E G A``: the scale's notes, spelled for its key."""
    try:
        played = Key.parse(key, scale)
    except (TonicError, ValueError):
        return ""
    names = [
        pitch_class_name((played.tonic + step) % 12, prefer_flats=played.prefers_flats)
        for step in played.scale.intervals
    ]
    return f"Notes in {played.name}: {' '.join(names)}"


def ceiling_line(status: Mapping[str, Any]) -> str:
    """One line under the volume bar, whose right end (100 %) is the ceiling."""
    return f"Ceiling: {CEILING}."


def instruments_line(status: Mapping[str, Any]) -> str:
    """``Switch 1 Marimba · Pads 1-12 Kalimba``: what each input plays, neighbours grouped."""
    runs: list[tuple[str, str, list[str]]] = []  # (kind, instrument, numbers)
    for info in status.get("inputs") or []:
        if not isinstance(info, dict):
            continue
        kind, _, number = str(info.get("id")).partition(":")
        instrument = str(info.get("instrument") or "?")
        if runs and runs[-1][:2] == (kind, instrument):
            runs[-1][2].append(number)
        else:
            runs.append((kind, instrument, [number]))
    parts = []
    for kind, instrument, numbers in runs:
        if len(numbers) == 1:
            parts.append(f"{input_label(f'{kind}:{numbers[0]}')} {instrument}")
        else:
            plural = "Switches" if kind == "switch" else f"{kind.capitalize()}s"
            parts.append(f"{plural} {numbers[0]}-{numbers[-1]} {instrument}")
    return " · ".join(parts)


class SoundScreen(SetupScreen):
    """Key, scale (with its notes), harmony, volume against the ceiling; loops to come."""

    NAME = "sound"
    AUTO_FOCUS = "#key"  # its main task first, for the keyboard

    def __init__(self) -> None:
        super().__init__()
        self.status: dict[str, Any] = {}
        self._sending_volume = False
        self._next_volume: float | None = None

    def compose_body(self) -> Iterable[Widget]:
        with VerticalScroll(id="sound"):
            yield Words(INTRO, id="sound-intro")
            with Horizontal(id="sound-key"):
                yield Label("Key", classes="sound-label")
                yield Select([(k, k) for k in KEYS], prompt="Key", id="key", allow_blank=True)
                yield Label("Scale", classes="sound-label")
                yield Select(
                    [(scale_words(s), s) for s in scale_names()],
                    prompt="Scale",
                    id="scale",
                    allow_blank=True,
                )
            yield Words(id="scale-notes")
            with Horizontal(id="sound-harmony"):
                yield Label("Harmony from", classes="sound-label")
                yield RadioButton(HARMONY, value=True, id="harmony")
            yield Words(HARMONY_LATER, id="harmony-later")
            yield VolumeBar(id="volume")
            yield Words(id="ceiling")
            yield Label("Loops and songs", id="loops-title")
            yield Words(LOOPS, id="loops")
            yield Words(id="instruments")

    def on_mount(self) -> None:
        if self.setup.last_status is not None:
            self._take(self.setup.last_status)

    def on_screen_resume(self) -> None:
        self._refresh()

    # -- from the link ----------------------------------------------------------------------

    def on_connected(self, message: Connected) -> None:
        self._take(message.status)

    def on_box_event(self, message: BoxEvent) -> None:
        if message.kind == "profile":  # a set, load or revert here or elsewhere
            self._refresh()

    def _refresh(self) -> None:
        if self.setup.online:
            self.request("status", then=self._take_result, quiet=True)

    def _take_result(self, status: Any) -> None:
        if isinstance(status, dict):
            self._take(status)

    def _take(self, status: dict[str, Any]) -> None:
        """Show the box's values; the widgets' Changed events then match and send nothing."""
        self.status = status
        key, scale = key_label(status.get("key")), str(status.get("scale") or "")
        key_select = self.query_one("#key", Select)
        if key is not None and key_select.value != key:
            key_select.value = key
        scale_select = self.query_one("#scale", Select)
        if scale in scale_names() and scale_select.value != scale:
            scale_select.value = scale
        notes = scale_notes(str(status.get("key")), scale) if key else ""
        self.query_one("#scale-notes", Words).show(notes)
        volume = status.get("volume")
        if isinstance(volume, int | float) and not self._sending_volume:
            self.query_one(VolumeBar).volume = float(volume)
        self.query_one("#ceiling", Words).show(ceiling_line(status))
        self.query_one("#instruments", Words).show(instruments_line(status))

    # -- the therapist's changes ------------------------------------------------------------

    @on(Select.Changed, "#key")
    def _key_chosen(self, event: Select.Changed) -> None:
        if event.value != Select.BLANK and event.value != key_label(self.status.get("key")):
            self._set({"key": str(event.value)})

    @on(Select.Changed, "#scale")
    def _scale_chosen(self, event: Select.Changed) -> None:
        if event.value != Select.BLANK and event.value != self.status.get("scale"):
            self._set({"scale": str(event.value)})

    @on(RadioButton.Changed, "#harmony")
    def _harmony(self, event: RadioButton.Changed) -> None:
        if not event.value:  # the only harmony there is: it stays chosen
            event.radio_button.value = True

    @on(VolumeBar.Changed)
    def _volume(self, event: VolumeBar.Changed) -> None:
        """One ``set`` at a time: a held arrow key sends the latest volume, not every step."""
        if self._sending_volume:
            self._next_volume = event.volume
            return
        self._sending_volume = True

        def sent(_: Any = None) -> None:
            self._sending_volume = False
            if self._next_volume is not None:
                volume, self._next_volume = self._next_volume, None
                self.post_message(VolumeBar.Changed(self.query_one(VolumeBar), volume))
            else:
                self._refresh()

        self.request("set", {"volume": f"{event.volume:.2f}"}, then=sent, failed=sent)

    def _set(self, params: dict[str, str]) -> None:
        self.request("set", params, then=lambda _: self._refresh(), failed=self._refresh)
