"""Atomic writes, and the temporary files an interrupted write leaves behind."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from appliance.atomic import (
    create_temp_file,
    interrupts_deferred,
    remove_stale_temp_files,
    write_text_atomic,
)


def temp_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


# A child process that makes temporary files as a writer would, then either
# dies at once (as a killed save does) or stays alive holding them.
_CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from appliance.atomic import create_temp_file
    fd, tmp = create_temp_file(Path(sys.argv[1]))
    print(tmp.name, flush=True)
    if sys.argv[2] == "stay":
        sys.stdin.read()  # until the test closes our stdin
    """
)


def start_writer(target: Path, stay: bool) -> tuple[subprocess.Popen[str], str]:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(target), "stay" if stay else "die"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    return child, child.stdout.readline().strip()


def test_a_write_leaves_only_the_target(tmp_path):
    write_text_atomic(tmp_path / "a.toml", "one\n")
    write_text_atomic(tmp_path / "a.toml", "two\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.toml"]
    assert (tmp_path / "a.toml").read_text() == "two\n"


def test_the_next_write_removes_what_a_dead_writer_left(tmp_path):
    target = tmp_path / "a.toml"
    child, left = start_writer(target, stay=False)
    child.wait()
    assert temp_files(tmp_path) == [left]  # the dead writer's file is still there
    write_text_atomic(target, "new\n")
    assert temp_files(tmp_path) == []


def test_a_live_writers_file_is_kept(tmp_path):
    target = tmp_path / "a.toml"
    child, in_use = start_writer(target, stay=True)
    try:
        write_text_atomic(target, "new\n")
        assert remove_stale_temp_files(tmp_path) == []
        assert temp_files(tmp_path) == [in_use]
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait()
    assert remove_stale_temp_files(tmp_path) == [tmp_path / in_use]
    assert temp_files(tmp_path) == []


def test_a_write_removes_only_its_own_targets_leftovers(tmp_path):
    for name in ("a.toml", "b.toml"):
        start_writer(tmp_path / name, stay=False)[0].wait()
    write_text_atomic(tmp_path / "a.toml", "new\n")
    assert [n.split(".")[1] for n in temp_files(tmp_path)] == ["b"]


def test_the_start_sweep_removes_every_stale_file_and_nothing_else(tmp_path):
    for name in ("a.toml", "b.toml", "c.wav"):
        start_writer(tmp_path / name, stay=False)[0].wait()
    (tmp_path / "notes.tmp").write_text("not hidden: not ours\n")
    (tmp_path / ".keep").write_text("")
    os.symlink("/dev/null", tmp_path / ".link.toml.x.tmp")
    removed = remove_stale_temp_files(tmp_path)
    assert len(removed) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [".keep", ".link.toml.x.tmp", "notes.tmp"]


def test_a_sweep_of_a_missing_directory_is_empty(tmp_path):
    assert remove_stale_temp_files(tmp_path / "nowhere") == []


def test_names_with_glob_characters_are_matched_literally(tmp_path):
    start_writer(tmp_path / "x.toml", stay=False)[0].wait()
    write_text_atomic(tmp_path / "[x].toml", "new\n")
    assert len(temp_files(tmp_path)) == 1  # x.toml's leftover is not "[x].toml"'s


def test_the_lock_is_held_until_the_fd_closes(tmp_path):
    fd, tmp = create_temp_file(tmp_path / "a.toml")
    assert remove_stale_temp_files(tmp_path) == []
    os.close(fd)
    assert remove_stale_temp_files(tmp_path) == [tmp]


# A saver that stops inside a save, at the step the test names, and waits to
# be killed there: a pulled plug at that instant, every time, with no timing.
_SAVER = textwrap.dedent(
    """
    import os, sys
    from appliance.atomic import write_text_atomic
    target, step, saves = sys.argv[1], sys.argv[2], int(sys.argv[3])
    real = getattr(os, step)

    def stop_here(*args, **kwargs):
        global saves
        if saves == 0:
            print("stopped", flush=True)
            sys.stdin.read()
        return real(*args, **kwargs)

    setattr(os, step, stop_here)
    while True:
        write_text_atomic(target, f"{saves}\\n" + "x" * 100_000)
        saves -= 1
    """
)

# The steps of a save, in order: the temp file exists from the first.
_STEPS = ("fchmod", "fsync", "replace")


@pytest.mark.parametrize("seed", range(8))
def test_kills_during_saves_leave_a_whole_file_and_no_pile_of_temp_files(tmp_path, seed):
    target = tmp_path / "a.toml"
    rng = random.Random(seed)
    for _ in range(4):
        step = rng.choice(_STEPS)
        saver = subprocess.Popen(
            [sys.executable, "-c", _SAVER, str(target), step, str(rng.randint(0, 2))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert saver.stdout is not None
        assert saver.stdout.readline() == "stopped\n"
        saver.send_signal(signal.SIGKILL)
        saver.wait()
        saver.stdout.close()
        assert saver.stdin is not None
        saver.stdin.close()
        if target.exists():
            assert target.read_text().split("\n", 1)[0].isdigit()  # whole, old or new
        # The killed save's temp file, and only that: the save before it swept.
        assert len(temp_files(tmp_path)) == 1
    write_text_atomic(target, "final\n")
    assert temp_files(tmp_path) == []


@pytest.mark.parametrize("fail_at", ["write", "replace"])
def test_a_failed_write_removes_its_own_temp_file(tmp_path, monkeypatch, fail_at):
    target = tmp_path / "a.toml"

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync" if fail_at == "write" else "replace", boom)
    with pytest.raises(OSError, match="No space left"):
        write_text_atomic(target, "new\n")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_an_interrupt_while_deferred_is_delivered_after_the_block():
    delivered: list[str] = []

    def usual(signum: int, frame: object) -> None:
        delivered.append(signal.Signals(signum).name)

    previous = signal.signal(signal.SIGHUP, usual)
    try:
        with interrupts_deferred():
            signal.raise_signal(signal.SIGHUP)
            delivered.append("block finished")
        delivered.append("after")
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert delivered == ["block finished", "SIGHUP", "after"]
    assert signal.getsignal(signal.SIGHUP) is previous


def test_ctrl_c_while_deferred_still_interrupts_afterwards():
    steps: list[str] = []
    with pytest.raises(KeyboardInterrupt), interrupts_deferred():
        signal.raise_signal(signal.SIGINT)
        steps.append("temp file and its cleanup set up together")
    assert steps == ["temp file and its cleanup set up together"]
