"""``tonic ctl``: call one method of the running box over its control socket.

``key=value`` pairs become the params object, and every value is sent as text
(``set`` parses settings from text, as a script's ``set`` does), so a profile
named ``true`` or ``007`` stays a name. ``key:=JSON`` sends a JSON value instead
(``count:=3``, ``enabled:=true``). docs/control-api.md lists the methods.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from appliance.control.client import ControlClient
from appliance.errors import TonicError

JSON_ASSIGN = ":="
INDENT = "  "
#: A status result has these; anything else is printed field by field.
STATUS_KEYS = frozenset({"inputs", "key"})


class CtlUsageError(TonicError, ValueError):
    """A ``key=value`` argument that cannot become a param."""


def add(commands: Any) -> None:
    ctl = commands.add_parser(
        "ctl",
        help="call the running box over its control socket",
        description="Call one method of the running box (docs/control-api.md).",
        epilog="examples: tonic ctl status; tonic ctl set key=G switch:2.mode=latch; "
        "tonic ctl input.test input=switch:1; tonic ctl subscribe",
    )
    ctl.add_argument("--socket", help="the control socket (default: $TONIC_SOCKET, else the box's)")
    ctl.add_argument("--json", action="store_true", help="print the raw JSON result")
    ctl.add_argument(
        "--timeout", type=float, default=5.0, help="seconds to wait for an answer (default 5)"
    )
    ctl.add_argument("method", metavar="METHOD", help="status, set, panic, input.test, profile.*")
    ctl.add_argument(
        "params", nargs="*", metavar="KEY=VALUE", help="params, as text (KEY:=JSON for a value)"
    )
    ctl.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    params = parse_params(args.params)
    with ControlClient(args.socket) as client:
        if args.method == "subscribe":
            return _follow(client)
        result = client.call(args.method, params or None, timeout=args.timeout)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        for line in readable(args.method, result):
            print(line)
    return 0


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
    if result is None or result == {}:
        return ["ok"]
    return list(fields(result))


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
