"""The engine's owner thread: events from any thread, status on demand, an idle loop that sleeps."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator

import pytest

from appliance.config import BoxConfig
from appliance.engine import Engine, EngineLoop, EngineStatus
from appliance.engine.loop import REALTIME_PRIORITY
from appliance.events import InputId, Pressed, Released, SetSetting, SoundEvent, SoundKind
from appliance.profile import default_profile
from appliance.sound.fake import FakeSynth

WAIT = 5.0  # generous: only a hung loop ever waits this long


class Watcher:
    """A listener that lets a test wait until a given sound event has happened."""

    def __init__(self) -> None:
        self.events: list[SoundEvent] = []
        self.threads: list[threading.Thread] = []  # the thread each event came on
        self._cond = threading.Condition()

    def __call__(self, event: SoundEvent) -> None:
        with self._cond:
            self.events.append(event)
            self.threads.append(threading.current_thread())
            self._cond.notify_all()

    def wait_for(self, kind: SoundKind, count: int = 1) -> bool:
        with self._cond:
            return self._cond.wait_for(
                lambda: sum(e.type is kind for e in self.events) >= count, WAIT
            )


@pytest.fixture
def synth() -> FakeSynth:
    return FakeSynth()


@pytest.fixture
def watcher() -> Watcher:
    return Watcher()


@pytest.fixture
def loop(synth, watcher) -> Iterator[EngineLoop]:
    engine = Engine(synth, default_profile(), BoxConfig().input_ids(), [watcher])
    loop = EngineLoop(engine)
    loop.start()
    try:
        yield loop
    finally:
        loop.stop()


def _from_another_thread(fn) -> object:
    """Run ``fn`` on a fresh thread (like a gpiozero callback) and return its result."""
    out: list[object] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as e:
            errors.append(e)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(WAIT)
    assert not thread.is_alive(), "the call never returned"
    if errors:
        raise errors[0]
    return out[0]


def test_submit_from_another_thread_reaches_the_engine(loop, watcher):
    _from_another_thread(lambda: loop.submit(Pressed(time.monotonic(), InputId("switch:1"))))
    assert watcher.wait_for(SoundKind.NOTE_ON)
    on = next(e for e in watcher.events if e.type is SoundKind.NOTE_ON)
    assert (on.channel, on.note, on.source) == (0, 60, "switch:1")
    owner = loop.call(threading.current_thread)
    # Building the engine programmed the channels on this thread; the press ran on the owner's.
    played_on = {t for e, t in zip(watcher.events, watcher.threads, strict=True) if e.note}
    assert played_on == {owner}
    assert owner is not threading.current_thread()


def test_events_from_many_threads_are_all_handled(loop, watcher):
    for n in range(1, 5):  # presses come faster than the default lock-out allows
        loop.submit(SetSetting(time.monotonic(), f"switch:{n}.lockout_ms", "0"))

    def press_and_release(n: int) -> None:
        for _ in range(20):
            loop.submit(Pressed(time.monotonic(), InputId(f"switch:{n}")))
            loop.submit(Released(time.monotonic(), InputId(f"switch:{n}")))

    threads = [threading.Thread(target=press_and_release, args=(n,)) for n in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert watcher.wait_for(SoundKind.NOTE_OFF, 80)
    status = loop.status()
    assert status.events_handled == 164
    assert status.notes_sounding == 0
    assert status.errors == 0


def test_status_from_another_thread(loop):
    # Live events carry monotonic times: the loop runs timers (max_note_s) on that clock.
    loop.submit(SetSetting(time.monotonic(), "key", "G"))
    loop.submit(Pressed(time.monotonic(), InputId("switch:2")))
    status = _from_another_thread(loop.status)
    assert isinstance(status, EngineStatus)
    # The queue is in order: the status call sees both earlier events.
    assert status.key == "G"
    assert status.inputs[1].active
    assert status.inputs[1].sounding == ("B4",)
    assert status.events_handled == 2


def test_call_returns_results_and_raises_errors_from_the_owner_thread(loop):
    assert loop.call(lambda: 6 * 7) == 42

    def boom() -> None:
        raise RuntimeError("on the owner thread")

    with pytest.raises(RuntimeError, match="on the owner thread"):
        loop.call(boom)
    assert loop.call(lambda: "still running") == "still running"


def test_stop_releases_held_notes_and_ends_the_thread(synth, watcher):
    engine = Engine(synth, default_profile(), BoxConfig().input_ids(), [watcher])
    loop = EngineLoop(engine)
    loop.start()
    owner = loop.call(threading.current_thread)
    loop.submit(SetSetting(time.monotonic(), "switch:3.mode", "latch"))
    loop.submit(Pressed(time.monotonic(), InputId("switch:1")))
    loop.submit(Pressed(time.monotonic(), InputId("switch:3")))
    loop.submit(Released(time.monotonic(), InputId("switch:3")))  # latched
    assert watcher.wait_for(SoundKind.NOTE_ON, 2)
    loop.stop()
    assert not owner.is_alive()
    offs = {(c[1], c[2]) for c in synth.calls if c[0] == "note_off"}
    assert offs == {(0, 60), (2, 67)}
    assert synth.calls[-1] == ("all_notes_off", None)
    assert engine.status().notes_sounding == 0
    loop.stop()  # a second stop is harmless


def test_call_without_a_running_thread_runs_inline(synth):
    loop = EngineLoop(Engine(synth, default_profile(), BoxConfig().input_ids()))
    assert loop.call(threading.current_thread) is threading.current_thread()
    assert loop.status().events_handled == 0


def test_idle_loop_sleeps_instead_of_polling(loop):
    owner = loop.call(threading.current_thread)
    assert owner.is_alive()
    clock = time.pthread_getcpuclockid(owner.ident)
    before = time.clock_gettime(clock)
    time.sleep(0.5)
    used = time.clock_gettime(clock) - before
    assert owner.is_alive()
    assert used < 0.05, f"the idle engine thread used {used:.3f} s of CPU in 0.5 s"
    # And it is still responsive after sleeping.
    assert loop.status().events_handled == 0


# --- real-time priority ------------------------------------------------------------------


def _scheduler_of_owner(loop: EngineLoop) -> int:
    return loop.call(lambda: os.sched_getscheduler(0))


def test_the_owner_thread_keeps_normal_priority_unless_asked(loop):
    assert _scheduler_of_owner(loop) == os.SCHED_OTHER


def test_asked_for_it_the_owner_thread_runs_fifo_or_says_once_why_not(synth, caplog):
    loop = EngineLoop(Engine(synth, default_profile(), BoxConfig().input_ids()), realtime=True)
    caplog.set_level(logging.INFO, logger="appliance.engine.loop")
    loop.start()
    try:
        policy = _scheduler_of_owner(loop)
        param = loop.call(lambda: os.sched_getparam(0))
    finally:
        loop.stop()
    lines = [r.getMessage() for r in caplog.records if r.name == "appliance.engine.loop"]
    assert len(lines) == 1, lines
    if policy == os.SCHED_FIFO:  # root, or a LimitRTPRIO: granted to this thread only
        assert param.sched_priority == REALTIME_PRIORITY
        assert lines == [f"engine: running at real-time priority {REALTIME_PRIORITY} (SCHED_FIFO)"]
        assert os.sched_getscheduler(0) == os.SCHED_OTHER  # the test's own thread is untouched
    else:
        assert lines[0].startswith("engine: real-time priority refused")


def test_a_refused_request_is_one_warning_and_the_loop_plays_on(
    synth, watcher, caplog, monkeypatch
):
    def refuse(pid: int, policy: int, param: os.sched_param) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "sched_setscheduler", refuse)
    engine = Engine(synth, default_profile(), BoxConfig().input_ids(), [watcher])
    loop = EngineLoop(engine, realtime=True)
    caplog.set_level(logging.INFO, logger="appliance.engine.loop")
    loop.start()
    try:
        loop.submit(Pressed(time.monotonic(), InputId("switch:1")))
        assert watcher.wait_for(SoundKind.NOTE_ON)
    finally:
        loop.stop()
    records = [r for r in caplog.records if r.name == "appliance.engine.loop"]
    assert [(r.levelno, r.getMessage()) for r in records] == [
        (
            logging.WARNING,
            "engine: real-time priority refused ([Errno 1] Operation not permitted);"
            " playing at normal priority",
        )
    ]
