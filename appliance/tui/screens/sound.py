"""Sound and music: the key and scale the client plays in, the harmony, the volume,
and the accompaniment (the loop under the client, and songs).

Every change is sent at once with ``set`` (docs/control-api.md), so the music
changes while the client plays; the profile then has unsaved changes, which
the Profiles screen saves. Start and Stop are a preview (``loop.start``,
``loop.stop``): they play the loop now and change nothing in the profile.
What the screen shows is the box's own ``status``, re-read after each change,
whenever the box says its profile or its band changed (a second setup UI or
``tonic ctl`` starting a loop shows here too), and every second while a loop
plays, so its bar moves on. The loops and songs to choose from are the box's
(``loops.list``, ``songs.list``), read once when the screen opens.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from textual import on
from textual.containers import Horizontal, VerticalScroll
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Label, RadioButton, RadioSet, Select

from appliance.errors import TonicError
from appliance.music import Key, parse_pitch_class, scale_names
from appliance.music.notes import pitch_class_name
from appliance.tui.link import BoxEvent, Connected
from appliance.tui.screens.base import SetupScreen
from appliance.tui.view import input_label, scale_words
from appliance.tui.widgets.accompaniment import Accompaniment
from appliance.tui.widgets.volume import VolumeBar
from appliance.tui.widgets.words import Words

#: The twelve keys as a therapist writes them: the sharp or flat of the usual key signature.
KEYS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
INTRO = "What the client's notes are made of. Every change plays at once."
#: What client notes lock to (the profile's ``harmony``): its button, and what it means.
HARMONIES: dict[str, tuple[str, str]] = {
    "scale": ("the scale", "Your client's notes stay in the key and scale above."),
    "therapist": (
        "your keyboard",
        "Your client's notes follow the chord you hold on your MIDI keyboard.",
    ),
    "loop": ("the loop", "Your client's notes follow the loop's chords, bar by bar."),
}
CEILING = "the loudest this box will ever play; the client cannot exceed it"
#: How often the status is re-read while a loop plays here, so its bar moves on.
PLAYING_EVERY_S = 1.0


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


class LatestOnly:
    """One ``set`` of a setting at a time: a held arrow key sends the latest value,
    not every step. The screen is told when the last one is answered."""

    def __init__(self, screen: SoundScreen, path: str) -> None:
        self.screen = screen
        self.path = path
        self.busy = False
        self._next: str | None = None

    def send(self, text: str) -> None:
        if self.busy:
            self._next = text
            return
        self.busy = True
        self.screen.request("set", {self.path: text}, then=self._sent, failed=self._sent)

    def _sent(self, _: Any = None) -> None:
        self.busy = False
        if self._next is not None:
            text, self._next = self._next, None
            self.send(text)
        else:
            self.screen.refresh_status()


class SoundScreen(SetupScreen):
    """Key, scale (with its notes), harmony, volume against the ceiling; the loop and songs."""

    NAME = "sound"
    AUTO_FOCUS = "#key"  # its main task first, for the keyboard

    def __init__(self) -> None:
        super().__init__()
        self.status: dict[str, Any] = {}
        self._volume = LatestOnly(self, "volume")
        self._loop_volume = LatestOnly(self, "loop.volume")
        self._timer: Timer | None = None
        self._listed = False

    def compose_body(self) -> Iterable[Widget]:
        with VerticalScroll(id="sound"):
            yield Words(INTRO, id="sound-intro")
            with Horizontal(id="sound-key"):
                yield Label("Key", classes="sound-label")
                # Compact, a line each: with the loop below, all fits at 80x24.
                yield Select(
                    [(k, k) for k in KEYS], prompt="Key", id="key", allow_blank=True, compact=True
                )
                yield Label("Scale", classes="sound-label")
                yield Select(
                    [(scale_words(s), s) for s in scale_names()],
                    prompt="Scale",
                    id="scale",
                    allow_blank=True,
                    compact=True,
                )
            yield Words(id="scale-notes")
            with Horizontal(id="sound-harmony"):
                yield Label("Harmony from", classes="sound-label")
                with RadioSet(id="harmony", compact=True):
                    for source, (label, _) in HARMONIES.items():
                        yield RadioButton(label, value=source == "scale", id=f"harmony-{source}")
            yield Words(HARMONIES["scale"][1], id="harmony-means")
            yield VolumeBar(id="volume")
            yield Words(id="ceiling")
            yield Accompaniment(id="accompaniment")
            yield Words(id="instruments")

    def on_mount(self) -> None:
        self._timer = self.set_interval(PLAYING_EVERY_S, self._while_playing)
        if self.setup.last_status is not None:
            self._take(self.setup.last_status)
        self._list()

    def on_screen_suspend(self) -> None:
        if self._timer is not None:
            self._timer.pause()

    def on_screen_resume(self) -> None:
        if self._timer is not None:
            self._timer.resume()
        self._list()
        self._refresh()

    # -- from the link ----------------------------------------------------------------------

    def on_connected(self, message: Connected) -> None:
        self._take(message.status)
        self._list()

    def on_box_event(self, message: BoxEvent) -> None:
        if message.kind in ("profile", "band"):  # a set, load, loop start... here or elsewhere
            self._refresh()

    def refresh_status(self) -> None:
        """Read the box's status again and show it."""
        self._refresh()

    def _refresh(self) -> None:
        if self.setup.online:
            self.request("status", then=self._take_result, quiet=True)

    def _while_playing(self) -> None:
        if self.status.get("loop"):
            self._refresh()

    def _list(self) -> None:
        """The loops and songs to choose from, once the box answers."""
        if self._listed or not self.setup.online:
            return
        self._listed = True

        def songs(loops: Any) -> None:
            def both(found: Any) -> None:
                if isinstance(loops, list) and isinstance(found, list):
                    self.query_one(Accompaniment).offer(loops, found)

            self.request("songs.list", then=both, quiet=True, failed=self._unlisted)

        self.request("loops.list", then=songs, quiet=True, failed=self._unlisted)

    def _unlisted(self) -> None:
        self._listed = False  # ask again when the box is back

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
        if isinstance(volume, int | float) and not self._volume.busy:
            self.query_one("#volume", VolumeBar).volume = float(volume)
        self.query_one("#ceiling", Words).show(ceiling_line(status))
        self._show_harmony(str(status.get("harmony_from") or "scale"))
        self.query_one(Accompaniment).show(status, loop_volume=not self._loop_volume.busy)
        self.query_one("#instruments", Words).show(instruments_line(status))

    def _show_harmony(self, source: str) -> None:
        if source not in HARMONIES:
            return
        self.query_one("#harmony-means", Words).show(HARMONIES[source][1])
        button = self.query_one(f"#harmony-{source}", RadioButton)
        if not button.value:  # its RadioSet.Changed then matches the box and sends nothing
            button.value = True

    # -- the therapist's changes ------------------------------------------------------------

    @on(Select.Changed, "#key")
    def _key_chosen(self, event: Select.Changed) -> None:
        if event.value != Select.BLANK and event.value != key_label(self.status.get("key")):
            self._set({"key": str(event.value)})

    @on(Select.Changed, "#scale")
    def _scale_chosen(self, event: Select.Changed) -> None:
        if event.value != Select.BLANK and event.value != self.status.get("scale"):
            self._set({"scale": str(event.value)})

    @on(RadioSet.Changed, "#harmony")
    def _harmony(self, event: RadioSet.Changed) -> None:
        source = str(event.pressed.id).removeprefix("harmony-")
        if source in HARMONIES:
            self.query_one("#harmony-means", Words).show(HARMONIES[source][1])
        if source in HARMONIES and source != self.status.get("harmony_from", "scale"):
            self._set({"harmony": source})

    @on(VolumeBar.Changed, "#volume")
    def _volume_moved(self, event: VolumeBar.Changed) -> None:
        self._volume.send(f"{event.volume:.2f}")

    @on(VolumeBar.Changed, "#loop-volume")
    def _loop_volume_moved(self, event: VolumeBar.Changed) -> None:
        self._loop_volume.send(f"{event.volume:.2f}")

    @on(Accompaniment.Change)
    def _band_setting(self, event: Accompaniment.Change) -> None:
        def refused() -> None:
            self.query_one(Accompaniment).forget_typing()
            self._refresh()

        self.request(
            "set", {event.path: event.text}, then=lambda _: self._refresh(), failed=refused
        )

    @on(Accompaniment.Command)
    def _band_command(self, event: Accompaniment.Command) -> None:
        self.request(
            event.method, event.params, then=lambda _: self._refresh(), failed=self._refresh
        )

    def _set(self, params: dict[str, str]) -> None:
        self.request("set", params, then=lambda _: self._refresh(), failed=self._refresh)
