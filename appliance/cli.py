"""The ``tonic`` command.

Every error a therapist can cause (a bad script, profile, soundfont or
scale) is reported as one line, ``tonic: error: ...``, with exit code 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from appliance.config import load_config
from appliance.errors import TonicError
from appliance.music import scale_names
from appliance.profile import Profile, default_profile, load_profile
from appliance.session.script import parse_script

EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="tonic: %(levelname)s: %(message)s",
    )
    try:
        return int(args.run(args) or 0)
    except TonicError as e:
        print(f"tonic: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `tonic instruments | head`: the reader left; end quietly, as other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tonic", description="Tonic music-therapy appliance")
    parser.add_argument("-v", "--verbose", action="store_true", help="log in detail")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    render = commands.add_parser("render", help="render a session script to a WAV, offline")
    render.add_argument("script", type=Path, help="session script (one event per line)")
    render.add_argument("-o", "--output", type=Path, required=True, help="WAV file to write")
    render.add_argument("--events", type=Path, help="also write the synth events as JSON lines")
    _box_options(render)
    render.set_defaults(run=_render)

    demo = commands.add_parser("demo", help="play a short simulated session and write demo.wav")
    demo.add_argument("-o", "--output", type=Path, default=Path("demo.wav"))
    demo.add_argument("--no-live", action="store_true", help="do not open the sound card")
    _box_options(demo)
    demo.set_defaults(run=_demo)

    scales = commands.add_parser("scales", help="list the scale names, one per line")
    scales.set_defaults(run=_scales)

    instruments = commands.add_parser("instruments", help="list the General MIDI instruments")
    instruments.set_defaults(run=_instruments)
    return parser


def _box_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", type=Path, help="client profile (TOML); default: built in")
    parser.add_argument("--soundfont", help="soundfont (.sf2) to play with")
    parser.add_argument("--config", type=Path, help="box config (TOML); default: /etc/tonic")


def _profile(args: argparse.Namespace) -> Profile:
    return load_profile(args.profile) if args.profile else default_profile()


def _render(args: argparse.Namespace) -> int:
    from appliance.session.render import render_script

    try:
        text = args.script.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ScriptReadError(f"cannot read script {args.script}: {e}") from None
    script = parse_script(text, origin=str(args.script))
    result = render_script(
        script,
        _profile(args),
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


def _demo(args: argparse.Namespace) -> int:
    from appliance.session.demo import run_demo

    result = run_demo(
        load_config(args.config),
        _profile(args),
        args.output,
        soundfont=args.soundfont,
        live=not args.no_live,
        stream=sys.stdout,
    )
    played = ", ".join(f"{src} {n}" for src, n in sorted(result.notes_by_input.items()))
    print(f"\nNotes played: {played}")
    print(
        f"Wrote {result.wav}: {result.seconds:.1f} s of 48 kHz stereo, "
        f"peak {result.peak:.2f} of full scale, RMS {result.rms:.3f}"
    )
    return 0


def _scales(args: argparse.Namespace) -> int:
    for name in scale_names():
        print(name)
    return 0


def _instruments(args: argparse.Namespace) -> int:
    from appliance.sound.instruments import all_instruments

    for inst in all_instruments():
        where = f"drums:{inst.program}" if inst.is_drums else f"{inst.number:>3}"
        print(f"{where:>9}  {inst.name}")
    return 0


class ScriptReadError(TonicError, OSError):
    """A script file that cannot be read."""
