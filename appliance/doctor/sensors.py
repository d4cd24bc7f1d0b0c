"""The pad board on I2C, the GPIO chip, and each beam."""

from __future__ import annotations

import errno
import fcntl
import os
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from gpiozero import Factory
from gpiozero.exc import GPIOZeroError

from appliance.doctor.access import opens, whoami
from appliance.doctor.findings import Finding, Level
from appliance.events import BeamReading, Event, InputOffline
from appliance.inputs.beams import BeamPins, BeamScanner

#: ``ioctl(I2C_SLAVE)`` from linux/i2c-dev.h: talk to this address next.
I2C_SLAVE = 0x0703
#: errnos of an I2C address nobody answers (NAK): EREMOTEIO, ENXIO, EIO.
NO_ANSWER = (errno.EREMOTEIO, errno.ENXIO, errno.EIO)


class I2CReader(Protocol):
    """The one bus operation a probe needs, as ``busio.I2C`` names it."""

    def readfrom_into(
        self, address: int, buffer: bytearray, *, start: int = 0, end: int | None = None
    ) -> None: ...


class LinuxI2C:
    """``/dev/i2c-N`` through the kernel's i2c-dev interface: just enough to probe."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def readfrom_into(
        self, address: int, buffer: bytearray, *, start: int = 0, end: int | None = None
    ) -> None:
        fd = os.open(self.path, os.O_RDWR)
        try:
            fcntl.ioctl(fd, I2C_SLAVE, address)
            data = os.read(fd, (len(buffer) if end is None else end) - start)
            buffer[start : start + len(data)] = data
        finally:
            os.close(fd)


def check_i2c(dev: Path, bus: int | None) -> Finding:
    if bus is None:
        return Finding("i2c", Level.OK, "no pad board in the config: not needed")
    path = dev / f"i2c-{bus}"
    if not path.exists():
        return Finding(
            "i2c",
            Level.FAIL,
            f"no I2C bus ({path}): the pads cannot play",
            "enable I2C: sudo raspi-config nonint do_i2c 0, then reboot; "
            "or set pads = false in /etc/tonic/tonic.toml if the box has no pad board",
        )
    return opens("i2c", path, "the I2C bus", "i2c")


def check_pads(
    dev: Path,
    bus: int | None,
    address: int,
    open_bus: Callable[[Path], I2CReader] = LinuxI2C,
) -> Finding:
    """Is anything answering at the pad board's address? One 1-byte read, as
    ``i2cdetect`` probes the 0x50..0x5F range: it changes nothing on the chip."""
    if bus is None:
        return Finding("pads", Level.OK, "no pad board in the config")
    path = dev / f"i2c-{bus}"
    if not path.exists():
        return Finding("pads", Level.WARN, "not checked: no I2C bus (see i2c)")
    where = f"0x{address:02X} on {path}"
    try:
        open_bus(path).readfrom_into(address, bytearray(1))
    except PermissionError:
        return Finding("pads", Level.WARN, f"not checked: {whoami()} may not open {path}")
    except OSError as e:
        if e.errno == errno.EBUSY:
            return Finding(
                "pads", Level.FAIL, f"{where} is taken by a kernel driver", "unload that driver"
            )
        if e.errno not in NO_ANSWER:
            return Finding("pads", Level.FAIL, f"probing {where} failed: {e}")
        return Finding(
            "pads",
            Level.FAIL,
            f"the pad board does not answer at {where}",
            "check its four wires (3.3V, GND, SDA to GPIO2, SCL to GPIO3, hardware/wiring.md) "
            f"and its address; `i2cdetect -y {bus}` lists what answers",
        )
    return Finding("pads", Level.OK, f"the pad board answers at {where}")


# -- GPIO: switches and beams ------------------------------------------------------


def gpio_chips(dev: Path) -> list[Path]:
    return sorted(dev.glob("gpiochip*"))


def check_gpio(dev: Path) -> Finding:
    chips = gpio_chips(dev)
    if not chips:
        return Finding(
            "gpio",
            Level.FAIL,
            f"no GPIO ({dev}/gpiochip*): the switches cannot play",
            "this is not a Raspberry Pi; `tonic run --simulate` plays without hardware",
        )
    return opens("gpio", chips[0], "GPIO", "gpio")


def check_beams(
    dev: Path,
    beams: Sequence[BeamPins],
    pin_factory: Factory | None = None,
    deadline_s: float = 2.0,
) -> list[Finding]:
    """One ping per beam: an echo pulse means the sensor is wired and powered."""
    if not beams:
        return [Finding("beams", Level.OK, "no beams in the config")]
    names = [f"beam:{n}" for n in range(1, len(beams) + 1)]
    if pin_factory is None and not gpio_chips(dev):
        return [Finding(name, Level.WARN, "not checked: no GPIO (see gpio)") for name in names]
    first: dict[str, Event] = {}
    heard = threading.Event()

    def submit(event: Event) -> None:
        source = str(getattr(event, "source", ""))
        if isinstance(event, BeamReading | InputOffline) and source not in first:
            first[source] = event
            if len(first) == len(beams):
                heard.set()

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # gpiozero's pin-factory fallback notes
            # startup_misses=1: the first ping decides, echo or offline.
            scanner = BeamScanner(beams, submit, startup_misses=1, pin_factory=pin_factory)
    except GPIOZeroError as e:
        return [
            Finding(
                name,
                Level.WARN,
                f"not checked: {e}",
                "the running service may hold the pins; `tonic ctl status` shows the beams",
            )
            for name in names
        ]
    with scanner:
        heard.wait(deadline_s)
    found = []
    for name, pins in zip(names, beams, strict=True):
        label = f"GPIO{pins.trigger}/{pins.echo}"
        event = first.get(name)
        if isinstance(event, BeamReading):
            seen = "nothing in range" if event.distance is None else f"{event.distance:.2f} m"
            found.append(Finding(name, Level.OK, f"answers ({label}): {seen}"))
        else:
            found.append(
                Finding(
                    name,
                    Level.FAIL,
                    f"no echo ({label})",
                    "check the sensor's cable, its 5V and the echo divider (hardware/wiring.md)",
                )
            )
    return found
