"""Killed mid-save: the box's power is pulled at the end of every session.

A child process saves a profile in a tight loop, alternating two versions,
and is SIGKILLed at a random moment, 200 times. After every kill the file on
disk must be the last version the child finished saving or the one it was
saving (never a mix, never empty), its backup must load, and the temporary
files of interrupted saves must not pile up: a finished save removes what
killed ones left behind, so after it only the one save cut short can have
left a file.

Kill moments are drawn from a seeded generator within a window that adapts
to how long saves take on this machine (so most kills land inside a save,
fast disk or slow); every assertion is on the files and on the saves the
child reported, so the test holds however fast or busy the machine is.
"""

from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

from appliance.profile import Profile, default_profile
from appliance.profile.library import ProfileLibrary
from appliance.profile.store import load_profile

KILLS = 200
FIRST_WINDOW_S = 0.01
LONGEST_WINDOW_S = 1.0
# The window widens a little after a kill before any save finished and narrows
# twice as much after one that came later, so about a third of the kills come
# after a finished save and most land inside the first one.
WIDER = 1.25
NARROWER = WIDER**2
# What one interrupted save can leave: its own temporary file or the backup's
# staging link (that is gone before the temporary file is made).
MOST_LEFT_BY_ONE_SAVE = 1
READY, SAVED = b"r", b"s"
# The backup's staging link has one fixed name, removed at the start of every
# save; temporary files have random names, never reused while one exists.
STAGING = ".client.toml.bak.tmp"

VERSION_A = dataclasses.replace(default_profile(), name="Client", key="C", volume=0.4)
VERSION_B = dataclasses.replace(default_profile(), name="Client", key="G", volume=0.7)


def other(version: Profile) -> Profile:
    return VERSION_B if version == VERSION_A else VERSION_A


def _save_forever(data_dir: Path, first: Profile, report: int) -> None:
    """Save ``first``, then the other, then ``first``...; one byte on ``report`` per save done."""
    gc.disable()  # a collection would touch, and so copy, the whole forked heap
    library = ProfileLibrary(data_dir)
    os.write(report, READY)
    version = first
    while True:
        library.save(version)
        os.write(report, SAVED)
        version = other(version)


def _temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 4096):
        chunks.append(chunk)
    return b"".join(chunks)


def test_kills_during_saves_leave_a_valid_profile_and_backup_and_no_pile_of_temp_files(tmp_path):
    # fork: the child starts at once with everything imported, so 200 kills take seconds.
    context = multiprocessing.get_context("fork")
    library = ProfileLibrary(tmp_path)
    path = library.save(VERSION_A)
    library.save(VERSION_B)
    backup = path.with_name(path.name + ".bak")
    rng = random.Random(6)
    window = FIRST_WINDOW_S
    completed = []
    left: set[str] = set()
    on_disk = VERSION_B
    for kill in range(KILLS):
        before = on_disk
        # Start with the version not on disk, so every finished save changes the file.
        first = other(before)
        read_end, write_end = os.pipe()
        child = context.Process(target=_save_forever, args=(tmp_path, first, write_end))
        child.start()
        os.close(write_end)
        try:
            assert os.read(read_end, 1) == READY, f"kill {kill}: the child never started"
            time.sleep(rng.uniform(0, window))
            os.kill(child.pid, signal.SIGKILL)
            child.join()
            saves = len(_read_all(read_end))
        finally:
            os.close(read_end)
        assert child.exitcode == -signal.SIGKILL
        completed.append(saves)

        # n saves finished: the file is the n-th version, or the next one when
        # the kill came between its rename and its report.
        finished = before if saves == 0 else (first if saves % 2 else other(first))
        on_disk = load_profile(path)
        assert on_disk in (finished, other(finished)), f"kill {kill} after {saves} saves"
        assert load_profile(backup) in (VERSION_A, VERSION_B), f"kill {kill}: bad backup"
        earlier, left = left, set(_temp_files(path.parent))
        if saves > 0:
            stale = (left & earlier) - {STAGING}
            assert not stale, f"kill {kill}: a finished save left old temp files: {stale}"
            assert len(left) <= MOST_LEFT_BY_ONE_SAVE, f"kill {kill}: temp files piled up: {left}"

        # Aim the next kill inside the first save, however fast this machine is.
        window = min(window * WIDER, LONGEST_WINDOW_S) if saves == 0 else window / NARROWER

    assert sum(1 for n in completed if n > 0) > KILLS // 8, completed
    # One clean save afterwards leaves nothing behind at all.
    library.save(VERSION_A)
    assert _temp_files(path.parent) == []
    assert sorted(p.name for p in path.parent.iterdir()) == ["client.toml", "client.toml.bak"]
