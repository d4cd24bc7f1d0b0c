"""Finding the soundfont, and refusing a bad one with one clear line."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import pytest

from appliance.errors import SoundfontError, TonicError
from appliance.sound import soundfont
from appliance.sound.fluid import FluidSynth
from appliance.sound.soundfont import ENV_VAR, find_soundfont

TIMGM = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")


def _riff(form: bytes, body: bytes) -> bytes:
    return b"RIFF" + (len(body) + 4).to_bytes(4, "little") + form + body


def _chunk(kind: bytes, body: bytes) -> bytes:
    return kind + len(body).to_bytes(4, "little") + body


_REAL = TIMGM.read_bytes()
_noise = random.Random(20261124).randbytes  # the same "random" garbage every run

BAD_FILES = {
    "random_bytes": _noise(4096),
    "empty": b"",
    "too_short": b"RIFF\x00\x00",
    "wave_not_sfbk": _riff(b"WAVE", _noise(1024)),
    "sfbk_then_garbage": b"RIFF" + _noise(4) + b"sfbk" + _noise(1024),
    "sfbk_sized_then_garbage": _riff(b"sfbk", _noise(1024)),
    "truncated_real_soundfont": _REAL[:200_000],
    # These pass every header check, so FluidSynth's own loader refuses them.
    "info_list_then_garbage": _riff(b"sfbk", _chunk(b"LIST", b"INFO" + _noise(200)) + _noise(500)),
    "real_header_damaged_body": _REAL[:4096] + _noise(len(_REAL) - 4096),
}
#: The damaged files that only FluidSynth itself can refuse.
PAST_THE_HEADER = ("info_list_then_garbage", "real_header_damaged_body")


def _assert_one_line_naming(error: SoundfontError, path: Path) -> None:
    assert isinstance(error, TonicError)
    assert isinstance(error, OSError)
    message = str(error)
    assert "\n" not in message
    assert str(path) in message


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.sf2"
    with pytest.raises(SoundfontError, match="soundfont not found") as caught:
        FluidSynth(path)
    _assert_one_line_naming(caught.value, path)


def test_a_directory(tmp_path):
    with pytest.raises(SoundfontError, match="not a file") as caught:
        FluidSynth(tmp_path)
    _assert_one_line_naming(caught.value, tmp_path)


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_corrupt_file(tmp_path, name):
    path = tmp_path / f"{name}.sf2"
    path.write_bytes(BAD_FILES[name])
    with pytest.raises(SoundfontError, match="corrupt soundfont") as caught:
        FluidSynth(path)
    _assert_one_line_naming(caught.value, path)


@pytest.mark.parametrize("name", ["sfbk_then_garbage", "sfbk_sized_then_garbage"])
def test_a_garbage_body_after_the_sfbk_header_is_refused_without_any_stderr(tmp_path, capfd, name):
    path = tmp_path / "garbage.sf2"
    path.write_bytes(BAD_FILES[name])
    capfd.readouterr()
    with pytest.raises(SoundfontError, match="corrupt soundfont") as caught:
        FluidSynth(path)
    _assert_one_line_naming(caught.value, path)
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("name", PAST_THE_HEADER)
def test_fluidsynth_errors_go_to_logging_not_to_stderr(tmp_path, capfd, caplog, name):
    """A file whose headers look right reaches FluidSynth's own loader. Its
    complaints must arrive in Python logging, where journald or ``--verbose``
    can show them, never as raw ``fluidsynth: error:`` lines on stderr.

    The next test checks that glib's messages (from libinstpatch) stay off
    stderr too."""
    path = tmp_path / "garbage.sf2"
    path.write_bytes(BAD_FILES[name])
    capfd.readouterr()
    with (
        caplog.at_level(logging.DEBUG, logger="appliance.sound"),
        pytest.raises(SoundfontError) as caught,
    ):
        FluidSynth(path)
    _assert_one_line_naming(caught.value, path)
    err = capfd.readouterr().err
    assert "fluidsynth" not in err.lower()
    assert "SoundFont" not in err
    routed = [r for r in caplog.records if r.name == "appliance.sound.fluidsynth"]
    assert any("SoundFont" in r.getMessage() for r in routed), [r.getMessage() for r in routed]


@pytest.mark.parametrize("name", PAST_THE_HEADER)
def test_a_damaged_soundfont_prints_nothing_at_all_to_stderr(tmp_path, capfd, name):
    """The CLI promises one-line errors. After FluidSynth's SF2 loader fails it
    falls back to libinstpatch's DLS reader, which prints
    "** (process:N): CRITICAL **: ipatch_container_init_iter: assertion ..."
    through glib. That can be routed too: glib's g_log_set_default_handler
    (libglib-2.0.so.0, through ctypes) sends it to logging instead."""
    path = tmp_path / "garbage.sf2"
    path.write_bytes(BAD_FILES[name])
    capfd.readouterr()
    with pytest.raises(SoundfontError):
        FluidSynth(path)
    assert capfd.readouterr().err == ""


def test_the_real_soundfont_loads_quietly(capfd):
    capfd.readouterr()
    synth = FluidSynth(TIMGM)
    try:
        assert synth.soundfont == TIMGM
    finally:
        synth.close()
    assert capfd.readouterr().err == ""


# --- find_soundfont -----------------------------------------------------------------


@pytest.fixture
def linked(tmp_path):
    """Good soundfonts at paths of the test's choosing (symlinks to TimGM6mb)."""

    def link(name: str) -> Path:
        path = tmp_path / name
        path.symlink_to(TIMGM)
        return path

    return link


def test_find_prefers_an_explicit_path_over_the_environment(monkeypatch, linked, tmp_path):
    chosen = linked("chosen.sf2")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing.sf2"))
    assert find_soundfont(chosen) == chosen
    assert find_soundfont(str(chosen)) == chosen


def test_find_honours_the_environment(monkeypatch, linked):
    from_env = linked("from_env.sf2")
    monkeypatch.setenv(ENV_VAR, str(from_env))
    monkeypatch.setattr(soundfont, "SEARCH_PATH", (TIMGM,))
    assert find_soundfont() == from_env
    assert find_soundfont(None) == from_env


def test_find_refuses_a_bad_explicit_or_environment_path_rather_than_guessing(
    monkeypatch, tmp_path
):
    monkeypatch.setattr(soundfont, "SEARCH_PATH", (TIMGM,))
    missing = tmp_path / "missing.sf2"
    with pytest.raises(SoundfontError, match="soundfont not found") as caught:
        find_soundfont(missing)
    _assert_one_line_naming(caught.value, missing)
    monkeypatch.setenv(ENV_VAR, str(missing))
    with pytest.raises(SoundfontError, match="soundfont not found"):
        find_soundfont()


def test_find_takes_the_first_soundfont_on_the_search_path(monkeypatch, linked, tmp_path):
    monkeypatch.delenv(ENV_VAR, raising=False)
    second, third = linked("second.sf2"), linked("third.sf2")
    monkeypatch.setattr(soundfont, "SEARCH_PATH", (tmp_path / "absent.sf2", second, third))
    assert find_soundfont() == second


def test_find_with_nothing_installed_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(soundfont, "SEARCH_PATH", (tmp_path / "a.sf2", tmp_path / "b.sf2"))
    with pytest.raises(SoundfontError) as caught:
        find_soundfont()
    message = str(caught.value)
    assert "\n" not in message
    assert "timgm6mb-soundfont" in message and ENV_VAR in message


def test_find_by_default_finds_the_installed_timgm(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert find_soundfont() == TIMGM
