"""Hostile input: every line gets an error or a disconnect, never a crash or a stall."""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading

import pytest
from control.harness import LineClient
from hypothesis import given
from hypothesis import strategies as st

from appliance.control.api import ErrorCode
from appliance.control.limits import Limits
from appliance.control.requests import BadRequest, Request, parse_request

PARSE = ErrorCode.PARSE_ERROR
INVALID = ErrorCode.INVALID_REQUEST

#: (what is sent, the error code of its one reply)
ANSWERED = [
    (b"\n", PARSE),
    (b"   \n", PARSE),
    (b"{\n", PARSE),
    (b"not json\n", PARSE),
    (b"\xff\xfe\x00garbage\n", PARSE),
    (b'{"id": 1, "method": "set", "params": {"volume": 1e999}}\n', PARSE),
    (b'{"id": 1, "method": "set", "params": {"volume": NaN}}\n', PARSE),
    (b'{"id": 1, "method": "set", "params": {"volume": -Infinity}}\n', PARSE),
    (b'{"id": 1, "method": "set", "params": {"volume": ' + b"9" * 5000 + b"}}\n", PARSE),
    (b"{" * 5000 + b"}" * 5000 + b"\n", PARSE),
    (b"[" * 30000 + b"]" * 30000 + b"\n", PARSE),
    (b"[]\n", INVALID),
    (b"42\n", INVALID),
    (b'"status"\n', INVALID),
    (b"null\n", INVALID),
    (b'{"method": 5}\n', INVALID),
    (b'{"id": 1}\n', INVALID),
    (b'{"id": {"x": 1}, "method": "status"}\n', INVALID),
    (b'{"id": 1, "method": "echo", "params": {"a": ' + b"[" * 40 + b"]" * 40 + b"}}\n", INVALID),
    (b'{"id": 1, "method": "nope"}\n', ErrorCode.METHOD_NOT_FOUND),
    (b'{"id": 1, "method": "' + b"x" * 5000 + b'"}\n', ErrorCode.METHOD_NOT_FOUND),
    (b'{"id": 1, "method": "set", "params": "key=G"}\n', ErrorCode.INVALID_PARAMS),
    (b'{"id": 1, "method": "set", "params": {"key": 12}}\n', ErrorCode.REFUSED),
    (b'{"id": 1, "method": "set", "params": {"switch:99.mode": "latch"}}\n', ErrorCode.REFUSED),
]


@pytest.mark.parametrize(("line", "code"), ANSWERED, ids=lambda v: repr(v)[:30])
def test_each_hostile_line_gets_one_error_and_the_connection_lives_on(connect, line, code):
    client = connect()
    client.send(line)
    reply = client.read()
    assert reply["error"]["code"] == code, reply
    assert len(reply["error"]["message"]) <= Limits().max_message
    after = client.request("status", rid=99)
    assert after["id"] == 99 and "result" in after


def test_a_line_over_the_limit_is_refused_and_the_client_dropped(connect, server):
    client = connect()
    client.send(b'{"id": 1, "method": "status"}\n')
    payload = b'{"id": 2, "method": "status", "params": {"' + b"a" * 70000 + b'": 1}}\n'
    client.send(payload)
    assert client.read()["id"] == 1  # what came before is still answered, in order
    reply = client.read()
    assert reply["error"] == {"code": PARSE, "message": "line too long (over 65536 bytes)"}
    assert client.at_eof()
    assert "result" in connect().request("status")


def test_an_endless_line_is_cut_off_without_reading_it_all(serve):
    server = serve(Limits(max_line=1024))
    client = LineClient(server.path)
    client.sock.settimeout(5)
    # A megabyte with no newline: the server answers after its first kilobyte and
    # hangs up, so the rest cannot be sent (or is refused by the closed socket).
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        client.sock.sendall(b"x" * 1_000_000)
    assert client.read()["error"]["message"] == "line too long (over 1024 bytes)"
    assert client.at_eof()


def test_a_last_line_without_a_newline_is_answered_before_the_close(connect):
    client = connect()
    client.send(b'{"id": 1, "method": "status"}\n{"id": 2, "method": "status"}')
    client.sock.shutdown(1)  # SHUT_WR: "that is all"
    assert [client.read()["id"], client.read()["id"]] == [1, 2]
    assert client.at_eof()


# -- the parser alone, with every input hypothesis can think of -----------------------


@given(st.binary(max_size=2000))
def test_any_bytes_parse_to_a_request_or_an_error(line):
    assert isinstance(parse_request(line, max_depth=32), Request | BadRequest)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)


@given(st.dictionaries(st.sampled_from(["id", "method", "params", "x"]), JSON, max_size=4))
def test_any_json_object_parses_to_a_request_or_an_error(message):
    line = json.dumps(message).encode()  # NaN and Infinity included, as Python writes them
    parsed = parse_request(line, max_depth=32)
    if isinstance(parsed, Request):
        assert isinstance(parsed.method, str) and isinstance(parsed.params, dict)
        assert parsed.id is None or isinstance(parsed.id, str | int)


# -- fuzz: thousands of hostile requests from several clients at once -----------------

FUZZ_CLIENTS = 4
FUZZ_REQUESTS_EACH = 600  # 2,400 in all


def _hostile(rng: random.Random) -> bytes:
    roll = rng.random()
    if roll < 0.2:
        return (
            bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))).replace(b"\n", b"")
            + b"\n"
        )
    if roll < 0.25:
        return b'{"id": 1, "method": "status", "params": {"' + b"a" * 70000 + b'": 1}}\n'
    if roll < 0.3:
        return b'{"id": 1, "method": "crash"}\n'
    line = rng.choice(ANSWERED)[0]
    if rng.random() < 0.3:  # cut it short: half a request, then a newline
        line = line[: rng.randrange(len(line))] + b"\n"
    return line


def test_fuzz_many_clients_no_crash_no_stall_no_traceback(server, caplog, capfd):
    caplog.set_level(logging.INFO)
    tallies: list[tuple[int, int, int]] = []
    failures: list[BaseException] = []

    def client_loop(seed: int) -> None:
        rng = random.Random(seed)
        sent = answered = dropped = 0
        client = LineClient(server.path)
        try:
            for _ in range(FUZZ_REQUESTS_EACH):
                line = _hostile(rng)
                sent += 1
                try:
                    client.send(line)
                    reply = client.read_line()
                except (BrokenPipeError, ConnectionResetError):
                    reply = None
                if reply is None:  # disconnected (a line too long): come back
                    dropped += 1
                    client.close()
                    client = LineClient(server.path)
                    continue
                assert "error" in json.loads(reply) or b'"result"' in reply
                answered += 1
        except BaseException as e:
            failures.append(e)
        finally:
            client.close()
            tallies.append((sent, answered, dropped))

    threads = [threading.Thread(target=client_loop, args=(seed,)) for seed in range(FUZZ_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, failures
    sent = sum(t[0] for t in tallies)
    assert sent >= 2000
    assert sum(t[1] + t[2] for t in tallies) == sent  # every one answered or dropped
    assert server.running
    assert LineClient(server.path).request("status", rid="after")["id"] == "after"
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
