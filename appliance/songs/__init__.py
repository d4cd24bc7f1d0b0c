"""Familiar songs that ship with the box, one ``.song`` file each.

The format is described in :mod:`appliance.music.song`; to add a song, copy
one of these files, keep to public-domain songs, and run the tests.
"""
