"""Killed mid-save: the box's power is pulled at the end of every session.

A child process saves a profile in a tight loop, alternating two versions,
and is SIGKILLed at a random moment, 200 times. After every kill the file on
disk must load as one of the two versions (never a mix, never empty), its
backup too, and the temporary files of interrupted saves must not pile up:
the next save removes what a killed one left behind.

Random kill moments are drawn from a seeded generator; the assertions are on
the files alone, so the test holds however fast or busy the machine is.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import random
import signal
import time
from multiprocessing.connection import Connection
from pathlib import Path

from appliance.profile import Profile, default_profile
from appliance.profile.library import ProfileLibrary
from appliance.profile.store import load_profile

KILLS = 200
# Each kill lands up to this long after the child said its first save was
# done: long enough to cover several whole saves, so kills fall in every part.
KILL_WINDOW_S = 0.004
# What one interrupted save can leave: its own temporary file and the
# backup's staging link. More than that means earlier leftovers piled up.
MOST_LEFT_BY_ONE_KILL = 2

VERSION_A = dataclasses.replace(default_profile(), name="Client", key="C", volume=0.4)
VERSION_B = dataclasses.replace(default_profile(), name="Client", key="G", volume=0.7)


def _save_forever(data_dir: Path, first: Profile, ready: Connection) -> None:
    library = ProfileLibrary(data_dir)
    second = VERSION_B if first == VERSION_A else VERSION_A
    library.save(first)
    ready.send_bytes(b"saved")
    while True:
        library.save(second)
        library.save(first)


def _temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_kills_during_saves_leave_a_valid_profile_and_backup_and_no_pile_of_temp_files(tmp_path):
    # fork: the child starts at once with everything imported, so 200 kills take seconds.
    context = multiprocessing.get_context("fork")
    library = ProfileLibrary(tmp_path)
    path = library.save(VERSION_A)
    library.save(VERSION_B)
    backup = path.with_name(path.name + ".bak")
    rng = random.Random(6)
    seen_on_disk = set()
    most_temp_files = 0
    for kill in range(KILLS):
        current = load_profile(path)
        receive, send = context.Pipe(duplex=False)
        # Start with the version not on disk, so every run changes the file.
        first = VERSION_B if current == VERSION_A else VERSION_A
        child = context.Process(target=_save_forever, args=(tmp_path, first, send), daemon=True)
        child.start()
        send.close()
        assert receive.recv_bytes() == b"saved", f"kill {kill}: the child never saved"
        time.sleep(rng.uniform(0, KILL_WINDOW_S))
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        receive.close()
        assert child.exitcode == -signal.SIGKILL

        on_disk = load_profile(path)
        assert on_disk in (VERSION_A, VERSION_B), f"kill {kill}: {on_disk}"
        assert load_profile(backup) in (VERSION_A, VERSION_B), f"kill {kill}: bad backup"
        seen_on_disk.add(on_disk.key)
        left = _temp_files(path.parent)
        most_temp_files = max(most_temp_files, len(left))
        assert len(left) <= MOST_LEFT_BY_ONE_KILL, f"kill {kill}: temp files piled up: {left}"

    assert seen_on_disk == {"C", "G"}
    # One clean save afterwards leaves nothing behind at all.
    library.save(VERSION_A)
    assert _temp_files(path.parent) == []
    assert sorted(p.name for p in path.parent.iterdir()) == ["client.toml", "client.toml.bak"]
