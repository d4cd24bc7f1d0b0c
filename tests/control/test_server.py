"""The control server: framing, ids, errors, ordering, clients and the socket file."""

from __future__ import annotations

import logging
import os
import socket
import stat
import threading

import pytest
from control.harness import HANG_S, LineClient, SettingsApi, wait_until

from appliance.control.api import ErrorCode
from appliance.control.limits import Limits
from appliance.control.server import ControlServer, ControlSocketBusy, ControlSocketError

# -- framing and replies --------------------------------------------------------------


def test_a_status_request_is_answered_with_its_id(connect, api):
    reply = connect().request("status", rid=7)
    assert reply["id"] == 7
    assert reply["result"]["key"] == "C"


def test_requests_in_one_write_are_answered_in_order(connect):
    client = connect()
    client.send(
        b"".join(b'{"id": %d, "method": "echo", "params": {"n": %d}}\n' % (i, i) for i in range(50))
    )
    replies = [client.read() for _ in range(50)]
    assert [r["id"] for r in replies] == list(range(50))
    assert [r["result"]["n"] for r in replies] == list(range(50))


def test_a_request_sent_a_byte_at_a_time_and_crlf_ended_is_one_request(connect):
    client = connect()
    for byte in b'{"id": "a", "method": "status"}\r\n':
        client.send(bytes([byte]))
    assert client.read()["id"] == "a"


@pytest.mark.parametrize("rid", ["x", 0, -5, 2**40, None])
def test_a_string_integer_or_null_id_is_echoed(connect, rid):
    assert connect().request("status", rid=rid)["id"] == rid


def test_a_request_without_an_id_is_answered_with_a_null_id(connect):
    client = connect()
    client.send(b'{"method": "status"}\n')
    reply = client.read()
    assert reply["id"] is None and "result" in reply


@pytest.mark.parametrize("rid", [{"x": 1}, [1], 1.5, True])
def test_any_other_id_is_an_invalid_request_answered_with_a_null_id(connect, rid):
    reply = connect().request("status", rid=rid)
    assert reply == {
        "id": None,
        "error": {"code": ErrorCode.INVALID_REQUEST, "message": reply["error"]["message"]},
    }
    assert "id" in reply["error"]["message"]


def test_absent_or_null_params_are_an_empty_object(connect):
    client = connect()
    assert client.request("echo")["result"] == {}
    client.send(b'{"id": 2, "method": "echo", "params": null}\n')
    assert client.read()["result"] == {}


@pytest.mark.parametrize("params", ['"key=G"', "[1, 2]", "5", "true"])
def test_params_that_are_not_an_object_are_invalid_params(connect, params):
    client = connect()
    client.send(b'{"id": 3, "method": "set", "params": %s}\n' % params.encode())
    reply = client.read()
    assert reply["id"] == 3
    assert reply["error"]["code"] == ErrorCode.INVALID_PARAMS


def test_an_unknown_method_suggests_the_nearest(connect):
    reply = connect().request("stauts")
    assert reply["error"]["code"] == ErrorCode.METHOD_NOT_FOUND
    assert "'status'" in reply["error"]["message"]


def test_a_refusal_from_the_box_carries_its_message_and_changes_nothing(connect, api):
    reply = connect().request("set", {"key": "G", "volume": 3})
    assert reply["error"]["code"] == ErrorCode.REFUSED
    assert "volume: expected text" in reply["error"]["message"]
    assert api.settings["key"] == "C"


def test_a_control_error_keeps_its_code(connect):
    reply = connect().request("busy")
    assert reply["error"] == {
        "code": ErrorCode.BUSY,
        "message": "the engine did not answer in time",
    }


def test_a_bug_in_a_handler_is_an_internal_error_logged_on_one_line(connect, caplog):
    caplog.set_level(logging.DEBUG, logger="appliance.control")
    client = connect()
    reply = client.request("crash", rid=4)
    assert reply == {
        "id": 4,
        "error": {"code": ErrorCode.INTERNAL_ERROR, "message": "internal error (logged)"},
    }
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "crash failed: KeyError" in errors[0].getMessage()
    assert errors[0].exc_info is None  # no traceback at ERROR
    assert any(r.levelno == logging.DEBUG and r.exc_info for r in caplog.records)
    assert client.request("status")["result"]["key"] == "C"  # the connection stays up


def test_a_result_that_is_not_json_is_an_internal_error(connect):
    assert connect().request("not_json")["error"]["code"] == ErrorCode.INTERNAL_ERROR


def test_set_then_status_on_one_connection_sees_the_change(connect):
    client = connect()
    client.send(
        b'{"id": 1, "method": "set", "params": {"key": "G"}}\n{"id": 2, "method": "status"}\n'
    )
    assert client.read()["result"] == {"changed": ["key"]}
    assert client.read()["result"]["key"] == "G"


def test_one_clients_requests_run_one_at_a_time_in_order(connect, api):
    client = connect()
    client.send(b'{"id": 1, "method": "slow"}\n{"id": 2, "method": "status"}\n')
    assert api.entered.wait(10)
    assert api.calls == ["slow"]  # status waits for slow, though workers are free
    api.gate.set()
    assert [client.read()["id"], client.read()["id"]] == [1, 2]
    assert api.calls == ["slow", "status"]


def test_a_slow_handler_does_not_delay_another_client(connect, api):
    slow = connect()
    slow.send(b'{"id": 1, "method": "slow"}\n')
    assert api.entered.wait(10)
    assert connect().request("status")["result"]["key"] == "C"
    assert not api.gate.is_set()  # answered while the slow one still waited
    api.gate.set()
    assert slow.read()["result"] == "done"


def test_many_clients_at_once_each_get_their_own_answers(connect):
    clients = [connect() for _ in range(20)]
    for i, client in enumerate(clients):
        client.send(b'{"id": %d, "method": "echo", "params": {"who": %d}}\n' % (i, i))
    for i, client in enumerate(clients):
        assert client.read() == {"id": i, "result": {"who": i}}


# -- clients: how many, and how long ---------------------------------------------------


def test_a_client_past_the_limit_gets_one_busy_line(serve):
    server = serve(Limits(max_clients=3))
    clients = [LineClient(server.path) for _ in range(3)]
    for client in clients:
        assert "result" in client.request("status")
    extra = LineClient(server.path)
    reply = extra.read()
    assert reply["error"]["code"] == ErrorCode.BUSY
    assert "too many clients" in reply["error"]["message"]
    assert extra.at_eof()
    clients[0].close()
    wait_until(lambda: server.client_count() == 2, "the server saw the client leave")
    assert "result" in LineClient(server.path).request("status")


def test_an_idle_client_is_closed_and_delays_nobody(serve):
    server = serve(Limits(idle_timeout_s=0.3))
    listener = LineClient(server.path)
    assert listener.request("subscribe")["result"] == {"subscribed": True}
    idle = LineClient(server.path)  # connects and says nothing
    busy = LineClient(server.path)
    assert busy.request("status")["id"] == 1
    assert idle.at_eof()
    # A subscriber waiting for events is not idle, whatever it says.
    server.sink({"event": "press", "input": "switch:1"})
    assert listener.read() == {"event": "press", "input": "switch:1"}


def test_a_client_that_leaves_mid_reply_is_forgotten_quietly(server, api, caplog):
    caplog.set_level(logging.WARNING)
    for _ in range(20):
        client = LineClient(server.path)
        big = {"data": "x" * 60000}
        client.send(
            b"".join(b'{"id": 1, "method": "echo", "params": %s}\n' % _json(big) for _ in range(10))
        )
        client.close()
    wait_until(lambda: server.client_count() == 0, "every client forgotten")
    assert "result" in LineClient(server.path).request("status")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_flood_from_one_client_is_read_no_faster_than_it_is_answered(serve, api):
    server = serve(Limits(max_pending=4))
    flooder = LineClient(server.path)
    flooder.send(b'{"id": 0, "method": "slow"}\n')
    assert api.entered.wait(10)
    # While its first request waits, the server stops reading: the kernel's buffers
    # fill and the flooder can no longer send. Its requests wait in its own memory.
    flooder.sock.settimeout(1.0)
    request = b'{"id": 1, "method": "status"}\n'
    with pytest.raises(TimeoutError):
        flooder.sock.sendall(request * 1_000_000)
    assert api.calls == ["slow"]
    assert "result" in LineClient(server.path).request("status")  # others are served
    api.gate.set()


def test_a_flood_of_requests_is_answered_in_order(connect):
    client = connect()
    count = 2000
    sender = threading.Thread(
        target=client.send,
        args=(b"".join(b'{"id": %d, "method": "echo"}\n' % i for i in range(count)),),
    )
    sender.start()
    ids = [client.read()["id"] for _ in range(count)]
    sender.join(10)
    assert ids == list(range(count))


# -- the socket file ------------------------------------------------------------------


def test_the_socket_gets_its_mode_and_its_parent_directory_is_made(api, sock_dir):
    path = sock_dir / "run" / "tonic" / "c.sock"
    with ControlServer(api, path, mode=0o600, group=None):
        st = path.stat()
        assert stat.S_ISSOCK(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o600
    assert not path.exists()


def test_the_socket_is_given_to_the_group_when_it_exists(api, sock_dir):
    import grp

    group = grp.getgrgid(os.getgid()).gr_name
    with ControlServer(api, sock_dir / "c.sock", group=group):
        assert (sock_dir / "c.sock").stat().st_gid == os.getgid()


def test_a_missing_group_is_logged_and_the_server_still_starts(api, sock_dir, caplog):
    caplog.set_level(logging.INFO, logger="appliance.control")
    with ControlServer(api, sock_dir / "c.sock", group="no-such-group-here") as server:
        assert "result" in LineClient(server.path).request("status")
    assert "no group 'no-such-group-here'" in caplog.text


def test_a_stale_socket_from_a_killed_box_is_replaced(api, sock_dir):
    path = sock_dir / "c.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))
    dead.close()  # the file stays; nobody answers on it
    with ControlServer(api, path, group=None) as server:
        assert "result" in LineClient(server.path).request("status")


def test_a_live_server_is_never_robbed_of_its_socket(server, api):
    with pytest.raises(ControlSocketBusy, match="already answering"):
        ControlServer(api, server.path, group=None).start()
    assert "result" in LineClient(server.path).request("status")


def test_a_file_that_is_not_a_socket_is_left_alone(api, sock_dir):
    path = sock_dir / "c.sock"
    path.write_text("a therapist's notes")
    with pytest.raises(ControlSocketError, match="not a socket"):
        ControlServer(api, path, group=None).start()
    assert path.read_text() == "a therapist's notes"


def test_stop_is_idempotent_and_spares_a_newer_servers_socket(api, sock_dir):
    path = sock_dir / "c.sock"
    old = ControlServer(api, path, group=None)
    old.start()
    old.stop()
    new = ControlServer(api, path, group=None)
    new.start()
    old.stop()
    assert path.exists()
    assert "result" in LineClient(path).request("status")
    new.stop()
    new.stop()
    assert not path.exists()
    assert not [t for t in threading.enumerate() if t.name == "tonic-control"]


def test_the_server_runs_on_one_daemon_thread_named_for_it(server):
    threads = [t for t in threading.enumerate() if t.name == "tonic-control"]
    assert len(threads) == 1 and threads[0].daemon


def test_stop_closes_every_client(server):
    clients = [LineClient(server.path) for _ in range(3)]
    for client in clients:
        client.request("status")
    server.stop()
    assert all(client.at_eof() for client in clients)


def test_a_failed_start_leaves_no_socket_and_no_thread(sock_dir):
    class BrokenApi(SettingsApi):
        def subscribe(self, sink):
            raise RuntimeError("the box is not ready")

    path = sock_dir / "c.sock"
    with pytest.raises(RuntimeError):
        ControlServer(BrokenApi(), path, group=None).start()
    assert not path.exists()
    assert not [t for t in threading.enumerate() if t.name == "tonic-control"]


def test_a_socket_path_too_long_is_refused_plainly(api, sock_dir):
    with pytest.raises(ControlSocketError, match="too long"):
        ControlServer(api, sock_dir / ("x" * 120), group=None).start()


def _json(value: object) -> bytes:
    import json

    return json.dumps(value).encode()


def test_a_request_being_answered_when_the_server_stops_still_gets_its_reply(serve, api):
    # service.restart answers and stops the service in the same moment.
    server = serve(Limits(answer_grace_s=HANG_S))
    client = LineClient(server.path)
    client.send(b'{"id": 1, "method": "slow"}\n')
    assert api.entered.wait(HANG_S)
    stopping = threading.Thread(target=server.stop)
    stopping.start()
    wait_until(lambda: not _accepts(server.path), "the server stopped listening")
    api.gate.set()
    assert client.read() == {"id": 1, "result": "done"}
    stopping.join(HANG_S)
    assert client.at_eof()


def _accepts(path) -> bool:
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True
