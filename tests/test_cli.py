"""The ``tonic`` command: what a therapist sees, and the exit code a script sees."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from appliance.atomic import create_temp_file
from appliance.cli import main
from appliance.music import scale_names
from appliance.textfile import MAX_SCRIPT_BYTES

GOOD_SCRIPT = "0.1 switch:1 press\n0.6 switch:1 release\n0.8 switch:2 press\n1.0 end\n"
TONIC = Path(sys.executable).with_name("tonic")


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Run in an empty directory with no box config or soundfont from the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TONIC_CONFIG", raising=False)
    monkeypatch.delenv("TONIC_SOUNDFONT", raising=False)
    (tmp_path / "box.toml").write_text("# the built-in defaults\n")


@pytest.fixture
def script(tmp_path) -> Path:
    path = tmp_path / "session.txt"
    path.write_text(GOOD_SCRIPT)
    return path


def render(*args: str | Path) -> int:
    return main(["render", *map(str, args), "--config", "box.toml"])


def files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def one_line_error(capsys) -> str:
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("tonic: error: "), err
    assert "Traceback" not in err
    return lines[0]


# -- success --------------------------------------------------------------------------


def test_scales_lists_every_scale_one_per_line(capsys):
    assert main(["scales"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == list(scale_names())
    assert len(out.splitlines()) == 11
    assert "major_pentatonic" in out.splitlines()
    assert err == ""


def test_instruments_lists_general_midi_by_number(capsys):
    assert main(["instruments"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["1", "acoustic_grand_piano"]
    assert ["80", "ocarina"] in [line.split() for line in lines]
    assert ["drums:0", "standard_kit"] in [line.split() for line in lines]


def test_render_writes_the_wav_and_events_and_says_so(capsys, tmp_path, script):
    assert render(script, "-o", "out.wav", "--events", "out.jsonl") == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("wrote out.wav: 1.50 s, 2 notes, peak 0.")
    assert out.count("\n") == 1
    assert (tmp_path / "out.wav").read_bytes()[:4] == b"RIFF"
    events = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [e["note"] for e in events if e["type"] == "note_on"] == [60, 64]


def test_render_with_a_profile(capsys, tmp_path, script):
    (tmp_path / "ann.toml").write_text(
        'version = 1\nname = "Ann"\nkey = "G"\nscale = "blues"\n'
        '[switch.2]\ninstrument = "ocarina"\ndegree = 2\n'
    )
    assert render(script, "-o", "out.wav", "--events", "e.jsonl", "--profile", "ann.toml") == 0
    events = [json.loads(line) for line in (tmp_path / "e.jsonl").read_text().splitlines()]
    # G blues: G Bb C Db D F. switch:1 is degree 1 (G4); switch:2 degree 2 (Bb4) on ocarina
    assert [e["note"] for e in events if e["type"] == "note_on"] == [67, 70]
    assert {"type": "program", "instrument": "ocarina"}.items() <= next(
        e for e in events if e.get("instrument") == "ocarina"
    ).items()


def test_render_with_an_explicit_soundfont(capsys, script):
    assert render(script, "-o", "out.wav", "--soundfont", "/usr/share/sounds/sf2/TimGM6mb.sf2") == 0
    assert capsys.readouterr().out.startswith("wrote out.wav")


# -- every therapist error: one line, exit 2, no output --------------------------------


def _fails(capsys, tmp_path, *args: str | Path) -> str:
    before = files(tmp_path)
    assert render(*args, "-o", "out.wav", "--events", "out.jsonl") == 2
    message = one_line_error(capsys)
    assert files(tmp_path) == before, "an output file was written"
    return message


def test_malformed_script(capsys, tmp_path):
    (tmp_path / "s.txt").write_text("0 switch:1 press\n\n0.5 switch:1 squeeze\n")
    message = _fails(capsys, tmp_path, "s.txt")
    assert message.startswith("tonic: error: s.txt line 3: unknown action 'squeeze'")
    assert message.endswith("'0.5 switch:1 squeeze'")


def test_script_line_that_the_box_cannot_play(capsys, tmp_path):
    (tmp_path / "s.txt").write_text("0 switch:1 press\n1 switch:5 press\n")
    message = _fails(capsys, tmp_path, "s.txt")
    assert message.startswith("tonic: error: s.txt line 2: this box has no input 'switch:5'")


def test_unknown_scale_in_a_script(capsys, tmp_path):
    (tmp_path / "s.txt").write_text("0 set scale=majr\n")
    message = _fails(capsys, tmp_path, "s.txt")
    assert "s.txt line 1: scale: unknown scale 'majr' (did you mean 'major'?)" in message


def test_unknown_key_in_a_script(capsys, tmp_path):
    (tmp_path / "s.txt").write_text("0 set key=H#\n")
    message = _fails(capsys, tmp_path, "s.txt")
    assert "s.txt line 1: key: unknown note name 'H#'" in message


def test_unknown_scale_and_key_in_a_profile(capsys, tmp_path, script):
    (tmp_path / "p.toml").write_text('version = 1\nkey = "X"\nscale = "bluez"\n')
    message = _fails(capsys, tmp_path, script, "--profile", "p.toml")
    assert message.startswith("tonic: error: p.toml: 2 problems: key: unknown note name 'X'")
    assert "scale: unknown scale 'bluez' (did you mean 'blues'?)" in message


def test_missing_soundfont(capsys, tmp_path, script):
    message = _fails(capsys, tmp_path, script, "--soundfont", "/nonexistent.sf2")
    assert message == "tonic: error: soundfont not found: /nonexistent.sf2"


def test_soundfont_that_is_a_directory(capsys, tmp_path, script):
    (tmp_path / "sf").mkdir()
    message = _fails(capsys, tmp_path, script, "--soundfont", "sf")
    assert message == "tonic: error: soundfont is not a file: sf"


def test_soundfont_of_random_bytes(capsys, tmp_path, script):
    (tmp_path / "random.sf2").write_bytes(random.Random(1).randbytes(4096))
    message = _fails(capsys, tmp_path, script, "--soundfont", "random.sf2")
    assert message.startswith("tonic: error: corrupt soundfont random.sf2: ")


def _riff_garbage() -> bytes:
    body = random.Random(2).randbytes(4096)
    return b"RIFF" + (len(body) + 4).to_bytes(4, "little") + b"sfbk" + body


def test_soundfont_with_a_riff_header_and_a_garbage_body(capsys, tmp_path, script):
    (tmp_path / "garbage.sf2").write_bytes(_riff_garbage())
    message = _fails(capsys, tmp_path, script, "--soundfont", "garbage.sf2")
    assert message.startswith("tonic: error: corrupt soundfont garbage.sf2: ")


def test_soundfont_that_is_another_riff_file(capsys, tmp_path, script):
    (tmp_path / "sound.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28))
    message = _fails(capsys, tmp_path, script, "--soundfont", "sound.wav")
    assert message.startswith("tonic: error: corrupt soundfont sound.wav: not a SoundFont 2 file")


def test_empty_soundfont(capsys, tmp_path, script):
    (tmp_path / "empty.sf2").write_bytes(b"")
    message = _fails(capsys, tmp_path, script, "--soundfont", "empty.sf2")
    assert message.startswith("tonic: error: corrupt soundfont empty.sf2")


def test_profile_with_wrong_types(capsys, tmp_path, script):
    (tmp_path / "p.toml").write_text(
        'version = 1\nvolume = "loud"\n[switch.1]\ndegree = "three"\nvelocity = 100.5\n'
    )
    message = _fails(capsys, tmp_path, script, "--profile", "p.toml")
    assert message.startswith("tonic: error: p.toml: 3 problems: ")
    assert "volume: must be a number, got 'loud' (text)" in message
    assert "switch.1.degree: must be a whole number, got 'three' (text)" in message
    assert "switch.1.velocity: must be a whole number, got 100.5" in message


def test_profile_with_unknown_fields(capsys, tmp_path, script):
    (tmp_path / "p.toml").write_text('version = 1\nvolum = 0.5\n[switch.1]\ninstrumnet = "flute"\n')
    message = _fails(capsys, tmp_path, script, "--profile", "p.toml")
    assert message.startswith("tonic: error: p.toml: 2 problems: ")
    assert "volum: unknown field; did you mean 'volume'?" in message
    assert "switch.1.instrumnet: unknown field; did you mean 'instrument'?" in message


def test_profile_that_is_not_toml(capsys, tmp_path, script):
    (tmp_path / "p.toml").write_text("this is {not toml\n")
    message = _fails(capsys, tmp_path, script, "--profile", "p.toml")
    assert message.startswith("tonic: error: p.toml: not valid TOML: ")


def test_missing_profile(capsys, tmp_path, script):
    message = _fails(capsys, tmp_path, script, "--profile", "nobody.toml")
    assert message == "tonic: error: profile not found: nobody.toml"


def test_missing_script(capsys, tmp_path):
    message = _fails(capsys, tmp_path, "nothere.txt")
    assert message == "tonic: error: script not found: nothere.txt"


def test_script_that_is_a_directory(capsys, tmp_path):
    (tmp_path / "scripts").mkdir()
    message = _fails(capsys, tmp_path, "scripts")
    assert message.startswith("tonic: error: cannot read script scripts: ")


def test_script_that_is_not_text(capsys, tmp_path):
    (tmp_path / "s.txt").write_bytes(b"\xff\xfe0 switch:1 press\n")
    message = _fails(capsys, tmp_path, "s.txt")
    assert message == (
        "tonic: error: cannot read script s.txt: "
        "it looks like a binary file, not text (not UTF-8 at byte 0)"
    )


def test_box_config_with_an_unknown_setting(capsys, tmp_path, script):
    (tmp_path / "box.toml").write_text("switch_pinz = [17]\n")
    message = _fails(capsys, tmp_path, script)
    assert message.startswith("tonic: error: box.toml: switch_pinz: unknown setting; did you mean")


@pytest.mark.parametrize(
    "text", ["switch_pins = 5\n", 'gain_ceiling = "loud"\n', 'switch_pins = [17, "a"]\n']
)
def test_box_config_with_wrong_types(capsys, tmp_path, script, text):
    (tmp_path / "box.toml").write_text(text)
    _fails(capsys, tmp_path, script)


@pytest.mark.parametrize("option", ["-o", "--events"])
def test_output_in_a_missing_directory(capsys, tmp_path, script, option):
    outputs = {"-o": "out.wav", "--events": "out.jsonl"}
    outputs[option] = "no/such/dir/" + outputs[option]
    before = files(tmp_path)
    code = render(script, "-o", outputs["-o"], "--events", outputs["--events"])
    assert code == 2
    one_line_error(capsys)
    assert files(tmp_path) == before


# -- hostile scripts and outputs: one line, exit 2, nothing written ------------------


def test_a_script_with_a_bom_and_crlf_renders(capsys, tmp_path):
    (tmp_path / "s.txt").write_bytes(b"\xef\xbb\xbf" + GOOD_SCRIPT.replace("\n", "\r\n").encode())
    assert render("s.txt", "-o", "out.wav") == 0
    assert capsys.readouterr().out.startswith("wrote out.wav: 1.50 s, 2 notes")


def test_a_bad_line_after_unicode_separators_is_named_as_an_editor_counts(capsys, tmp_path):
    (tmp_path / "s.txt").write_text("0 switch:1 press # a\u2028b\u2029c\x85d\n1 switch:1 hop\n")
    message = _fails(capsys, tmp_path, "s.txt")
    assert message.startswith("tonic: error: s.txt line 2: unknown action 'hop'")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_a_device_as_the_script(capsys, tmp_path, device):
    message = _fails(capsys, tmp_path, device)
    assert (
        message == f"tonic: error: cannot read script {device}: it is a device, not a regular file"
    )


def test_a_fifo_as_the_script_is_refused_without_waiting_for_a_writer(capsys, tmp_path):
    os.mkfifo(tmp_path / "s.txt")
    message = _fails(capsys, tmp_path, "s.txt")
    assert message == (
        "tonic: error: cannot read script s.txt: it is a named pipe (FIFO), not a regular file"
    )


def test_a_script_over_the_size_limit(capsys, tmp_path):
    (tmp_path / "s.txt").write_bytes(b"# padding\n" * (MAX_SCRIPT_BYTES // 10 + 1))
    message = _fails(capsys, tmp_path, "s.txt")
    assert message == (
        f"tonic: error: cannot read script s.txt: it is too large "
        f"(the limit is {MAX_SCRIPT_BYTES:,} bytes)"
    )


@pytest.mark.parametrize("line", ["86400 end", "0 switch:1 press\n86400 switch:1 release"])
def test_a_day_long_script_is_refused_before_rendering(capsys, tmp_path, line):
    (tmp_path / "s.txt").write_text(line + "\n")
    message = _fails(capsys, tmp_path, "s.txt")
    number = line.count("\n") + 1
    assert message.startswith(
        f"tonic: error: s.txt line {number}: time 86400 is past the longest session"
    )


@pytest.mark.parametrize("spelling", ["s.txt", "./s.txt", "sub/../s.txt", "link.txt"])
def test_output_naming_the_script_is_refused(capsys, tmp_path, spelling):
    (tmp_path / "s.txt").write_text(GOOD_SCRIPT)
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.txt").symlink_to("s.txt")
    before = files(tmp_path)
    assert render("s.txt", "-o", spelling) == 2
    assert one_line_error(capsys) == (
        f"tonic: error: -o {Path(spelling)} is the file being read; choose another name"
    )
    assert files(tmp_path) == before
    assert (tmp_path / "s.txt").read_text() == GOOD_SCRIPT


def test_events_naming_the_script_is_refused(capsys, tmp_path, script):
    assert render(script, "-o", "out.wav", "--events", script) == 2
    assert "is the file being read" in one_line_error(capsys)
    assert script.read_text() == GOOD_SCRIPT


@pytest.mark.parametrize("kind", ["device", "fifo", "directory"])
@pytest.mark.parametrize("option", ["-o", "--events"])
def test_output_naming_something_not_a_regular_file_is_refused(
    capsys, tmp_path, script, kind, option
):
    target = {"device": "/dev/null", "fifo": "pipe", "directory": "folder"}[kind]
    if kind == "fifo":
        os.mkfifo(tmp_path / "pipe")
    elif kind == "directory":
        (tmp_path / "folder").mkdir()
    outputs = {"-o": "out.wav", "--events": "out.jsonl", option: target}
    before = files(tmp_path)
    assert render(script, "-o", outputs["-o"], "--events", outputs["--events"]) == 2
    assert one_line_error(capsys) == (
        f"tonic: error: cannot write {target} ({option}): it exists and is not a regular file"
    )
    assert files(tmp_path) == before
    assert Path("/dev/null").is_char_device()


@pytest.mark.parametrize(("wav", "events"), [("out.wav", "out.wav"), ("out.wav", "./x/../out.wav")])
def test_events_and_wav_naming_one_file_is_refused(capsys, tmp_path, script, wav, events):
    (tmp_path / "x").mkdir()
    before = files(tmp_path)
    assert render(script, "-o", wav, "--events", events) == 2
    assert one_line_error(capsys) == (
        f"tonic: error: --events {Path(events)} is the same file as -o {wav}; give each its own"
    )
    assert files(tmp_path) == before


def test_a_render_removes_what_an_interrupted_render_left(capsys, tmp_path, script):
    fd, stale = create_temp_file(tmp_path / "out.wav")
    os.close(fd)  # its writer is gone
    assert render(script, "-o", "out.wav") == 0
    assert files(tmp_path) == ["box.toml", "out.wav", "session.txt"]
    assert not stale.exists()


# -- real processes -------------------------------------------------------------------


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TONIC_")}


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*map(str, args)], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=60
    )


def test_stdout_stays_clean_on_a_ci_machine(tmp_path):
    # pyfluidsynth announces where it found the library when $CI is set;
    # that line must not land in output that other tools read.
    proc = subprocess.run(
        [str(TONIC), "scales"], cwd=tmp_path, env={**_env(), "CI": "true"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0
    assert proc.stdout.splitlines() == list(scale_names())


def test_the_tonic_command_lists_scales(tmp_path):
    assert TONIC.exists(), f"{TONIC} is not installed"
    proc = run(TONIC, "scales", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.splitlines() == list(scale_names())
    assert proc.stderr == ""


def test_python_m_appliance_renders(tmp_path, script):
    proc = run(
        sys.executable, "-m", "appliance", "render", script, "-o", "out.wav",
        "--events", "out.jsonl", "--config", "box.toml", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("wrote out.wav: 1.50 s, 2 notes")
    assert proc.stderr == ""
    assert (tmp_path / "out.wav").stat().st_size > 100_000


def _process_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("tonic: error: ")
    return lines[0]


def test_a_real_process_reports_a_bad_script_in_one_line(tmp_path):
    (tmp_path / "s.txt").write_text("0 switch:1 press\n-1 switch:1 release\n")
    proc = run(TONIC, "render", "s.txt", "-o", "out.wav", "--config", "box.toml", cwd=tmp_path)
    message = _process_error(proc)
    assert message.startswith("tonic: error: s.txt line 2: time must be a non-negative")
    assert not (tmp_path / "out.wav").exists()


def test_a_real_process_reports_a_random_soundfont_in_one_line(tmp_path, script):
    (tmp_path / "random.sf2").write_bytes(random.Random(1).randbytes(4096))
    proc = run(
        TONIC, "render", script, "-o", "out.wav", "--soundfont", "random.sf2",
        "--config", "box.toml", cwd=tmp_path,
    )  # fmt: skip
    assert "corrupt soundfont random.sf2" in _process_error(proc)


def test_a_real_process_reports_a_garbage_soundfont_in_one_line(tmp_path, script):
    (tmp_path / "garbage.sf2").write_bytes(_riff_garbage())
    proc = run(
        TONIC, "render", script, "-o", "out.wav", "--soundfont", "garbage.sf2",
        "--config", "box.toml", cwd=tmp_path,
    )  # fmt: skip
    assert "corrupt soundfont garbage.sf2" in _process_error(proc)


def test_output_into_a_closed_pipe_is_not_a_traceback(tmp_path):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has already gone, like `| head -1`
    try:
        proc = subprocess.run(
            [str(TONIC), "instruments"], cwd=tmp_path, env=_env(), stdout=write_end,
            stderr=subprocess.PIPE, text=True, timeout=60,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert "Traceback" not in proc.stderr


def test_sigterm_mid_render_leaves_no_wav_and_no_temp_file(tmp_path):
    # Long enough to be caught mid-way: a temp file appears as soon as it starts.
    (tmp_path / "s.txt").write_text("0 switch:1 press\n3000 end\n")
    proc = subprocess.Popen(
        [TONIC, "render", "s.txt", "-o", "out.wav", "--config", "box.toml"],
        cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for _ in range(6000):  # until the render has begun (a bound, not a timing)
            if any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.01)
        else:
            pytest.fail("the render never started")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert files(tmp_path) == ["box.toml", "s.txt"]


def test_songs_lists_every_familiar_song_name_first(capsys):
    from appliance.music.songs import song_names

    assert main(["songs"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) >= 12
    assert [line.split()[0] for line in lines] == list(song_names())
    assert any(line.startswith("twinkle_twinkle ") and "4/4" in line for line in lines)
    assert err == ""
