"""Accompaniment loops that ship with the box, one ``.loop`` file each.

The format is described in :mod:`appliance.music.loop_text` and in
docs/loops.md; to add a loop, copy one of these files and run the tests.
"""
