"""Session scripts: a session written down, one event per line.

::

    # seconds  input      action  [args...]
    0.0        set        key=G
    0.5        switch:1   press
    1.0        switch:1   release
    3.0        end

A ``#`` at the start of a line or after whitespace starts a comment; inside a
word it is part of the word, so ``set key=F#`` works. Times are non-negative
decimals that never decrease down the file, and below
:data:`MAX_SCRIPT_SECONDS`.

Lines are numbered as an editor numbers them (only ``\n`` ends a line; see
:func:`appliance.textfile.lines`), and messages quote at most an excerpt of a
bad line or word.

Each action is one entry in :data:`INPUT_ACTIONS` or :data:`COMMANDS`; the
parser builds the same immutable events the hardware does, so a rendered
script goes through the live box's engine code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from appliance.errors import ScriptError
from appliance.events import (
    BandAction,
    BandCommand,
    BeamReading,
    ControlChange,
    DevicePlugged,
    DeviceUnplugged,
    Event,
    InputId,
    InputKind,
    NoteOff,
    NoteOn,
    Panic,
    PitchBend,
    Pressed,
    Released,
    SetSetting,
    midi_input_id,
    parse_input_id,
)
from appliance.textfile import excerpt, lines

MAX_SCRIPT_SECONDS = 6 * 60 * 60
"""The longest session a script may describe: every time, ``end`` included, is below it.

Six hours is far beyond any session, and it is what a WAV can hold: the
format's 32-bit size fields stop at 4 GiB, and 16-bit stereo at 48 kHz
(192,000 bytes a second) reaches that at about 6.2 hours. Checked as the
script is parsed, so a typo such as ``86400 end`` is refused before any audio
is rendered or any disk filled.
"""

_COMMENT = re.compile(r"(^|\s)#.*$")

#: No input name is longer ("switch:64"); a longer word is quoted as an excerpt.
MAX_INPUT_NAME = 40
#: A bad line is quoted whole up to this length.
EXCERPT_LINE_CHARS = 80


@dataclass(frozen=True, slots=True)
class InputAction:
    """``<seconds> <kind>:<n> <action> [args]`` builds an event for that input."""

    args: str  # what the arguments look like, for error messages ("" for none)
    build: Callable[[float, InputId, list[str]], Event]


@dataclass(frozen=True, slots=True)
class Command:
    """``<seconds> <command> [args]``: not an input, e.g. ``set`` or ``end``."""

    args: str
    build: Callable[[float, list[str]], Event | None]  # None: marks the end


def _no_args(
    make: Callable[[float, InputId], Event],
) -> Callable[[float, InputId, list[str]], Event]:
    def build(t: float, iid: InputId, args: list[str]) -> Event:
        if args:
            raise ValueError(f"takes no arguments, got {excerpt(' '.join(args))}")
        return make(t, iid)

    return build


def _distance(t: float, iid: InputId, args: list[str]) -> Event:
    if len(args) != 1:
        raise ValueError("expected one distance in metres, or none")
    word = args[0]
    if word.lower() == "none":
        return BeamReading(t, iid, None)
    try:
        metres = float(word)
    except ValueError:
        raise ValueError(f"expected a distance in metres or 'none', got {excerpt(word)}") from None
    if not math.isfinite(metres) or metres < 0:
        raise ValueError(f"distance must be a non-negative number of metres, got {excerpt(word)}")
    return BeamReading(t, iid, metres)


MIDI_MAX = 127
BEND_MIN, BEND_MAX = -8192, 8191
MIDI_ROLES = ("client", "therapist", "controller")


def _midi_number(word: str, what: str, low: int = 0, high: int = MIDI_MAX) -> int:
    try:
        value = int(word)
    except ValueError:
        raise ValueError(f"expected a {what} {low}..{high}, got {excerpt(word)}") from None
    if not low <= value <= high:
        raise ValueError(f"{what} must be {low}..{high}, got {value}")
    return value


def _plug(t: float, iid: InputId, args: list[str]) -> Event:
    if len(args) > 1 or (args and args[0] not in MIDI_ROLES):
        raise ValueError(f"expected nothing or a role ({', '.join(MIDI_ROLES)})")
    return DevicePlugged(t, iid, port="script", role=args[0] if args else None)


def _unplug(t: float, iid: InputId, args: list[str]) -> Event:
    if args:
        raise ValueError("takes no arguments")
    return DeviceUnplugged(t, iid)


def _note(t: float, iid: InputId, args: list[str]) -> Event:
    if len(args) != 2:
        raise ValueError("expected a note and a velocity, e.g. note 60 90 (velocity 0 is off)")
    note = _midi_number(args[0], "note")
    velocity = _midi_number(args[1], "velocity")
    return NoteOn(t, iid, note, velocity) if velocity else NoteOff(t, iid, note)


def _off(t: float, iid: InputId, args: list[str]) -> Event:
    if len(args) != 1:
        raise ValueError("expected a note, e.g. off 60")
    return NoteOff(t, iid, _midi_number(args[0], "note"))


def _cc(t: float, iid: InputId, args: list[str]) -> Event:
    if len(args) != 2:
        raise ValueError("expected a controller and a value, e.g. cc 64 127")
    return ControlChange(
        t, iid, _midi_number(args[0], "controller"), _midi_number(args[1], "value")
    )


def _bend(t: float, iid: InputId, args: list[str]) -> Event:
    if len(args) != 1:
        raise ValueError(f"expected a bend {BEND_MIN}..{BEND_MAX}, 0 is none")
    return PitchBend(t, iid, _midi_number(args[0], "bend", BEND_MIN, BEND_MAX))


def _set(t: float, args: list[str]) -> Event:
    if not args or "=" not in args[0]:
        raise ValueError("expected KEY=VALUE, e.g. set key=G or set switch:1.mode=latch")
    # The value runs to the end of the line, so a name with spaces needs no
    # quotes: set switch:3.instrument=church organ
    path, _, value = " ".join(args).partition("=")
    if not path or not value:
        raise ValueError("expected KEY=VALUE with both parts, e.g. set scale=blues")
    return SetSetting(t, path, value, source="script")


def _end(t: float, args: list[str]) -> None:
    if args:
        raise ValueError("takes no arguments")
    return None


def _loop(t: float, args: list[str]) -> Event:
    if args[:1] == ["start"] and len(args) <= 2:
        name = args[1] if len(args) == 2 else ""
        if name:
            from appliance.music.loops import loop_named

            name = loop_named(name).name  # a typo is the script's error, with its line
        return BandCommand(t, BandAction.LOOP_START, name, source="script")
    if args == ["stop"]:
        return BandCommand(t, BandAction.LOOP_STOP, source="script")
    raise ValueError("expected loop start [name] or loop stop (`tonic loops` lists the names)")


def _song(t: float, args: list[str]) -> Event:
    if args[:1] == ["start"] and len(args) == 2:
        from appliance.music.songs import song_named

        return BandCommand(t, BandAction.SONG_START, song_named(args[1]).name, source="script")
    if args == ["stop"]:
        return BandCommand(t, BandAction.SONG_STOP, source="script")
    raise ValueError("expected song start <name> or song stop (`tonic songs` lists the names)")


def _turn(t: float, args: list[str]) -> Event:
    if args == ["next"]:
        return BandCommand(t, BandAction.TURN_NEXT, source="script")
    raise ValueError("expected turn next")


def _panic(t: float, args: list[str]) -> Event:
    if args:
        raise ValueError("takes no arguments")
    return Panic(t, source="script")


INPUT_ACTIONS: Mapping[tuple[InputKind, str], InputAction] = MappingProxyType(
    {
        (InputKind.SWITCH, "press"): InputAction("", _no_args(Pressed)),
        (InputKind.SWITCH, "release"): InputAction("", _no_args(Released)),
        (InputKind.PAD, "touch"): InputAction("", _no_args(Pressed)),
        (InputKind.PAD, "release"): InputAction("", _no_args(Released)),
        (InputKind.BEAM, "distance"): InputAction("<metres>|none", _distance),
        (InputKind.MIDI, "plug"): InputAction("[client|therapist|controller]", _plug),
        (InputKind.MIDI, "unplug"): InputAction("", _unplug),
        (InputKind.MIDI, "note"): InputAction("<note> <velocity>", _note),
        (InputKind.MIDI, "off"): InputAction("<note>", _off),
        (InputKind.MIDI, "cc"): InputAction("<controller> <value>", _cc),
        (InputKind.MIDI, "bend"): InputAction("<-8192..8191>", _bend),
    }
)

COMMANDS: Mapping[str, Command] = MappingProxyType(
    {
        "set": Command("KEY=VALUE", _set),
        "panic": Command("", _panic),
        "loop": Command("start [name] | stop", _loop),
        "song": Command("start <name> | stop", _song),
        "turn": Command("next", _turn),
        "end": Command("", _end),
    }
)


@dataclass(frozen=True, slots=True)
class ScriptLine:
    number: int  # 1-based, as an editor shows it
    text: str
    event: Event


@dataclass(frozen=True, slots=True)
class Script:
    lines: tuple[ScriptLine, ...]
    end: float | None  # the time of the ``end`` line, if any

    @property
    def last_time(self) -> float:
        times = [line.event.t for line in self.lines]
        if self.end is not None:
            times.append(self.end)
        return max(times, default=0.0)


def parse_script(text: str, origin: str = "script") -> Script:
    """Parse a whole script, or raise :class:`ScriptError` for the first bad line."""
    found: list[ScriptLine] = []
    end: float | None = None
    previous = 0.0
    for number, raw in enumerate(lines(text), start=1):
        words = _COMMENT.sub("", raw).split()
        if not words:
            continue
        if end is not None:
            raise _error(origin, number, raw, "nothing may follow the 'end' line")
        try:
            t = _seconds(words[0], previous)
            event = _event(t, words[1:])
        except ValueError as e:
            raise _error(origin, number, raw, str(e)) from None
        previous = t
        if event is None:
            end = t
        else:
            found.append(ScriptLine(number, raw.strip(), event))
    return Script(tuple(found), end)


def _seconds(word: str, previous: float) -> float:
    try:
        t = float(word)
    except ValueError:
        raise ValueError(f"expected a time in seconds first, got {excerpt(word)}") from None
    if not math.isfinite(t) or t < 0:
        raise ValueError(f"time must be a non-negative number of seconds, got {excerpt(word)}")
    if t >= MAX_SCRIPT_SECONDS:
        raise ValueError(
            f"time {_bare(word)} is past the longest session a script may describe "
            f"({MAX_SCRIPT_SECONDS:,} s, {MAX_SCRIPT_SECONDS // 3600} hours)"
        )
    if t < previous:
        raise ValueError(
            f"time {_bare(word)} is earlier than the line before ({previous:g}); "
            "times never decrease"
        )
    return t


def _event(t: float, words: list[str]) -> Event | None:
    if not words:
        raise ValueError(f"expected an input or a command after the time ({_known_heads()})")
    head, action_args = words[0], words[1:]
    if head in COMMANDS:
        return COMMANDS[head].build(t, action_args)
    if ":" not in head:
        raise ValueError(f"unknown input or command {excerpt(head)} (expected {_known_heads()})")
    if len(head) > MAX_INPUT_NAME:
        raise ValueError(f"{excerpt(head)} is not an input name like switch:1")
    if head.startswith(f"{InputKind.MIDI}:"):
        kind = InputKind.MIDI
        head = midi_input_id(head.partition(":")[2])
    else:
        kind, _ = parse_input_id(head)
    if not action_args:
        raise ValueError(f"expected an action for {head}: {_actions_for(kind)}")
    verb, args = action_args[0], action_args[1:]
    action = INPUT_ACTIONS.get((kind, verb))
    if action is None:
        raise ValueError(
            f"unknown action {excerpt(verb)} for {head} (expected {_actions_for(kind)})"
        )
    try:
        return action.build(t, InputId(head), args)
    except ValueError as e:
        raise ValueError(f"{head} {verb}: {e}") from None


def _actions_for(kind: InputKind) -> str:
    return " or ".join(verb for k, verb in INPUT_ACTIONS if k is kind)


def _known_heads() -> str:
    kinds = ", ".join(
        f"{k.value}:<name>" if k is InputKind.MIDI else f"{k.value}:N" for k in InputKind
    )
    return f"{kinds}, {', '.join(COMMANDS)}"


def _error(origin: str, number: int, raw: str, expected: str) -> ScriptError:
    return ScriptError(f"{origin} line {number}: {expected}: {quote_line(raw.strip())}")


def _bare(word: str) -> str:
    # A number as typed, unless it is long enough to flood the message.
    return word if len(word) <= MAX_INPUT_NAME and word.isprintable() else excerpt(word)


def quote_line(line: str) -> str:
    # The line as typed, in quotes; an excerpt if it is long or holds odd characters.
    if len(line) <= EXCERPT_LINE_CHARS and line.isprintable():
        return f"'{line}'"
    return excerpt(line, EXCERPT_LINE_CHARS)
