"""A whole service in the test's process: simulated hardware, real FluidSynth, a real socket."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from service.harness import HANG_S, Stream

from appliance.control.client import ControlClient
from appliance.service.run import Service, ServiceOptions
from appliance.service.systemd import Notifier


@pytest.fixture
def notify(tmp_path, monkeypatch) -> Iterator[socket.socket]:
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(HANG_S)
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    yield sock
    sock.close()


@pytest.fixture
def service(tmp_path, notify) -> Iterator[Service]:
    svc = Service(
        ServiceOptions(simulate=True, data_dir=tmp_path / "data", socket=str(tmp_path / "c.sock")),
        Notifier(),
    )
    svc.start()
    try:
        yield svc
    finally:
        svc.stop()


@pytest.fixture
def client(service, tmp_path) -> Iterator[ControlClient]:
    with ControlClient(tmp_path / "c.sock") as c:
        yield c


@pytest.fixture
def stream(service, tmp_path) -> Iterator[Stream]:
    s = Stream(str(tmp_path / "c.sock"))
    yield s
    s.close()
