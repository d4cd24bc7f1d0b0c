"""The harmony clients lock to: the key, or the chord the therapist holds.

First the :class:`Harmony` alone, then the engine: every switch, pad and beam
zone follows the therapist's chord, and nothing sticks when it changes.
"""

from __future__ import annotations

import pytest
from audio_analysis import dominant_hz, midi_hz
from engine.midi_rig import KEYS, PADS, Rig, assert_balanced

from appliance.engine.harmony import Harmony
from appliance.events import SoundKind
from appliance.music import Key
from appliance.music.heard_chord import hear_chord
from appliance.profile import HarmonySource, default_profile

KEY = Key.parse("C", "major_pentatonic")  # the default profile's
C_E_G = (60, 64, 67)
A_C_E = (57, 60, 64)
C_CHORD = frozenset({0, 4, 7})
A_CHORD = frozenset({9, 0, 4})
SWITCHES = tuple(f"switch:{n}" for n in range(1, 5))
PAD_INPUTS = tuple(f"pad:{n}" for n in range(1, 13))
#: A still hand in the middle of each of the default beam's 8 zones (0.15..1.0 m).
ZONE_WIDTH = (1.0 - 0.15) / 8
ZONE_CENTRES = tuple(0.15 + ZONE_WIDTH * (z + 0.5) for z in range(8))


def scale_notes(iids: tuple[str, ...]) -> list[int]:
    """What each input plays in the default profile with the scale as the harmony."""
    profile = default_profile()
    return [
        int(KEY.degree_to_note(profile.settings_for(i).degree, profile.settings_for(i).octave))
        for i in iids
    ]


def zone_notes() -> list[int]:
    return [int(KEY.degree_to_note(1 + z, 4)) for z in range(8)]


def following(notes: tuple[int, ...]) -> Rig:
    """A rig whose clients follow the therapist, who holds ``notes`` now."""
    rig = Rig()
    rig.set("harmony", "therapist")
    rig.plug(KEYS, "therapist")
    rig.chord(notes)
    rig.reset()
    return rig


def play_every_client_input(rig: Rig) -> None:
    """Press and release each switch and pad, and hold a hand in each beam zone."""
    for iid in (*SWITCHES, *PAD_INPUTS):
        rig.press(iid)
        rig.release(iid)
    for centre in ZONE_CENTRES:
        for _ in range(4):
            rig.ping(centre)
        for _ in range(3):
            rig.ping(None)


# -- Harmony alone ---------------------------------------------------------------------


def test_the_scale_leaves_notes_as_the_key_gives_them():
    h = Harmony(HarmonySource.SCALE)
    assert h.chord is None
    assert h.lock((60, 62, 64)) == (60, 62, 64)
    assert h.lock((60, 64, 67), chord_shape=True) == (60, 64, 67)
    assert h.describe(KEY) == "C major pentatonic"
    assert h.lock_note(65, KEY) == KEY.quantize(65) == 64


def test_before_the_therapist_plays_the_harmony_is_the_key():
    h = Harmony(HarmonySource.THERAPIST)
    assert h.chord is None
    assert h.lock((62,)) == (62,)
    assert h.lock_note(61, KEY) == 60  # the scale, as with scale
    assert h.describe(KEY) == "C major pentatonic"


def test_the_therapists_chord_is_what_clients_lock_to():
    h = Harmony(HarmonySource.THERAPIST)
    h.therapist_holds(C_E_G, KEY)
    assert h.chord is not None and h.chord.tones == C_CHORD
    assert h.describe(KEY) == "C major"
    assert h.lock((62,)) == (60,)  # D: a tie between C and E goes down
    assert h.lock((69,)) == (67,)
    assert h.lock_note(65, KEY) == 64
    assert h.lock_note(70, KEY) == 72


def test_releasing_keeps_the_last_chord_and_a_new_chord_replaces_it():
    h = Harmony(HarmonySource.THERAPIST)
    h.therapist_holds(C_E_G, KEY)
    h.therapist_holds((), KEY)  # every key lifted
    assert h.describe(KEY) == "C major"
    h.therapist_holds(A_C_E, KEY)
    assert h.chord is not None and h.chord.tones == A_CHORD
    assert h.describe(KEY) == "A minor"


def test_the_source_switch_keeps_the_chord_heard_meanwhile():
    h = Harmony(HarmonySource.SCALE)
    h.therapist_holds(A_C_E, KEY)  # heard, but clients play the scale
    assert h.chord is None
    assert h.lock((67,)) == (67,)
    h.source = HarmonySource.THERAPIST
    assert h.lock((67,)) == (69,)
    h.source = HarmonySource.SCALE
    assert h.lock((67,)) == (67,)
    assert h.describe(KEY) == "C major pentatonic"


def test_a_chord_is_voiced_as_the_therapists_chord_from_the_clients_root():
    h = Harmony(HarmonySource.THERAPIST)
    h.therapist_holds(A_C_E, KEY)
    assert h.lock((60, 64, 67), chord_shape=True) == (60, 64, 69)  # A minor, C on the bottom
    assert h.lock((62, 67, 69), chord_shape=True) == (60, 64, 69)
    h.therapist_holds((55, 59, 62, 65), KEY)  # G7: three of its four notes
    assert h.lock((60, 64, 67), chord_shape=True) == (59, 62, 65)


def test_notes_that_land_on_one_chord_tone_sound_it_once():
    h = Harmony(HarmonySource.THERAPIST)
    h.therapist_holds(C_E_G, KEY)
    assert h.lock((60, 61, 62)) == (60,)


# -- every client input follows ------------------------------------------------------------


@pytest.mark.parametrize(("held", "tones"), [(C_E_G, C_CHORD), (A_C_E, A_CHORD)])
def test_every_switch_pad_and_beam_zone_plays_a_chord_tone(held, tones):
    rig = following(held)
    play_every_client_input(rig)
    chord = hear_chord(held, KEY)
    assert chord is not None
    expected = [chord.nearest(n) for n in scale_notes(SWITCHES + PAD_INPUTS)]
    assert rig.ons("switch:") + rig.ons("pad:") == expected
    assert rig.ons("beam:") == [chord.nearest(n) for n in zone_notes()]
    every = rig.ons("switch:") + rig.ons("pad:") + rig.ons("beam:")
    assert len(every) == 4 + 12 + 8
    assert {n % 12 for n in every} == tones  # each chord tone, and nothing else
    rig.lift(held)
    assert_balanced(rig.synth.calls)


def test_with_the_scale_as_harmony_the_therapists_chord_is_not_followed():
    rig = following(A_C_E)
    rig.set("harmony", "scale")
    play_every_client_input(rig)
    assert rig.ons("switch:") + rig.ons("pad:") == scale_notes(SWITCHES + PAD_INPUTS)
    assert rig.ons("beam:") == zone_notes()


def test_clients_follow_a_chord_change_and_keep_it_when_the_therapist_lets_go():
    rig = following(C_E_G)
    rig.press("switch:3")  # G4
    rig.release("switch:3")
    rig.lift(C_E_G)
    rig.chord(A_C_E)
    rig.press("switch:3")
    rig.release("switch:3")
    rig.lift(A_C_E)  # the hands leave the keyboard: the chord stays
    rig.press("switch:3")
    rig.release("switch:3")
    assert rig.ons("switch:3") == [67, 69, 69]


def test_until_the_therapist_plays_clients_play_the_key():
    rig = Rig()
    rig.set("harmony", "therapist")
    rig.plug(KEYS, "therapist")
    rig.press("pad:2")
    assert rig.ons("pad:2") == [62]  # D4, the scale's second degree


def test_chord_mode_voices_the_therapists_chord():
    rig = following(A_C_E)
    rig.set("switch:1.mode", "chord")
    rig.set("pad:2.mode", "chord")
    rig.press("switch:1")
    rig.press("pad:2")
    assert rig.ons("switch:1") == [60, 64, 69]  # C-E-G on C, as A minor
    assert rig.ons("pad:2") == [60, 64, 69]  # D-G-A on D, as A minor
    rig.release("switch:1")
    rig.release("pad:2")
    therapist = rig.channel_of(KEYS)
    assert {n for ch, n in rig.sounding() if ch != therapist} == set()  # released, all of it


def test_a_beam_on_one_zone_restarts_nothing_when_the_chord_changes():
    rig = following(C_E_G)
    for _ in range(4):
        rig.ping(ZONE_CENTRES[4])  # A4: G in C major
    assert rig.ons("beam:") == [67]
    rig.lift(C_E_G)
    rig.chord(A_C_E)
    for _ in range(4):
        rig.ping(ZONE_CENTRES[4])
    assert rig.ons("beam:") == [67]  # the hand did not move: the note goes on
    for _ in range(3):
        rig.ping(None)
    assert rig.events(source="beam:")[-1].note == 67  # it stops the note it started


# -- no stuck notes when the harmony moves under held notes ---------------------------------


def test_a_chord_change_while_client_notes_are_held_leaves_nothing_sounding():
    rig = following(C_E_G)
    rig.set("switch:4.mode", "latch")
    rig.set("pad:5.mode", "chord")
    for iid in (*SWITCHES, "pad:2", "pad:5", "pad:9"):
        rig.press(iid)  # all held
    rig.release("switch:4")  # latched: sounds on
    for _ in range(4):
        rig.ping(ZONE_CENTRES[1])
    held_under_c = rig.ons()
    rig.lift(C_E_G)
    rig.chord(A_C_E)
    for iid in ("switch:1", "switch:2", "switch:3", "pad:2", "pad:5", "pad:9"):
        rig.release(iid)
    rig.press("switch:4")  # unlatch
    rig.release("switch:4")
    for _ in range(3):
        rig.ping(None)
    rig.lift(A_C_E)
    assert_balanced(rig.synth.calls)
    assert rig.sounding() == set()
    # Each note-off stopped the note its press started, under the old chord.
    offs = [e.note for e in rig.events(SoundKind.NOTE_OFF) if not e.source.startswith(KEYS)]
    assert sorted(offs) == sorted(held_under_c)


def test_a_chord_change_while_client_keys_are_held_leaves_nothing_sounding():
    rig = following(C_E_G)
    rig.plug(PADS, "client")
    for n in (62, 65, 69, 71):
        rig.note(n, 100, device=PADS)
    under_c = rig.ons(PADS)
    assert under_c == [60, 64, 67, 72]
    rig.lift(C_E_G)
    rig.chord(A_C_E)
    rig.note(67, 100, device=PADS)  # a new key, under A minor
    assert rig.ons(PADS)[-1] == 69
    for n in (62, 65, 69, 71, 67):
        rig.off(n, device=PADS)
    rig.lift(A_C_E)
    assert_balanced(rig.synth.calls)
    assert rig.sounding() == set()


def test_the_status_says_what_clients_follow():
    rig = Rig()
    assert rig.engine.status().harmony == "C major pentatonic"
    rig.set("harmony", "therapist")
    rig.plug(KEYS, "therapist")
    assert rig.engine.status().harmony == "C major pentatonic"  # nothing heard yet
    rig.chord((55, 59, 62, 65))
    assert rig.engine.status().harmony == "G7"
    rig.lift((55, 59, 62, 65))
    rig.chord(A_C_E)
    assert rig.engine.status().harmony == "A minor"
    rig.lift(A_C_E)
    assert rig.engine.status().harmony == "A minor"
    rig.set("harmony", "scale")
    assert rig.engine.status().harmony == "C major pentatonic"


# -- heard in a real render --------------------------------------------------------------

#: Client inputs on a pure-toned instrument, and what each plays in the key.
HEARD_INPUTS = {"switch:1": 60, "switch:2": 64, "switch:3": 67, "switch:4": 72, "pad:2": 62}
#: The therapist plays low and soft, under the client inputs' band.
THERAPIST_VELOCITY = 20
LISTEN_FROM_HZ = 200.0
PRESS_S, GAP_S = 0.4, 0.1


def _render_script() -> tuple[str, list[tuple[float, str, tuple[int, ...]]]]:
    """Clients pressing each input while the therapist holds C-E-G, then A-C-E,
    then after the therapist has let go; return the script and, for each press,
    its start, its input and the chord the clients should follow."""
    lines = ["0.0 set harmony=therapist", "0.0 midi:keys plug therapist"]
    for iid in HEARD_INPUTS:
        lines += [f"0.0 set {iid}.instrument=ocarina", f"0.0 set {iid}.velocity=127"]
    presses: list[tuple[float, str, tuple[int, ...]]] = []
    t = 0.05
    last: tuple[int, ...] = ()
    for held in ((48, 52, 55), (45, 48, 52), ()):  # C3-E3-G3, A2-C3-E3, hands off
        lines += [f"{t:.2f} midi:keys note {n} {THERAPIST_VELOCITY}" for n in held]
        last = held or last
        t += GAP_S
        for iid in HEARD_INPUTS:
            on = "touch" if iid.startswith("pad") else "press"
            lines += [f"{t:.2f} {iid} {on}", f"{t + PRESS_S:.2f} {iid} release"]
            presses.append((t, iid, last))
            t += PRESS_S + GAP_S
        lines += [f"{t:.2f} midi:keys off {n}" for n in held]
    lines.append(f"{t + 0.2:.2f} end")
    return "\n".join(lines) + "\n", presses


def test_clients_follow_the_therapists_chords_in_the_rendered_audio(render):
    text, presses = _render_script()
    rendered = render(text)
    client_ons = [e for e in rendered.note_ons() if not e["source"].startswith("midi:")]
    assert len(client_ons) == len(presses)
    moved = 0
    for (start, iid, held), event in zip(presses, client_ons, strict=True):
        chord = hear_chord(held, KEY)
        assert chord is not None
        expected = chord.nearest(HEARD_INPUTS[iid])
        moved += expected != HEARD_INPUTS[iid]
        assert (event["source"], event["note"]) == (iid, expected)
        segment = rendered.segment(start + 0.1, start + PRESS_S - 0.05)
        hz = dominant_hz(segment, rendered.rate, lo=LISTEN_FROM_HZ)
        assert hz == pytest.approx(midi_hz(expected), rel=0.01), f"{iid} at {start:.2f} s"
    assert moved == 5  # D4 under both chords, G4 under A minor (twice)
