"""The ``tonic`` command.

Each command lives in its own module here, with an ``add(commands)`` function
that declares its arguments and sets ``run``. Every error a therapist can
cause (a bad script, profile, soundfont or scale) is reported as one line,
``tonic: error: ...``, with exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from appliance.errors import TonicError

EXIT_USAGE = 2

#: The command modules, in the order ``tonic --help`` lists them.
COMMANDS = ("run", "render", "demo", "listing", "config", "profile", "ctl", "setup", "doctor")


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
    for name in COMMANDS:
        importlib.import_module(f"appliance.cli.{name}").add(commands)
    return parser
