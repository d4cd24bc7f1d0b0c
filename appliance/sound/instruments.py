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
import functools
import re
from dataclasses import dataclass
from enum import StrEnum

from appliance.errors import UnknownInstrumentError
from appliance.sound.gm_names import ALIASES, GM_TITLES

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
    for program, title in enumerate(GM_TITLES)
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


# Cached: the engine resolves an input's instrument name on every press, and
# a profile names only a handful, so each is parsed once.
@functools.lru_cache(maxsize=512, typed=True)
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
