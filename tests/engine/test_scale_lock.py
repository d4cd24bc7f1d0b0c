"""Scale lock, end to end: every note a rendered session sounds is in the key."""

from __future__ import annotations

from collections import Counter

import pytest

from appliance.music import Key, chord_on, scale_names

KEYS = ("C", "Eb", "F#", "A")
DEGREES = {"switch:1": 1, "switch:2": 3, "switch:3": 4, "switch:4": 6}  # the default profile
END = 0.4


def _script(key: str, scale: str, mode: str) -> str:
    lines = [f"0.0 set key={key}", f"0.0 set scale={scale}"]
    lines += [f"0.0 set switch:{n}.mode={mode}" for n in range(1, 4)]
    lines.append("0.0 set switch:4.mode=latch")
    lines += [
        "0.05 switch:1 press",
        "0.10 switch:2 press",
        "0.15 switch:3 press",
        "0.20 switch:4 press",
        "0.22 switch:4 release  # latched: still sounding at the end",
        "0.25 switch:1 release",
        "0.30 switch:3 release",
        f"{END} end              # switch:2 is still held",
    ]
    return "\n".join(lines) + "\n"


def _check_balanced(events: list[dict]) -> None:
    """Every note_on has its own later note_off, all by the end of the script."""
    count: Counter[tuple[int, int]] = Counter()
    for e in events:
        if e["type"] == "note_on":
            count[e["channel"], e["note"]] += 1
        elif e["type"] == "note_off":
            count[e["channel"], e["note"]] -= 1
            assert count[e["channel"], e["note"]] >= 0, f"note_off before note_on: {e}"
            assert e["t"] <= END
    assert +count == Counter(), f"never released: {+count}"


def _expected(key: Key, mode: str) -> Counter[int]:
    notes: Counter[int] = Counter()
    for iid, degree in DEGREES.items():
        if mode == "chord" and iid != "switch:4":
            notes.update(chord_on(key, degree, 4))
        else:
            notes[key.degree_to_note(degree, 4)] += 1
    return notes


def _check(rendered, key_name: str, scale: str, mode: str) -> None:
    key = Key.parse(key_name, scale)
    ons = rendered.note_ons()
    assert ons, "nothing played"
    outside = [e["note"] for e in ons if not key.contains(e["note"])]
    assert outside == [], f"notes outside {key.name}: {outside}"
    assert Counter(e["note"] for e in ons) == _expected(key, mode)
    _check_balanced(rendered.events)
    assert rendered.events[-1]["type"] == "all_notes_off"


def test_every_scale_is_offered():
    assert len(scale_names()) == 11


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("scale", scale_names())
def test_note_mode_stays_in_the_key(render, key, scale):
    _check(render(_script(key, scale, "note")), key, scale, "note")


@pytest.mark.parametrize(
    ("key", "scale"), [(KEYS[i % len(KEYS)], s) for i, s in enumerate(scale_names())]
)
def test_chord_mode_stays_in_the_key(render, key, scale):
    rendered = render(_script(key, scale, "chord"))
    _check(rendered, key, scale, "chord")
    assert len(rendered.note_ons()) == 3 * 3 + 1


def test_key_change_mid_session_moves_every_later_note(render):
    rendered = render(
        "0.0 switch:1 press\n"
        "0.1 set key=F#\n"
        "0.1 set scale=blues\n"
        "0.2 switch:1 release   # stops the C it started\n"
        "0.3 switch:2 press\n"
        "0.4 switch:2 release\n"
        "0.5 end\n"
    )
    ons = rendered.note_ons()
    assert [e["note"] for e in ons] == [60, 66 + 5]  # C4; then F# blues degree 3 = B4
    offs = [e for e in rendered.events if e["type"] == "note_off"]
    assert [(e["note"], e["source"], e["t"]) for e in offs] == [
        (60, "switch:1", 0.2),
        (71, "switch:2", 0.4),
    ]
    assert Key.parse("F#", "blues").contains(71)
