"""The one exception family of Tonic.

Every error the box reports to a therapist derives from :class:`TonicError`.
Each subclass also inherits the builtin it most resembles, so callers that
only know Python's own exceptions (``except ValueError``) still catch it.
"""

from __future__ import annotations


class TonicError(Exception):
    """Base of every error Tonic raises on purpose."""


class MusicError(TonicError, ValueError):
    """A note name, key, scale or degree that makes no musical sense."""


class UnknownScaleError(MusicError, LookupError):
    """A scale name that is not in the list ``tonic scales`` prints."""


class UnknownInstrumentError(TonicError, LookupError):
    """An instrument name or number that is not General MIDI."""


class ProfileError(TonicError, ValueError):
    """A profile (or a ``set`` request) with wrong types, values or fields."""


class ScriptError(TonicError, ValueError):
    """A malformed line in a session script."""


class SoundfontError(TonicError, OSError):
    """A soundfont that is missing, unreadable or corrupt."""


class OutputError(TonicError, OSError):
    """A file Tonic was asked to write cannot be written."""


class AudioUnavailable(TonicError, OSError):
    """No audio device could be opened; the box runs silent and says so."""
