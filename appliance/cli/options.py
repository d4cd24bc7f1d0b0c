"""Options several commands share."""

from __future__ import annotations

import argparse
from pathlib import Path

from appliance.profile import Profile, default_profile, load_profile


def box_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", type=Path, help="client profile (TOML); default: built in")
    parser.add_argument("--soundfont", help="soundfont (.sf2) to play with")
    parser.add_argument("--config", type=Path, help="box config (TOML); default: /etc/tonic")


def profile_from(args: argparse.Namespace) -> Profile:
    return load_profile(args.profile) if args.profile else default_profile()
