"""The access filter on its own: raw contact edges in, accepted presses and releases out.

Every test drives the filter with explicit times, ticking its deadlines in
between exactly as the engine does (each timer at its own time, before the
next raw edge), and looks only at the edges it hands back and when.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.engine.access import AccessFilter, Contacts, Edge
from appliance.profile.inputs import Access, PadSettings, SwitchSettings

P, R = Edge.PRESS, Edge.RELEASE
EPS = 1e-9


def access(accept_ms: int = 0, release_ms: int = 0, lockout_ms: int = 0) -> Access:
    # The way the engine builds it from a profile, so the floats match.
    return SwitchSettings(accept_ms=accept_ms, release_ms=release_ms, lockout_ms=lockout_ms).access


class Driver:
    """Feeds raw edges and ticks deadlines in time order, recording what comes out."""

    def __init__(self, acc: Access) -> None:
        self.f = AccessFilter()
        self.acc = acc
        self.out: list[tuple[float, Edge]] = []
        self.ticks: list[float] = []  # every deadline ticked, in order
        # A mirror of the raw contact, to check what the filter decided against.
        self.raw_state = False
        self.raw_since = 0.0
        self.at_edge: list[tuple[bool, float]] = []  # raw state and since when, per output

    def advance(self, t: float) -> None:
        """Run every deadline due at or before ``t``, each at its own time."""
        while (when := self.f.deadline) is not None and when <= t:
            self.ticks.append(when)
            self._record(when, self.f.tick(when, self.acc))
            after = self.f.deadline
            assert after is None or after > when, f"deadline did not move on: {when} -> {after}"

    def raw(self, t: float, active: bool) -> Edge | None:
        self.advance(t)
        if active != self.raw_state:
            self.raw_state, self.raw_since = active, t
        edge = self.f.raw(active, t, self.acc)
        self._record(t, edge)
        return edge

    def press(self, t: float) -> Edge | None:
        return self.raw(t, True)

    def release(self, t: float) -> Edge | None:
        return self.raw(t, False)

    def _record(self, t: float, edge: Edge | None) -> None:
        if edge is not None:
            self.out.append((t, edge))
            self.at_edge.append((self.raw_state, self.raw_since))


def times(out: list[tuple[float, Edge]]) -> list[tuple[float, Edge]]:
    return [(pytest.approx(t, abs=1e-9), e) for t, e in out]


# -- no settings: the contact is the press -----------------------------------------


def test_with_no_settings_edges_pass_straight_through():
    d = Driver(access())
    assert d.press(1.0) is P
    assert d.f.accepted and d.f.deadline is None
    assert d.release(1.01) is R
    assert not d.f.accepted and d.f.deadline is None
    assert d.press(1.02) is P
    assert d.out == [(1.0, P), (1.01, R), (1.02, P)]


def test_a_repeated_edge_is_the_same_contact():
    d = Driver(access())
    assert d.press(1.0) is P
    assert d.press(1.5) is None
    assert d.release(2.0) is R
    assert d.release(2.5) is None
    assert d.out == [(1.0, P), (2.0, R)]


def test_the_profile_default_lockout_is_30_ms():
    assert SwitchSettings().access == Access(0.0, 0.0, 0.03)
    assert PadSettings(accept_ms=250, release_ms=120, lockout_ms=0).access == Access(
        0.25, 0.12, 0.0
    )


# -- accept_ms (dwell) -------------------------------------------------------------


def test_accept_ignores_a_brush_shorter_than_it():
    d = Driver(access(accept_ms=300))
    assert d.press(1.0) is None
    assert d.f.deadline == 1.0 + 0.3
    assert d.release(1.1) is None  # 100 ms brush
    assert d.f.deadline is None  # nothing pending any more
    d.advance(5.0)
    assert d.out == []
    assert not d.f.accepted


def test_accept_takes_a_hold_at_exactly_t0_plus_accept():
    d = Driver(access(accept_ms=300))
    d.press(2.0)
    due = 2.0 + 0.3
    assert d.f.deadline == due
    d.advance(due - 0.001)  # a moment early: still waiting
    assert d.out == []
    assert not d.f.accepted
    assert d.f.deadline == due
    d.advance(due)
    assert d.out == [(due, P)]
    assert d.f.accepted and d.f.deadline is None
    assert d.release(2.5) is R  # the release is not delayed by accept
    assert d.out == [(due, P), (2.5, R)]


def test_accept_restarts_from_each_new_contact():
    d = Driver(access(accept_ms=300))
    d.press(1.0)
    d.release(1.2)
    d.press(1.25)  # a new contact: its dwell is timed from here
    assert d.f.deadline == 1.25 + 0.3
    d.advance(1.54)
    assert d.out == []
    d.advance(2.0)
    assert d.out == times([(1.55, P)])


def test_accept_equal_to_the_contact_length_counts():
    d = Driver(access(accept_ms=100))
    d.press(1.0)
    d.release(1.1)  # lasted exactly accept_ms: the deadline fires first
    assert d.out == times([(1.1, P), (1.1, R)])


# -- release_ms ---------------------------------------------------------------------


def test_release_holds_through_a_gap_shorter_than_it():
    d = Driver(access(release_ms=200))
    assert d.press(1.0) is P
    assert d.release(1.5) is None
    assert d.f.deadline == 1.5 + 0.2
    assert d.press(1.55) is None  # 50 ms gap: the contact is back, nothing pending
    assert d.f.deadline is None
    assert d.f.accepted
    d.advance(3.0)
    assert d.out == [(1.0, P)]


def test_release_ends_at_the_final_release_plus_release_ms():
    d = Driver(access(release_ms=200))
    d.press(1.0)
    d.release(1.5)
    d.press(1.55)
    d.release(2.0)
    assert d.f.deadline == 2.0 + 0.2
    assert d.f.tick(2.19, d.acc) is None
    assert d.f.accepted
    d.advance(5.0)
    assert d.out == times([(1.0, P), (2.2, R)])
    assert not d.f.accepted


# -- lockout_ms --------------------------------------------------------------------


BOUNCES = [(1.0, True), (1.005, False), (1.012, True), (1.02, False), (1.027, True), (1.03, False)]


def test_lockout_turns_a_bounce_train_into_one_press_released_at_lockout_end():
    d = Driver(access(lockout_ms=100))
    for t, on in BOUNCES:
        d.raw(t, on)
    assert d.out == [(1.0, P)]
    assert d.f.deadline == 1.0 + 0.1  # look again when the lock-out ends
    d.advance(5.0)
    # The contact is off when the lock-out ends: the release happens then.
    assert d.out == times([(1.0, P), (1.1, R)])
    assert d.ticks == [1.0 + 0.1]


def test_lockout_contact_still_on_at_lockout_end_stays_pressed():
    d = Driver(access(lockout_ms=100))
    for t, on in [*BOUNCES, (1.035, True)]:
        d.raw(t, on)
    assert d.f.deadline is None  # the contact agrees with the note: nothing to look at
    d.advance(5.0)
    assert d.out == [(1.0, P)]
    assert d.f.accepted
    assert d.release(6.0) is R  # lock-out long over: the release is immediate


def test_lockout_does_not_delay_a_release_after_it_ends():
    d = Driver(access(lockout_ms=100))
    d.press(1.0)
    assert d.release(1.5) is R
    assert d.press(1.6) is P  # a new press after the lock-out plays again
    assert d.out == [(1.0, P), (1.5, R), (1.6, P)]


def test_lockout_press_right_after_a_deferred_release_plays_again():
    d = Driver(access(lockout_ms=100))
    d.press(1.0)
    d.release(1.01)
    d.press(1.2)
    assert d.out == times([(1.0, P), (1.1, R), (1.2, P)])


def test_a_fast_tremor_gives_at_most_one_press_per_lockout():
    d = Driver(access(lockout_ms=100))
    for i in range(20):  # on 6 ms, off 6 ms, for a quarter of a second
        t = (1000 + 12 * i) / 1000
        d.press(t)
        d.release(t + 0.006)
    d.advance(10.0)
    presses = [t for t, e in d.out if e is P]
    # Without the lock-out there would be 20 notes; with it, one per 100 ms.
    assert presses == pytest.approx([1.0, 1.108, 1.216])
    assert d.out[-1] == (pytest.approx(1.216 + 0.1), R)  # off at the last lock-out's end


# -- combinations -----------------------------------------------------------------


def test_accept_and_release():
    d = Driver(access(accept_ms=100, release_ms=200))
    d.press(1.0)
    d.release(1.05)  # brush
    d.press(2.0)
    d.release(2.5)  # 50 ms gap
    d.press(2.55)
    d.release(3.0)
    d.advance(9.0)
    assert d.out == times([(2.1, P), (3.2, R)])


def test_accept_and_lockout_lock_is_timed_from_the_accepted_press():
    d = Driver(access(accept_ms=50, lockout_ms=100))
    d.press(1.0)
    d.advance(1.049)
    assert d.out == []
    d.release(1.06)  # accepted at 1.05, then bounces
    d.press(1.07)
    d.release(1.08)
    assert d.f.deadline == pytest.approx(1.15)  # the press at 1.05 + lock-out
    d.advance(9.0)
    assert d.out == times([(1.05, P), (1.15, R)])


def test_accept_and_lockout_a_press_after_the_deferred_release_needs_its_dwell():
    d = Driver(access(accept_ms=50, lockout_ms=100))
    d.press(1.0)
    d.release(1.06)
    d.press(1.12)  # on again during the lock-out
    d.release(1.13)
    d.press(1.16)  # after it: must be held 50 ms to count
    d.advance(9.0)
    assert d.out == times([(1.05, P), (1.15, R), (1.21, P)])


def test_release_and_lockout_release_waits_for_both():
    d = Driver(access(release_ms=200, lockout_ms=100))
    d.press(1.0)
    d.release(1.02)
    assert d.f.deadline == 1.0 + 0.1  # the lock-out comes first
    d.advance(1.1)
    assert d.out == [(1.0, P)]
    assert d.f.deadline == 1.02 + 0.2  # then the release delay, from the raw edge
    d.advance(9.0)
    assert d.out == times([(1.0, P), (1.22, R)])


def test_release_and_lockout_a_short_release_delay_ends_at_the_lockout():
    d = Driver(access(release_ms=20, lockout_ms=100))
    d.press(1.0)
    d.release(1.05)  # due at 1.07, but still locked
    d.advance(9.0)
    assert d.out == times([(1.0, P), (1.1, R)])


def test_all_three_settings_together():
    d = Driver(access(accept_ms=50, release_ms=200, lockout_ms=100))
    d.press(0.5)
    d.release(0.53)  # brush shorter than the dwell
    d.press(1.0)  # accepted at 1.05, locked until 1.15
    d.release(1.06)
    d.press(1.07)  # bounce inside the lock-out
    d.release(1.5)
    d.press(1.6)  # 100 ms gap, shorter than release_ms
    d.release(2.0)
    d.advance(9.0)
    assert d.out == times([(1.05, P), (2.2, R)])


def test_all_three_settings_bounce_off_at_lockout_end_waits_for_release_delay():
    d = Driver(access(accept_ms=50, release_ms=200, lockout_ms=100))
    d.press(1.0)
    d.release(1.08)  # during the lock-out (1.05 .. 1.15)
    d.advance(1.16)
    assert d.out == times([(1.05, P)])
    assert d.f.deadline == pytest.approx(1.28)  # 200 ms after the raw release
    d.advance(9.0)
    assert d.out == times([(1.05, P), (1.28, R)])


# -- deadlines ------------------------------------------------------------------------


def test_deadline_is_none_when_nothing_is_pending():
    f = AccessFilter()
    assert f.deadline is None
    assert f.tick(10.0, access(accept_ms=100)) is None  # nothing due: nothing happens
    assert not f.accepted


@pytest.mark.parametrize(
    ("acc", "edges", "deadline"),
    [
        # dwell: the raw press + accept
        (access(accept_ms=250), [(1.0, True)], 1.0 + 0.25),
        # release delay: the raw release + release_ms
        (access(release_ms=150), [(1.0, True), (2.0, False)], 2.0 + 0.15),
        # lock-out: the accepted press + lockout
        (access(lockout_ms=80), [(1.0, True), (1.01, False)], 1.0 + 0.08),
        # lock-out with a longer release delay: the lock-out end comes first
        (access(release_ms=500, lockout_ms=80), [(1.0, True), (1.01, False)], 1.0 + 0.08),
        # the contact agrees with the note: nothing pending
        (access(lockout_ms=80), [(1.0, True), (1.01, False), (1.02, True)], None),
        (access(accept_ms=250), [(1.0, True), (1.1, False)], None),
        (access(release_ms=150), [(1.0, True), (2.0, False), (2.1, True)], None),
    ],
)
def test_deadline_is_what_the_docstring_says(acc, edges, deadline):
    f = AccessFilter()
    for t, on in edges:
        f.raw(on, t, acc)
    assert f.deadline == deadline


def test_tick_before_the_deadline_changes_nothing():
    acc = access(accept_ms=200)
    f = AccessFilter()
    f.raw(True, 1.0, acc)
    for t in (1.0, 1.1, 1.199):
        assert f.tick(t, acc) is None
        assert f.deadline == 1.0 + 0.2
        assert not f.accepted


def test_a_late_tick_still_gives_the_edge_once():
    acc = access(release_ms=100)
    f = AccessFilter()
    f.raw(True, 1.0, acc)
    f.raw(False, 2.0, acc)
    assert f.tick(7.0, acc) is R  # the loop was late: the edge is still delivered
    assert f.tick(8.0, acc) is None
    assert f.deadline is None


# -- reset ---------------------------------------------------------------------------


def test_reset_forgets_the_press_the_pending_edge_and_the_lockout():
    acc = access(accept_ms=0, release_ms=300, lockout_ms=500)
    f = AccessFilter()
    assert f.raw(True, 1.0, acc) is P
    f.raw(False, 1.1, acc)
    assert f.deadline is not None
    f.reset()
    assert not f.accepted
    assert f.deadline is None
    assert f.tick(5.0, acc) is None  # the pending release is gone
    # Still inside the old lock-out, but a fresh start: the press counts at once.
    assert f.raw(True, 1.2, acc) is P


def test_reset_while_waiting_for_dwell_drops_the_pending_press():
    acc = access(accept_ms=200)
    f = AccessFilter()
    f.raw(True, 1.0, acc)
    f.reset()
    assert f.tick(1.2, acc) is None
    assert not f.accepted
    assert f.raw(False, 1.3, acc) is None  # a release of a contact it no longer knows


# -- any sequence of edges --------------------------------------------------------


ms = st.integers(min_value=0, max_value=400)


@settings(max_examples=300, deadline=None)
@given(
    accept=ms,
    release=ms,
    lockout=ms,
    steps=st.lists(st.tuples(st.integers(0, 300), st.booleans()), min_size=1, max_size=40),
    start=st.floats(0.0, 100.0),
)
def test_any_edge_sequence(accept, release, lockout, steps, start):
    acc = access(accept, release, lockout)
    d = Driver(acc)
    t = start
    for gap, on in steps:
        t += gap / 1000
        d.raw(t, on)
    # Once the raw contact has been still for longer than every setting,
    # the filter must agree with it and have nothing left to do.
    longest = max(acc.accept_s, acc.release_s, acc.lockout_s)
    d.advance(max(t, d.raw_since + longest) + EPS)
    assert d.f.accepted == d.raw_state
    assert d.f.deadline is None

    kinds = [e for _, e in d.out]
    # Presses and releases strictly alternate, starting with a press.
    assert kinds == [P if i % 2 == 0 else R for i in range(len(kinds))]
    # Edges come out in time order.
    stamps = [when for when, _ in d.out]
    assert stamps == sorted(stamps)
    presses = [when for when, e in d.out if e is P]
    for a, b in itertools.pairwise(presses):
        assert b - a >= acc.lockout_s - EPS, "two presses inside one lock-out"
    last_press = None
    for (when, edge), (raw_state, since) in zip(d.out, d.at_edge, strict=True):
        if edge is P:
            # Only a contact that is on, and has been for the dwell.
            assert raw_state
            assert when - since >= acc.accept_s - EPS
            last_press = when
        else:
            # Only a contact that is off, for the release delay, after the lock-out
            # of the press it ends (the one before it in order: a new press may
            # share its timestamp).
            assert not raw_state
            assert when - since >= acc.release_s - EPS
            assert last_press is not None
            assert when - last_press >= acc.lockout_s - EPS


# -- every contact's filter, as the engine keeps them -------------------------------------


class Timers(dict):
    """The engine's side of ``set_deadline``: pending timers by key."""

    def set(self, key: str, when: float | None) -> None:
        if when is None:
            self.pop(key, None)
        else:
            self[key] = when


def test_contacts_keep_a_filter_per_source_and_tell_when_each_is_due():
    timers = Timers()
    contacts = Contacts(timers.set)
    acc = access(accept_ms=100)
    assert contacts.raw("switch:1", True, 1.0, acc) is None  # waiting for the dwell
    assert contacts.raw("midi:keys#60", True, 1.05, access()) is P  # a key of its own
    assert timers == {"switch:1/access": pytest.approx(1.1)}
    assert contacts.touching("switch:1") and not contacts.accepted("switch:1")
    assert contacts.tick("switch:1", 1.1, acc) is P
    assert contacts.accepted("switch:1") and timers == {}
    assert contacts.tick("pad:3", 1.1, acc) is None  # never touched: nothing to do


def test_contacts_forget_a_devices_keys_and_nothing_else():
    contacts = Contacts(Timers().set)
    for source in ("midi:keys#60", "midi:keys#64", "midi:keys-2#60", "switch:1"):
        contacts.raw(source, True, 1.0, access())
    contacts.forget_starting("midi:keys#")
    assert contacts.sources() == ("midi:keys-2#60", "switch:1")
    contacts.reset()  # a stop: nothing pressed, nothing touching
    assert not contacts.accepted("switch:1") and not contacts.touching("switch:1")
