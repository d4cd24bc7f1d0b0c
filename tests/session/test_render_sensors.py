"""Pads, beams and access settings rendered through the real engine and FluidSynth.

Each test writes a session script, renders it with ``tonic render``'s code
and checks the events JSONL (and, once, the audio itself).
"""

from __future__ import annotations

import pytest
from audio_analysis import rms

from appliance.errors import ScriptError
from appliance.music import Key

KEY = Key.parse("C", "major_pentatonic")
PING = 0.0625  # 16 pings a second


def note(degree: int) -> int:
    return int(KEY.degree_to_note(degree, 4))


def beam_lines(start: float, distances: list[float | None], every: float = PING) -> str:
    """One ``beam:1 distance`` line per reading, ``every`` seconds apart."""
    lines = []
    for i, d in enumerate(distances):
        word = "none" if d is None else f"{d:.3f}"
        lines.append(f"{start + i * every:.4f} beam:1 distance {word}\n")
    return "".join(lines)


def of(rendered, kind: str, source: str) -> list[dict]:
    return [e for e in rendered.events if e["type"] == kind and e.get("source") == source]


def end_time(rendered) -> float:
    [end] = [e for e in rendered.events if e["type"] == "all_notes_off"]
    return end["t"]


# -- pads ------------------------------------------------------------------------------


def test_pads_play_the_scale_degree_of_their_number(render):
    script = "".join(
        f"{0.1 + 0.3 * (n - 1):.1f} pad:{n} touch\n{0.3 + 0.3 * (n - 1):.1f} pad:{n} release\n"
        for n in range(1, 13)
    )
    rendered = render(script + "4.0 end\n")
    ons = rendered.note_ons("pad:")
    assert [e["note"] for e in ons] == [note(n) for n in range(1, 13)]
    assert [e["note"] for e in ons] == [60, 62, 64, 67, 69, 72, 74, 76, 79, 81, 84, 86]
    assert [e["source"] for e in ons] == [f"pad:{n}" for n in range(1, 13)]
    offs = [e for e in rendered.events if e["type"] == "note_off"]
    assert [e["note"] for e in offs] == [e["note"] for e in ons]
    assert all(e["t"] < end_time(rendered) for e in offs)  # released by the pads, not the end


# -- beam zones ------------------------------------------------------------------------

FIVE_ZONES = "0.0 set beam:1.zones=5\n"  # near 0.15, far 1.0: edges 0.32 0.49 0.66 0.83


def test_a_slow_sweep_across_five_zones_plays_five_notes_in_order(render):
    cms = range(15, 101)  # 0.15 .. 1.00 m, 1 cm every 0.1 s
    sweep = [c / 100 for c in cms]
    leave_at = 0.5 + len(sweep) * 0.1
    rendered = render(
        FIVE_ZONES
        + beam_lines(0.5, sweep, every=0.1)
        + beam_lines(leave_at, [None, None, None], every=0.1)
        + f"{leave_at + 1:.1f} end\n"
    )
    ons = rendered.note_ons("beam:1")
    assert [e["note"] for e in ons] == [note(d) for d in range(1, 6)] == [60, 62, 64, 67, 69]
    # Each zone's note starts once the hand is past its edge by the hysteresis (2 cm).
    where = {round(0.5 + i * 0.1, 4): d for i, d in enumerate(sweep)}
    for zone, on in enumerate(ons[1:], start=1):
        edge = 0.15 + zone * 0.17
        assert edge + 0.02 <= where[round(on["t"], 4)] <= edge + 0.03 + 1e-9
    # Every note is released, each before the next starts, and the last when the hand leaves.
    offs = of(rendered, "note_off", "beam:1")
    assert [e["note"] for e in offs] == [e["note"] for e in ons]
    for on, off in zip(ons, offs, strict=True):
        assert on["t"] <= off["t"]
    assert all(off["t"] <= nxt["t"] for off, nxt in zip(offs, ons[1:], strict=False))
    assert leave_at < offs[-1]["t"] < end_time(rendered)


def test_jitter_on_a_zone_boundary_repeats_no_note(render):
    jitter = [0.31, 0.33] * 32  # +-1 cm around the 0.32 edge, 16 pings/s for 4 s
    rendered = render(
        FIVE_ZONES + beam_lines(0.5, jitter) + beam_lines(4.5, [None, None]) + "5.0 end\n"
    )
    ons = rendered.note_ons("beam:1")
    assert len(ons) <= 1
    assert len(ons) == 1  # the hand is there: it does play, once
    assert len(of(rendered, "note_off", "beam:1")) == 1


def test_a_single_ping_outlier_plays_nothing_extra(render):
    hand = [0.5] * 40
    hand[20] = 2.5  # one reading catches the far wall
    hand[30] = None  # and one echo is missed
    rendered = render(beam_lines(0.5, hand) + beam_lines(3.0, [None, None]) + "3.5 end\n")
    ons = rendered.note_ons("beam:1")
    assert len(ons) == 1
    offs = of(rendered, "note_off", "beam:1")
    assert len(offs) == 1
    assert offs[0]["t"] >= 3.0  # the note lasted until the hand really left


# -- access settings --------------------------------------------------------------------


def test_a_bounce_train_with_lockout_gives_one_note(render):
    bounces = [1.0, 1.005, 1.012, 1.02, 1.027, 1.03]  # press/release every 5-10 ms
    lines = "".join(
        f"{t:.3f} switch:1 {'press' if i % 2 == 0 else 'release'}\n" for i, t in enumerate(bounces)
    )
    rendered = render("0.0 set switch:1.lockout_ms=100\n" + lines + "2.0 end\n")
    ons = rendered.note_ons("switch:1")
    assert [e["note"] for e in ons] == [60]
    assert ons[0]["t"] == pytest.approx(1.0)
    offs = of(rendered, "note_off", "switch:1")
    # The contact is off when the lock-out ends: released then, not at the end.
    assert [e["t"] for e in offs] == [pytest.approx(1.1)]


def test_accept_ignores_a_brush_and_plays_a_hold_after_the_dwell(render):
    rendered = render(
        "0.0 set switch:1.accept_ms=300\n"
        "1.0 switch:1 press\n"
        "1.1 switch:1 release\n"  # a 100 ms brush
        "2.0 switch:1 press\n"
        "2.5 switch:1 release\n"  # a 500 ms hold
        "3.0 end\n"
    )
    ons = rendered.note_ons("switch:1")
    assert [(e["note"], e["t"]) for e in ons] == [(60, pytest.approx(2.3))]
    assert [e["t"] for e in of(rendered, "note_off", "switch:1")] == [pytest.approx(2.5)]
    # And in the audio: silence through the brush, the marimba from 2.3 s.
    assert rms(rendered.segment(0.9, 2.29)) < 1e-3
    assert rms(rendered.segment(2.31, 2.5)) > 0.01


def test_release_delay_holds_a_note_through_a_short_gap(render):
    rendered = render(
        "0.0 set switch:1.release_ms=200\n"
        "1.0 switch:1 press\n"
        "1.5 switch:1 release\n"
        "1.55 switch:1 press\n"  # a 50 ms gap
        "2.0 switch:1 release\n"
        "3.0 end\n"
    )
    assert [e["t"] for e in rendered.note_ons("switch:1")] == [pytest.approx(1.0)]
    assert [e["t"] for e in of(rendered, "note_off", "switch:1")] == [pytest.approx(2.2)]


def test_max_note_ends_a_long_hold(render):
    rendered = render(
        "0.0 set switch:1.max_note_s=2\n1.0 switch:1 press\n6.0 switch:1 release\n7.0 end\n"
    )
    assert [e["t"] for e in rendered.note_ons("switch:1")] == [pytest.approx(1.0)]
    assert [e["t"] for e in of(rendered, "note_off", "switch:1")] == [pytest.approx(3.0)]


# -- beam expression and trigger ----------------------------------------------------------


def test_beam_expression_gets_louder_as_the_hand_comes_nearer(render):
    far = [0.95] * 24  # 1.5 s far away
    approach = [round(0.95 - 0.05 * i, 2) for i in range(1, 16)]  # to 0.20 in 5 cm steps
    near = [0.2] * 24  # 1.5 s close
    readings = far + approach + near
    rendered = render(
        "0.0 set beam:1.mode=expression\n"
        "0.0 set beam:1.instrument=organ\n"  # sustained, so level is the hand's doing
        + beam_lines(0.5, readings)
        + beam_lines(0.5 + len(readings) * PING, [None, None])
        + "5.0 end\n"
    )
    assert len(rendered.note_ons("beam:1")) == 1
    cc11 = [e for e in of(rendered, "cc", "beam:1") if e["control"] == 11]
    values = [e["value"] for e in cc11]
    assert values[0] < 40  # far: quiet (127 near .. 24 far)
    assert values[-1] > 115  # near: loud
    assert values == sorted(values)  # only ever rising on the way in
    assert len(values) >= 15  # smoothed in many small steps
    near_from = 0.5 + (len(far) + len(approach)) * PING + 0.3
    loud = rms(rendered.segment(near_from, near_from + 0.8))
    quiet = rms(rendered.segment(1.0, 1.8))
    assert quiet > 3e-4  # the far hand is heard too, just softer
    assert loud > 2 * quiet


def test_beam_trigger_mode_plays_when_the_hand_crosses_the_line(render):
    approach = [0.6, 0.6, 0.5, 0.4, 0.35, 0.31, 0.28, 0.25, 0.25]
    back = [0.29, 0.31, 0.315, 0.36, 0.45, 0.6]
    rendered = render(
        "0.0 set beam:1.mode=trigger\n"
        + beam_lines(0.5, approach + [0.25] * 8 + back)
        + "3.0 end\n"
    )
    ons = rendered.note_ons("beam:1")
    assert [e["note"] for e in ons] == [60]
    assert ons[0]["t"] == pytest.approx(0.5 + 6 * PING)  # the first reading under 0.3 m
    offs = of(rendered, "note_off", "beam:1")
    # Pulling back: still on at 0.31 and 0.315 (within the 2 cm hysteresis), off at 0.36.
    back_start = 0.5 + (len(approach) + 8) * PING
    assert [e["t"] for e in offs] == [pytest.approx(back_start + 3 * PING)]


def test_a_beam_the_box_does_not_have_is_refused_with_its_line(render):
    with pytest.raises(ScriptError, match=r"line 2: this box has no input 'beam:2'"):
        render("0.0 beam:1 distance 0.4\n0.5 beam:2 distance 0.4\n1.0 end\n")
