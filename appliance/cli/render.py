"""``tonic render``: a session script to a WAV, offline."""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from appliance.cli.options import box_options, profile_from
from appliance.config import load_config
from appliance.errors import TonicError
from appliance.session.script import parse_script
from appliance.textfile import MAX_SCRIPT_BYTES, UnreadableFile, read_text_file, show_path


def add(commands: Any) -> None:
    render = commands.add_parser("render", help="render a session script to a WAV, offline")
    render.add_argument("script", type=Path, help="session script (one event per line)")
    render.add_argument("-o", "--output", type=Path, required=True, help="WAV file to write")
    render.add_argument("--events", type=Path, help="also write the synth events as JSON lines")
    render.add_argument(
        "--midi",
        type=Path,
        help="also write the synth events as a standard MIDI file (the MIDI record)",
    )
    box_options(render)
    render.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from appliance.session.midi_record import midi_playback_hint
    from appliance.session.render import check_outputs, render_script

    # Outputs first: a mistyped -o must not cost the therapist a long parse.
    check_outputs(args.output, args.events, sources=[args.script], midi_out=args.midi)
    try:
        text = read_text_file(args.script, what="script", max_bytes=MAX_SCRIPT_BYTES)
    except UnreadableFile as e:
        raise ScriptReadError(str(e)) from None
    origin = show_path(args.script)
    script = parse_script(text, origin=origin)
    with _stopped_cleanly():
        result = render_script(
            script,
            profile_from(args),
            load_config(args.config),
            args.output,
            events_out=args.events,
            midi_out=args.midi,
            soundfont=args.soundfont,
            origin=origin,
            sources=[args.script],
        )
    notes = sum(1 for e in result.events if e.type == "note_on")
    played = f"{notes} note" if notes == 1 else f"{notes} notes"
    print(f"wrote {result.wav}: {result.seconds:.2f} s, {played}, peak {result.peak:.2f}")
    if args.midi is not None:
        print(f"wrote {args.midi}: {midi_playback_hint(args.midi)}")
    return 0


@contextmanager
def _stopped_cleanly() -> Iterator[None]:
    """Let SIGTERM and SIGHUP stop a render as Ctrl-C does.

    By default they end the process on the spot, leaving a half-written
    temporary WAV; raised as KeyboardInterrupt, the writer's cleanup runs and
    ``tonic`` exits 130.
    """

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; its caller owns the signals
        return

    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


class ScriptReadError(TonicError, OSError):
    """A script file that cannot be read."""
