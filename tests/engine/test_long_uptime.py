"""The engine on a box that has been on for hours, days or a year.

Live event times are the box's monotonic clock, its uptime. Far from zero a
time's floating-point steps are coarse, and a timer computed from one can come
out due at the very time that set it: the owner thread would run it again for
ever and the box would stop playing and answering. The demo's whole session
(switches, latch, chords, pads, a beam, a keyboard, loops, a song, turns,
volume and panic) is played here at those clocks: every timer must move on,
and the music must be the same. (The mixer's fade, which once did spin, has
its own exact case in test_mixer.py.)
"""

from __future__ import annotations

import dataclasses

import pytest

from appliance.config import BoxConfig
from appliance.engine import Engine
from appliance.events import SoundEvent, SoundKind
from appliance.profile import default_profile
from appliance.session.demo import DEMO_SCRIPT
from appliance.session.script import parse_script
from appliance.sound.fake import FakeSynth

HOUR_S = 3600.0
DAY_S = 24 * HOUR_S
#: How many timers may run between two script events: far more than the busiest
#: second of the demo needs, far fewer than a timer that never lets go.
TIMER_RUNS_BETWEEN_EVENTS = 20_000
#: One synth block at the box's rate, the grid the band's beats are placed on.
BLOCK_S = FakeSynth().block_s


class Spinning(BaseException):
    """A timer ran again and again at one time (a BaseException: the engine logs
    and carries on after an Exception from a timer, which would spin for ever)."""


def play_at(uptime: float) -> list[SoundEvent]:
    """The demo script through the engine, every time moved on by ``uptime``."""
    log: list[SoundEvent] = []
    engine = Engine(FakeSynth(), default_profile(), BoxConfig().input_ids(), [log.append])
    runs = 0
    timer = engine._timer

    def counted(source: str, what: str, t: float) -> None:
        nonlocal runs
        runs += 1
        if runs > TIMER_RUNS_BETWEEN_EVENTS:
            raise Spinning(f"timer {source}/{what} at {t!r} never moved on")
        timer(source, what, t)

    engine._timer = counted  # type: ignore[method-assign]
    script = parse_script(DEMO_SCRIPT, "demo")
    for line in script.lines:
        runs = 0
        engine.tick(line.event.t + uptime)
        engine.handle(dataclasses.replace(line.event, t=line.event.t + uptime))
    runs = 0
    engine.tick(script.last_time + uptime + 30.0)  # every fade, ring and loop beat out
    return log


@pytest.mark.parametrize(
    "uptime", [33071.30133333333, 9 * HOUR_S + 0.123, 30 * DAY_S + 0.5, 365 * DAY_S + 0.25]
)
def test_the_demo_session_plays_through_on_a_box_on_for_a_long_time(uptime):
    at_boot = notes_by_source(play_at(0.0), 0.0)
    later = notes_by_source(play_at(uptime), uptime)
    # The same music: each input's notes, and the band's, in the same order, at the
    # same moment of the session (the band's beats fall on the synth's blocks).
    assert later.keys() == at_boot.keys()
    for source, notes in at_boot.items():
        assert [n for _, n in later[source]] == [n for _, n in notes], source
        for (t_later, _), (t_boot, _) in zip(later[source], notes, strict=True):
            assert t_later == pytest.approx(t_boot, abs=BLOCK_S + 1e-6), source
    assert sum(len(n) for n in at_boot.values()) > 50


def notes_by_source(log: list[SoundEvent], uptime: float) -> dict[str, list[tuple[float, int]]]:
    found: dict[str, list[tuple[float, int]]] = {}
    for e in log:
        if e.type is SoundKind.NOTE_ON and e.note is not None:
            found.setdefault(e.source, []).append((e.t - uptime, e.note))
    return found
