"""``tonic profile``: the clients' profiles, from the command line.

Everything goes through :class:`~appliance.profile.library.ProfileLibrary`,
exactly as the service and the setup UI do, so a profile made here is the
one the box plays.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from appliance.errors import ProfileError
from appliance.profile import Profile, dump_profile
from appliance.profile.library import (
    SUFFIX,
    LoadedProfile,
    ProfileEntry,
    ProfileLibrary,
    default_data_dir,
)
from appliance.textfile import MAX_SETTINGS_BYTES, UnreadableFile, read_text_file

_NAME_COLUMN_MAX = 32  # a longer name pushes its own row's columns, not everyone's


def add(commands: Any) -> None:
    profile = commands.add_parser("profile", help="list, check and manage the clients' profiles")
    profile.add_argument(
        "--data-dir",
        type=Path,
        help="where the box keeps its profiles (default: $STATE_DIRECTORY under systemd, "
        "else ~/.local/share/tonic)",
    )
    actions = profile.add_subparsers(title="actions", required=True, metavar="ACTION")

    actions.add_parser("list", help="every profile, yours and the starters").set_defaults(
        run=list_run
    )

    show = actions.add_parser("show", help="print a profile's TOML")
    show.add_argument("name", help="profile name or file name")
    show.set_defaults(run=show_run)

    validate = actions.add_parser("validate", help="check a profile file, naming every problem")
    validate.add_argument("file", type=Path)
    validate.set_defaults(run=validate_run)

    new = actions.add_parser("new", help="make a new profile, a copy of another")
    new.add_argument("name")
    new.add_argument("--from", dest="source", metavar="NAME", help="copy this (default: Default)")
    new.set_defaults(run=new_run)

    rename = actions.add_parser("rename", help="give a profile a new name")
    rename.add_argument("old")
    rename.add_argument("new")
    rename.set_defaults(run=rename_run)

    delete = actions.add_parser("delete", help="delete one of your profiles")
    delete.add_argument("name")
    delete.add_argument("--yes", action="store_true", help="do not ask first")
    delete.set_defaults(run=delete_run)

    imports = actions.add_parser("import", help="add a profile from a file")
    imports.add_argument("file", type=Path)
    imports.add_argument(
        "--overwrite", action="store_true", help="replace a profile of the same name"
    )
    imports.set_defaults(run=import_run)

    export = actions.add_parser("export", help="copy a profile to a file")
    export.add_argument("name")
    export.add_argument(
        "-o", "--output", type=Path, help="file or folder (default: NAME.toml here)"
    )
    export.set_defaults(run=export_run)

    actions.add_parser("schema", help="print the JSON Schema of a profile file").set_defaults(
        run=schema_run
    )


def _library(args: argparse.Namespace) -> ProfileLibrary:
    return ProfileLibrary(args.data_dir or default_data_dir())


def _warn(loaded: LoadedProfile) -> None:
    if loaded.warning:
        print(f"tonic: warning: {loaded.warning}", file=sys.stderr)


def list_run(args: argparse.Namespace) -> int:
    library = _library(args)
    entries = library.entries()
    last = library.last_used()
    width = min(_NAME_COLUMN_MAX, max((len(e.name) for e in entries), default=0))
    for entry in entries:
        print(f"  {entry.name:<{width}}  {_note(entry, last)}".rstrip())
    own = sum(1 for e in entries if not e.starter)
    starters = len(entries) - own
    print(f"{own} of your own and {starters} starters, in {library.folder}")
    return 0


def _note(entry: ProfileEntry, last: str | None) -> str:
    notes = ["starter" if entry.starter else f"{entry.slug}{SUFFIX}"]
    if entry.slug == last:
        notes.append("last used")
    if entry.problem:
        notes.append(f"PROBLEM: {entry.problem}")
    return ", ".join(notes)


def show_run(args: argparse.Namespace) -> int:
    loaded = _library(args).load(args.name)
    _warn(loaded)
    text = None
    if loaded.path is not None:
        try:  # the file itself, with the therapist's comments
            text = read_text_file(loaded.path, what="profile", max_bytes=MAX_SETTINGS_BYTES)
        except UnreadableFile:  # replaced since it was loaded: show what was loaded
            text = None
    if text is None:
        text = dump_profile(loaded.profile)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def validate_run(args: argparse.Namespace) -> int:
    profile = _library(args).validate_file(args.file)
    print(f"{args.file}: a good profile, '{profile.name}': {_summary(profile)}")
    return 0


def _summary(profile: Profile) -> str:
    kinds = Counter(iid.partition(":")[0] for iid in profile.inputs)
    inputs = ", ".join(_count(n, kind) for kind, n in kinds.items())
    music = f"{profile.key} {profile.scale}, volume {profile.volume:g}"
    return f"{music}; {inputs}" if inputs else music


def _count(n: int, kind: str) -> str:
    if n == 1:
        return f"1 {kind}"
    return f"{n} {kind}es" if kind.endswith("h") else f"{n} {kind}s"


def new_run(args: argparse.Namespace) -> int:
    library = _library(args)
    source = library.load(args.source) if args.source else library.box_default()
    _warn(source)
    slug = library.save_as(source.profile, args.name)
    name = library.load(slug).profile.name
    print(f"made '{name}' ({slug}{SUFFIX}), a copy of '{source.profile.name}'")
    return 0


def rename_run(args: argparse.Namespace) -> int:
    library = _library(args)
    old = library.load(args.old).profile.name
    slug = library.rename(args.old, args.new)
    print(f"renamed '{old}' to '{library.load(slug).profile.name}' ({slug}{SUFFIX})")
    return 0


def delete_run(args: argparse.Namespace) -> int:
    library = _library(args)
    name = library.load(args.name).profile.name
    if not args.yes:
        if not sys.stdin.isatty():
            raise ProfileError(f"add --yes to delete '{name}' without being asked")
        answer = input(f"Delete the profile '{name}'? It cannot be undone. [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("kept it")
            return 1
    revealed = library.delete(args.name)
    print(f"deleted '{name}'")
    if revealed is not None:
        print(f"the starter '{revealed.name}' shows again")
    return 0


def import_run(args: argparse.Namespace) -> int:
    library = _library(args)
    slug = library.import_file(args.file, overwrite=args.overwrite)
    print(f"added '{library.load(slug).profile.name}' ({slug}{SUFFIX})")
    return 0


def export_run(args: argparse.Namespace) -> int:
    library = _library(args)
    loaded = library.load(args.name)
    _warn(loaded)
    dest = args.output
    if dest is None:
        dest = Path(f"{loaded.slug}{SUFFIX}")
        if dest.exists():
            raise ProfileError(f"{dest} already exists; choose another file with -o")
    written = library.export(loaded.slug, dest)
    print(f"wrote '{loaded.profile.name}' to {written}")
    return 0


def schema_run(args: argparse.Namespace) -> int:
    from appliance.profile.schema import profile_schema

    print(json.dumps(profile_schema(), indent=2))
    return 0
