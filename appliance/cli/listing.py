"""``tonic scales``, ``instruments``, ``songs`` and ``loops``: the names a profile may use."""

from __future__ import annotations

import argparse
from typing import Any

from appliance.music import scale_names


def add(commands: Any) -> None:
    scales = commands.add_parser("scales", help="list the scale names, one per line")
    scales.set_defaults(run=scales_run)
    instruments = commands.add_parser("instruments", help="list the General MIDI instruments")
    instruments.set_defaults(run=instruments_run)
    songs = commands.add_parser("songs", help="list the familiar songs, one per line, name first")
    songs.set_defaults(run=songs_run)
    loops = commands.add_parser(
        "loops", help="list the accompaniment loops, one per line, name first"
    )
    loops.set_defaults(run=loops_run)


def scales_run(args: argparse.Namespace) -> int:
    for name in scale_names():
        print(name)
    return 0


def instruments_run(args: argparse.Namespace) -> int:
    from appliance.sound.instruments import all_instruments

    for inst in all_instruments():
        where = f"drums:{inst.program}" if inst.is_drums else f"{inst.number:>3}"
        print(f"{where:>9}  {inst.name}")
    return 0


def songs_run(args: argparse.Namespace) -> int:
    from appliance.music.songs import all_songs

    for song in all_songs():
        print(f"{song.name:<24}  {song.title:<32}  {song.metre}  {len(song.bars)} bars")
    return 0


def loops_run(args: argparse.Namespace) -> int:
    from appliance.music.loops import all_loops

    for loop in all_loops():
        print(f"{loop.name:<24}  {loop.metre!s:<4}  {loop.tempo:>3} bpm  {loop.mood}")
    return 0
