"""What the dashboard says, from a status and a profile."""

from __future__ import annotations

from appliance.tui.view import (
    BeamRange,
    activity_line,
    audio_line,
    band_line,
    health_line,
    input_label,
    midi_line,
    pad_depth,
    profile_line,
    sounding_line,
    volume_line,
)
from appliance.tui.widgets.inputs import bar


def test_labels_and_profile_line():
    assert input_label("switch:1") == "Switch 1"
    assert input_label("pad:12") == "Pad 12"
    assert profile_line({"profile": "Sam", "unsaved": True}) == "Profile: Sam (unsaved changes)"
    assert profile_line({"profile": "Sam", "unsaved": False}) == "Profile: Sam"


def test_volume_shows_the_gain_ceiling_once_the_box_reports_it():
    assert volume_line({"volume": 0.6}) == "Volume: 60 %"
    assert volume_line({"volume": 0.6, "gain_ceiling": 0.5}) == "Volume: 60 % (gain ceiling 0.50)"


def test_audio_line_from_the_audio_section_or_the_older_synth_fields():
    playing = {"state": "playing", "reason": "", "latency_ms": 4.0, "period_size": 64, "periods": 3}
    assert audio_line({"audio": playing}) == "Audio: playing, 4.0 ms (64 x 3)"
    assert audio_line({"synth": "silent", "synth_reason": "no card"}) == "Audio: silent — no card"


def test_health_groups_offline_inputs_by_reason():
    inputs = [{"id": "switch:1", "online": True}]
    inputs += [{"id": f"pad:{n}", "online": False, "reason": "no chip at 0x5a"} for n in (1, 2, 3)]
    inputs += [{"id": "beam:1", "online": False, "reason": "no echo"}]
    assert health_line({"inputs": inputs}) == (
        "Sensors: Pads 1-3 offline (no chip at 0x5a); Beam 1 offline (no echo)"
    )
    assert health_line({"inputs": inputs[:1]}) == "Sensors: all answering"


def test_a_pads_depth_is_its_baseline_minus_its_reading():
    assert pad_depth({"filtered": 690, "baseline": 700}) == 10
    assert pad_depth({"filtered": 710, "baseline": 700}) == 0
    assert pad_depth({"filtered": None, "baseline": None}) is None


def test_a_pad_bar_marks_the_threshold_and_fills_with_depth():
    assert bar(0, 12, 10) == "·····│····"
    assert bar(12, 12, 10) == "█████│····"  # at the threshold
    assert bar(7, 12, 10) == "███··│····"
    assert bar(24, 12, 10) == "██████████"
    assert bar(None, None, 4) == "····"


def test_sounding_names_each_input_in_order():
    assert sounding_line({}) == "Sounding: nothing"
    line = sounding_line({"switch:1": ["C4"], "pad:3": ["E4", "G4"]})
    assert line == "Sounding: Switch 1 C4 · Pad 3 E4 G4"


def test_beam_range_zones_match_the_box_without_hysteresis():
    r = BeamRange.of({"near": 0.15, "far": 1.0, "zones": 8})
    assert r is not None
    assert [r.zone_at(d) for d in (0.05, 0.15, 0.42, 0.95, 1.01)] == [0, 0, 2, 7, None]
    assert BeamRange.of({"near": 1.0, "far": 0.5, "zones": 8}) is None
    assert BeamRange.of({}) is None


def test_the_midi_line_names_each_device_its_role_and_the_chord_clients_follow():
    keys = {"id": "midi:keys", "mode": "therapist", "active": True, "sounding": ["A3", "C4", "E4"]}
    pads = {"id": "midi:pads", "mode": "controller", "active": False, "sounding": []}
    status = {
        "key": "C",
        "scale": "major_pentatonic",
        "harmony": "A minor",
        "midi": {"available": True, "reason": "", "devices": []},
        "inputs": [{"id": "switch:1"}, keys, pads],
    }
    assert midi_line(status) == (
        "MIDI: midi:keys (therapist) playing A3 C4 E4, midi:pads (controller)"
        " · clients follow A minor"
    )


def test_the_midi_line_says_why_there_is_no_midi_or_that_nothing_is_plugged_in():
    reason = "no MIDI: the ALSA sequencer is not available"
    none = {"midi": {"available": False, "reason": reason}}
    assert midi_line(none) == "MIDI: no MIDI: the ALSA sequencer is not available"
    empty = {"midi": {"available": True, "reason": "", "devices": []}, "inputs": []}
    assert midi_line(empty) == "MIDI: no devices plugged in"
    assert midi_line({}) == "MIDI: ?"


def test_the_band_line_names_the_loop_or_song_its_tempo_and_whose_turn():
    assert band_line({"loop": ""}) == "Loop: none playing"
    assert band_line({}) == "Loop: none playing"
    assert band_line({"loop": "calypso, bar 5", "tempo": 0}) == "Loop: calypso, bar 5"
    assert band_line({"loop": "calypso, bar 5", "tempo": 90}) == "Loop: calypso, bar 5 at 90 bpm"
    assert band_line({"loop": "song: Ode to Joy"}) == "Song: Ode to Joy"
    turns = {"loop": "", "turns": "player 2's turn"}
    assert band_line(turns) == "Loop: none playing · player 2's turn"


def test_the_bands_own_notes_stay_off_the_activity_list():
    assert activity_line({"event": "note_on", "input": "loop", "name": "C3"}) == ""
    assert activity_line({"event": "note_on", "input": "song", "name": "D4"}) == ""
    assert activity_line({"event": "note_on", "input": "switch:1", "name": "C4"}) == (
        "Switch 1 plays C4"
    )
    started = {"event": "band", "action": "loop start", "name": "calypso"}
    assert activity_line(started) == "Loop start calypso"
