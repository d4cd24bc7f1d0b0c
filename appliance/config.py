"""The box's own configuration: its wiring and its audio.

This is about the hardware, not the client: which GPIO pin each switch jack
is on, which soundfont and audio device to use, and the gain ceiling no
profile can exceed. The defaults match ``hardware/wiring.md``. A box with
different wiring overrides them in ``/etc/tonic/box.toml`` (or ``--config``).
"""

from __future__ import annotations

import dataclasses
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
    #: The loudest master gain the box will ever use. 0.5 keeps a four-note
    #: chord on the loudest General MIDI patches below clipping.
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


def _from_dict(data: dict[str, Any], origin: str) -> BoxConfig:
    kwargs: dict[str, Any] = {}
    known = {f.name for f in dataclasses.fields(BoxConfig)}
    for name, value in data.items():
        if name not in known:
            raise ConfigError(f"{origin}: unknown setting '{name}' (valid: {', '.join(known)})")
        if name == "switch_pins":
            value = tuple(value)
        elif name == "audio":
            try:
                value = AudioSettings(**value)
            except TypeError as e:
                raise ConfigError(f"{origin}: audio: {e}") from None
        kwargs[name] = value
    return BoxConfig(**kwargs)
