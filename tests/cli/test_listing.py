"""``tonic loops``: the accompaniment loops, one a line, name first."""

from __future__ import annotations

from appliance.cli import main
from appliance.music.loops import all_loops


def test_loops_lists_every_loop_with_metre_tempo_and_mood(capsys):
    assert main(["loops"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == [loop.name for loop in all_loops()]
    assert err == ""
    (calypso,) = [line for line in lines if line.startswith("calypso ")]
    assert calypso.split() == ["calypso", "4/4", "104", "bpm", "bright,", "dancing"]
    (shanty,) = [line for line in lines if line.startswith("sea_shanty ")]
    assert shanty.split()[1:4] == ["6/8", "58", "bpm"]


def test_the_columns_line_up(capsys):
    main(["loops"])
    lines = capsys.readouterr().out.splitlines()
    assert len({line.index("bpm") for line in lines}) == 1
