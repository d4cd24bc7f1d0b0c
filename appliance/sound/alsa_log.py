"""Quieten libasound's own error printing.

When ALSA cannot open a device it prints several lines of configuration
errors straight to stderr before FluidSynth reports the failure. The box
reports that failure itself, in one clear line, so ALSA's lines are sent to
the debug log instead.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger("appliance.sound.alsa")

# void handler(const char *file, int line, const char *function, int err, const char *fmt, ...)
_Handler = ctypes.CFUNCTYPE(
    None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
)
_installed: object | None = None


def _on_error(file: bytes, line: int, function: bytes, err: int, fmt: bytes) -> None:
    # The varargs are not reachable from ctypes; the format string still says what failed.
    log.debug("alsa: %s (%s)", (fmt or b"").decode("utf-8", "replace"), err)


def quieten() -> None:
    """Install the handler once; a machine without libasound needs nothing."""
    global _installed
    if _installed is not None:
        return
    name = ctypes.util.find_library("asound")
    if name is None:
        _installed = False
        return
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        _installed = False
        return
    handler = _Handler(_on_error)
    lib.snd_lib_error_set_handler(handler)
    _installed = handler
