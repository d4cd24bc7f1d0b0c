"""The control socket's limits: what one client may cost the box.

Every number here bounds memory or time that a client (a buggy program, a
stalled setup UI, a hostile user in the ``tonic`` group) can make the service
spend. docs/control-api.md explains each one to the people writing clients.
"""

from __future__ import annotations

from dataclasses import dataclass

KIB = 1024
MINUTE_S = 60.0


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-server and per-client bounds. Tests shrink them; the box uses the defaults."""

    #: Longest request line, in bytes, without its newline. A longer one is answered
    #: with PARSE_ERROR "line too long" and the client is disconnected: a request is
    #: a few hundred bytes, and a profile's TOML text (``profile.validate``) a few KiB.
    max_line: int = 64 * KIB
    #: Deepest nesting of objects and arrays in a request. A profile is four deep.
    max_depth: int = 32
    #: Clients connected at once; the next one gets one BUSY line and is closed.
    max_clients: int = 64
    #: Requests one client may have read but not yet answered. When it is reached the
    #: server stops reading that client's socket until a reply goes out, so a flood
    #: waits in the kernel's buffer (and then in the sender), not in the box's memory.
    max_pending: int = 16
    #: A client that sends nothing for this long (and is not subscribed) is closed.
    #: Generous, because a setup UI may sit open on a screen while the therapist works.
    idle_timeout_s: float = 10 * MINUTE_S
    #: A subscriber whose socket has stayed full (it reads nothing) this long is closed.
    stalled_timeout_s: float = 10 * MINUTE_S
    #: Unread events kept per subscriber before the oldest is dropped.
    queue_events: int = 512
    #: Events waiting between the engine's thread and the server's loop; only reached
    #: when the loop itself is starved, and then counted as dropped for every subscriber.
    fan_in_events: int = 4096
    #: Bytes buffered in the kernel-side writer of one client before the server stops
    #: writing to it (replies wait, events queue up and are dropped oldest first).
    write_high_water: int = 256 * KIB
    #: Threads that run the box's handlers (which may wait up to about 2 s on the engine).
    workers: int = 4
    #: Longest error message sent back; longer ones are cut, so an error never echoes
    #: a huge value back.
    max_message: int = 2 * KIB
    #: Requests the server answers per second, from all clients together, and how
    #: many may come at once above that rate. Every request costs the box's Python
    #: interpreter time that the engine's thread then waits for; a setup UI sends a
    #: few a second (its live view is the event stream, not requests), so the rate
    #: only ever slows a flood, which waits its turn in the kernel's buffer (each
    #: client has one request in the queue at a time).
    requests_per_second: float = 200.0
    request_burst: int = 100
    #: When the server stops, how long requests already being answered get to send
    #: their reply: ``service.restart`` answers, and the service is stopping by then.
    answer_grace_s: float = 0.5

    def __post_init__(self) -> None:
        for name in (
            "max_line",
            "max_depth",
            "max_clients",
            "max_pending",
            "queue_events",
            "fan_in_events",
            "write_high_water",
            "workers",
            "max_message",
            "requests_per_second",
            "request_burst",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if min(self.idle_timeout_s, self.stalled_timeout_s, self.answer_grace_s) <= 0:
            raise ValueError("timeouts must be positive")
