"""``tonic config``: the box configuration in effect, and where each value came from."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from appliance.cli import EXIT_USAGE
from appliance.config import DEFAULT_PATH, ENV_VAR, ConfigError, read_config
from appliance.config_fields import describe


def add(commands: Any) -> None:
    config = commands.add_parser(
        "config", help="print the box configuration in effect and where each value came from"
    )
    config.add_argument(
        "--config", type=Path, help=f"box config (TOML); default: ${ENV_VAR}, else {DEFAULT_PATH}"
    )
    config.add_argument(
        "--explain", action="store_true", help="also print what each setting is for"
    )
    config.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        loaded = read_config(args.config)
    except ConfigError as e:
        # Every problem on its own line: a technician fixes the file in one go.
        if not e.problems:
            raise
        for problem in e.problems:
            print(f"tonic: error: {e.origin}: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if loaded.path is None:
        print(f"# no config file ({DEFAULT_PATH} is absent): the built-in defaults")
    else:
        print(f"# the box config from {loaded.path}")
    for line in describe(loaded.config, loaded.source, explain=args.explain):
        print(line)
    return 0
