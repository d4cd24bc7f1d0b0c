"""Route FluidSynth's own log messages into Python logging.

FluidSynth prints its errors straight to stderr. The box runs headless under
journald and the CLI promises one-line errors, so its messages go through the
``appliance.sound.fluidsynth`` logger instead, and the last error is kept so
that a failed soundfont load can say why.
"""

from __future__ import annotations

import ctypes.util
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from ctypes import CFUNCTYPE, c_char_p, c_int, c_void_p

from appliance.sound.binding import fluidsynth

log = logging.getLogger("appliance.sound.fluidsynth")

# fluid_log_level: PANIC, ERR, WARN, INFO, DBG
_LEVELS = (logging.CRITICAL, logging.ERROR, logging.WARNING, logging.INFO, logging.DEBUG)
_LogFunction = CFUNCTYPE(None, c_int, c_char_p, c_void_p)
_WARN = 2  # FLUID_WARN

_lock = threading.Lock()
_installed: object | None = None  # keeps the ctypes callback alive
_capturing = 0
last_error: str = ""


def _on_message(level: int, message: bytes | None, _data: object) -> None:
    global last_error
    text = (message or b"").decode("utf-8", "replace").strip()
    py_level = _LEVELS[level] if 0 <= level < len(_LEVELS) else logging.DEBUG
    if py_level >= logging.ERROR and not (_capturing and last_error):
        # While capturing, keep the first error: it says what was wrong
        # ("Invalid chunk id"); later ones only say that loading failed.
        last_error = text
        if _capturing:
            # The caller turns this failure into its own clear message.
            py_level = logging.DEBUG
    log.log(py_level, "%s", text)


# GLogFunc: (const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
_GLogFunction = CFUNCTYPE(None, c_char_p, c_int, c_char_p, c_void_p)
_G_LOG_LEVEL_ERRORS = 0x02 | 0x04 | 0x08  # G_LOG_LEVEL_ERROR, CRITICAL, WARNING


def _on_glib(domain: bytes | None, level: int, message: bytes | None, _data: object) -> None:
    text = (message or b"").decode("utf-8", "replace").strip()
    where = (domain or b"glib").decode("utf-8", "replace")
    serious = bool(level & _G_LOG_LEVEL_ERRORS) and not _capturing
    log.log(logging.WARNING if serious else logging.DEBUG, "%s: %s", where, text)


def _route_glib() -> object | None:
    """FluidSynth's soundfont loaders (libinstpatch) complain through glib,
    which prints ``** CRITICAL **`` lines to stderr; send those to logging too."""
    name = ctypes.util.find_library("glib-2.0")
    if name is None:
        return None
    try:
        glib = ctypes.CDLL(name)
    except OSError:
        return None
    handler = _GLogFunction(_on_glib)
    glib.g_log_set_default_handler.restype = c_void_p
    glib.g_log_set_default_handler.argtypes = (_GLogFunction, c_void_p)
    glib.g_log_set_default_handler(handler, None)
    return handler


def install() -> None:
    """Install the router once per process (idempotent, thread-safe)."""
    global _installed
    with _lock:
        if _installed is not None:
            return
        callback = _LogFunction(_on_message)
        set_log = fluidsynth._fl.fluid_set_log_function
        set_log.restype = c_void_p
        set_log.argtypes = (c_int, _LogFunction, c_void_p)
        # Only PANIC, ERR and WARN come up to Python. FluidSynth logs debug
        # lines inside fluid_synth_noteon (when it steals a voice), and a
        # Python callback there would sit on the note's path.
        for level in range(len(_LEVELS)):
            set_log(level, callback if level <= _WARN else _LogFunction(), None)
        _installed = (callback, _route_glib())


@contextmanager
def capture() -> Iterator[None]:
    """Around a call whose failure the caller reports itself: keep FluidSynth's
    error for :func:`take_last_error`, but log it only at debug level."""
    global _capturing, last_error
    with _lock:
        _capturing += 1
        last_error = ""
    try:
        yield
    finally:
        with _lock:
            _capturing -= 1


def take_last_error() -> str:
    """Return and forget the most recent FluidSynth error message."""
    global last_error
    text, last_error = last_error, ""
    return text
