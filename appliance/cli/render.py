"""``tonic render``: a session script to a WAV, offline."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from appliance.cli.options import box_options, profile_from
from appliance.config import load_config
from appliance.errors import TonicError
from appliance.session.script import parse_script


def add(commands: Any) -> None:
    render = commands.add_parser("render", help="render a session script to a WAV, offline")
    render.add_argument("script", type=Path, help="session script (one event per line)")
    render.add_argument("-o", "--output", type=Path, required=True, help="WAV file to write")
    render.add_argument("--events", type=Path, help="also write the synth events as JSON lines")
    box_options(render)
    render.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from appliance.session.render import render_script

    try:
        text = args.script.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ScriptReadError(f"cannot read script {args.script}: {e}") from None
    script = parse_script(text, origin=str(args.script))
    result = render_script(
        script,
        profile_from(args),
        load_config(args.config),
        args.output,
        events_out=args.events,
        soundfont=args.soundfont,
        origin=str(args.script),
    )
    notes = sum(1 for e in result.events if e.type == "note_on")
    played = f"{notes} note" if notes == 1 else f"{notes} notes"
    print(f"wrote {result.wav}: {result.seconds:.2f} s, {played}, peak {result.peak:.2f}")
    return 0


class ScriptReadError(TonicError, OSError):
    """A script file that cannot be read."""
