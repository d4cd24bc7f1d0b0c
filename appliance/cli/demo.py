"""``tonic demo``: a short simulated session through the real engine and FluidSynth."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from appliance.cli.options import box_options, profile_from
from appliance.config import load_config


def add(commands: Any) -> None:
    demo = commands.add_parser(
        "demo", help="play a short simulated session and write demo.wav (and demo.mid)"
    )
    demo.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("demo.wav"),
        help="WAV file to write; its MIDI record goes beside it as .mid",
    )
    demo.add_argument("--no-live", action="store_true", help="do not open the sound card")
    box_options(demo)
    demo.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from appliance.session.demo import run_demo
    from appliance.session.midi_record import midi_playback_hint

    result = run_demo(
        load_config(args.config),
        profile_from(args),
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
    print(f"Wrote {result.midi}: {midi_playback_hint(result.midi)}")
    return 0
