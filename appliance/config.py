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

from appliance.audio_settings import SAMPLE_RATE, AudioSettings
from appliance.errors import ProfileError
from appliance.events import InputId, InputKind, input_id

DEFAULT_PATH = Path("/etc/tonic/box.toml")
ENV_VAR = "TONIC_CONFIG"

#: BCM pin numbers of the four switch jacks on the reference build.
DEFAULT_SWITCH_PINS = (17, 27, 22, 23)
PAD_COUNT = 12  # electrodes on one MPR121
MAX_BEAMS = 2


class ConfigError(ProfileError):
    """A box configuration file that cannot be used."""


@dataclass(frozen=True, slots=True)
class PadWiring:
    """The MPR121 pad board on I2C, and the GPIO its IRQ line is wired to."""

    i2c_bus: int = 1
    address: int = 0x5A
    irq_pin: int | None = 4  # None: poll instead (see appliance/inputs/pads.py)
    poll_hz: float = 50.0


@dataclass(frozen=True, slots=True)
class BeamWiring:
    """One HC-SR04: trigger out, echo in (through a 5 V to 3.3 V divider)."""

    trigger: int
    echo: int


@dataclass(frozen=True, slots=True)
class BoxConfig:
    switch_pins: tuple[int, ...] = DEFAULT_SWITCH_PINS
    pads: PadWiring | None = field(default_factory=PadWiring)  # None: no pad board
    beams: tuple[BeamWiring, ...] = (BeamWiring(trigger=24, echo=25),)
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
        if len(self.beams) > MAX_BEAMS:
            raise ConfigError(f"beams: at most {MAX_BEAMS} beams share the ping budget")
        used = [*self.switch_pins, *(p for b in self.beams for p in (b.trigger, b.echo))]
        if self.pads is not None and self.pads.irq_pin is not None:
            used.append(self.pads.irq_pin)
        clashes = sorted({p for p in used if used.count(p) > 1})
        if clashes:
            raise ConfigError(f"GPIO {', '.join(map(str, clashes))} wired to two inputs")

    def input_ids(self) -> tuple[InputId, ...]:
        """Every input the box has, as labelled on it."""
        ids = [input_id(InputKind.SWITCH, n) for n in range(1, len(self.switch_pins) + 1)]
        if self.pads is not None:
            ids += [input_id(InputKind.PAD, n) for n in range(1, PAD_COUNT + 1)]
        ids += [input_id(InputKind.BEAM, n) for n in range(1, len(self.beams) + 1)]
        return tuple(ids)


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
    "pads": (dict, bool),
    "beams": (list,),
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
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            raise ConfigError(f"{origin}: {name}: wrong type {type(value).__name__}")
        if name == "switch_pins":
            if not all(type(p) is int for p in value):
                raise ConfigError(f"{origin}: switch_pins: must be whole GPIO numbers, got {value}")
            value = tuple(value)
        elif name == "audio":
            value = _audio(value, origin)
        elif name == "pads":
            # pads = false: no pad board; pads = true: the default wiring.
            if isinstance(value, bool):
                value = PadWiring() if value else None
            else:
                value = _table(PadWiring, value, origin, "pads")
        elif name == "beams":
            value = tuple(_table(BeamWiring, b, origin, "beams") for b in value)
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


def _table(kind: type[Any], table: object, origin: str, where: str) -> Any:
    """Build a small wiring dataclass from a TOML table, with clear errors."""
    if not isinstance(table, dict):
        raise ConfigError(f"{origin}: {where}: must be a table, got {table!r}")
    try:
        value = kind(**table)
    except TypeError as e:
        raise ConfigError(f"{origin}: {where}: {e}") from None
    for f in dataclasses.fields(kind):
        got = getattr(value, f.name)
        if isinstance(got, bool) or not isinstance(got, int | float | type(None)):
            raise ConfigError(f"{origin}: {where}.{f.name}: must be a number, got {got!r}")
    return value
