"""The ``.loop`` text format: how an accompaniment loop is written down.

Loops live in the package as small text files a therapist or musician can
read and add to, one loop a file (``appliance/loops/calypso.loop``)::

    # Calypso: a bright, dancing island groove.
    title: Calypso
    mood: bright, dancing
    metre: 4/4
    tempo: 104
    steps: 16
    major: I IV V I
    minor: i iv V i

    drums: standard_kit
      kick       x . . . x . . . x . . . x . . .
      side_stick . . x . . . x . . . x . . . x .
    bass: acoustic_bass
      R . . 5 - . R . R . . 5 - . 8 .
    chords: steel_drums
      . . x . . x . . . . x . . x . .
    pad: pad_2_warm drone
      (x) - - - - - - - - - - - - - - -

**The header** comes first, one ``field: value`` a line:

* ``title`` and ``mood`` (a few plain words, "calm, steady") are for people;
* ``metre`` is the time signature (4/4, 3/4, 2/4, 6/8); ``tempo`` is beats a
  minute, 40..160 (in 6/8 a beat is a dotted quarter, three eighths);
* ``steps`` is how many grid steps make one bar, a multiple of the beats:
  in 4/4, 8 gives eighth notes, 16 sixteenths, 12 swung triplets;
* ``major`` and ``minor`` are the chords as Roman numerals (``I``, ``vi``,
  ``V7``, ``bVII``, ``Imaj7``, ``ii°``), one a bar, repeating; the loop plays
  ``major`` in a major key and ``minor`` in a minor one, so both have as many
  bars. Numerals, not chord names: a loop plays in every key.

**The parts** follow, each a line ``role: instrument`` and then its rows of
steps, indented. The roles are ``drums``, ``bass``, ``chords`` and ``pad``,
each at most once (each has a channel of its own). The instrument is a name
``tonic instruments`` lists: a kit for the drums (``standard_kit``,
``brush_kit``), a General MIDI instrument for the others. The word ``drone``
after it keeps the part playing when the loop thins to its drone (wait mode,
while no client plays): give every loop a soft part marked so.

**The rows** have exactly ``steps`` tokens, one a step, spaced as you like:

==========  =============================================================
``.``       a rest
``-``       holds the note before it one more step (``R - - -`` lasts 4)
``x``       drums: a hit, normal strength
``X``       drums: an accented hit
``o``       drums: a soft hit
``R``       pitched: the chord's root
``3``       pitched: its third
``5``       pitched: its fifth
``7``       pitched: its seventh (a chord without one: the root an octave up)
``8``       pitched: the root an octave up
``L``       pitched: the fifth an octave down, below the root (a bass walks)
``x``       pitched: every note of the chord at once
``R!``      pitched: any tone with ``!`` after it is accented
``(R)``     pitched: any tone in brackets is soft
==========  =============================================================

A drum row starts with the drum's name (``kick``, ``snare``, ``closed_hat``;
:data:`appliance.music.loop.DRUM_NOTES` has them all). A pitched part may
have several rows, one a voice (a pad holding ``R`` and ``5`` together).

Only whole lines starting with ``#`` are comments (``#`` is also a sharp, as
in ``#iv°``). Errors name the file and line and say what is wrong, e.g.
``calypso.loop:12: the kick row has 15 steps, but 'steps: 16' needs 16``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from appliance.errors import MusicError, UnknownInstrumentError
from appliance.music.loop import DRUM_NOTES, Hit, Loop, Part, PartRole, Tone
from appliance.music.song import Chord, Metre, SongError
from appliance.music.song_text import _parse_chord, _parse_metre
from appliance.sound.instruments import instrument_for

HEADER_FIELDS = ("title", "mood", "metre", "tempo", "steps", "major", "minor")

LOOP_TEMPO_RANGE = (40, 160)
"""Beats a minute a loop may ask for: the box's tempo range, slow enough for a
drone, quick enough for a jig; anything outside is a typo."""

MAX_STEPS = 48
"""The finest grid a bar may have: 4/4 in triplet sixteenths. A longer row is
hard to read and finer than a client can follow."""

SOFT = 48
"""A soft hit (``o``, ``(R)``): ghost notes and pads, felt more than heard."""

NORMAL = 72
"""An ordinary hit: the loop is a ground for a client to play over, so even
its ordinary notes stay under mezzo-forte, below a client's melody."""

ACCENT = 96
"""An accented hit (``X``, ``R!``): a backbeat or downbeat that leads the time."""

EIGHTH = 8  # the unit of an eighth note in a time signature (6/8)
REST = "."
HOLD = "-"
ACCENT_MARK = "!"
DRONE_WORD = "drone"

_DRUM_VELOCITIES = {"x": NORMAL, "X": ACCENT, "o": SOFT}
_PITCHED_HELP = (
    "expected . (rest), - (hold) or a chord tone "
    f"({' '.join(t.value for t in Tone)}), with ! after it for an accent "
    "or in brackets, (R), for a soft note"
)
_DRUM_HELP = "expected . (rest), - (hold), x (hit), X (accent) or o (soft)"
_ROLES = tuple(role.value for role in PartRole)
_CHORD_NAME_LETTERS = "ABCDEFG"


class LoopError(MusicError):
    """A loop file that cannot be read: the message names file, line and fault."""


@dataclass(frozen=True, slots=True)
class _PartLines:
    """A part as the first pass finds it: its line and its rows, unparsed."""

    number: int
    role: PartRole
    spec: str
    rows: list[tuple[int, str]] = field(default_factory=list)


def parse_loop(text: str, *, name: str, origin: str) -> Loop:
    """Parse a loop file's text; ``origin`` (its path) names it in every error."""
    header: dict[str, tuple[int, str]] = {}
    parts: list[_PartLines] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, colon, value = line.partition(":")
        word = word.strip().lower()
        if not colon:
            if not parts:
                raise LoopError(
                    f"{origin}:{number}: a row of steps before any part line "
                    f"({', '.join(f'{r}: ...' for r in _ROLES)}), got {line!r}"
                )
            parts[-1].rows.append((number, line))
        elif word in _ROLES:
            role = PartRole(word)
            if any(p.role is role for p in parts):
                raise LoopError(f"{origin}:{number}: a second {word!r} part (one a role)")
            parts.append(_PartLines(number, role, value.strip()))
        elif word in HEADER_FIELDS:
            if parts:
                raise LoopError(f"{origin}:{number}: header line {word!r} after the parts")
            if word in header:
                raise LoopError(f"{origin}:{number}: {word!r} given twice")
            header[word] = (number, value.strip())
        else:
            close = difflib.get_close_matches(word, (*HEADER_FIELDS, *_ROLES), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise LoopError(
                f"{origin}:{number}: unknown line {word!r}{hint}: expected a header line "
                f"({', '.join(HEADER_FIELDS)}) or a part ({', '.join(_ROLES)})"
            )
    for wanted in HEADER_FIELDS:
        if wanted not in header:
            raise LoopError(f"{origin}: no {wanted!r} line in the header")
    title = _text_field(header, "title", origin)
    mood = _text_field(header, "mood", origin)
    metre = _metre(*header["metre"], origin)
    tempo = _tempo(*header["tempo"], origin)
    steps = _steps(*header["steps"], metre, origin)
    major = _progression(*header["major"], origin)
    minor = _progression(*header["minor"], origin)
    if len(major) != len(minor):
        raise LoopError(
            f"{origin}:{header['minor'][0]}: 'minor' has {len(minor)} chords but 'major' "
            f"has {len(major)}: the two must have as many bars"
        )
    if not parts:
        raise LoopError(f"{origin}: no parts ({', '.join(_ROLES)})")
    parsed = tuple(_part(p, steps, origin) for p in parts)
    return Loop(name, title, mood, metre, tempo, steps, major, minor, parsed)


def _text_field(header: dict[str, tuple[int, str]], wanted: str, origin: str) -> str:
    number, value = header[wanted]
    if not value:
        raise LoopError(f"{origin}:{number}: the {wanted} is empty")
    return value


def _metre(number: int, value: str, origin: str) -> Metre:
    try:
        return _parse_metre(number, value, origin)
    except SongError as e:
        raise LoopError(str(e)) from None


def _tempo(number: int, value: str, origin: str) -> int:
    low, high = LOOP_TEMPO_RANGE
    if not value.isdigit() or not low <= int(value) <= high:
        raise LoopError(
            f"{origin}:{number}: tempo must be a whole number of beats a minute, "
            f"{low}..{high}, got {value!r}"
        )
    return int(value)


def _steps(number: int, value: str, metre: Metre, origin: str) -> int:
    beats = _beats_in(metre)
    # Suggest eighths and sixteenths, which is what most loops use.
    eighths = max(metre.counts * EIGHTH // metre.unit, beats)
    examples = f"{eighths} or {eighths * 2}"
    if not value.isdigit() or not 0 < int(value) <= MAX_STEPS or int(value) % beats:
        raise LoopError(
            f"{origin}:{number}: steps must be a whole number up to {MAX_STEPS} that "
            f"{metre}'s {beats} beats divide evenly, e.g. {examples}; got {value!r}"
        )
    return int(value)


def _beats_in(metre: Metre) -> int:
    """Beats in a bar of ``metre``, by the one rule :attr:`Loop.beats` keeps."""
    return Loop("", "", "", metre, 0, 0, (), (), ()).beats


def _progression(number: int, value: str, origin: str) -> tuple[Chord, ...]:
    tokens = value.split()
    if not tokens:
        raise LoopError(f"{origin}:{number}: no chords: give one a bar, e.g. I IV V I")
    chords = []
    for token in tokens:
        if token[0] in _CHORD_NAME_LETTERS:
            raise LoopError(
                f"{origin}:{number}: chord {token!r} is a name, but a loop plays in every "
                "key: write it as a Roman numeral (I, IV, V7, vi, bVII)"
            )
        try:
            chords.append(_parse_chord(token, number, origin, 0))
        except SongError as e:
            raise LoopError(str(e)) from None
    return tuple(chords)


def _part(lines: _PartLines, steps: int, origin: str) -> Part:
    words = lines.spec.split()
    in_drone = bool(words) and words[-1].lower() == DRONE_WORD
    if in_drone:
        words = words[:-1]
    where = f"{origin}:{lines.number}"
    if not words:
        raise LoopError(f"{where}: the {lines.role} part names no instrument")
    spec = " ".join(words)
    try:
        instrument = instrument_for(spec)
    except UnknownInstrumentError as e:
        raise LoopError(f"{where}: {e}") from None
    drums = lines.role is PartRole.DRUMS
    if drums and not instrument.is_drums:
        raise LoopError(
            f"{where}: the drums part needs a drum kit (standard_kit, brush_kit, jazz_kit, ...), "
            f"but {spec!r} is {instrument.name}"
        )
    if not drums and instrument.is_drums:
        raise LoopError(
            f"{where}: a {lines.role} part needs a pitched instrument, but {spec!r} is a drum kit"
        )
    if not lines.rows:
        raise LoopError(f"{where}: the {lines.role} part has no rows of steps")
    hits: list[Hit] = []
    seen_drums: set[str] = set()
    for number, row in lines.rows:
        tokens = row.split()
        if drums:
            drum = _drum(tokens[0], number, origin)
            if drum in seen_drums:
                raise LoopError(f"{origin}:{number}: a second {drum} row in this part")
            seen_drums.add(drum)
            hits.extend(_row(tokens[1:], steps, f"the {drum} row", number, origin, drum))
        else:
            hits.extend(_row(tokens, steps, f"this {lines.role} row", number, origin, None))
    if not hits:
        raise LoopError(f"{where}: the {lines.role} part is all rests")
    hits.sort(key=lambda h: h.step)
    return Part(lines.role, instrument.name, tuple(hits), in_drone)


def _drum(name: str, number: int, origin: str) -> str:
    if name in DRUM_NOTES:
        return name
    close = difflib.get_close_matches(name, DRUM_NOTES, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"the drums are {', '.join(DRUM_NOTES)}"
    raise LoopError(
        f"{origin}:{number}: unknown drum {name!r}: a drum row starts with its name; {hint}"
    )


def _row(
    tokens: list[str], steps: int, what: str, number: int, origin: str, drum: str | None
) -> list[Hit]:
    """The hits of one row: ``drum`` names the sound of a drum row, None for pitched."""
    if len(tokens) != steps:
        raise LoopError(
            f"{origin}:{number}: {what} has {len(tokens)} steps, but 'steps: {steps}' needs {steps}"
        )
    hits: list[Hit] = []
    holding = False  # whether a '-' here would extend the last hit
    for step, token in enumerate(tokens):
        if token == REST:
            holding = False
        elif token == HOLD:
            if not holding:
                raise LoopError(
                    f"{origin}:{number}: '-' at step {step + 1} holds nothing: "
                    "it must follow a note or another '-'"
                )
            last = hits[-1]
            hits[-1] = Hit(last.step, last.length + 1, last.sound, last.velocity)
        else:
            sound, velocity = (
                _drum_hit(token, drum, step, number, origin)
                if drum is not None
                else _pitched_hit(token, step, number, origin)
            )
            hits.append(Hit(step, 1, sound, velocity))
            holding = True
    return hits


def _drum_hit(token: str, drum: str, step: int, number: int, origin: str) -> tuple[str, int]:
    velocity = _DRUM_VELOCITIES.get(token)
    if velocity is None:
        raise LoopError(f"{origin}:{number}: step {step + 1} is {token!r}: {_DRUM_HELP}")
    return drum, velocity


def _pitched_hit(token: str, step: int, number: int, origin: str) -> tuple[str, int]:
    velocity = NORMAL
    tone = token
    if token.startswith("(") and token.endswith(")"):
        velocity, tone = SOFT, token[1:-1]
    elif token.endswith(ACCENT_MARK):
        velocity, tone = ACCENT, token[: -len(ACCENT_MARK)]
    if tone not in {t.value for t in Tone}:
        raise LoopError(f"{origin}:{number}: step {step + 1} is {token!r}: {_PITCHED_HELP}")
    return tone, velocity
