"""Access settings: turning a client's raw contact into the presses they mean.

A client with tremor, weak contact or limited control produces raw contact
that is not what they intend: brushes, bounces, gaps in a held press. Each
client input (switch, pad, beam trigger) runs its raw edges through one
:class:`AccessFilter`. Its settings, from the profile:

``accept_ms`` (dwell)
    The contact must stay on this long before it counts. A brush is ignored::

        raw      ___|‾‾|_______|‾‾‾‾‾‾‾‾‾‾‾‾‾|____
        press           (brush)      ↑ accepted after accept_ms
                                |<-->|

``release_ms``
    The contact must stay off this long before the release counts, so a
    note is held through a tremor::

        raw      ___|‾‾‾‾‾‾‾|_|‾‾‾‾‾‾‾‾|_____________
        note        |‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾|____
                           gap ignored   |<---->| release_ms

``lockout_ms`` (refractory period)
    After an accepted press, every further edge is ignored for this long;
    at its end the contact is looked at again. A bounce train or a tremor of
    repeated hits gives one note, and a real release is only postponed::

        raw      ___|‾|_|‾|_|‾|_______________
        note        |‾‾‾‾‾‾‾‾‾‾‾‾‾|___________
                    |<- lockout ->| contact is off now: release

``max_note_s``
    Enforced by the engine on the sounding note, in every mode (a latched
    note too), so a switch left pressed never drones. 0 means no limit.

In combination the rules apply in that order: lock-out first (nothing moves
while it runs), then dwell for presses and release delay for releases, each
timed from the raw edge that started it. The filter is a pure function of
the edges and times it is given; the engine supplies event times, so the
same sequence gives the same result live and in ``tonic render``.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from appliance.profile.inputs import Access

#: The timer of a filter that is waiting (``<source>/access``).
ACCESS_TIMER = "access"


class Edge(StrEnum):
    PRESS = "press"
    RELEASE = "release"


class AccessFilter:
    """One input's raw edges in, accepted presses and releases out."""

    __slots__ = ("_accepted", "_changed_at", "_locked_until", "_raw", "deadline")

    def __init__(self) -> None:
        self._raw = False  # the contact as the sensor sees it now
        self._changed_at = 0.0  # when the raw contact last changed
        self._accepted = False  # what the music has been told
        self._locked_until = float("-inf")
        #: When :meth:`tick` next needs calling, or None.
        self.deadline: float | None = None

    @property
    def accepted(self) -> bool:
        """Whether the music has been told of a press (and no release since)."""
        return self._accepted

    @property
    def contact(self) -> bool:
        """The raw contact as last reported, before any filtering."""
        return self._raw

    def raw(self, active: bool, t: float, access: Access) -> Edge | None:
        """The contact went on or off at ``t``; return an edge to act on now, if any."""
        if active != self._raw:
            self._raw = active
            self._changed_at = t
        return self._settle(t, access)

    def tick(self, t: float, access: Access) -> Edge | None:
        """A deadline has passed; return the edge that is due, if any."""
        if self.deadline is None or t < self.deadline:
            return None
        return self._settle(t, access)

    def reset(self) -> None:
        """Forget everything (the sensor went offline)."""
        self._raw = self._accepted = False
        self._locked_until = float("-inf")
        self.deadline = None

    def _settle(self, t: float, access: Access) -> Edge | None:
        if self._raw == self._accepted:
            self.deadline = None  # the contact agrees with the music: nothing pending
            return None
        if t < self._locked_until:
            self.deadline = self._locked_until  # look again when the lock-out ends
            return None
        wait = access.accept_s if self._raw else access.release_s
        due = self._changed_at + wait
        if t < due:
            self.deadline = due
            return None
        self.deadline = None
        self._accepted = self._raw
        if self._raw:
            self._locked_until = t + access.lockout_s
            return Edge.PRESS
        return Edge.RELEASE


class Contacts:
    """Every contact's access filter, by source: the inputs' and the client keys'.

    A filter is made at a source's first contact. ``set_deadline`` is told when
    each filter next needs :meth:`tick` (``<source>/access``), so its timer runs
    with the engine's others.
    """

    def __init__(self, set_deadline: Callable[[str, float | None], None]) -> None:
        self._filters: dict[str, AccessFilter] = {}
        self._set_deadline = set_deadline

    def raw(self, source: str, active: bool, t: float, access: Access) -> Edge | None:
        """A raw contact through ``source``'s filter; the edge it makes, if any."""
        f = self._filters.get(source)
        if f is None:
            f = self._filters[source] = AccessFilter()
        edge = f.raw(active, t, access)
        self._set_deadline(f"{source}/{ACCESS_TIMER}", f.deadline)
        return edge

    def tick(self, source: str, t: float, access: Access) -> Edge | None:
        """``source``'s timer is due: the edge it makes, if any."""
        f = self._filters.get(source)
        if f is None:
            return None
        edge = f.tick(t, access)
        self._set_deadline(f"{source}/{ACCESS_TIMER}", f.deadline)
        return edge

    def accepted(self, source: str) -> bool:
        """Whether ``source`` is pressed, as the music was told."""
        f = self._filters.get(source)
        return f is not None and f.accepted

    def touching(self, source: str) -> bool:
        """Whether ``source`` has contact now, before any filtering."""
        f = self._filters.get(source)
        return f is not None and f.contact

    def sources(self) -> tuple[str, ...]:
        return tuple(self._filters)

    def reset(self) -> None:
        """Every filter back to no contact (a stop or a panic): nothing pending."""
        for f in self._filters.values():
            f.reset()

    def forget(self, source: str) -> None:
        """``source`` starts afresh at its next contact (its timer is the caller's)."""
        self._filters.pop(source, None)

    def forget_starting(self, prefix: str) -> None:
        """Every source whose name starts with ``prefix`` (a device's keys) starts afresh."""
        for source in [s for s in self._filters if s.startswith(prefix)]:
            del self._filters[source]
