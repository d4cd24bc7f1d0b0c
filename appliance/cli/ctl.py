"""``tonic ctl``: call one method of the running box over its control socket.

``key=value`` pairs become the params object, and every value is sent as text
(``set`` parses settings from text, as a script's ``set`` does), so a profile
named ``true`` or ``007`` stays a name. ``key:=JSON`` sends a JSON value instead
(``count:=3``, ``enabled:=true``). docs/control-api.md lists the methods.

The accompaniment is also said as a script says it: ``tonic ctl loop start
calypso`` is ``loop.start name=calypso``, ``tonic ctl turn next`` is
``turn.next``, and ``tonic ctl loops`` lists the loops as ``tonic loops`` does.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from appliance.control.client import ControlClient
from appliance.errors import TonicError

JSON_ASSIGN = ":="
INDENT = "  "
#: A status result has these; anything else is printed field by field.
STATUS_KEYS = frozenset({"inputs", "key"})


@dataclass(frozen=True, slots=True)
class Spoken:
    """A command said in words (``loop start calypso``) and the method it calls."""

    method: str
    #: The param the words after the command fill (``name``), or "" when it takes none.
    param: str = ""
    #: Whether that param must be given (a song has no default; a loop has the profile's).
    required: bool = False


#: The accompaniment's commands, as a session script writes them.
SPOKEN: dict[tuple[str, ...], Spoken] = {
    ("loop", "start"): Spoken("loop.start", "name"),
    ("loop", "stop"): Spoken("loop.stop"),
    ("song", "start"): Spoken("song.start", "name", required=True),
    ("song", "stop"): Spoken("song.stop"),
    ("turn", "next"): Spoken("turn.next"),
    ("loops",): Spoken("loops.list"),
    ("songs",): Spoken("songs.list"),
}
#: Lists printed a line each, as ``tonic loops`` and ``tonic songs`` print them.
LISTS = frozenset({"loops.list", "songs.list"})
#: Commands that end what plays at its next bar line, not at once.
STOPS = frozenset({"loop.stop", "song.stop"})


class CtlUsageError(TonicError, ValueError):
    """A ``key=value`` argument that cannot become a param."""


def add(commands: Any) -> None:
    ctl = commands.add_parser(
        "ctl",
        help="call the running box over its control socket",
        description="Call one method of the running box (docs/control-api.md).",
        epilog="examples: tonic ctl status; tonic ctl set key=G switch:2.mode=latch; "
        "tonic ctl input.test input=switch:1; tonic ctl loop start calypso; "
        "tonic ctl loop stop; tonic ctl song start twinkle_twinkle; tonic ctl turn next; "
        "tonic ctl loops; tonic ctl subscribe",
    )
    ctl.add_argument("--socket", help="the control socket (default: $TONIC_SOCKET, else the box's)")
    ctl.add_argument("--json", action="store_true", help="print the raw JSON result")
    ctl.add_argument(
        "--timeout", type=float, default=5.0, help="seconds to wait for an answer (default 5)"
    )
    ctl.add_argument(
        "method",
        metavar="METHOD",
        help="status, set, panic, input.test, profile.*, loop, song, turn, loops, songs",
    )
    ctl.add_argument(
        "params",
        nargs="*",
        metavar="KEY=VALUE",
        help="params, as text (KEY:=JSON for a value); after loop or song: start NAME, stop",
    )
    ctl.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    method, pairs = spoken(args.method, args.params)
    params = parse_params(pairs)
    with ControlClient(args.socket) as client:
        if method == "subscribe":
            return _follow(client)
        result = client.call(method, params or None, timeout=args.timeout)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        for line in readable(method, result):
            print(line)
    return 0


def spoken(method: str, words: Sequence[str]) -> tuple[str, list[str]]:
    """``loop start sea shanty`` as ``("loop.start", ["name=sea shanty"])``.

    Anything that is not one of :data:`SPOKEN` is passed on as it was typed, so
    ``loop.start name=calypso`` works too.
    """
    words = list(words)
    for command, said in SPOKEN.items():
        head, verb = command[0], command[1:]
        if method != head or tuple(words[: len(verb)]) != verb:
            continue
        rest = words[len(verb) :]
        pairs = [w for w in rest if "=" in w]
        name = " ".join(w for w in rest if "=" not in w)
        shown = " ".join(command)
        if name and not said.param:
            raise CtlUsageError(f"{shown} takes no name, got {name!r}")
        if name:
            pairs.append(f"{said.param}={name}")
        elif said.required and not pairs:
            raise CtlUsageError(
                f"{shown} needs a name: tonic ctl {shown} NAME (tonic ctl {head}s lists them)"
            )
        return said.method, pairs
    verbs = sorted(c[1] for c in SPOKEN if c[0] == method and len(c) > 1)
    if verbs and not any("=" in w for w in words):
        raise CtlUsageError(f"{method} takes {' or '.join(verbs)}: tonic ctl {method} {verbs[0]}")
    return method, words


def parse_params(pairs: Sequence[str]) -> dict[str, Any]:
    """``["key=G", "switch:2.mode=latch", "count:=3"]`` as a params object."""
    params: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise CtlUsageError(f"expected KEY=VALUE, got {pair!r}")
        parsed: Any = value
        if name.endswith(":") and len(name) > 1:
            name = name[:-1]
            try:
                parsed = json.loads(value)
            except ValueError:
                raise CtlUsageError(f"{name}{JSON_ASSIGN}: not a JSON value: {value!r}") from None
        if name in params:
            raise CtlUsageError(f"{name} is given twice")
        params[name] = parsed
    return params


def _follow(client: ControlClient) -> int:
    # One line per event, flushed at once so a pipe (| grep note) sees it live.
    # Ctrl-C ends it: the command's main() turns KeyboardInterrupt into exit 130.
    for event in client.events():
        print(json.dumps(event, ensure_ascii=False), flush=True)
    print("tonic: the service closed the event stream", file=sys.stderr)
    return 1


# -- readable output ------------------------------------------------------------------


def readable(method: str, result: Any) -> list[str]:
    if method == "status" and isinstance(result, dict) and STATUS_KEYS & _flat(result).keys():
        return status_summary(result)
    if method in LISTS and isinstance(result, list):
        return [_listed(item) for item in result if isinstance(item, dict)]
    if method in STOPS and isinstance(result, dict):
        playing = result.get("loop")  # it plays on to its bar line
        return [f"stopping at the end of the bar: {playing}" if playing else "stopped"]
    if result is None or result == {}:
        return ["ok"]
    return list(fields(result))


def _listed(item: dict[str, Any]) -> str:
    """``calypso  Calypso  4/4  104 bpm  bright, dancing``: a loop or song on one line."""
    parts = [f"{item.get('name', '?')!s:<24}", f"{item.get('metre', '')!s:<4}"]
    if isinstance(item.get("tempo"), int):
        parts.append(f"{item['tempo']:>3} bpm")
    parts.append(str(item.get("mood") or item.get("title") or ""))
    return "  ".join(parts).rstrip()


def status_summary(status: dict[str, Any]) -> list[str]:
    """A few lines a therapist reads at a glance: profile, key, volume, each input."""
    flat = _flat(status)
    lines = []
    profile = flat.get("profile")
    name = profile.get("name") if isinstance(profile, dict) else profile
    unsaved = flat.get("unsaved")
    if unsaved is None and isinstance(profile, dict):
        unsaved = profile.get("unsaved")
    if name is not None:
        lines.append(f"profile: {name}" + (" (unsaved changes)" if unsaved else ""))
    if "key" in flat:
        scale = flat.get("scale")
        lines.append(f"key: {flat['key']}" + (f" {scale}" if scale else ""))
    volume = flat.get("volume")
    if isinstance(volume, int | float):
        lines.append(f"volume: {volume:.2f}")
    audio = flat.get("audio")
    if isinstance(audio, dict):
        state, reason = audio.get("state"), audio.get("reason")
    else:
        state, reason = flat.get("synth"), flat.get("synth_reason")
    if state is not None:
        lines.append(f"audio: {state}" + (f" ({reason})" if reason else ""))
    if "loop" in flat:  # what the accompaniment plays now
        lines.append(f"loop: {flat['loop'] or 'none playing'}")
    if flat.get("turns"):
        lines.append(f"turns: {flat['turns']}")
    inputs = flat.get("inputs")
    if isinstance(inputs, list | dict):
        lines.append("inputs:")
        items = inputs.values() if isinstance(inputs, dict) else inputs
        lines += [INDENT + _input_line(i) for i in items if isinstance(i, dict)]
    return lines


def _flat(status: dict[str, Any]) -> dict[str, Any]:
    """The status's fields, with those of a nested ``engine`` snapshot lifted up."""
    engine = status.get("engine")
    return {**engine, **status} if isinstance(engine, dict) else status


def _input_line(info: dict[str, Any]) -> str:
    parts = [str(info.get("id", info.get("input", "?")))]
    for key in ("mode", "instrument"):
        if info.get(key):
            parts.append(str(info[key]))
    if info.get("online") is False:
        reason = info.get("reason")
        parts.append(f"offline ({reason})" if reason else "offline")
    if info.get("distance") is not None:
        parts.append(f"{info['distance']} cm, zone {info.get('zone')}")
    sounding = info.get("sounding")
    if sounding:
        notes = sounding if isinstance(sounding, str) else " ".join(map(str, sounding))
        parts.append(f"sounding {notes}")
    elif info.get("active"):
        parts.append("pressed")
    return "  ".join(parts)


def fields(value: Any, depth: int = 0) -> Iterable[str]:
    """Any JSON value as indented ``key: value`` lines."""
    pad = INDENT * depth
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                yield f"{pad}{key}:"
                yield from fields(item, depth + 1)
            elif isinstance(item, str) and "\n" in item:
                yield f"{pad}{key}: |"
                yield from (pad + INDENT + line for line in item.splitlines())
            else:
                yield f"{pad}{key}: {_scalar(item)}"
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict | list) and item:
                # "- first: line", the rest of the item indented under it
                first, *rest = fields(item, depth + 1)
                yield f"{pad}- {first.lstrip()}"
                yield from rest
            else:
                yield f"{pad}- {_scalar(item)}"
    else:
        yield f"{pad}{_scalar(value)}"


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
