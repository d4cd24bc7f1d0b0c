"""The systemd protocols against a datagram socket the test owns, as systemd would listen."""

from __future__ import annotations

import logging
import os
import socket

import pytest

from appliance.service.systemd import Notifier, log_handler, under_journald, watchdog_period


@pytest.fixture
def notify_socket(tmp_path, monkeypatch):
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(1.0)
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    yield sock
    sock.close()


def messages(sock: socket.socket) -> list[str]:
    got = []
    sock.setblocking(False)
    try:
        while True:
            got.append(sock.recv(4096).decode())
    except BlockingIOError:
        pass
    return got


def test_ready_status_and_watchdog_reach_the_socket(notify_socket):
    notifier = Notifier()
    notifier.ready('playing "First steps", 4 switches')
    notifier.status("playing it, pads offline: no I2C")
    notifier.status("playing it, pads offline: no I2C")  # a repeat is not sent
    notifier.watchdog()
    notifier.stopping()
    got = messages(notify_socket)
    assert got == [
        'READY=1\nSTATUS=playing "First steps", 4 switches',
        "STATUS=playing it, pads offline: no I2C",
        "WATCHDOG=1",
        "STOPPING=1",
    ]


def test_without_systemd_nothing_is_sent(tmp_path):
    notifier = Notifier(environ={})
    assert not notifier.enabled
    notifier.ready("x")  # no socket, no error


@pytest.mark.parametrize(
    ("env", "period"),
    [
        ({"WATCHDOG_USEC": "10000000"}, 5.0),
        ({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": str(os.getpid())}, 5.0),
        ({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "1"}, None),  # meant for another process
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "ten"}, None),
        ({}, None),
    ],
)
def test_watchdog_period_is_half_of_what_systemd_asked(env, period):
    assert watchdog_period(env) == period


def test_journald_is_recognised_by_our_own_stderr():
    st = os.fstat(2)
    assert under_journald({"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"})
    assert not under_journald({"JOURNAL_STREAM": "1:2"})
    assert not under_journald({})


def test_plain_lines_when_not_under_journald(monkeypatch):
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    handler = log_handler()
    record = logging.LogRecord("tonic", logging.WARNING, __file__, 1, "pad:3 offline", (), None)
    assert handler.format(record) == "tonic: WARNING: pad:3 offline"
