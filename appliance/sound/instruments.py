"""The General MIDI instruments the box can sound, and how a therapist names them.

Every melodic instrument is one of the 128 General MIDI Level 1 programs on
bank 0; drum kits are the GM/GS kits on bank 128, which is how FluidSynth
addresses percussion presets in a GM soundfont.

A therapist may name an instrument the way a GM table prints it
("Acoustic Grand Piano"), the way a profile stores it
("acoustic_grand_piano"), by a friendly word ("piano", "vibes", "drums"), or
by its **1-based GM number** as printed in GM tables (1 = Acoustic Grand
Piano, 80 = Ocarina). Inside the code and on the wire the 0-based
:attr:`Instrument.program` is used; the two are kept apart on purpose because
the off-by-one between them is the classic GM mistake.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from appliance.errors import UnknownInstrumentError

# Every "unknown instrument" message points at the command that lists them.
_SEE_LIST = "(see `tonic instruments`)"

GM_FIRST_NUMBER = 1
GM_LAST_NUMBER = 128
DRUM_BANK = 128
MELODIC_BANK = 0


class Family(StrEnum):
    """The 16 General MIDI families (eight programs each), plus drum kits."""

    PIANO = "piano"
    CHROMATIC_PERCUSSION = "chromatic_percussion"
    ORGAN = "organ"
    GUITAR = "guitar"
    BASS = "bass"
    STRINGS = "strings"
    ENSEMBLE = "ensemble"
    BRASS = "brass"
    REED = "reed"
    PIPE = "pipe"
    SYNTH_LEAD = "synth_lead"
    SYNTH_PAD = "synth_pad"
    SYNTH_EFFECTS = "synth_effects"
    ETHNIC = "ethnic"
    PERCUSSIVE = "percussive"
    SOUND_EFFECTS = "sound_effects"
    DRUM_KIT = "drum_kit"


@dataclass(frozen=True, slots=True)
class Instrument:
    """One preset the synth can select: a bank and a program."""

    name: str  # canonical snake_case, e.g. "acoustic_grand_piano"
    title: str  # as GM tables print it, e.g. "Acoustic Grand Piano"
    program: int  # 0..127, exactly as sent in a MIDI program change
    bank: int  # 0 for melodic instruments, 128 for drum kits
    family: Family

    def __post_init__(self) -> None:
        # A wrong program or bank would silently select the wrong sound (or
        # none), so refuse it where the instrument is made, not where it plays.
        if not 0 <= self.program <= 127:
            raise ValueError(f"MIDI programs run 0..127, got {self.program} for {self.name!r}")
        if self.bank not in (MELODIC_BANK, DRUM_BANK):
            raise ValueError(f"instrument bank must be 0 or 128, got {self.bank} for {self.name!r}")

    @property
    def is_drums(self) -> bool:
        """True for a drum kit, which must play on the drum channel."""
        return self.bank == DRUM_BANK

    @property
    def number(self) -> int:
        """The 1-based number printed in GM (and GS drum-kit) tables: ``program + 1``."""
        return self.program + 1


def _canonical(text: str) -> str:
    """Fold a title or a typed name into the snake_case key used everywhere.

    Any run of characters other than letters and digits becomes one
    underscore, so spaces, hyphens, underscores, parentheses and the "+" in
    "Lead 8 (bass + lead)" are all equivalent, and case never matters.
    """
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


# The GM1 program titles, in program order (index == program). Where GM1's
# own table is terse or inconsistent ("SynthStrings 1", "Bag pipe") the
# commonly printed spelling is used; the other spellings are aliases below.
_GM_TITLES: tuple[str, ...] = (
    # Piano (1-8)
    "Acoustic Grand Piano",
    "Bright Acoustic Piano",
    "Electric Grand Piano",
    "Honky-tonk Piano",
    "Electric Piano 1",
    "Electric Piano 2",
    "Harpsichord",
    "Clavi",
    # Chromatic percussion (9-16)
    "Celesta",
    "Glockenspiel",
    "Music Box",
    "Vibraphone",
    "Marimba",
    "Xylophone",
    "Tubular Bells",
    "Dulcimer",
    # Organ (17-24)
    "Drawbar Organ",
    "Percussive Organ",
    "Rock Organ",
    "Church Organ",
    "Reed Organ",
    "Accordion",
    "Harmonica",
    "Tango Accordion",
    # Guitar (25-32)
    "Acoustic Guitar (nylon)",
    "Acoustic Guitar (steel)",
    "Electric Guitar (jazz)",
    "Electric Guitar (clean)",
    "Electric Guitar (muted)",
    "Overdriven Guitar",
    "Distortion Guitar",
    "Guitar Harmonics",
    # Bass (33-40)
    "Acoustic Bass",
    "Electric Bass (finger)",
    "Electric Bass (pick)",
    "Fretless Bass",
    "Slap Bass 1",
    "Slap Bass 2",
    "Synth Bass 1",
    "Synth Bass 2",
    # Strings (41-48)
    "Violin",
    "Viola",
    "Cello",
    "Contrabass",
    "Tremolo Strings",
    "Pizzicato Strings",
    "Orchestral Harp",
    "Timpani",
    # Ensemble (49-56)
    "String Ensemble 1",
    "String Ensemble 2",
    "Synth Strings 1",
    "Synth Strings 2",
    "Choir Aahs",
    "Voice Oohs",
    "Synth Voice",
    "Orchestra Hit",
    # Brass (57-64)
    "Trumpet",
    "Trombone",
    "Tuba",
    "Muted Trumpet",
    "French Horn",
    "Brass Section",
    "Synth Brass 1",
    "Synth Brass 2",
    # Reed (65-72)
    "Soprano Sax",
    "Alto Sax",
    "Tenor Sax",
    "Baritone Sax",
    "Oboe",
    "English Horn",
    "Bassoon",
    "Clarinet",
    # Pipe (73-80)
    "Piccolo",
    "Flute",
    "Recorder",
    "Pan Flute",
    "Blown Bottle",
    "Shakuhachi",
    "Whistle",
    "Ocarina",
    # Synth lead (81-88)
    "Lead 1 (square)",
    "Lead 2 (sawtooth)",
    "Lead 3 (calliope)",
    "Lead 4 (chiff)",
    "Lead 5 (charang)",
    "Lead 6 (voice)",
    "Lead 7 (fifths)",
    "Lead 8 (bass + lead)",
    # Synth pad (89-96)
    "Pad 1 (new age)",
    "Pad 2 (warm)",
    "Pad 3 (polysynth)",
    "Pad 4 (choir)",
    "Pad 5 (bowed)",
    "Pad 6 (metallic)",
    "Pad 7 (halo)",
    "Pad 8 (sweep)",
    # Synth effects (97-104)
    "FX 1 (rain)",
    "FX 2 (soundtrack)",
    "FX 3 (crystal)",
    "FX 4 (atmosphere)",
    "FX 5 (brightness)",
    "FX 6 (goblins)",
    "FX 7 (echoes)",
    "FX 8 (sci-fi)",
    # Ethnic (105-112)
    "Sitar",
    "Banjo",
    "Shamisen",
    "Koto",
    "Kalimba",
    "Bagpipe",
    "Fiddle",
    "Shanai",
    # Percussive (113-120)
    "Tinkle Bell",
    "Agogo",
    "Steel Drums",
    "Woodblock",
    "Taiko Drum",
    "Melodic Tom",
    "Synth Drum",
    "Reverse Cymbal",
    # Sound effects (121-128)
    "Guitar Fret Noise",
    "Breath Noise",
    "Seashore",
    "Bird Tweet",
    "Telephone Ring",
    "Helicopter",
    "Applause",
    "Gunshot",
)

# GM groups programs in families of eight, in this order.
_MELODIC_FAMILIES: tuple[Family, ...] = tuple(f for f in Family if f is not Family.DRUM_KIT)

GM_INSTRUMENTS: tuple[Instrument, ...] = tuple(
    Instrument(
        name=_canonical(title),
        title=title,
        program=program,
        bank=MELODIC_BANK,
        family=_MELODIC_FAMILIES[program // 8],
    )
    for program, title in enumerate(_GM_TITLES)
)

# The GS drum kits every GM soundfont we ship with (TimGM6mb, FluidR3_GM,
# MuseScore General) carries on bank 128, keyed by their program there.
DRUM_KITS: tuple[Instrument, ...] = tuple(
    Instrument(
        name=_canonical(title),
        title=title,
        program=program,
        bank=DRUM_BANK,
        family=Family.DRUM_KIT,
    )
    for program, title in (
        (0, "Standard Kit"),
        (8, "Room Kit"),
        (16, "Power Kit"),
        (24, "Electronic Kit"),
        (25, "TR-808 Kit"),
        (32, "Jazz Kit"),
        (40, "Brush Kit"),
        (48, "Orchestra Kit"),
    )
)

# Friendly names a therapist will type. Only names that point at one
# instrument without argument are here: "pad" or "lead" alone could be any of
# eight, so they are left to the did-you-mean suggestion. Canonical names are
# never repeated here; they resolve on their own.
ALIASES: Mapping[str, str] = MappingProxyType(
    {
        # Piano
        "piano": "acoustic_grand_piano",
        "grand_piano": "acoustic_grand_piano",
        "acoustic_piano": "acoustic_grand_piano",
        "bright_piano": "bright_acoustic_piano",
        "electric_grand": "electric_grand_piano",
        "honky_tonk": "honky_tonk_piano",
        "electric_piano": "electric_piano_1",
        "clavinet": "clavi",
        # Chromatic percussion
        "celeste": "celesta",
        "glock": "glockenspiel",
        "vibes": "vibraphone",
        "bells": "tubular_bells",
        "chimes": "tubular_bells",
        "hammered_dulcimer": "dulcimer",
        # Organ
        "organ": "church_organ",
        "pipe_organ": "church_organ",
        "hammond": "drawbar_organ",
        # Guitar
        "guitar": "acoustic_guitar_nylon",
        "nylon_guitar": "acoustic_guitar_nylon",
        "classical_guitar": "acoustic_guitar_nylon",
        "steel_guitar": "acoustic_guitar_steel",
        "folk_guitar": "acoustic_guitar_steel",
        "electric_guitar": "electric_guitar_clean",
        "jazz_guitar": "electric_guitar_jazz",
        "clean_guitar": "electric_guitar_clean",
        "muted_guitar": "electric_guitar_muted",
        # Bass
        "bass": "acoustic_bass",
        "upright_bass": "acoustic_bass",
        "double_bass": "contrabass",
        "electric_bass": "electric_bass_finger",
        "fretless": "fretless_bass",
        "slap_bass": "slap_bass_1",
        "synth_bass": "synth_bass_1",
        # Strings and ensemble
        "harp": "orchestral_harp",
        "pizzicato": "pizzicato_strings",
        "strings": "string_ensemble_1",
        "string_ensemble": "string_ensemble_1",
        "synthstrings_1": "synth_strings_1",
        "synthstrings_2": "synth_strings_2",
        "synth_strings": "synth_strings_1",
        "choir": "choir_aahs",
        "aahs": "choir_aahs",
        "voice": "voice_oohs",
        "oohs": "voice_oohs",
        # Brass
        "horn": "french_horn",
        "brass": "brass_section",
        "synthbrass_1": "synth_brass_1",
        "synthbrass_2": "synth_brass_2",
        "synth_brass": "synth_brass_1",
        # Reed
        "sax": "alto_sax",
        "saxophone": "alto_sax",
        "soprano_saxophone": "soprano_sax",
        "alto_saxophone": "alto_sax",
        "tenor_saxophone": "tenor_sax",
        "baritone_saxophone": "baritone_sax",
        "cor_anglais": "english_horn",
        # Pipe
        "panpipes": "pan_flute",
        "pan_pipes": "pan_flute",
        "bottle": "blown_bottle",
        # Synth lead, pad and effects
        "square_lead": "lead_1_square",
        "saw_lead": "lead_2_sawtooth",
        "sawtooth_lead": "lead_2_sawtooth",
        "calliope": "lead_3_calliope",
        "new_age_pad": "pad_1_new_age",
        "warm_pad": "pad_2_warm",
        "polysynth": "pad_3_polysynth",
        "choir_pad": "pad_4_choir",
        "bowed_pad": "pad_5_bowed",
        "metallic_pad": "pad_6_metallic",
        "halo_pad": "pad_7_halo",
        "sweep_pad": "pad_8_sweep",
        "rain": "fx_1_rain",
        "soundtrack": "fx_2_soundtrack",
        "crystal": "fx_3_crystal",
        "atmosphere": "fx_4_atmosphere",
        "goblins": "fx_6_goblins",
        "echoes": "fx_7_echoes",
        "sci_fi": "fx_8_sci_fi",
        # Ethnic and percussive
        "thumb_piano": "kalimba",
        "mbira": "kalimba",
        "bag_pipe": "bagpipe",
        "bagpipes": "bagpipe",
        "shehnai": "shanai",
        "steel_drum": "steel_drums",
        "steel_pan": "steel_drums",
        "wood_block": "woodblock",
        "taiko": "taiko_drum",
        # Sound effects
        "sea": "seashore",
        "waves": "seashore",
        "birds": "bird_tweet",
        "bird": "bird_tweet",
        "telephone": "telephone_ring",
        "phone": "telephone_ring",
        "clapping": "applause",
        # Drum kits
        "drums": "standard_kit",
        "kit": "standard_kit",
        "drum_kit": "standard_kit",
        "tr_808": "tr_808_kit",
        "brushes": "brush_kit",
        "electronic_drums": "electronic_kit",
        "jazz_drums": "jazz_kit",
        "orchestral_drums": "orchestra_kit",
    }
)


def all_instruments() -> tuple[Instrument, ...]:
    """Every instrument the box knows: the 128 melodic programs, then the kits."""
    return _ALL


def _build_index() -> dict[str, Instrument]:
    """Map every canonical name and alias to its instrument, refusing clashes.

    Titles need no entries of their own: they fold to the canonical name.
    Checked once at import so a bad edit to the tables fails every test run
    instead of resolving a therapist's word to the wrong sound.
    """
    index: dict[str, Instrument] = {}
    for instrument in _ALL:
        if instrument.name in index:
            raise RuntimeError(f"duplicate instrument name {instrument.name!r}")
        index[instrument.name] = instrument
    for alias, target in ALIASES.items():
        if alias != _canonical(alias):
            raise RuntimeError(f"alias {alias!r} is not in canonical form")
        if alias in index:
            raise RuntimeError(f"alias {alias!r} shadows an instrument name")
        if target not in index:
            raise RuntimeError(f"alias {alias!r} points at unknown instrument {target!r}")
        index[alias] = index[target]
    return index


_ALL: tuple[Instrument, ...] = GM_INSTRUMENTS + DRUM_KITS
_BY_KEY: dict[str, Instrument] = _build_index()
_KIT_BY_PROGRAM: dict[int, Instrument] = {kit.program: kit for kit in DRUM_KITS}
# Sorted so the did-you-mean suggestion is stable between runs.
_SUGGESTABLE: tuple[str, ...] = tuple(sorted(_BY_KEY))

# A whole-number spec, sign included, so "-1" is reported as out of range
# rather than folded into the name "1".
_NUMBER = re.compile(r"[+-]?\d+")
_DRUMS_PROGRAM = re.compile(r"drums\s*:\s*(\S*)", re.IGNORECASE)


def instrument_for(spec: str | int) -> Instrument:
    """Resolve what a therapist typed into an :class:`Instrument`.

    ``spec`` may be:

    * a canonical name, a GM title or an alias, in any case, with spaces,
      hyphens and underscores interchangeable: ``"Acoustic Grand Piano"``,
      ``"acoustic-grand-piano"``, ``"piano"``, ``"Ocarina"``;
    * a **1-based General MIDI number**, as an ``int`` or a string of digits,
      exactly as printed in GM tables: ``1`` is Acoustic Grand Piano and
      ``80`` (or ``"80"``) is Ocarina. This is ``program + 1``, never the raw
      0-based MIDI program;
    * ``"drums:<program>"`` for a drum kit by its 0-based program on bank
      128, e.g. ``"drums:25"`` for the TR-808 kit.

    Raises :class:`UnknownInstrumentError` with a one-line message, suggesting
    the closest known name when there is one.
    """
    # bool is an int subclass; True meaning "Acoustic Grand Piano" is a bug.
    if isinstance(spec, bool) or not isinstance(spec, int | str):
        raise TypeError(f"instrument must be a name or a GM number, got {type(spec).__name__}")
    if isinstance(spec, int):
        return _by_number(spec)
    text = spec.strip()
    if _NUMBER.fullmatch(text):
        return _by_number(int(text))
    drums = _DRUMS_PROGRAM.fullmatch(text)
    if drums:
        return _kit_by_program(drums.group(1))
    key = _canonical(text)
    if not key:
        raise UnknownInstrumentError(
            f"no instrument given; name one or give its number {_SEE_LIST}"
        )
    try:
        return _BY_KEY[key]
    except KeyError:
        raise UnknownInstrumentError(_unknown_message(text, key)) from None


def _by_number(number: int) -> Instrument:
    if not GM_FIRST_NUMBER <= number <= GM_LAST_NUMBER:
        raise UnknownInstrumentError(
            f"General MIDI instrument numbers run {GM_FIRST_NUMBER}..{GM_LAST_NUMBER}, got {number}"
        )
    return GM_INSTRUMENTS[number - GM_FIRST_NUMBER]


def _kit_by_program(text: str) -> Instrument:
    kit = _KIT_BY_PROGRAM.get(int(text)) if text.isdecimal() else None
    if kit is None:
        known = ", ".join(str(program) for program in sorted(_KIT_BY_PROGRAM))
        raise UnknownInstrumentError(
            f"no drum kit at program {text!r} on bank 128; kits are at {known} {_SEE_LIST}"
        )
    return kit


def _unknown_message(spec: str, key: str) -> str:
    # repr() keeps the message on one line even if the typed text had a newline.
    close = difflib.get_close_matches(key, _SUGGESTABLE, n=1)
    if close:
        return f"unknown instrument {spec!r}; did you mean {close[0]!r}? {_SEE_LIST}"
    return f"unknown instrument {spec!r} {_SEE_LIST}"
