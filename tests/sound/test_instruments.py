"""The General MIDI instrument table and how names and numbers resolve."""

from __future__ import annotations

import dataclasses

import pytest

from appliance.errors import TonicError, UnknownInstrumentError
from appliance.sound.instruments import (
    ALIASES,
    DRUM_KITS,
    GM_INSTRUMENTS,
    Family,
    Instrument,
    all_instruments,
    instrument_for,
)

# --- the table ---------------------------------------------------------------


def test_gm_has_128_programs_in_order():
    assert len(GM_INSTRUMENTS) == 128
    assert [i.program for i in GM_INSTRUMENTS] == list(range(128))
    assert all(i.bank == 0 and not i.is_drums for i in GM_INSTRUMENTS)


def test_names_are_unique_and_canonical():
    names = [i.name for i in all_instruments()]
    assert len(names) == len(set(names))
    for name in names:
        assert name == name.lower()
        assert all(c.isalnum() or c == "_" for c in name)
        assert "__" not in name
        assert not name.startswith("_")
        assert not name.endswith("_")


def test_titles_are_unique():
    titles = [i.title for i in all_instruments()]
    assert len(titles) == len(set(titles))


@pytest.mark.parametrize(
    ("program", "name", "title"),
    [
        (0, "acoustic_grand_piano", "Acoustic Grand Piano"),
        (3, "honky_tonk_piano", "Honky-tonk Piano"),
        (4, "electric_piano_1", "Electric Piano 1"),
        (11, "vibraphone", "Vibraphone"),
        (12, "marimba", "Marimba"),
        (14, "tubular_bells", "Tubular Bells"),
        (24, "acoustic_guitar_nylon", "Acoustic Guitar (nylon)"),
        (40, "violin", "Violin"),
        (46, "orchestral_harp", "Orchestral Harp"),
        (48, "string_ensemble_1", "String Ensemble 1"),
        (50, "synth_strings_1", "Synth Strings 1"),
        (52, "choir_aahs", "Choir Aahs"),
        (56, "trumpet", "Trumpet"),
        (60, "french_horn", "French Horn"),
        (73, "flute", "Flute"),
        (75, "pan_flute", "Pan Flute"),
        (79, "ocarina", "Ocarina"),
        (80, "lead_1_square", "Lead 1 (square)"),
        (87, "lead_8_bass_lead", "Lead 8 (bass + lead)"),
        (88, "pad_1_new_age", "Pad 1 (new age)"),
        (89, "pad_2_warm", "Pad 2 (warm)"),
        (103, "fx_8_sci_fi", "FX 8 (sci-fi)"),
        (104, "sitar", "Sitar"),
        (108, "kalimba", "Kalimba"),
        (114, "steel_drums", "Steel Drums"),
        (122, "seashore", "Seashore"),
        (127, "gunshot", "Gunshot"),
    ],
)
def test_well_known_programs(program, name, title):
    instrument = GM_INSTRUMENTS[program]
    assert (instrument.name, instrument.title, instrument.program) == (name, title, program)


@pytest.mark.parametrize(
    ("program", "family"),
    [
        (0, Family.PIANO),
        (8, Family.CHROMATIC_PERCUSSION),
        (12, Family.CHROMATIC_PERCUSSION),
        (19, Family.ORGAN),
        (24, Family.GUITAR),
        (39, Family.BASS),
        (46, Family.STRINGS),
        (52, Family.ENSEMBLE),
        (60, Family.BRASS),
        (71, Family.REED),
        (79, Family.PIPE),
        (80, Family.SYNTH_LEAD),
        (89, Family.SYNTH_PAD),
        (96, Family.SYNTH_EFFECTS),
        (108, Family.ETHNIC),
        (114, Family.PERCUSSIVE),
        (127, Family.SOUND_EFFECTS),
    ],
)
def test_families(program, family):
    assert GM_INSTRUMENTS[program].family is family


def test_each_family_has_eight_programs():
    for family in Family:
        members = [i for i in GM_INSTRUMENTS if i.family is family]
        assert len(members) == (0 if family is Family.DRUM_KIT else 8), family


def test_family_is_a_str_enum():
    assert Family.SYNTH_PAD == "synth_pad"
    assert len(Family) == 17


def test_number_is_one_based():
    ocarina = GM_INSTRUMENTS[79]
    assert ocarina.number == 80
    assert [i.number for i in GM_INSTRUMENTS] == list(range(1, 129))


def test_instrument_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        GM_INSTRUMENTS[0].program = 5  # type: ignore[misc]


@pytest.mark.parametrize(("program", "bank"), [(-1, 0), (128, 0), (0, 1), (0, 127)])
def test_instrument_refuses_impossible_presets(program, bank):
    with pytest.raises(ValueError, match=r"^[^\n]+$"):
        Instrument("x", "X", program, bank, Family.PIANO)


# --- drum kits ----------------------------------------------------------------


def test_drum_kits_are_on_bank_128():
    assert [(k.name, k.program) for k in DRUM_KITS] == [
        ("standard_kit", 0),
        ("room_kit", 8),
        ("power_kit", 16),
        ("electronic_kit", 24),
        ("tr_808_kit", 25),
        ("jazz_kit", 32),
        ("brush_kit", 40),
        ("orchestra_kit", 48),
    ]
    for kit in DRUM_KITS:
        assert kit.bank == 128
        assert kit.is_drums
        assert kit.family is Family.DRUM_KIT


def test_all_instruments_is_melodic_then_kits():
    assert all_instruments() == GM_INSTRUMENTS + DRUM_KITS


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        ("drums", "standard_kit"),
        ("kit", "standard_kit"),
        ("Standard Kit", "standard_kit"),
        ("TR-808 Kit", "tr_808_kit"),
        ("tr 808", "tr_808_kit"),
        ("brushes", "brush_kit"),
        ("drums:0", "standard_kit"),
        ("drums:25", "tr_808_kit"),
        ("Drums : 48", "orchestra_kit"),
    ],
)
def test_drum_kit_lookup(spec, name):
    kit = instrument_for(spec)
    assert kit.name == name
    assert kit.is_drums


@pytest.mark.parametrize("spec", ["drums:1", "drums:128", "drums:", "drums:x", "drums:-1"])
def test_unknown_drum_kit_program(spec):
    with pytest.raises(UnknownInstrumentError, match=r"no drum kit at program .* bank 128"):
        instrument_for(spec)


# --- lookup by name -----------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        ("acoustic_grand_piano", "acoustic_grand_piano"),
        ("Acoustic Grand Piano", "acoustic_grand_piano"),
        ("acoustic-grand-piano", "acoustic_grand_piano"),
        ("ACOUSTIC GRAND PIANO", "acoustic_grand_piano"),
        ("  acoustic grand_piano-  ", "acoustic_grand_piano"),
        ("Ocarina", "ocarina"),
        ("ocarina", "ocarina"),
        ("Honky-tonk Piano", "honky_tonk_piano"),
        ("honky tonk piano", "honky_tonk_piano"),
        ("Acoustic Guitar (nylon)", "acoustic_guitar_nylon"),
        ("Lead 1 (square)", "lead_1_square"),
        ("lead-1-square", "lead_1_square"),
        ("Lead 8 (bass + lead)", "lead_8_bass_lead"),
        ("Pad 2 (warm)", "pad_2_warm"),
        ("FX 8 (sci-fi)", "fx_8_sci_fi"),
        ("SynthStrings 1", "synth_strings_1"),
        ("Bag pipe", "bagpipe"),
        ("Celeste", "celesta"),
        ("Vibes", "vibraphone"),
        ("piano", "acoustic_grand_piano"),
        ("Grand Piano", "acoustic_grand_piano"),
        ("horn", "french_horn"),
        ("sax", "alto_sax"),
        ("voice", "voice_oohs"),
        ("bells", "tubular_bells"),
        ("warm pad", "pad_2_warm"),
        ("warm-pad", "pad_2_warm"),
        ("strings", "string_ensemble_1"),
        ("harp", "orchestral_harp"),
        ("steel drums", "steel_drums"),
    ],
)
def test_lookup_by_name_title_and_alias(spec, name):
    assert instrument_for(spec).name == name


@pytest.mark.parametrize(
    "spec",
    [
        # The friendly names the brief promises therapists can type.
        "piano",
        "grand_piano",
        "electric_piano",
        "harpsichord",
        "music_box",
        "vibes",
        "glockenspiel",
        "xylophone",
        "marimba",
        "celeste",
        "organ",
        "accordion",
        "harmonica",
        "guitar",
        "nylon_guitar",
        "steel_guitar",
        "bass",
        "violin",
        "cello",
        "harp",
        "strings",
        "choir",
        "voice",
        "trumpet",
        "trombone",
        "horn",
        "brass",
        "sax",
        "clarinet",
        "flute",
        "pan_flute",
        "recorder",
        "ocarina",
        "whistle",
        "sitar",
        "kalimba",
        "steel_drums",
        "bells",
        "drums",
        "kit",
        "warm_pad",
    ],
)
def test_friendly_names_resolve(spec):
    assert isinstance(instrument_for(spec), Instrument)


def test_every_alias_resolves_to_its_target():
    names = {i.name for i in all_instruments()}
    for alias, target in ALIASES.items():
        assert target in names, alias
        assert alias not in names, f"alias {alias} shadows a canonical name"
        assert instrument_for(alias).name == target
        assert instrument_for(alias.replace("_", " ").title()).name == target


def test_every_name_and_title_resolves_to_itself():
    for instrument in all_instruments():
        assert instrument_for(instrument.name) is instrument
        assert instrument_for(instrument.title) is instrument
        assert instrument_for(instrument.title.upper()) is instrument


def test_aliases_are_read_only():
    with pytest.raises(TypeError):
        ALIASES["tuba"] = "tuba"  # type: ignore[index]


# --- lookup by number -----------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        (1, "acoustic_grand_piano"),
        ("1", "acoustic_grand_piano"),
        (13, "marimba"),
        (41, "violin"),
        (80, "ocarina"),
        ("80", "ocarina"),
        (" 80 ", "ocarina"),
        ("080", "ocarina"),
        (128, "gunshot"),
        ("128", "gunshot"),
    ],
)
def test_lookup_by_one_based_gm_number(spec, name):
    assert instrument_for(spec).name == name


def test_number_round_trips():
    for instrument in GM_INSTRUMENTS:
        assert instrument_for(instrument.number) is instrument
        assert instrument_for(str(instrument.number)) is instrument


@pytest.mark.parametrize(
    ("spec", "shown"),
    [(0, "0"), ("0", "0"), (129, "129"), ("129", "129"), (-1, "-1"), ("-1", "-1"), (1000, "1000")],
)
def test_out_of_range_numbers(spec, shown):
    with pytest.raises(UnknownInstrumentError) as info:
        instrument_for(spec)
    assert str(info.value) == f"General MIDI instrument numbers run 1..128, got {shown}"


@pytest.mark.parametrize("spec", [True, 1.0, None, b"piano"])
def test_wrong_types_are_a_programming_error(spec):
    with pytest.raises(TypeError):
        instrument_for(spec)  # type: ignore[arg-type]


# --- errors -----------------------------------------------------------------


def test_unknown_name_suggests_the_closest():
    with pytest.raises(UnknownInstrumentError) as info:
        instrument_for("marimbaa")
    assert str(info.value) == (
        "unknown instrument 'marimbaa'; did you mean 'marimba'? (see `tonic instruments`)"
    )


@pytest.mark.parametrize(
    ("spec", "suggestion"),
    [
        ("ocarinna", "ocarina"),
        ("Vibrafone", "vibraphone"),
        ("celo", "cello"),
        ("trumpett", "trumpet"),
        ("glockenspeil", "glockenspiel"),
        ("xylophon", "xylophone"),
    ],
)
def test_typos_get_did_you_mean(spec, suggestion):
    with pytest.raises(UnknownInstrumentError, match=rf"did you mean '{suggestion}'\?"):
        instrument_for(spec)


def test_unknown_name_without_a_close_match():
    with pytest.raises(UnknownInstrumentError) as info:
        instrument_for("qqqqqqqqqq")
    assert str(info.value) == "unknown instrument 'qqqqqqqqqq' (see `tonic instruments`)"


@pytest.mark.parametrize("spec", ["", "   ", "---"])
def test_empty_spec(spec):
    with pytest.raises(UnknownInstrumentError, match="no instrument given"):
        instrument_for(spec)


def test_errors_are_one_line_even_for_odd_input():
    with pytest.raises(UnknownInstrumentError) as info:
        instrument_for("pia\nno x")
    assert "\n" not in str(info.value)


def test_error_family():
    with pytest.raises(TonicError):
        instrument_for("nope-not-an-instrument")
    with pytest.raises(LookupError):
        instrument_for(0)
