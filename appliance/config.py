"""The box's own configuration: its wiring, its audio, where it keeps things.

This is about the hardware, not the client: which GPIO pin each switch jack
is on, the pad board and the beams, which soundfont and audio device to use,
the gain ceiling no profile can exceed, the data directory and the control
socket. The defaults match ``hardware/wiring.md``. A box wired differently
says so in ``/etc/tonic/tonic.toml`` (or ``--config FILE``, or $TONIC_CONFIG);
a missing default file means the built-in defaults. Every setting, with its
default, is in ``hardware/tonic.toml.example``::

    switch_pins = [17, 27, 22, 23]
    gain_ceiling = 2.8

    [pads]              # or: pads = false (no pad board)
    address = 0x5A
    irq_pin = "none"    # no IRQ wire: poll the board poll_hz times a second

    [[beams]]           # one [[beams]] per sensor, at most 2
    trigger = 24
    echo = 25

    [control]
    group = "tonic"
    mode = "0660"       # octal, in quotes

Each setting is declared once (:mod:`appliance.config_fields`), which gives
the TOML reading, every check, the "valid" lists and ``tonic config``'s
output. Every problem in a file is reported at once, with its path.

Plain data: nothing here may import the synth (FluidSynth, numpy) or gpiozero;
``tonic scales`` and every input module import this.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from appliance.audio_settings import SAMPLE_RATE, SAMPLE_RATES, AudioSettings
from appliance.config_fields import (
    HEX,
    INT,
    INT_LIST,
    NUMBER,
    TEXT,
    Problem,
    Reader,
    absolute_path,
    check_value,
    in_range,
    one_of,
    optional_int,
    section,
    setting,
    summary,
)
from appliance.control_settings import ControlSettings
from appliance.errors import TonicError
from appliance.events import InputId, InputKind, input_id
from appliance.textfile import (
    MAX_SETTINGS_BYTES,
    BadToml,
    FileMissing,
    UnreadableFile,
    parse_toml,
    read_text_file,
    show_path,
)

DEFAULT_PATH = Path("/etc/tonic/tonic.toml")
ENV_VAR = "TONIC_CONFIG"

#: BCM pin numbers of the four switch jacks on the reference build.
DEFAULT_SWITCH_PINS = (17, 27, 22, 23)
MAX_SWITCHES = 8
PAD_COUNT = 12  # electrodes on one MPR121
MAX_BEAMS = 2  # they share about 16 pings a second, taking turns
GPIO_RANGE = (0, 27)  # the BCM GPIOs on the Pi's 40-pin header
#: The MPR121's four addresses, set by where its ADDR pin is tied.
MPR121_ADDRESSES = (0x5A, 0x5D)
I2C_BUS_RANGE = (0, 31)
#: I2C bus 1, the pad board's, is GPIO 2 (SDA) and GPIO 3 (SCL): nothing else may use them.
I2C1_PINS = {2: "SDA", 3: "SCL"}
#: Polling faster than this only loads the bus; slower than 1 Hz is not playable.
POLL_HZ_RANGE = (1, 200)
#: How ``irq_pin`` says there is no IRQ wire (the board is polled).
NO_IRQ = "none"
_LONGEST_QUOTED = 10**12


class ConfigError(TonicError, ValueError):
    """A box configuration that cannot be used; :attr:`problems` lists each one."""

    def __init__(self, message: str, problems: tuple[Problem, ...] = (), origin: str = "") -> None:
        super().__init__(message)
        self.problems = problems
        self.origin = origin

    @classmethod
    def of(cls, origin: str, problems: list[Problem]) -> ConfigError:
        return cls(f"{origin}: {summary(problems)}", tuple(problems), origin)


# -- checks --------------------------------------------------------------------


def gpio(pin: int) -> int:
    lo, hi = GPIO_RANGE
    if not lo <= pin <= hi:
        raise ValueError(f"must be a BCM GPIO number {lo}..{hi}, got {_number(pin)}")
    return pin


def switch_pins(pins: tuple[int, ...]) -> tuple[int, ...]:
    if len(pins) > MAX_SWITCHES:
        raise ValueError(f"at most {MAX_SWITCHES} switches, got {len(pins)}")
    for n, pin in enumerate(pins, start=1):
        try:
            gpio(pin)
        except ValueError as e:
            raise ValueError(f"switch {n}: {e}") from None
    return pins


def _number(value: int) -> str:
    # A value from a hostile file may have thousands of digits: quote only a short one.
    return str(value) if abs(value) < _LONGEST_QUOTED else "a very large number"


def optional_gpio(pin: int | None) -> int | None:
    return None if pin is None else gpio(pin)


def mpr121_address(value: int) -> int:
    lo, hi = MPR121_ADDRESSES
    if not lo <= value <= hi:
        shown = f"0x{value:X}" if 0 <= value < 1 << 16 else _number(value)
        raise ValueError(f"must be 0x{lo:X}..0x{hi:X} (the MPR121's ADDR pin), got {shown}")
    return value


#: The highest gain ceiling a box may be given: FluidSynth's master gain at
#: which the level plan (docs/sound.md) is about 5 dB louder than at the default.
MAX_GAIN_CEILING = 4.0
DEFAULT_GAIN_CEILING = 2.8


def gain(value: float) -> float:
    if not 0.0 < value <= MAX_GAIN_CEILING:  # False for NaN too
        raise ValueError(f"must be more than 0 and at most {MAX_GAIN_CEILING:g}, got {value:.6g}")
    return value


# -- the declarations ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PadWiring:
    """The MPR121 pad board on I2C, and the GPIO its IRQ line is wired to."""

    i2c_bus: int = setting(
        1, kind=INT, help="I2C bus number (/dev/i2c-N)", check=in_range(*I2C_BUS_RANGE)
    )
    address: int = setting(
        0x5A, kind=HEX, help="the MPR121's I2C address, 0x5A..0x5D", check=mpr121_address
    )
    irq_pin: int | None = setting(
        4,
        kind=optional_int(NO_IRQ),
        help=f'GPIO the IRQ line is wired to; "{NO_IRQ}": no IRQ wire, poll instead',
        check=optional_gpio,
    )
    poll_hz: float = setting(
        50.0,
        kind=NUMBER,
        help=f'reads a second when irq_pin = "{NO_IRQ}"',
        check=in_range(*POLL_HZ_RANGE),
    )


@dataclass(frozen=True, slots=True)
class BeamWiring:
    """One HC-SR04: trigger out, echo in (through a 5 V to 3.3 V divider)."""

    trigger: int = setting(kind=INT, help="GPIO of the sensor's TRIG", check=gpio)
    echo: int = setting(kind=INT, help="GPIO of the sensor's ECHO (via the divider)", check=gpio)


@dataclass(frozen=True, slots=True)
class BoxConfig:
    switch_pins: tuple[int, ...] = setting(
        DEFAULT_SWITCH_PINS,
        kind=INT_LIST,
        help=f"GPIO of each switch jack, switch:1 first (at most {MAX_SWITCHES})",
        check=switch_pins,
    )
    # section() returns a dataclasses.field, which ruff cannot see (RUF009).
    pads: PadWiring | None = section(  # noqa: RUF009
        PadWiring, help="the MPR121 pad board; pads = false: none", optional=True
    )
    beams: tuple[BeamWiring, ...] = section(
        BeamWiring,
        default=(BeamWiring(trigger=24, echo=25),),
        help=f"ultrasonic beams, one [[beams]] each, beam:1 first (at most {MAX_BEAMS})",
        many=MAX_BEAMS,
        item="beam",
    )
    soundfont: str | None = setting(
        None,
        kind=TEXT,
        help="soundfont (.sf2) to play with",
        check=absolute_path,
        unset="$TONIC_SOUNDFONT, else the first General MIDI soundfont installed",
    )
    audio: AudioSettings = section(AudioSettings, help="the live audio device")  # noqa: RUF009
    sample_rate: int = setting(
        SAMPLE_RATE, kind=INT, help="audio sample rate in Hz", check=one_of(*SAMPLE_RATES)
    )
    #: FluidSynth's master gain, the loudest the box can be: volumes and the
    #: headroom rule only turn channels down from it (docs/sound.md). At the
    #: default, typical play at the default volume measures about -20 LUFS.
    gain_ceiling: float = setting(
        DEFAULT_GAIN_CEILING,
        kind=NUMBER,
        help=f"the box's master gain, which no profile can exceed, 0..{MAX_GAIN_CEILING:g}",
        check=gain,
    )
    data_dir: str | None = setting(
        None,
        kind=TEXT,
        help="where profiles and the last-used profile are kept",
        check=absolute_path,
        unset="$STATE_DIRECTORY, else ~/.local/share/tonic",
    )
    control: ControlSettings = section(ControlSettings, help="the control socket")  # noqa: RUF009

    def __post_init__(self) -> None:
        problems = check_value(self) + gpio_clashes(
            gpio_uses(self.switch_pins, self.pads, self.beams)
        )
        if problems:
            raise ConfigError.of("box config", problems)

    def input_ids(self) -> tuple[InputId, ...]:
        """Every input the box has, as labelled on it."""
        ids = [input_id(InputKind.SWITCH, n) for n in range(1, len(self.switch_pins) + 1)]
        if self.pads is not None:
            ids += [input_id(InputKind.PAD, n) for n in range(1, PAD_COUNT + 1)]
        ids += [input_id(InputKind.BEAM, n) for n in range(1, len(self.beams) + 1)]
        return tuple(ids)


# -- GPIOs used twice -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GpioUse:
    path: str  # the setting that claims the pin
    label: str  # what uses it, for the message: "switch 1"
    pin: int


def gpio_uses(
    switches: tuple[int, ...], pads: PadWiring | None, beams: tuple[BeamWiring, ...]
) -> list[GpioUse]:
    uses = [GpioUse("switch_pins", f"switch {n}", p) for n, p in enumerate(switches, start=1)]
    if pads is not None:
        if pads.i2c_bus == 1:
            uses += [GpioUse("pads.i2c_bus", f"the pads' I2C {s}", p) for p, s in I2C1_PINS.items()]
        if pads.irq_pin is not None:
            uses.append(GpioUse("pads.irq_pin", "the pads' IRQ", pads.irq_pin))
    for n, b in enumerate(beams, start=1):
        uses.append(GpioUse(f"beams[{n}].trigger", f"beam {n} trigger", b.trigger))
        uses.append(GpioUse(f"beams[{n}].echo", f"beam {n} echo", b.echo))
    return uses


def gpio_clashes(uses: list[GpioUse], given: frozenset[str] = frozenset()) -> list[Problem]:
    """One problem per GPIO claimed more than once, naming every claim.

    The problem's path is the last claim the file made (``given``), since that
    is most likely the line to change; else the last claim.
    """
    by_pin: dict[int, list[GpioUse]] = {}
    for use in uses:
        by_pin.setdefault(use.pin, []).append(use)
    problems = []
    for pin, claims in by_pin.items():
        if len(claims) > 1:
            labels = [c.label for c in claims]
            who = f"{', '.join(labels[:-1])} and {labels[-1]}"
            mine = [c.path for c in claims if c.path in given] or [claims[-1].path]
            problems.append(Problem(mine[-1], f"GPIO {pin} is used by {who}"))
    return problems


# -- loading ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    """A config and where each value came from."""

    config: BoxConfig
    path: str | None  # the file read; None: there was none (built-in defaults)
    given: frozenset[str] = frozenset()  # the paths the file set ("pads.address")

    def source(self, path: str) -> str:
        return self.path if self.path is not None and path in self.given else "default"


def load_config(path: str | os.PathLike[str] | None = None) -> BoxConfig:
    """Read the box config: ``path``, else $TONIC_CONFIG, else /etc/tonic/tonic.toml
    if it exists, else the built-in defaults."""
    return read_config(path).config


def read_config(path: str | os.PathLike[str] | None = None) -> LoadedConfig:
    """As :func:`load_config`, keeping where each value came from."""
    chosen = path or os.environ.get(ENV_VAR)
    try:
        text = read_text_file(
            chosen or DEFAULT_PATH, what="box config", max_bytes=MAX_SETTINGS_BYTES
        )
    except FileMissing as e:
        if chosen:
            raise ConfigError(str(e)) from None
        return LoadedConfig(BoxConfig(), None)
    except UnreadableFile as e:
        raise ConfigError(str(e)) from None
    return parse_config(text, origin=show_path(chosen or DEFAULT_PATH))


def parse_config(text: str, origin: str) -> LoadedConfig:
    """The config in TOML ``text``; every problem is raised at once as a ConfigError."""
    try:
        data = parse_toml(text, origin=origin)
    except BadToml as e:
        raise ConfigError(str(e)) from None
    reader = Reader()
    values = reader.fields(BoxConfig, data)
    bad = reader.bad_paths
    defaults = BoxConfig()
    wiring = gpio_uses(
        values.get("switch_pins", defaults.switch_pins),
        values.get("pads", defaults.pads),
        values.get("beams", defaults.beams),
    )
    # Pins whose setting had a problem fell back to defaults: leave them out.
    uses = [u for u in wiring if not _under(u.path, bad)]
    problems = reader.problems + gpio_clashes(uses, frozenset(reader.given))
    if problems:
        raise ConfigError.of(origin, problems)
    return LoadedConfig(BoxConfig(**values), origin, frozenset(reader.given))


def _under(path: str, bad: set[str]) -> bool:
    return any(path == b or path.startswith((f"{b}.", f"{b}[")) for b in bad)
