"""The accompaniment on the Sound screen: the loop, its tempo and volume, waiting, songs.

::

    Accompaniment
    Loop   Calypso · bright, dancing ▼   Start  Stop
    ▶ calypso, bar 5
    Tempo  0      beats a minute, 40..160; 0: each loop's own (calypso: 104)
    Loop volume ███████████████████░░░░░░░░░   70 %
    [X] Wait for me: the chords move on only while your client plays
    Song   Twinkle Twinkle Little Star ▼  Play  Stop
    Play: the box plays the song, tune and chords; the loop stops for it.

The panel never talks to the box. It posts :class:`Accompaniment.Change` when
the therapist chooses a setting (the loop, the tempo, waiting) and
:class:`Accompaniment.Command` for Start, Stop and Play (a preview: nothing is
saved); the screen sends them. What it shows is the box's: :meth:`show` takes
the ``status`` (what plays, and the profile's ``loop_settings`` and ``tempo``),
and :meth:`offer` the ``loops.list`` and ``songs.list`` answers. Values from the
box are put on the controls without their Changed messages, so showing the box
never reads as the therapist choosing something.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, Select

from appliance.tui.widgets.volume import VolumeBar
from appliance.tui.widgets.words import Words

TITLE = "Accompaniment"
WAIT = "Wait for me: the chords move on only while your client plays"
NOT_PLAYING = "Nothing playing. Start plays the chosen loop; Stop ends it at the bar line."
TEMPO_HELP = "beats a minute, 40..160; 0: each loop's own"
SONGS_HELP = "Play: the box plays the song, tune and chords; the loop stops for it."
LOOP_VOLUME = "Loop volume "
PLAYING = "▶"


def loop_choice(loop: Mapping[str, Any]) -> str:
    """``Calypso · bright, dancing``: what the loop list shows for one loop."""
    title = str(loop.get("title") or loop.get("name") or "?")
    mood = loop.get("mood")
    return f"{title} · {mood}" if mood else title


def playing_line(status: Mapping[str, Any]) -> str:
    """``▶ calypso, bar 5``, or how to start one when nothing plays."""
    loop = status.get("loop")
    return f"{PLAYING} {loop}" if isinstance(loop, str) and loop else NOT_PLAYING


def tempo_help(status: Mapping[str, Any], loops: Iterable[Mapping[str, Any]]) -> str:
    """The tempo's range, and the chosen loop's own tempo, which 0 plays it at."""
    chosen = _settings(status).get("name")
    own = next((x.get("tempo") for x in loops if x.get("name") == chosen), None)
    return f"{TEMPO_HELP} ({chosen}: {own})" if chosen and isinstance(own, int) else TEMPO_HELP


def _settings(status: Mapping[str, Any]) -> Mapping[str, Any]:
    found = status.get("loop_settings")
    return found if isinstance(found, dict) else {}


class Accompaniment(Vertical):
    """The loop and songs part of the Sound screen (see the module docstring)."""

    class Change(Message):
        """The therapist chose ``text`` for the profile setting ``path`` (``loop.name``)."""

        def __init__(self, path: str, text: str) -> None:
            super().__init__()
            self.path = path
            self.text = text

    class Command(Message):
        """The therapist asked the box to do something now: ``method`` with ``params``."""

        def __init__(self, method: str, params: dict[str, Any] | None = None) -> None:
            super().__init__()
            self.method = method
            self.params = params

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.status: Mapping[str, Any] = {}
        self.loops: list[dict[str, Any]] = []
        self.songs: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Label(TITLE, classes="sound-title")
        with Horizontal(classes="band-line"):
            yield Label("Loop", classes="band-label")
            yield Select[str]([], prompt="Choose a loop", id="loop-name", compact=True)
            yield Button("Start", id="loop-start")
            yield Button("Stop", id="loop-stop")
        yield Words(NOT_PLAYING, id="loop-playing")
        with Horizontal(classes="band-line"):
            yield Label("Tempo", classes="band-label")
            yield Input(type="integer", id="tempo", compact=True, select_on_focus=True)
            yield Words(TEMPO_HELP, id="tempo-help")
        yield VolumeBar(LOOP_VOLUME, id="loop-volume")
        yield Checkbox(WAIT, id="loop-wait", compact=True)
        with Horizontal(classes="band-line"):
            yield Label("Song", classes="band-label")
            yield Select[str]([], prompt="Choose a song", id="song-name", compact=True)
            yield Button("Play", id="song-start")
            yield Button("Stop", id="song-stop")
        yield Words(SONGS_HELP, id="songs-help")

    # -- the box's side ---------------------------------------------------------------------

    def offer(self, loops: list[dict[str, Any]], songs: list[dict[str, Any]]) -> None:
        """The loops and songs the box has, to choose from."""
        self.loops, self.songs = loops, songs
        loop_select = self.query_one("#loop-name", Select)
        with self.prevent(Select.Changed):
            loop_select.set_options([(loop_choice(x), str(x["name"])) for x in loops])
        song_select = self.query_one("#song-name", Select)
        with self.prevent(Select.Changed):
            song_select.set_options([(str(x.get("title") or x["name"]), x["name"]) for x in songs])
        self.show(self.status)

    def show(self, status: Mapping[str, Any], *, loop_volume: bool = True) -> None:
        """The box's values now; the tempo is left alone while the therapist types one."""
        self.status = status
        settings = _settings(status)
        self.query_one("#loop-playing", Words).show(playing_line(status))
        self.query_one("#tempo-help", Words).show(tempo_help(status, self.loops))
        name = settings.get("name")
        loop_select = self.query_one("#loop-name", Select)
        known = any(x.get("name") == name for x in self.loops)
        if known and loop_select.value != name:
            with self.prevent(Select.Changed):
                loop_select.value = name
        tempo = status.get("tempo")
        tempo_input = self.query_one("#tempo", Input)
        if isinstance(tempo, int) and not tempo_input.has_focus:
            tempo_input.value = str(tempo)
        volume = settings.get("volume")
        if loop_volume and isinstance(volume, int | float):
            self.query_one("#loop-volume", VolumeBar).volume = float(volume)
        wait = settings.get("wait")
        checkbox = self.query_one("#loop-wait", Checkbox)
        if isinstance(wait, bool) and checkbox.value != wait:
            with self.prevent(Checkbox.Changed):
                checkbox.value = wait

    def forget_typing(self) -> None:
        """The box refused the tempo typed: show its own again, so leaving the field
        does not send the refused one a second time."""
        tempo = self.status.get("tempo")
        self.query_one("#tempo", Input).value = str(tempo) if isinstance(tempo, int) else ""

    # -- the therapist's side ---------------------------------------------------------------

    @on(Select.Changed, "#loop-name")
    def _loop_chosen(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str) and event.value != _settings(self.status).get("name"):
            self.post_message(self.Change("loop.name", event.value))

    @on(Button.Pressed, "#loop-start")
    def _start(self, event: Button.Pressed) -> None:
        event.stop()
        chosen = self.query_one("#loop-name", Select).value
        # The loop on show, even before the box has taken it as the profile's.
        self.post_message(
            self.Command("loop.start", {"name": chosen} if _is_name(chosen) else None)
        )

    @on(Button.Pressed, "#loop-stop")
    def _stop(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Command("loop.stop"))

    @on(Input.Submitted, "#tempo")
    def _tempo_entered(self, event: Input.Submitted) -> None:
        event.stop()
        self._tempo(event.value)

    @on(Input.Blurred, "#tempo")
    def _tempo_left(self, event: Input.Blurred) -> None:
        self._tempo(event.value)

    def _tempo(self, text: str) -> None:
        text = text.strip()
        if text and text != str(self.status.get("tempo")):
            self.post_message(self.Change("tempo", text))

    @on(Checkbox.Changed, "#loop-wait")
    def _wait(self, event: Checkbox.Changed) -> None:
        event.stop()
        if event.value != _settings(self.status).get("wait"):
            self.post_message(self.Change("loop.wait", "true" if event.value else "false"))

    @on(Button.Pressed, "#song-start")
    def _play_song(self, event: Button.Pressed) -> None:
        event.stop()
        chosen = self.query_one("#song-name", Select).value
        if _is_name(chosen):
            self.post_message(self.Command("song.start", {"name": chosen}))
        else:
            self.app.notify("Choose a song first.", title="Song")

    @on(Button.Pressed, "#song-stop")
    def _stop_song(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Command("song.stop"))


def _is_name(value: object) -> bool:
    return isinstance(value, str) and bool(value)
