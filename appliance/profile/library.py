"""The box's profiles: one TOML file per client, plus the starters that ship with it.

::

    <data dir>/                      /var/lib/tonic under systemd, else ~/.local/share/tonic
        last-profile                 the slug of the profile last played, one line
        profiles/
            anna.toml                a client's profile, named by its slug
            anna.toml.bak            the copy before the last save (store.save_profile)

A profile's file is named by a *slug* made from its name ("First steps" is
``first-steps.toml``; :mod:`appliance.profile.names`), so no name a therapist
types or a network client sends can reach a path outside ``profiles/``.

The starters in ``appliance/profiles/`` are named the same way. A user file
with a starter's slug shadows the starter; deleting it shows the starter again.

A file that is empty, garbled or half-written (a copy from a USB stick pulled
too soon) is not fatal: :meth:`ProfileLibrary.load` falls back to the backup
kept at the last save and says which file was bad and why. Saving then
writes a good file again without ever letting the bad one become the backup.

Every method may be called from any thread (the service's workers, the
control socket's); one lock per library makes each call whole. The engine's
own thread never calls here: these read and write files.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from appliance.atomic import fsync_dir, write_text_atomic
from appliance.errors import ProfileError
from appliance.profile.model import Profile
from appliance.profile.names import check_name, is_slug, slug_for
from appliance.profile.starters import SUFFIX, starters
from appliance.profile.store import dump_profile, load_profile, save_profile
from appliance.textfile import excerpt, show_path

PROFILES_DIR = "profiles"
LAST_PROFILE_FILE = "last-profile"
BACKUP_SUFFIX = ".toml.bak"
DEFAULT_SLUG = "default"

_RECORD_MAX_BYTES = 256  # the last-profile record: one slug and a newline


@dataclass(frozen=True, slots=True)
class ProfileEntry:
    """One profile as ``tonic profile list`` shows it."""

    name: str
    slug: str
    path: Path
    starter: bool
    problem: str | None = None  # why the file would not load (or was read from its backup)


@dataclass(frozen=True, slots=True)
class LoadedProfile:
    profile: Profile
    slug: str
    warning: str | None = None  # set when a backup or the box default stood in
    path: Path | None = None  # the file actually read
    starter: bool = False


# -- names and slugs ----------------------------------------------------------------


# -- where things live --------------------------------------------------------------


def default_data_dir() -> Path:
    """Where the box keeps its profiles and its memory of the last one.

    systemd's ``StateDirectory=`` sets ``$STATE_DIRECTORY`` (e.g. /var/lib/tonic;
    several are separated by ':', the first is ours); otherwise the XDG data
    directory, as for any desktop program.
    """
    state = os.environ.get("STATE_DIRECTORY", "").split(":")[0]
    if state:
        return Path(state)
    xdg = os.environ.get("XDG_DATA_HOME", "")
    # The XDG spec says a relative path is invalid and must be ignored.
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "tonic"


# -- the library --------------------------------------------------------------------


class ProfileLibrary:
    """The profiles in ``<data_dir>/profiles``, and the shipped starters."""

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.data_dir = Path(data_dir)
        self.folder = self.data_dir / PROFILES_DIR
        self._lock = threading.RLock()

    # -- reading ---------------------------------------------------------------------

    def entries(self) -> list[ProfileEntry]:
        """Every profile: the user's, and the starters no user file shadows; by name."""
        with self._lock:
            found: dict[str, ProfileEntry] = {}
            for slug in self._user_slugs():
                path = self._path(slug)
                try:
                    loaded = self._load_user(slug)
                    found[slug] = ProfileEntry(
                        loaded.profile.name, slug, path, False, loaded.warning
                    )
                except ProfileError as e:
                    found[slug] = ProfileEntry(slug, slug, path, False, str(e))
            for slug, starter in starters().items():
                found.setdefault(slug, ProfileEntry(starter.name, slug, starter.path, True))
            return sorted(found.values(), key=lambda e: (e.name.casefold(), e.slug))

    def load(self, name_or_slug: str) -> LoadedProfile:
        """The profile with this name or slug; a damaged file gives way to its backup.

        Raises :class:`ProfileError` naming the file and the reason when no
        good copy exists, or when there is no such profile.
        """
        with self._lock:
            return self._load_any(self._resolve(name_or_slug))

    def validate_file(self, path: str | os.PathLike[str]) -> Profile:
        """The profile in any file, or :class:`ProfileError` listing every problem."""
        profile = load_profile(path)
        try:
            check_name(profile.name)
        except ProfileError as e:
            raise ProfileError(f"{show_path(path)}: 1 problem: name: {e}") from None
        return profile

    def exists(self, name_or_slug: str) -> bool:
        with self._lock:
            slug = slug_for(name_or_slug)
            return self._is_user(slug) or slug in starters()

    # -- writing ---------------------------------------------------------------------

    def save(self, profile: Profile, slug: str | None = None) -> Path:
        """Write ``profile`` to its file (by default the slug of its name), atomically."""
        if slug is None:
            slug = slug_for(profile.name)
        elif not is_slug(slug):
            raise ProfileError(f"not a profile file name: {excerpt(slug)}")
        with self._lock:
            path = self._path(slug)
            self.folder.mkdir(parents=True, exist_ok=True)
            self._set_aside_if_damaged(slug)
            save_profile(profile, path)
            return path

    def save_as(self, profile: Profile, new_name: str, *, overwrite: bool = False) -> str:
        """Save a copy under a new name; refuses a name in use unless ``overwrite``."""
        name = check_name(new_name)
        slug = slug_for(name)
        with self._lock:
            if not overwrite:
                self._refuse_taken(slug, name)
            self.save(dataclasses.replace(profile, name=name), slug)
            return slug

    def new(self, name: str, from_: str | None = None) -> str:
        """A new profile copied from ``from_`` (default: the box's default)."""
        with self._lock:
            source = self.load(from_).profile if from_ else self.box_default().profile
            return self.save_as(source, name)

    def rename(self, old: str, new: str) -> str:
        """Give a user's profile a new name (and file); returns the new slug."""
        with self._lock:
            slug = self._resolve(old)
            if not self._is_user(slug):
                raise ProfileError(
                    f"'{starters()[slug].name}' is a starter profile and keeps its name; "
                    "make your own copy with `tonic profile new NAME --from "
                    f"{slug}`"
                )
            loaded = self._load_user(slug)
            name = check_name(new)
            new_slug = slug_for(name)
            if new_slug != slug:
                self._refuse_taken(new_slug, name)
            self.save(dataclasses.replace(loaded.profile, name=name), new_slug)
            if new_slug != slug:
                self._remove_files(slug)
                if self.last_used() == slug:
                    self.remember(new_slug)
            return new_slug

    def delete(self, name: str) -> ProfileEntry | None:
        """Delete a user's profile and its backup.

        Returns the starter that shows again when the profile was a user's copy
        of one, else None. A starter itself cannot be deleted.
        """
        with self._lock:
            slug = self._resolve(name)
            starter = starters().get(slug)
            if not self._is_user(slug):
                assert starter is not None  # _resolve found it somewhere
                raise ProfileError(
                    f"'{starter.name}' is a starter profile that ships with the box; "
                    "it cannot be deleted"
                )
            self._remove_files(slug)
            if starter is None:
                if self.last_used() == slug:
                    (self.data_dir / LAST_PROFILE_FILE).unlink(missing_ok=True)
                return None
            return ProfileEntry(starter.name, slug, starter.path, True)

    def import_file(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> str:
        """Add the profile in ``path`` under its own name; returns its slug."""
        profile = self.validate_file(path)
        name = check_name(profile.name)
        slug = slug_for(name)
        with self._lock:
            if not overwrite:
                self._refuse_taken(slug, name)
            self.save(dataclasses.replace(profile, name=name), slug)
            return slug

    def export(self, name: str, dest: str | os.PathLike[str]) -> Path:
        """Write a copy of a profile to ``dest`` (a file, or a folder to put it in)."""
        dest = Path(dest)
        loaded = self.load(name)
        if dest.is_dir():
            dest = dest / f"{loaded.slug}{SUFFIX}"
        if dest.exists() and not dest.is_file():
            # Never replace a device node or a pipe with a regular file.
            raise ProfileError(f"cannot export to {show_path(dest)}: it is not a regular file")
        try:
            return write_text_atomic(dest, dump_profile(loaded.profile))
        except OSError as e:
            raise ProfileError(f"cannot export to {show_path(dest)}: {e.strerror or e}") from None

    # -- the last profile played ---------------------------------------------------

    def remember(self, slug: str) -> None:
        """Record ``slug`` as the profile to start with next time, surviving a pulled plug."""
        if not is_slug(slug):
            raise ProfileError(f"not a profile file name: {excerpt(slug)}")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._lock:
            write_text_atomic(self.data_dir / LAST_PROFILE_FILE, slug + "\n")

    def last_used(self) -> str | None:
        """The slug last remembered, or None when there is none or the record is damaged."""
        return self._read_record()[0]

    def startup_profile(self) -> LoadedProfile:
        """What the box plays at power-on: the last profile used, else the box's default.

        Never raises for a bad profile file: the worst case is the shipped
        default, with a warning saying what happened.
        """
        with self._lock:
            slug, problem = self._read_record()
            if slug is None:
                fallback = self.box_default()
                if problem is None:
                    return fallback
                return dataclasses.replace(fallback, warning=_joined(problem, fallback.warning))
            try:
                return self._load_any(self._resolve(slug))
            except ProfileError as e:
                fallback = self.box_default()
                why = f"the last profile used ('{slug}') could not be opened: {e}"
                return dataclasses.replace(
                    fallback,
                    warning=_joined(f"{why}; playing '{fallback.profile.name}'", fallback.warning),
                )

    def box_default(self) -> LoadedProfile:
        """The box's default: the user's own "Default" if it loads, else the shipped one."""
        if self._is_user(DEFAULT_SLUG):
            try:
                return self._load_user(DEFAULT_SLUG)
            except ProfileError as e:
                starter = self._load_any_starter(DEFAULT_SLUG)
                return dataclasses.replace(starter, warning=f"{e}; playing the built-in default")
        return self._load_any_starter(DEFAULT_SLUG)

    # -- inside ------------------------------------------------------------------------

    def _path(self, slug: str) -> Path:
        return self.folder / f"{slug}{SUFFIX}"

    def _backup(self, slug: str) -> Path:
        return self.folder / f"{slug}{BACKUP_SUFFIX}"

    def _is_user(self, slug: str) -> bool:
        return self._path(slug).exists() or self._backup(slug).exists()

    def _user_slugs(self) -> Iterator[str]:
        """Slugs with a file or (after an interrupted repair) only a backup."""
        try:
            names = sorted(os.listdir(self.folder))
        except FileNotFoundError:
            return
        seen: set[str] = set()
        for file in names:
            for suffix in (SUFFIX, BACKUP_SUFFIX):
                slug = file.removesuffix(suffix)
                if file.endswith(suffix) and is_slug(slug) and slug not in seen:
                    seen.add(slug)
                    yield slug

    def _resolve(self, name_or_slug: str) -> str:
        """The slug of an existing profile, by slug or by the name inside its file."""
        slug = slug_for(name_or_slug)
        if self._is_user(slug) or slug in starters():
            return slug
        # A hand-edited or imported file may carry a name that is not its slug.
        wanted = check_name(name_or_slug).casefold()
        for entry in self.entries():
            if entry.name.casefold() == wanted:
                return entry.slug
        raise ProfileError(
            f"no profile named {excerpt(check_name(name_or_slug))}; `tonic profile list` shows them"
        )

    def _load_any(self, slug: str) -> LoadedProfile:
        if self._is_user(slug):
            return self._load_user(slug)
        starter = starters()[slug]
        return LoadedProfile(starter.profile, slug, None, starter.path, starter=True)

    def _load_user(self, slug: str) -> LoadedProfile:
        path, backup = self._path(slug), self._backup(slug)
        profile, problem = _read(path)
        if profile is not None:
            return LoadedProfile(profile, slug, None, path)
        if not backup.exists():
            raise ProfileError(f"{show_path(path)}: {problem}, and there is no backup to use")
        saved, backup_problem = _read(backup)
        if saved is None:
            raise ProfileError(
                f"{show_path(path)}: {problem}; its backup {backup.name}: {backup_problem}"
            )
        warning = (
            f"{show_path(path)}: {problem}; using its backup from before the last save "
            f"({backup.name}). Saving the profile repairs the file."
        )
        return LoadedProfile(saved, slug, warning, backup)

    def _set_aside_if_damaged(self, slug: str) -> None:
        """Remove a damaged file before a save when its backup is good.

        save_profile keeps the current file as the backup; a damaged one must
        not replace the last good copy. Should the power go before the new
        file is written, the backup alone still loads (see :meth:`_load_user`).
        """
        path, backup = self._path(slug), self._backup(slug)
        if path.exists() and _read(path)[0] is None and _read(backup)[0] is not None:
            path.unlink()
            fsync_dir(self.folder)

    def _remove_files(self, slug: str) -> None:
        self._path(slug).unlink(missing_ok=True)
        self._backup(slug).unlink(missing_ok=True)
        fsync_dir(self.folder)

    def _refuse_taken(self, slug: str, name: str) -> None:
        if self._is_user(slug) or slug in starters():
            raise ProfileError(
                f"a profile named {excerpt(name)} already exists ({slug}{SUFFIX}); "
                "choose another name"
            )

    def _load_any_starter(self, slug: str) -> LoadedProfile:
        starter = starters()[slug]
        return LoadedProfile(starter.profile, slug, None, starter.path, starter=True)

    def _read_record(self) -> tuple[str | None, str | None]:
        """The remembered slug, and what was wrong with the record if it was damaged."""
        record = self.data_dir / LAST_PROFILE_FILE
        try:
            with open(record, "rb") as f:
                data = f.read(_RECORD_MAX_BYTES + 1)
        except FileNotFoundError:
            return None, None
        except OSError as e:
            return None, f"the record of the last profile used cannot be read: {e.strerror}"
        slug = data.decode("ascii", "replace").strip()
        if len(data) > _RECORD_MAX_BYTES or not is_slug(slug):
            return None, f"the record of the last profile used ({record}) is damaged"
        return slug, None


def _read(path: Path) -> tuple[Profile, None] | tuple[None, str]:
    """The profile in ``path``, or why it would not load, in plain words."""
    try:
        if path.stat().st_size == 0:
            return None, "the file is empty"
        return load_profile(path), None
    except FileNotFoundError:
        return None, "the file is missing"
    except OSError as e:
        return None, f"the file cannot be read: {e.strerror or e}"
    except ProfileError as e:
        # The message starts with the path; the caller names the file itself.
        message = str(e)
        for prefix in (f"{show_path(path)}: ", f"cannot read profile {show_path(path)}: "):
            message = message.removeprefix(prefix)
        return None, message


def _joined(first: str, second: str | None) -> str:
    return first if second is None else f"{first}. {second}"
