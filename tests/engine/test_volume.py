"""The profile's volume, through the engine: a master gain that never moves, and
channel volumes (CC7) the mixer moves block by block (appliance/engine/mixer.py).

Time is injected: events carry it, and the engine is ticked at its own
deadlines, as the live loop and ``tonic render`` tick it. What the synth was
told is read from FakeSynth's calls and the sound events; what it sounds like,
from real FluidSynth.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from audio_analysis import rms

from appliance.config import BoxConfig
from appliance.engine import Engine
from appliance.engine.mixer import FALL_S, FLOOR_DB, RISE_DB_PER_S, volume_db
from appliance.engine.voicing import CC_VOLUME
from appliance.events import Event, InputId, Panic, Pressed, Released, SetSetting, SoundEvent
from appliance.events import SoundKind as K
from appliance.profile import Profile, default_profile
from appliance.sound.fake import FAKE_LEVEL, FakeSynth
from appliance.sound.fluid import FluidSynth
from appliance.sound.instruments import instrument_for
from appliance.sound.level import FULL_CC7, Level
from appliance.sound.synth import Synth

INPUTS = BoxConfig().input_ids()
TIMGM = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
CEILING = BoxConfig().gain_ceiling
#: A trim of its own for each switch's instrument, so each channel shows its own.
LEVELS = {
    "marimba": Level(90, 0.5, 0.2),
    "vibraphone": Level(FULL_CC7, 0.4, 0.2),
    "orchestral_harp": Level(64, 0.6, 0.3),
    "flute": Level(110, 0.5, 0.25),
}
BLOCK_S = FakeSynth().block_s
#: Two times this close are one time (floating point).
SAME_TIME_S = 1e-9


def cc_for(trim: int, volume: float) -> int:
    """The channel volume the mixer gives ``trim`` at ``volume``, with full headroom."""
    return max(1, round(trim * 10 ** (volume_db(volume) / 40)))


def trim_of(instrument: str | None) -> int:
    return LEVELS.get(instrument or "", FAKE_LEVEL).trim


class Rig:
    """An engine on a FakeSynth at ``volume``, ticked at its deadlines."""

    def __init__(self, volume: float = 0.6, profile: Profile | None = None) -> None:
        self.synth = FakeSynth(gain_ceiling=CEILING, levels=LEVELS)
        self.events: list[SoundEvent] = []
        profile = dataclasses.replace(profile or default_profile(), volume=volume)
        self.engine = Engine(self.synth, profile, INPUTS, [self.events.append])

    def at(self, event: Event) -> None:
        """Tick what is due before ``event``, then handle it, as ``tonic render`` does."""
        self.run_until(event.t)
        self.engine.handle(event)

    def volume(self, t: float, value: str) -> None:
        self.at(SetSetting(t, "volume", value))

    def run_until(self, end: float) -> None:
        while (due := self.engine.next_deadline()) is not None and due <= end:
            self.engine.tick(due)

    def levels(self, channel: int, since: float = -math.inf) -> list[tuple[float, int]]:
        """The channel volumes the mixer sent on ``channel`` from ``since``, with their times."""
        return [
            (e.t, e.value or 0)
            for e in self.events
            if e.type is K.CC and e.control == CC_VOLUME and e.channel == channel and e.t >= since
        ]

    def channels(self) -> dict[int, str]:
        """Each channel set up so far, and its instrument."""
        return {
            e.channel: e.instrument or ""
            for e in self.events
            if e.type is K.PROGRAM and e.channel is not None
        }

    def last_levels(self) -> dict[int, int]:
        return {ch: self.levels(ch)[-1][1] for ch in self.channels()}


def block_aligned(t: float) -> bool:
    blocks = t / BLOCK_S
    return abs(blocks - round(blocks)) * BLOCK_S < SAME_TIME_S


# -- the master gain ------------------------------------------------------------------------


def test_the_ceiling_is_the_master_gain_set_once_and_never_changed():
    rig = Rig()
    assert rig.events[0].type is K.GAIN and rig.events[0].gain == CEILING  # before anything
    session: list[Event] = [
        Pressed(0.5, InputId("switch:1")),
        SetSetting(1.0, "volume", "0.2"),
        SetSetting(2.0, "volume", "1"),
        Panic(2.5),
        Released(3.0, InputId("switch:1")),
        SetSetting(4.0, "volume", "0"),
    ]
    for event in session:
        rig.at(event)
        rig.run_until(event.t + 0.1)
        assert 0.0 < rig.engine.status().gain <= CEILING  # the mixer only turns down
    rig.run_until(10.0)
    assert [(e.t, e.gain) for e in rig.events if e.type is K.GAIN] == [(0.0, CEILING)]


@pytest.mark.parametrize("volume", [1.0, 1.5, 5.0, 1e9, math.inf])
def test_full_or_too_loud_a_volume_gives_each_channel_exactly_its_trim(volume):
    rig = Rig(volume)
    channels = rig.channels()
    assert len(channels) == 6  # four switches, the pads' kalimba, the beam's celesta
    assert rig.last_levels() == {ch: trim_of(name) for ch, name in channels.items()}
    assert rig.engine.status().gain == CEILING


@pytest.mark.parametrize("volume", [0.0, -0.5, -1e9, -math.inf, math.nan])
def test_no_volume_or_a_broken_one_leaves_every_channel_at_its_quietest(volume):
    rig = Rig(volume)
    assert set(rig.last_levels().values()) == {1}  # never 0: a held note must live on
    gain = rig.engine.status().gain
    assert gain == pytest.approx(CEILING * 10 ** (FLOOR_DB / 20))


def test_each_channel_is_levelled_before_its_first_note():
    rig = Rig()
    rig.at(Pressed(0.5, InputId("switch:1")))
    kinds = [(e.type, e.channel, e.control) for e in rig.events]
    first_note = next(i for i, e in enumerate(rig.events) if e.type is K.NOTE_ON)
    for channel in rig.channels():
        # reset, program, level: in that order, all before the first note
        set_up = [k for k in kinds[:first_note] if k[1] == channel]
        assert set_up == [(K.CC, channel, 121), (K.PROGRAM, channel, None), (K.CC, channel, 7)]
    # and the synth was told exactly what the events say
    sent = [c for c in rig.synth.calls if c[0] == "cc" and c[2] == CC_VOLUME]
    assert sent == [("cc", e.channel, 7, e.value) for e in rig.events if e.control == CC_VOLUME]


def test_no_channel_volume_ever_exceeds_its_trim_in_a_busy_session_at_full_volume():
    rig = Rig(1.0)
    rig.at(SetSetting(0.0, "switch:1.mode", "latch"))
    rig.at(SetSetting(0.0, "switch:2.mode", "chord"))
    for n in range(1, 5):
        rig.at(SetSetting(0.0, f"switch:{n}.velocity", "127"))
    t = 0.1
    for round_ in range(3):
        for n in range(1, 5):
            rig.at(Pressed(t, InputId(f"switch:{n}")))
            t += 0.05
        rig.volume(t, ("0.2", "1", "0.8")[round_])
        for n in (2, 3, 4):
            rig.at(Released(t + 0.3, InputId(f"switch:{n}")))
        t += 0.6
    rig.at(Panic(t))
    rig.at(Pressed(t + 0.1, InputId("switch:3")))
    rig.run_until(t + 5.0)
    instrument: dict[int | None, str] = {}
    checked = 0
    for e in rig.events:
        if e.type is K.PROGRAM:
            instrument[e.channel] = e.instrument or ""
        elif e.type is K.CC and e.control == CC_VOLUME:
            assert 1 <= (e.value or 0) <= trim_of(instrument[e.channel]), e
            checked += 1
    assert checked > 50  # the headroom rule, the volume moves and panic all moved channels


# -- volume moves --------------------------------------------------------------------------


def test_volume_zero_keeps_a_held_note_alive_and_it_comes_back():
    rig = Rig(0.6, default_profile().with_setting("switch:1.mode", "latch"))
    rig.at(Pressed(0.5, InputId("switch:1")))
    rig.at(Released(0.6, InputId("switch:1")))  # latched: it sounds on
    start = rig.last_levels()[0]
    rig.volume(1.0, "0")
    rig.run_until(2.0)
    assert rig.last_levels()[0] == 1
    assert min(v for _, v in rig.levels(0)) >= 1
    rig.volume(2.0, "0.6")
    rig.run_until(5.0)
    assert rig.last_levels()[0] == start
    # the note was never stopped or cut on the way
    assert [c for c in rig.synth.calls if c[0] in ("note_off", "all_notes_off")] == []
    assert rig.engine.status().inputs[0].sounding == ("C4",)


def test_lowering_the_volume_reaches_its_target_within_24_ms_in_block_steps():
    rig = Rig(0.8)
    rig.volume(1.0, "0.2")
    rig.run_until(3.0)
    for channel, name in rig.channels().items():
        steps = rig.levels(channel, since=1.0)
        times = [t for t, _ in steps]
        values = [v for _, v in steps]
        assert values == sorted(values, reverse=True)  # only ever down
        assert values[-1] == cc_for(trim_of(name), 0.2)
        assert times[0] - 1.0 <= BLOCK_S + SAME_TIME_S  # it starts at once
        assert times[-1] - 1.0 <= FALL_S + BLOCK_S + SAME_TIME_S  # and is done within 24 ms
        assert all(block_aligned(t) for t in times)  # each step on a block boundary
        assert all(b - a == pytest.approx(BLOCK_S) for a, b in itertools.pairwise(times))
    assert len(rig.levels(1, since=1.0)) >= 10  # full trim: many small steps, not one jump
    assert rig.engine.next_deadline() is None  # nothing moves: no more ticks
    assert rig.engine.status().gain == pytest.approx(CEILING * 10 ** (volume_db(0.2) / 20))
    before = len(rig.events)
    rig.volume(4.0, "0.2")  # the same volume again changes nothing
    assert rig.events[before:] == [] and rig.engine.next_deadline() is None


def test_raising_the_volume_glides_at_40_db_a_second():
    rig = Rig(0.2)
    rig.volume(1.0, "0.8")
    assert rig.levels(1, since=1.0) == []  # no jump at the change
    rig.run_until(3.0)
    steps = rig.levels(1, since=1.0)  # vibraphone, at full trim: the finest steps
    values = [v for _, v in steps]
    assert values == sorted(values)  # only ever up
    assert max(b - a for a, b in itertools.pairwise([cc_for(FULL_CC7, 0.2), *values])) == 1
    assert values[-1] == cc_for(FULL_CC7, 0.8)
    took = steps[-1][0] - 1.0
    glide = (volume_db(0.8) - volume_db(0.2)) / RISE_DB_PER_S  # 0.44 s
    # The last step is sent once the rounded CC7 gets there, a few blocks early.
    assert glide - 4 * BLOCK_S <= took <= glide + 2 * BLOCK_S
    assert all(block_aligned(t) for t, _ in steps)
    assert rig.engine.next_deadline() is None


def test_panic_does_not_stop_a_volume_glide():
    rig = Rig(0.6)
    rig.volume(1.0, "1")
    rig.run_until(1.1)
    rig.at(Panic(1.1))
    rig.run_until(3.0)
    kinds = [e.type for e in rig.events if e.t >= 1.1]
    assert K.ALL_SOUNDS_OFF in kinds and K.RESET in kinds  # the panic ran its course
    channels = rig.channels()
    assert rig.last_levels() == {ch: trim_of(name) for ch, name in channels.items()}
    assert rig.engine.status().gain == pytest.approx(CEILING)


def test_an_event_handled_before_an_overdue_mixer_tick_still_leaves_the_new_volume():
    # The live loop hands the engine a queued event before an overdue tick.
    rig = Rig(0.6)
    rig.engine.handle(SetSetting(1.0, "volume", "0.2"))
    rig.engine.handle(Pressed(1.1, InputId("switch:1")))  # the fall is over by then
    rig.run_until(5.0)
    assert rig.last_levels()[1] == cc_for(FULL_CC7, 0.2)


# -- heard through the real synth ---------------------------------------------------------


class Heard:
    """An engine on a real FluidSynth, rendered in time with its ticks."""

    def __init__(self, synth: FluidSynth, volume: float, profile: Profile | None = None) -> None:
        self.synth = synth
        profile = dataclasses.replace(profile or _ocarina(), volume=volume)
        self.events: list[SoundEvent] = []
        self.engine = Engine(synth, profile, INPUTS, [self.events.append])
        self.t = 0.0

    def level_of_channel(self, channel: int) -> int:
        """The channel volume last sent on ``channel``."""
        return [
            e.value or 0
            for e in self.events
            if e.type is K.CC and e.control == CC_VOLUME and e.channel == channel
        ][-1]

    def send(self, event: Event) -> None:
        self.play_until(event.t)
        self.engine.handle(event)

    def play_until(self, end: float) -> np.ndarray:
        """Render up to ``end``, ticking the engine at each deadline on the way."""
        chunks = []
        rate = self.synth.sample_rate
        while True:
            due = self.engine.next_deadline()
            stop = end if due is None or due > end else due
            frames = round(stop * rate) - round(self.t * rate)
            if frames > 0:
                chunks.append(self.synth.render(frames).reshape(-1, 2) / 32768.0)
            self.t = max(self.t, stop)
            if stop == end and (due is None or due > end):
                return np.concatenate(chunks) if chunks else np.zeros((0, 2))
            self.engine.tick(stop)


def _ocarina() -> Profile:
    """Switch 1 plays ocarina, nearly a pure tone, latched: one steady note."""
    return (
        default_profile()
        .with_setting("switch:1.instrument", "ocarina")
        .with_setting("switch:1.mode", "latch")
    )


@pytest.fixture
def fluid() -> Iterator[list[Synth]]:
    made: list[Synth] = []
    yield made
    for synth in made:
        synth.close()


def held_note(fluid: list[Synth], volume: float) -> tuple[Heard, float]:
    """Switch 1's latched note at ``volume``, and its level past the attack."""
    synth = FluidSynth(TIMGM, gain_ceiling=CEILING)
    fluid.append(synth)
    heard = Heard(synth, volume)
    heard.send(Pressed(0.1, InputId("switch:1")))
    heard.send(Released(0.2, InputId("switch:1")))
    heard.play_until(0.4)
    return heard, rms(heard.play_until(0.9))


def test_the_rendered_level_follows_the_volume_taper(fluid):
    heard: dict[float, tuple[float, float, int]] = {}
    for volume in (1.0, 0.6, 0.3, 0.1):
        played, level = held_note(fluid, volume)
        headroom = played.engine.voicing.mixer.headroom_db
        heard[volume] = (level, headroom, played.level_of_channel(0))
    trim = played.synth.level_of(instrument_for("ocarina")).trim
    reference, headroom, reference_cc = heard[0.6]
    assert reference > 0.02
    assert headroom == 0.0  # at the default volume, one note is not turned down
    for volume, (level, headroom, cc) in heard.items():
        # At full volume the headroom rule takes a little off (measured 0.4 dB).
        gain_db = volume_db(volume) + headroom
        assert abs(cc - trim * 10 ** (gain_db / 40)) <= 0.5  # the taper, to a whole CC7 step
        # and the synth turns that channel volume into a level, as the square of it
        assert level / reference == pytest.approx((cc / reference_cc) ** 2, rel=0.02), volume
    assert heard[1.0][0] / reference > 10 ** (6 / 20)  # full volume is 6 dB or more louder


@pytest.mark.parametrize("volume", [5.0, math.inf])
def test_too_loud_a_volume_sounds_exactly_like_full_volume(fluid, volume):
    full, _ = held_note(fluid, 1.0)
    over, _ = held_note(fluid, volume)
    assert np.array_equal(full.play_until(1.5), over.play_until(1.5))


@pytest.mark.parametrize("volume", [0.0, -1.0, math.nan])
def test_no_volume_or_a_broken_one_is_all_but_silent_yet_the_note_lives(fluid, volume):
    heard, _ = held_note(fluid, volume)
    assert float(np.abs(heard.play_until(1.5)).max()) < 1e-3  # under -60 dBFS
    assert heard.synth.active_voices() > 0  # the latched note is still there


def test_a_held_note_survives_the_volume_going_to_zero_and_back(fluid):
    heard, held = held_note(fluid, 0.6)
    heard.send(SetSetting(1.0, "volume", "0"))
    # The reverb tail already in flight decays on its own; after it, silence.
    quiet = heard.play_until(1.5)[int(0.25 * heard.synth.sample_rate) :]
    assert rms(quiet) < held * 0.05
    heard.send(SetSetting(1.5, "volume", "0.6"))
    rising = (volume_db(0.6) - max(volume_db(0.0), -40.0)) / RISE_DB_PER_S  # from where it is heard
    heard.play_until(1.5 + rising + 0.1)
    back = rms(heard.play_until(1.5 + rising + 0.6))
    assert back == pytest.approx(held, rel=0.2)
