"""The profile library: files named by slug, damaged files, starters, the last profile used."""

from __future__ import annotations

import dataclasses
import os
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.errors import ProfileError
from appliance.profile import Profile, default_profile, dump_profile, load_profile
from appliance.profile.library import (
    LAST_PROFILE_FILE,
    ProfileLibrary,
    default_data_dir,
)
from appliance.profile.names import MAX_NAME_CHARS, SLUG, slug_for
from appliance.profile.starters import starter_names

STARTERS = [
    "Band",
    "Beam explorer",
    "Calm space",
    "Default",
    "First steps",
    "Pentatonic pads",
    "Song time",
]

HOSTILE_NAMES = [
    "../../etc/passwd",
    "../../../escape",
    "/tmp/escape",
    "a/b",
    "..\\..\\windows",
    "",
    " ",
    ".",
    "..",
    "/",
    "a\x00b",
    "line\nbreak",
    "x" * 300,
    "~root",
    "$HOME",
    "-rf",
]


@pytest.fixture
def library(tmp_path: Path) -> ProfileLibrary:
    return ProfileLibrary(tmp_path / "data")


def profile_named(name: str, **changes: object) -> Profile:
    return dataclasses.replace(default_profile(), name=name, **changes)


def files_outside_profiles(data_dir: Path) -> list[Path]:
    """Every file under the data dir that is not directly in profiles/ (or the record)."""
    found = []
    for root, _, names in os.walk(data_dir):
        for name in names:
            path = Path(root) / name
            if path.parent != data_dir / "profiles" and path != data_dir / LAST_PROFILE_FILE:
                found.append(path)
    return found


def saved_twice(library: ProfileLibrary, profile: Profile) -> Path:
    """A profile saved twice, so a backup of it exists."""
    library.save(profile)
    return library.save(profile)


# -- names and slugs ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("First steps", "first-steps"),
        ("  Anna  ", "anna"),
        ("Anna (Tuesdays)", "anna-tuesdays"),
        ("Čaj à la crème", "caj-a-la-creme"),
        ("../../etc/passwd", "etc-passwd"),
        ("/tmp/escape", "tmp-escape"),
        ("a/b", "a-b"),
        ("first-steps", "first-steps"),
    ],
)
def test_a_slug_is_lowercase_letters_digits_and_dashes(name, slug):
    assert slug_for(name) == slug


def test_a_name_with_no_latin_letters_still_gets_its_own_file():
    assert SLUG.fullmatch(slug_for("音楽"))
    assert slug_for("音楽") != slug_for("ダンス")
    assert slug_for("音楽") == slug_for(" 音楽 ")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "needs a name"),
        ("   ", "needs a name"),
        (".", "at least one letter or digit"),
        ("..", "at least one letter or digit"),
        ("/", "at least one letter or digit"),
        ("a\x00b", "control characters"),
        ("two\nlines", "line breaks"),
        ("x" * (MAX_NAME_CHARS + 1), f"at most {MAX_NAME_CHARS} characters"),
    ],
)
def test_names_that_can_never_be_a_profile_are_refused_in_one_line(name, reason):
    with pytest.raises(ProfileError, match=reason) as e:
        slug_for(name)
    assert "\n" not in str(e.value)
    assert len(str(e.value)) < 200


@given(st.text(max_size=400))
def test_any_text_gives_a_safe_slug_or_a_clear_refusal(name):
    try:
        slug = slug_for(name)
    except ProfileError:
        return
    assert SLUG.fullmatch(slug)
    assert slug_for(slug) == slug


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_no_hostile_name_reaches_a_file_outside_the_profiles_folder(tmp_path, name):
    data = tmp_path / "data"
    library = ProfileLibrary(data)
    library.save(profile_named("Anna"))
    outside = tmp_path / "escape.toml"
    attempts = [
        lambda: library.save_as(profile_named("Anna"), name),
        lambda: library.new(name),
        lambda: library.new("Bob", from_=name),
        lambda: library.load(name),
        lambda: library.rename("Anna", name),
        lambda: library.delete(name),
        lambda: library.export(name, tmp_path / "out.toml"),
    ]
    for attempt in attempts:
        try:
            attempt()
        except ProfileError as e:
            assert "\n" not in str(e)
    assert files_outside_profiles(data) == []
    assert not outside.exists()
    assert not Path("/tmp/escape.toml").exists()


def test_a_hostile_name_inside_an_imported_file_stays_inside(tmp_path, library):
    source = tmp_path / "incoming.toml"
    source.write_text(dump_profile(profile_named("../../../escape")))
    slug = library.import_file(source)
    assert slug == "escape"
    assert files_outside_profiles(library.data_dir) == []


# -- listing --------------------------------------------------------------------------


def test_an_empty_library_lists_the_starters_by_name(library):
    entries = library.entries()
    assert [e.name for e in entries] == STARTERS == starter_names()
    assert all(e.starter and e.problem is None and e.path.is_file() for e in entries)
    assert [e.slug for e in entries] == [slug_for(name) for name in STARTERS]


def test_a_users_profiles_are_listed_among_the_starters(library):
    library.save(profile_named("Zoe"))
    library.save(profile_named("anna"))
    entries = library.entries()
    assert [e.name for e in entries] == ["anna", *STARTERS, "Zoe"]
    anna = entries[0]
    assert (anna.slug, anna.starter, anna.path) == ("anna", False, library.folder / "anna.toml")


def test_a_user_file_with_a_starters_name_shadows_the_starter(library):
    library.save(profile_named("First steps", key="G"))
    entries = [e for e in library.entries() if e.slug == "first-steps"]
    assert len(entries) == 1
    assert not entries[0].starter
    assert library.load("First steps").profile.key == "G"


def test_a_file_that_will_not_load_is_listed_with_its_problem(library):
    library.folder.mkdir(parents=True)
    (library.folder / "broken.toml").write_text('version = 1\n[switch.1]\nmode = "lach"\n')
    (library.folder / "notes.txt").write_text("not a profile")
    (library.folder / "Not A Slug.toml").write_text("version = 1\n")
    broken = [e for e in library.entries() if not e.starter]
    assert [(e.slug, e.name) for e in broken] == [("broken", "broken")]
    assert "switch.1.mode" in broken[0].problem
    assert "no backup" in broken[0].problem


# -- loading, and damaged files ------------------------------------------------------


def test_a_profile_loads_by_name_or_by_slug(library):
    library.save(profile_named("Anna Tuesday"))
    by_name = library.load("Anna Tuesday")
    assert library.load("anna-tuesday") == by_name
    assert by_name.profile.name == "Anna Tuesday"
    assert (by_name.slug, by_name.warning, by_name.starter) == ("anna-tuesday", None, False)


def test_a_hand_edited_name_is_found_by_that_name(library):
    library.folder.mkdir(parents=True)
    (library.folder / "anna.toml").write_text(dump_profile(profile_named("Mrs Smith")))
    assert library.load("Mrs Smith").slug == "anna"


def test_a_starter_loads_from_the_package(library):
    loaded = library.load("calm space")
    assert loaded.starter
    assert loaded.profile.name == "Calm space"
    assert not library.folder.exists()


def test_an_unknown_profile_is_a_clear_error(library):
    with pytest.raises(ProfileError, match="no profile named 'Nobody'; `tonic profile list`"):
        library.load("Nobody")


DAMAGE = {
    "empty": (b"", "the file is empty"),
    "truncated": (b'version = 1\nname = "Ann', "not valid TOML"),
    "garbled": (b"\x00\x00\x00\x00\x00\x00", "binary"),
    "not utf-8": (b"version = 1\nname = '\xff\xfe'\n", "binary"),
    "wrong values": (b'version = 1\n[switch.1]\nmode = "lach"\n', "switch.1.mode"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_file_gives_way_to_its_backup_and_says_which_and_why(library, damage):
    content, reason = DAMAGE[damage]
    path = saved_twice(library, profile_named("Anna", key="D"))
    path.write_bytes(content)
    loaded = library.load("Anna")
    assert loaded.profile == profile_named("Anna", key="D")
    assert loaded.path == path.with_name("anna.toml.bak")
    assert str(path) in loaded.warning
    assert reason in loaded.warning
    assert "backup" in loaded.warning
    assert "\n" not in loaded.warning


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_file_with_no_backup_is_an_error_naming_the_file_and_why(library, damage):
    content, reason = DAMAGE[damage]
    path = library.save(profile_named("Anna"))
    path.write_bytes(content)
    with pytest.raises(ProfileError) as e:
        library.load("anna")
    assert str(path) in str(e.value)
    assert reason in str(e.value)
    assert "no backup" in str(e.value)


def test_a_damaged_file_and_backup_are_both_named(library):
    path = saved_twice(library, profile_named("Anna"))
    path.write_text("")
    path.with_name("anna.toml.bak").write_text("version = 99\n")
    with pytest.raises(ProfileError) as e:
        library.load("anna")
    assert "the file is empty" in str(e.value)
    assert "anna.toml.bak: made by a newer Tonic" in str(e.value)


def test_saving_over_a_damaged_file_keeps_the_good_backup(library):
    path = saved_twice(library, profile_named("Anna", key="D"))
    path.write_text("garbage = [")
    library.save(profile_named("Anna", key="E"))
    assert load_profile(path) == profile_named("Anna", key="E")
    # The damaged file never became the backup: the last good copy is still there.
    assert load_profile(path.with_name("anna.toml.bak")) == profile_named("Anna", key="D")
    assert library.load("Anna").warning is None


def test_a_backup_alone_still_loads(library):
    # What a power cut leaves between removing a damaged file and writing its repair.
    path = saved_twice(library, profile_named("Anna", key="D"))
    path.unlink()
    loaded = library.load("Anna")
    assert loaded.profile.key == "D"
    assert "the file is missing" in loaded.warning
    assert [e.slug for e in library.entries() if not e.starter] == ["anna"]


# -- saving, copying, renaming, deleting ---------------------------------------------


def test_save_writes_the_file_named_by_the_profiles_name(library):
    path = library.save(profile_named("Anna"))
    assert path == library.folder / "anna.toml"
    assert load_profile(path) == profile_named("Anna")


def test_save_under_a_given_slug(library):
    path = library.save(profile_named("Anna Smith"), "anna")
    assert path.name == "anna.toml"
    with pytest.raises(ProfileError, match="not a profile file name"):
        library.save(profile_named("Anna"), "../anna")


def test_save_as_sets_the_name_and_refuses_a_name_in_use(library):
    slug = library.save_as(profile_named("Anna"), "Anna (loud)")
    assert library.load(slug).profile.name == "Anna (loud)"
    with pytest.raises(ProfileError, match="already exists"):
        library.save_as(profile_named("x", key="G"), "anna loud")
    with pytest.raises(ProfileError, match="already exists"):
        library.save_as(profile_named("x"), "First steps")
    library.save_as(profile_named("x", key="G"), "Anna (loud)", overwrite=True)
    assert library.load(slug).profile.key == "G"


def test_new_copies_a_starter_another_profile_or_the_default(library):
    first = library.load("First steps").profile
    assert library.load(library.new("Anna", from_="first steps")).profile == dataclasses.replace(
        first, name="Anna"
    )
    assert library.load(library.new("Bob", from_="Anna")).profile == dataclasses.replace(
        first, name="Bob"
    )
    assert library.load(library.new("Cara")).profile == profile_named("Cara")
    with pytest.raises(ProfileError, match="already exists"):
        library.new("Anna")


def test_rename_moves_the_file_and_its_backup_and_the_memory_of_it(library):
    saved_twice(library, profile_named("Anna"))
    library.remember("anna")
    assert library.rename("Anna", "Anna B") == "anna-b"
    assert sorted(os.listdir(library.folder)) == ["anna-b.toml"]
    assert library.load("anna-b").profile == profile_named("Anna B")
    assert library.last_used() == "anna-b"


def test_rename_to_the_same_slug_changes_only_the_name(library):
    library.save(profile_named("anna"))
    assert library.rename("anna", "Anna") == "anna"
    assert library.load("anna").profile.name == "Anna"


def test_rename_refuses_a_name_in_use_and_a_starter(library):
    library.save(profile_named("Anna"))
    library.save(profile_named("Bob"))
    with pytest.raises(ProfileError, match="already exists"):
        library.rename("Anna", "bob")
    with pytest.raises(ProfileError, match="starter profile and keeps its name"):
        library.rename("Calm space", "Quiet")
    assert library.load("Anna").profile.name == "Anna"


def test_delete_removes_the_file_and_its_backup(library):
    saved_twice(library, profile_named("Anna"))
    library.remember("anna")
    assert library.delete("Anna") is None
    assert os.listdir(library.folder) == []
    assert library.last_used() is None
    with pytest.raises(ProfileError, match="no profile named"):
        library.load("Anna")


def test_a_starter_cannot_be_deleted_but_a_users_copy_of_it_can(library):
    with pytest.raises(ProfileError, match="ships with the box; it cannot be deleted"):
        library.delete("First steps")
    library.save(profile_named("First steps", key="G"))
    revealed = library.delete("first-steps")
    assert revealed is not None
    assert (revealed.name, revealed.starter) == ("First steps", True)
    assert library.load("First steps").starter


# -- files in and out ----------------------------------------------------------------


def test_validate_file_names_every_problem(tmp_path, library):
    bad = tmp_path / "broken.toml"
    bad.write_text('version = 1\nname = "x"\n[switch.1]\nmode = "lach"\nvelocity = 300\n')
    with pytest.raises(ProfileError) as e:
        library.validate_file(bad)
    assert "2 problems" in str(e.value)
    assert "switch.1.mode" in str(e.value)
    assert "switch.1.velocity" in str(e.value)


def test_validate_file_refuses_a_name_that_cannot_be_a_profiles(tmp_path, library):
    bad = tmp_path / "dots.toml"
    bad.write_text('version = 1\nname = "..."\n')
    with pytest.raises(ProfileError, match=r"dots.toml: 1 problem: name: .*letter or digit"):
        library.validate_file(bad)


def test_import_validates_first_and_refuses_a_name_clash(tmp_path, library):
    source = tmp_path / "from-usb.toml"
    source.write_text(dump_profile(profile_named("Anna", key="A")))
    assert library.import_file(source) == "anna"
    assert library.load("Anna").profile.key == "A"
    with pytest.raises(ProfileError, match="already exists"):
        library.import_file(source)
    source.write_text(dump_profile(profile_named("Anna", key="B")))
    library.import_file(source, overwrite=True)
    assert library.load("Anna").profile.key == "B"
    source.write_text("version = 1\nvolume = 7\n")
    with pytest.raises(ProfileError, match="volume"):
        library.import_file(source)


def test_export_writes_a_loadable_copy_to_a_file_or_into_a_folder(tmp_path, library):
    library.save(profile_named("Anna", key="F"))
    out = library.export("Anna", tmp_path / "copy.toml")
    assert load_profile(out) == profile_named("Anna", key="F")
    into = tmp_path / "usb"
    into.mkdir()
    assert library.export("calm space", into) == into / "calm-space.toml"
    assert load_profile(into / "calm-space.toml").name == "Calm space"


def test_export_never_replaces_a_device_with_a_file(library):
    with pytest.raises(ProfileError, match="not a regular file"):
        library.export("Default", "/dev/null")
    assert Path("/dev/null").is_char_device()


# -- the last profile used -----------------------------------------------------------


def test_the_last_profile_used_is_remembered_across_a_restart(tmp_path, library):
    library.save(profile_named("Anna", key="E"))
    library.remember("anna")
    restarted = ProfileLibrary(library.data_dir)
    assert restarted.last_used() == "anna"
    loaded = restarted.startup_profile()
    assert (loaded.profile.key, loaded.slug, loaded.warning) == ("E", "anna", None)


def test_first_start_plays_the_default_without_a_warning(library):
    loaded = library.startup_profile()
    assert (loaded.profile, loaded.slug, loaded.warning) == (default_profile(), "default", None)
    assert library.last_used() is None


def test_a_remembered_starter_is_played(library):
    library.remember("calm-space")
    assert library.startup_profile().profile.name == "Calm space"


@pytest.mark.parametrize(
    "record", [b"", b"\n", b"../../etc/passwd\n", b"\xff\xfe\x00", b"a" * 10_000, b"Anna\n"]
)
def test_a_damaged_record_is_none_and_start_up_says_so(library, record):
    library.data_dir.mkdir(parents=True)
    (library.data_dir / LAST_PROFILE_FILE).write_bytes(record)
    assert library.last_used() is None
    loaded = library.startup_profile()
    assert loaded.profile == default_profile()
    assert "record of the last profile used" in loaded.warning


def test_a_record_that_is_a_folder_is_none(library):
    (library.data_dir / LAST_PROFILE_FILE).mkdir(parents=True)
    assert library.last_used() is None
    assert library.startup_profile().profile == default_profile()


def test_a_last_profile_that_will_not_load_falls_back_to_the_default_saying_why(library):
    path = library.save(profile_named("Anna"))
    library.remember("anna")
    path.write_text("")
    loaded = library.startup_profile()
    assert loaded.profile == default_profile()
    assert "'anna'" in loaded.warning
    assert "the file is empty" in loaded.warning
    assert "playing 'Default'" in loaded.warning


def test_a_last_profile_with_a_good_backup_is_played_from_it(library):
    path = saved_twice(library, profile_named("Anna", key="D"))
    library.remember("anna")
    path.write_text("version = ")
    loaded = library.startup_profile()
    assert loaded.profile.key == "D"
    assert "backup" in loaded.warning


def test_the_fallback_is_the_users_own_default_when_it_loads(library):
    library.save(profile_named("Default", key="A"))
    assert library.startup_profile().profile.key == "A"
    (library.folder / "default.toml").write_text("")
    loaded = library.startup_profile()
    assert loaded.profile == default_profile()
    assert "the file is empty" in loaded.warning


def test_remember_refuses_what_is_not_a_slug(library):
    with pytest.raises(ProfileError, match="not a profile file name"):
        library.remember("../../etc/passwd")
    assert not (library.data_dir / LAST_PROFILE_FILE).exists()


# -- where, and from which thread ----------------------------------------------------


def test_the_data_dir_follows_systemd_then_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv("STATE_DIRECTORY", "/var/lib/tonic:/var/lib/other")
    assert default_data_dir() == Path("/var/lib/tonic")
    monkeypatch.delenv("STATE_DIRECTORY")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_data_dir() == tmp_path / "tonic"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/path")  # invalid by the XDG spec
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_data_dir() == tmp_path / "home" / ".local" / "share" / "tonic"


def test_saves_from_many_threads_at_once_leave_one_whole_profile(library):
    versions = [profile_named("Anna", volume=v / 10) for v in range(1, 9)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(versions))

    def save(profile: Profile) -> None:
        try:
            start.wait()
            for _ in range(5):
                library.save(profile)
                library.entries()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=save, args=(v,)) for v in versions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert library.load("Anna").profile in versions
    assert load_profile(library.folder / "anna.toml.bak") in versions
    assert sorted(os.listdir(library.folder)) == ["anna.toml", "anna.toml.bak"]
