"""The box's band: the accompaniment loop, as the engine sees it.

The engine hands it the therapist's commands (:class:`~appliance.events.BandCommand`),
the profile when it changes, and every client note (for "wait for me"); it
runs the loop player (appliance/engine/accompaniment.py) on the engine's
timer ``box/band`` and tells the harmony the loop's chord.

The loop and song files are read when the band is made, on the thread that
builds the box: the engine's owner thread never reads a file.
"""

from __future__ import annotations

from appliance.engine import song_player
from appliance.engine.accompaniment import LOOP_CHANNELS, LoopPlayer
from appliance.engine.song_player import SongPlayer
from appliance.engine.voicing import Voicing
from appliance.errors import TonicError
from appliance.events import BandAction, BandCommand, SoundKind
from appliance.music.heard_chord import HeardChord
from appliance.music.loop import Loop
from appliance.music.loops import all_loops, loop_named
from appliance.music.songs import all_songs, song_named, song_names
from appliance.profile import Profile
from appliance.sound.instruments import instrument_for
from appliance.sound.synth import Channel

#: What `loop start` plays when the profile has chosen no loop.
DEFAULT_LOOP = "gentle_pulse"
#: The instruments a song playing by itself sounds on, by channel.
SONG_INSTRUMENTS = {
    song_player.MELODY_CHANNEL: instrument_for(song_player.MELODY_INSTRUMENT),
    song_player.CHORD_CHANNEL: instrument_for(song_player.CHORD_INSTRUMENT),
    song_player.BASS_CHANNEL: instrument_for(song_player.BASS_INSTRUMENT),
}


def profile_loop_start(t: float) -> BandCommand:
    """The command that starts a profile's own loop (``[loop] play = true``)
    when the box starts with it, as loading it later does."""
    return BandCommand(t, BandAction.LOOP_START, source="profile")


class BandError(TonicError):
    """A band command the box cannot carry out (no such loop, a song while none is set up)."""


class Band:
    def __init__(self, voicing: Voicing) -> None:
        all_loops()  # read every loop and song file now, off the owner thread
        all_songs()
        self.voicing = voicing
        self.loop = LoopPlayer(
            voicing.synth, self._announce, self._set_chord, self._on_loop, self._reserve
        )
        self.song = SongPlayer(voicing.synth, self._announce_song, self._set_chord)
        #: The input whose choice plays now, and presses of other choices while it did.
        self.chosen: str | None = None
        self.waited: dict[str, int] = {}
        self.follow(voicing.profile, voicing.now)

    @property
    def deadline(self) -> float | None:
        times = [t for t in (self.loop.deadline, self.song.deadline) if t is not None]
        return min(times, default=None)

    def tick(self, t: float) -> None:
        self.loop.tick(t)
        self.song.tick(t)

    def command(self, event: BandCommand) -> None:
        """Loop and song are one band: starting one ends the other at once."""
        t = event.t
        if event.action is BandAction.LOOP_START:
            loop = self._loop_for(event.name)
            self.song.silence(t)
            self.loop.start(loop, t)
        elif event.action is BandAction.LOOP_STOP:
            self.loop.stop(t)
        elif event.action is BandAction.SONG_START:
            song = song_named(event.name)
            self.loop.silence(t)
            self.voicing.program_band(SONG_INSTRUMENTS, self.loop.share())
            self.song.start(song, t)
        elif event.action is BandAction.SONG_STOP:
            self.song.stop(t)
        else:
            raise BandError(f"the band cannot '{event.action}'")

    def choose(self, source: str, name: str, t: float) -> bool:
        """A client's choice (an input in choice mode): the band plays it, from the
        start, so a song announces itself with its first phrase. While a choice
        plays, the other choices wait: their presses are counted, not played."""
        if self.chosen is not None and (self.song.playing or self.loop.playing):
            if source != self.chosen:
                self.waited[source] = self.waited.get(source, 0) + 1
            return False
        self.chosen = source
        action = BandAction.SONG_START if name in song_names() else BandAction.LOOP_START
        self.command(BandCommand(t, action, name, source=source))
        return True

    def follow(self, profile: Profile, t: float) -> None:
        """The profile changed: tempo, key, the loop's volume and waiting follow it."""
        self.song.follow(self.voicing.key, profile.tempo)
        if self.loop.follow(profile.loop, profile.tempo, self.voicing.key, t):
            self.voicing.band_share(self.loop.share())

    def loaded(self, profile: Profile, t: float) -> None:
        """A profile was loaded: its loop starts if it asks to."""
        if profile.loop.play:
            self.loop.start(self._loop_for(""), t)

    def client_played(self, t: float) -> None:
        self.loop.client_played(t)

    def silence(self, t: float) -> None:
        self.loop.silence(t)
        self.song.silence(t)

    def describe(self) -> str:
        chosen = f", chosen on {self.chosen}" if self.chosen and self._playing() else ""
        if self.song.playing:
            return f"song: {self.song.describe()}{chosen}"
        return f"{self.loop.describe()}{chosen}" if self.loop.playing else ""

    def _playing(self) -> bool:
        return self.song.playing or self.loop.playing

    def _loop_for(self, name: str) -> Loop:
        return loop_named(name or self.voicing.profile.loop.name or DEFAULT_LOOP)

    # -- what the loop player asks of the box ---------------------------------------------

    def _announce(
        self, t: float, kind: SoundKind, channel: Channel, note: int, velocity: int
    ) -> None:
        self.voicing.announce(t, kind, channel, "loop", note, velocity)

    def _announce_song(
        self, t: float, kind: SoundKind, channel: Channel, note: int, velocity: int
    ) -> None:
        self.voicing.announce(t, kind, channel, song_player.SOURCE, note, velocity)

    def _reserve(self, notes: dict[Channel, dict[int, int]], t: float) -> None:
        mixer = self.voicing.mixer
        for channel, held in notes.items():
            mixer.reserve(channel, held, max(t, self.voicing.now))

    def _set_chord(self, chord: HeardChord | None) -> None:
        self.voicing.harmony.accompaniment = chord

    def _on_loop(self, loop: Loop) -> None:
        instruments = {
            LOOP_CHANNELS[part.role]: instrument_for(part.instrument) for part in loop.parts
        }
        self.voicing.program_band(instruments, self.loop.share())
