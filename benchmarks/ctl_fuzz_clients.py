"""Hostile control-socket clients, in a process of their own, for ``switch_under_ctl_fuzz``.

``python -m benchmarks.ctl_fuzz_clients SOCKET`` starts several client threads,
each sending malformed or hostile requests one at a time (garbage bytes, JSON
nested thousands deep, 70 KB lines, unknown methods, bad params, non-finite
numbers, non-object JSON) and waiting for each reply. A client the server
disconnects (as it must after an over-long line) connects again.

It runs in its own process so that its threads do not share the box's
interpreter lock: the box pays for what the server does with the requests,
not for the attacker's own Python. Standard library only, so it starts fast.

Protocol with the bench: it prints ``reached`` on stdout once ``--minimum``
requests are sent, keeps going until its stdin is closed, then prints one JSON
object of counts and exits.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import sys
import threading
import time
from dataclasses import asdict, dataclass

#: A request is answered (or its client disconnected) within this, or it counts as stalled.
REPLY_TIMEOUT_S = 2.0
CLIENTS = 4
MINIMUM = 2000
#: One request in this many is random bytes rather than a listed one.
RANDOM_ONE_IN = 5
RANDOM_BYTES = (1, 200)
RECV_SIZE = 65536
DEEP = 5000
LONG_KEY = 70_000

HOSTILE: tuple[bytes, ...] = (
    b"\n",
    b"{\n",
    b"not json\n",
    b"[]\n",
    b"42\n",
    b'"status"\n',
    b"null\n",
    b'{"method": 5}\n',
    b'{"id": 1}\n',
    b'{"id": 1, "method": "nope"}\n',
    b'{"id": 1, "method": "statu"}\n',
    b'{"id": 1, "method": "set", "params": "key=G"}\n',
    b'{"id": 1, "method": "set", "params": {"key": 12}}\n',
    b'{"id": 1, "method": "set", "params": {"switch:99.mode": "latch"}}\n',
    b'{"id": 1, "method": "set", "params": {"volume": 1e999}}\n',
    b'{"id": 1, "method": "set", "params": {"volume": NaN}}\n',
    b'{"id": 1, "method": "set", "params": {}}\n',
    b'{"id": 1, "method": "input.test", "params": {"input": "switch:0"}}\n',
    b'{"id": 1, "method": "profile.load", "params": {"name": 7}}\n',
    b'{"id": 1, "method": "profile.get", "params": {"name": "no such profile"}}\n',
    b'{"id": {"x": 1}, "method": "status"}\n',
    b'{"id": 1, "method": "status", "params": [1, 2]}\n',
    b"\xff\xfe\x00garbage\n",
    ("{" * DEEP + "}" * DEEP + "\n").encode(),
    ("[" * DEEP + "]" * DEEP + "\n").encode(),
    b'{"id": 1, "method": "status", "params": {"' + b"a" * LONG_KEY + b'": 1}}\n',
)


@dataclass(slots=True)
class Counts:
    sent: int = 0
    answered: int = 0
    disconnected: int = 0  # the server closed the connection instead of answering
    stalled: int = 0  # no answer and no disconnect within REPLY_TIMEOUT_S


class _Client:
    def __init__(self, path: str, seed: int) -> None:
        self.path = path
        self.rng = random.Random(seed)
        self.counts = Counts()
        self._sock: socket.socket | None = None
        self._buffer = b""

    def payload(self) -> bytes:
        if self.rng.randrange(RANDOM_ONE_IN) == 0:
            junk = self.rng.randbytes(self.rng.randint(*RANDOM_BYTES))
            return junk.replace(b"\n", b" ") + b"\n"  # one line, one reply
        return self.rng.choice(HOSTILE)

    def one(self) -> None:
        self.counts.sent += 1
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self._sock.settimeout(REPLY_TIMEOUT_S)
                self._buffer = b""
                self._sock.connect(self.path)
            self._sock.sendall(self.payload())
            while b"\n" not in self._buffer:
                chunk = self._sock.recv(RECV_SIZE)
                if not chunk:
                    raise ConnectionResetError
                self._buffer += chunk
            self._buffer = self._buffer[self._buffer.index(b"\n") + 1 :]
            self.counts.answered += 1
        except TimeoutError:
            self.counts.stalled += 1
            self.close()
        except OSError:
            self.counts.disconnected += 1
            self.close()

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ctl_fuzz_clients")
    parser.add_argument("socket")
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--minimum", type=int, default=MINIMUM)
    parser.add_argument(
        "--pause-ms",
        type=float,
        default=0.0,
        help="each client's pause after each reply (default: none, as fast as answered)",
    )
    args = parser.parse_args(argv)
    pause_s = args.pause_ms / 1e3

    stop = threading.Event()
    clients = [_Client(args.socket, seed) for seed in range(args.clients)]
    lock = threading.Lock()
    total = [0]

    def hammer(client: _Client) -> None:
        while not (stop.is_set() and total[0] >= args.minimum):
            client.one()
            if pause_s:
                time.sleep(pause_s)
            with lock:
                total[0] += 1
                if total[0] == args.minimum:
                    print("reached", flush=True)
        client.close()

    threads = [threading.Thread(target=hammer, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    sys.stdin.read()  # the bench closes it when its presses are done
    stop.set()
    for thread in threads:
        thread.join()
    counts = Counts()
    for client in clients:
        for name, value in asdict(client.counts).items():
            setattr(counts, name, getattr(counts, name) + value)
    print(json.dumps(asdict(counts)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
