"""The box's own configuration: its wiring and its audio.

This is about the hardware, not the client: which GPIO pin each switch jack
is on, which soundfont and audio device to use, and the gain ceiling no
profile can exceed. The defaults match ``hardware/wiring.md``. A box with
different wiring overrides them in ``/etc/tonic/box.toml`` (or ``--config``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.errors import ProfileError
from appliance.events import InputId, InputKind, input_id
from appliance.sound.fluid import SAMPLE_RATE, AudioSettings

DEFAULT_PATH = Path("/etc/tonic/box.toml")
ENV_VAR = "TONIC_CONFIG"

#: BCM pin numbers of the four switch jacks on the reference build.
DEFAULT_SWITCH_PINS = (17, 27, 22, 23)


class ConfigError(ProfileError):
    """A box configuration file that cannot be used."""


@dataclass(frozen=True, slots=True)
class BoxConfig:
    switch_pins: tuple[int, ...] = DEFAULT_SWITCH_PINS
    soundfont: str | None = None  # None: the first GM soundfont found
    audio: AudioSettings = field(default_factory=AudioSettings)
    sample_rate: int = SAMPLE_RATE
    #: The loudest master gain the box will ever use. At 0.5, with every
    #: instrument levelled (sound/levels.py), a full-velocity four-note chord
    #: on any General MIDI patch stays below about two thirds of full scale.
    gain_ceiling: float = 0.5

    def __post_init__(self) -> None:
        if len(set(self.switch_pins)) != len(self.switch_pins):
            raise ConfigError(f"switch_pins: each switch needs its own pin, got {self.switch_pins}")
        if not all(0 <= p <= 27 for p in self.switch_pins):
            raise ConfigError(f"switch_pins: GPIO pins run 0..27, got {self.switch_pins}")
        if not 0.0 < self.gain_ceiling <= 1.0:
            raise ConfigError(f"gain_ceiling: must be in range 0..1, got {self.gain_ceiling}")

    def input_ids(self) -> tuple[InputId, ...]:
        return tuple(input_id(InputKind.SWITCH, n) for n in range(1, len(self.switch_pins) + 1))


def load_config(path: str | os.PathLike[str] | None = None) -> BoxConfig:
    """Read the box config: ``path``, else $TONIC_CONFIG, else /etc/tonic/box.toml if
    it exists, else the built-in defaults."""
    chosen = path or os.environ.get(ENV_VAR)
    if not chosen:
        if not DEFAULT_PATH.exists():
            return BoxConfig()
        chosen = DEFAULT_PATH
    try:
        data = tomllib.loads(Path(chosen).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read box config {chosen}: {e}") from None
    return _from_dict(data, str(chosen))


#: What each setting in box.toml must be, for a clear message instead of a traceback.
_TYPES: dict[str, tuple[type, ...]] = {
    "switch_pins": (list,),
    "soundfont": (str,),
    "audio": (dict,),
    "sample_rate": (int,),
    "gain_ceiling": (int, float),
}
_AUDIO_TYPES: dict[str, type] = {"driver": str, "device": str, "period_size": int, "periods": int}


def _from_dict(data: dict[str, Any], origin: str) -> BoxConfig:
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        types = _TYPES.get(name)
        if types is None:
            raise ConfigError(f"{origin}: unknown setting '{name}' (valid: {', '.join(_TYPES)})")
        if isinstance(value, bool) or not isinstance(value, types):
            raise ConfigError(f"{origin}: {name}: wrong type {type(value).__name__}")
        if name == "switch_pins":
            if not all(type(p) is int for p in value):
                raise ConfigError(f"{origin}: switch_pins: must be whole GPIO numbers, got {value}")
            value = tuple(value)
        elif name == "audio":
            value = _audio(value, origin)
        kwargs[name] = value
    try:
        return BoxConfig(**kwargs)
    except ConfigError as e:
        raise ConfigError(f"{origin}: {e}") from None


def _audio(table: dict[str, Any], origin: str) -> AudioSettings:
    for name, value in table.items():
        kind = _AUDIO_TYPES.get(name)
        if kind is None:
            valid = ", ".join(_AUDIO_TYPES)
            raise ConfigError(f"{origin}: audio.{name}: unknown setting (valid: {valid})")
        if type(value) is not kind:
            raise ConfigError(f"{origin}: audio.{name}: must be {kind.__name__}, got {value!r}")
    return AudioSettings(**table)
