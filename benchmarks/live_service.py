"""The whole service in the bench's own process, for benches that time presses through it.

:class:`appliance.service.run.Service` is started as ``tonic run --simulate``
starts it (``Service.start``: synth, leveller, paced renderer, simulated
hardware, box with its real-time engine thread, feed, ``BoxApi`` and a real
:class:`appliance.control.server.ControlServer` on a socket in a temporary
directory). Only two things are added, both for the measurement:

* the switches' lock-out is set to 0 through the service's own ``set`` (see
  :func:`benchmarks.presser.bench_profile` for why);
* the service's synth has its note-ons stamped in place
  (:func:`benchmarks.presser.stamp_in_place`), so
  :func:`benchmarks.presser.drive_presses` times the service's own path.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gpiozero.pins.mock import MockPin

from appliance.service.run import Service, ServiceOptions
from appliance.service.systemd import Notifier
from benchmarks.presser import TimedSynth, progress, stamp_in_place, switch_ids, unstamp


@dataclass(frozen=True, slots=True)
class LiveService:
    service: Service
    synth: TimedSynth  # its note-ons, stamped
    pins: list[MockPin]  # its switches, in order
    socket: Path


@contextmanager
def live_service(label: str) -> Iterator[LiveService]:
    with tempfile.TemporaryDirectory(prefix="tonic-bench-") as tmp:
        root = Path(tmp)
        options = ServiceOptions(
            simulate=True, data_dir=root / "data", socket=str(root / "control.sock")
        )
        # No NOTIFY_SOCKET: the bench's own environment must not reach a systemd.
        service = Service(options, Notifier(environ={}))
        try:
            service.start()
            api, synth, hardware, server = (
                service.api,
                service.synth,
                service.hardware,
                service.server,
            )
            if api is None or synth is None or hardware is None or server is None:
                raise RuntimeError(f"{label}: the service started without its socket or parts")
            config = service.config
            api.set({f"{iid}.lockout_ms": 0 for iid in switch_ids(config)})
            progress(f"{label}: {service.status_text()}")
            timed = stamp_in_place(synth)
            try:
                pins = [hardware.factory.pin(pin) for pin in config.switch_pins]
                yield LiveService(service, timed, pins, server.path)
            finally:
                unstamp(synth)
        finally:
            service.stop()
