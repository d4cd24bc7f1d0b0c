"""The pyfluidsynth module, imported once and quietly.

pyfluidsynth 1.4 prints "'fluidsynth' was found at ..." to stdout on import
whenever ``$CI`` is set. The box's stdout carries command output that other
tools read (``tonic scales``, the render account), and a closed pipe there
would be a traceback at import time, so the import runs with stdout held
aside. Every module that needs the binding takes it from here.
"""

from __future__ import annotations

import contextlib
import io

with contextlib.redirect_stdout(io.StringIO()):
    import fluidsynth

__all__ = ["fluidsynth"]
