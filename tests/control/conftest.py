"""Fixtures: a control server over the in-test API (harness.py), and clients of it."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from control.harness import LineClient, SettingsApi

from appliance.control.limits import Limits
from appliance.control.server import ControlServer

#: Requests a second that no test reaches.
UNTHROTTLED = 1e9


@pytest.fixture
def sock_dir() -> Iterator[Path]:
    # Short on purpose: a Unix socket path must fit in 107 bytes, and pytest's
    # tmp_path can be longer than that.
    directory = Path(tempfile.mkdtemp(prefix="tc", dir="/tmp"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def api() -> Iterator[SettingsApi]:
    api = SettingsApi()
    yield api
    api.gate.set()  # no handler left waiting


@pytest.fixture
def serve(api: SettingsApi, sock_dir: Path) -> Iterator[Callable[..., ControlServer]]:
    """Start a server (with optional limits); every one is stopped at the end."""
    servers: list[ControlServer] = []

    def _serve(limits: Limits | None = None, **kwargs: Any) -> ControlServer:
        # Floods in these tests test framing and order, not the request rate
        # (tests/control/test_rate.py): let them through at full speed.
        if limits is None or limits.requests_per_second == Limits().requests_per_second:
            limits = dataclasses.replace(limits or Limits(), requests_per_second=UNTHROTTLED)
        server = ControlServer(api, sock_dir / "c.sock", group=None, limits=limits, **kwargs)
        server.start()
        servers.append(server)
        return server

    yield _serve
    for server in servers:
        server.stop()


@pytest.fixture
def server(serve: Callable[..., ControlServer]) -> ControlServer:
    return serve()


@pytest.fixture
def connect(server: ControlServer) -> Iterator[Callable[[], LineClient]]:
    clients: list[LineClient] = []

    def _connect() -> LineClient:
        client = LineClient(server.path)
        clients.append(client)
        return client

    yield _connect
    for client in clients:
        client.close()
