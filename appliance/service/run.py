"""``tonic run``: the box as a long-running service.

Start-up, in order (each part is undone in reverse if a later one fails)::

    config ─► data dir ─► profile (last used) ─► synth + soundfont ─► levels
          ─► audio ─► box (engine thread, switches, pads, beams) ─► control socket
          ─► READY=1 (after a round trip through the engine: a note could sound)

Then the main thread only waits for signals (``sigtimedwait``, no polling),
waking for the watchdog when systemd asked for one:

* SIGTERM / SIGINT: silence every note at once, stop in reverse order, exit 0.
* SIGHUP: read the config and the current profile again; a broken file keeps
  what is playing and says why.
* SIGUSR1: every thread's stack to the log.

The signals are blocked in every thread (threads inherit the mask of the main
thread, which blocks them first), so no handler ever runs in the middle of the
box's work.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from appliance.atomic import remove_stale_temp_files
from appliance.box import Box, open_synth
from appliance.config import BoxConfig, ConfigError, load_config
from appliance.control.server import ControlServer
from appliance.control_settings import default_socket_path
from appliance.errors import ProfileError, TonicError
from appliance.events import Event, InputOffline, InputOnline, InstrumentLevelled
from appliance.inputs.simulated import SimulatedHardware
from appliance.profile import Profile
from appliance.profile.library import LoadedProfile, ProfileLibrary, default_data_dir
from appliance.service.audio import AudioOutput, open_audio
from appliance.service.feed import Feed
from appliance.service.methods import BoxApi
from appliance.service.signals import SIGNALS, dump_stacks
from appliance.service.status_line import status_line
from appliance.service.system_methods import EXIT_RESTART, SystemMethods
from appliance.service.systemd import Notifier, watchdog_period
from appliance.sound.fluid import FluidSynth
from appliance.sound.instruments import Instrument, instrument_for
from appliance.sound.level import Level
from appliance.sound.leveller import Leveller

log = logging.getLogger(__name__)

LEVELS_FILE = "levels.json"
#: Longest the first profile's instruments may take to level before READY;
#: past it the box starts with provisional levels, corrected a moment later.
STARTUP_LEVEL_TIMEOUT_S = 2.0
#: Longest the stop waits for the engine to release its notes before the
#: synth is silenced regardless.
STOP_RELEASE_TIMEOUT_S = 0.5
#: How long a Python thread may hold the interpreter while another waits for
#: it. The default, 5 ms, is how late a press could sound when the control
#: socket is busy; 0.5 ms bounds that wait at a tenth, for a little switching.
SWITCH_INTERVAL_S = 0.0005
#: Status changes (a sensor lost, a profile loaded) come in bursts (twelve pads
#: go offline together): wait this long and send one line for the lot.
STATUS_SETTLE_S = 0.1


@dataclass(frozen=True, slots=True)
class ServiceOptions:
    simulate: bool = False
    config: Path | None = None
    profile: str | None = None
    data_dir: Path | None = None
    socket: str | None = None


class Service:
    def __init__(self, options: ServiceOptions, notifier: Notifier | None = None) -> None:
        self.options = options
        self.notifier = notifier or Notifier()
        self.config = BoxConfig()
        self.config_path: Path | None = options.config
        self.synth: FluidSynth | None = None
        self.leveller: Leveller | None = None
        self.audio: AudioOutput | None = None
        self.hardware: SimulatedHardware | None = None
        self.box: Box | None = None
        self.feed: Feed | None = None
        self.api: BoxApi | None = None
        self.server: ControlServer | None = None
        self._status_wanted = threading.Event()
        self._stopping = False
        self._undo: list[Callable[[], None]] = []
        self.exit_code = 0

    # -- the whole life ---------------------------------------------------------------

    def run(self) -> int:
        """Start, serve until SIGTERM, stop. Returns the exit code."""
        signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
        try:
            self.start()
        except TonicError as e:
            log.error("cannot start: %s", e, extra={"error": str(e)})
            self.stop()
            return 1
        except BaseException:
            self.stop()
            raise
        try:
            self._serve()
        finally:
            self.stop()
        return self.exit_code

    def start(self) -> None:
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        config = self._load_config()
        library = self._library(config)
        loaded = self._first_profile(library)
        self._start_parts(config, library, loaded)
        threading.Thread(target=self._report_status, name="tonic-status", daemon=True).start()
        self.notifier.ready(self.status_text())
        log.info("ready: %s", self.status_text(), extra={"profile": loaded.profile.name})

    def stop(self) -> None:
        """Silence first, then every part in reverse order. Safe to call twice."""
        if self._stopping:
            return
        self._stopping = True
        self.notifier.stopping()
        self._stop_parts()
        self._status_wanted.set()

    # -- parts -------------------------------------------------------------------------

    def _start_parts(
        self,
        config: BoxConfig,
        library: ProfileLibrary,
        loaded: LoadedProfile,
        saved: Profile | None = None,
    ) -> None:
        """Synth, levels, audio, box and socket, in order; undone in reverse by _stop_parts."""
        self.config = config
        synth = self.synth = open_synth(config)
        self._undo.append(synth.close)
        leveller = self.leveller = Leveller(
            synth.trims, library.data_dir / LEVELS_FILE, on_levelled=self._levelled
        )
        leveller.start()
        self._undo.append(leveller.stop)
        synth.leveller = leveller
        leveller.prepare(self._instruments(loaded), STARTUP_LEVEL_TIMEOUT_S)

        self.audio = open_audio(synth, config, simulate=self.options.simulate)
        self._undo.append(self.audio.stop)
        if self.options.simulate:
            self.hardware = SimulatedHardware(config)
            self._undo.append(self.hardware.close)

        box = self._build_box(loaded)
        self.api = BoxApi(
            box,
            library,
            leveller,
            self.feed_for(box),
            slug=loaded.slug,
            on_change=self._status_wanted.set,
            hardware=self.hardware,
            system=SystemMethods(
                self.request_restart, self._silence, can_power_off=not self.options.simulate
            ),
        )
        if saved is not None:
            self.api.saved = saved
        self._start_server(self.api)
        # A round trip through the engine: its thread is up, the synth answers.
        box.loop.call(lambda: None)

    def _stop_parts(self) -> None:
        self._silence()
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.box is not None:
            self.box.stop()
            self.box = None
        while self._undo:
            undo = self._undo.pop()
            try:
                undo()
            except Exception as e:  # keep stopping the rest
                log.warning("while stopping: %s", e)
        self.synth = self.leveller = self.audio = self.hardware = None
        self.api = self.feed = None

    def _library(self, config: BoxConfig) -> ProfileLibrary:
        data_dir = Path(self.options.data_dir or config.data_dir or default_data_dir())
        library = ProfileLibrary(data_dir.expanduser())
        library.folder.mkdir(parents=True, exist_ok=True)
        remove_stale_temp_files(library.folder)
        return library

    def _load_config(self) -> BoxConfig:
        try:
            return load_config(self.config_path)
        except ConfigError as e:
            # A box that plays with its default wiring beats a silent one.
            log.error("%s; starting with the built-in configuration", e, extra={"error": str(e)})
            return BoxConfig()

    def _first_profile(self, library: ProfileLibrary) -> LoadedProfile:
        if self.options.profile:
            try:
                loaded = library.load(self.options.profile)
                library.remember(loaded.slug)
            except ProfileError as e:
                log.error("%s; starting with the last profile used", e)
                loaded = library.startup_profile()
        else:
            loaded = library.startup_profile()
        if loaded.warning:
            log.warning("%s", loaded.warning, extra={"profile": loaded.profile.name})
        return loaded

    def _instruments(self, loaded: LoadedProfile) -> list[Instrument]:
        profile = loaded.profile
        return [instrument_for(profile.settings_for(i).instrument) for i in self.config.input_ids()]

    def _build_box(self, loaded: LoadedProfile) -> Box:
        assert self.synth is not None
        hw = self.hardware
        box = Box(
            self.config,
            loaded.profile,
            self.synth,
            pin_factory=hw.factory if hw is not None else None,
            i2c=hw.i2c if hw is not None else None,
            realtime=True,  # SCHED_FIFO for the engine's thread, gc.freeze() once started
        )
        box.engine.event_listeners.append(self._on_event)
        self.box = box
        box.start()
        return box

    def feed_for(self, box: Box) -> Feed:
        self.feed = Feed(box.engine)
        self.feed.attach()
        return self.feed

    def _start_server(self, api: BoxApi) -> None:
        path = self.options.socket or self.config.control.socket or default_socket_path()
        server = ControlServer(
            api, str(path), mode=self.config.control.mode, group=self.config.control.group
        )
        try:
            server.start()
        except OSError as e:
            # The music matters more than the socket: play on, and say so.
            log.error("control socket %s unavailable: %s", path, e, extra={"error": str(e)})
            return
        self.server = server

    def _silence(self) -> None:
        """Every note off at once: through the engine (so the stream shows it), then the synth."""
        box = self.box
        if box is not None:
            try:
                box.loop.call(
                    lambda: box.engine.release_all(time.monotonic(), "stop"),
                    STOP_RELEASE_TIMEOUT_S,
                )
            except Exception as e:  # a stuck engine must not keep the box sounding
                log.warning("engine did not release its notes (%s); silencing the synth", e)
        if self.synth is not None:
            self.synth.silence()

    # -- the main thread ---------------------------------------------------------------

    def _serve(self) -> None:
        period = watchdog_period()
        while True:
            info = signal.sigtimedwait(SIGNALS, period) if period else signal.sigwaitinfo(SIGNALS)
            if info is None:
                self._watchdog(period or 0.0)
                continue
            if info.si_signo in (signal.SIGTERM, signal.SIGINT):
                log.info("stopping (%s)", signal.Signals(info.si_signo).name)
                return
            if info.si_signo == signal.SIGHUP:
                self._reload()
            elif info.si_signo == signal.SIGUSR1:
                dump_stacks()

    def request_restart(self) -> None:
        """``service.restart``: stop as on SIGTERM, then exit for systemd to start again."""
        log.info("restarting, as asked through the control socket")
        self.exit_code = EXIT_RESTART
        os.kill(os.getpid(), signal.SIGTERM)

    def _watchdog(self, period: float) -> None:
        """Ping systemd only if the engine's thread answers: a stuck engine gets restarted."""
        assert self.box is not None
        try:
            self.box.loop.call(lambda: None, period)
        except Exception:
            log.error("the engine's thread did not answer within %.1f s", period)
            return
        self.notifier.watchdog()

    def _reload(self) -> None:
        """SIGHUP: the config again (the box restarts its parts if it changed, keeping
        the profile playing, saved or not), then the current profile's file again."""
        self.notifier.reloading()
        try:
            config = load_config(self.config_path)
        except ConfigError as e:
            log.error("kept the configuration in use: %s", e, extra={"error": str(e)})
        else:
            if config != self.config:
                self._restart_with(config)
        if self.api is not None:
            problem = self.api.reload()
            if problem:
                log.error("%s", problem, extra={"error": problem})
        self.notifier.reloaded()
        self._status_wanted.set()

    def _restart_with(self, config: BoxConfig) -> None:
        old, api = self.config, self.api
        assert api is not None
        loaded = LoadedProfile(api.current(), api.slug)
        saved = api.saved
        changed = [
            f.name
            for f in dataclasses.fields(config)
            if getattr(config, f.name) != getattr(old, f.name)
        ]
        log.info("configuration changed (%s): restarting the box's parts", ", ".join(changed))
        self._stop_parts()
        try:
            self._start_parts(config, self._library(config), loaded, saved)
        except Exception as e:
            log.error("the new configuration did not start (%s); back to the one before", e)
            self._stop_parts()
            self._start_parts(old, self._library(old), loaded, saved)

    # -- status ------------------------------------------------------------------------

    def status_text(self) -> str:
        if self.box is None:
            return "starting"
        try:
            status = self.box.status()
        except Exception as e:
            return f"engine not answering: {e}"
        unsaved = "unsaved changes" if self.api is not None and self.api.unsaved() else ""
        return status_line(status, unsaved)

    def _on_event(self, event: Event) -> None:
        # On the engine's thread: only flag it; the status thread does the work.
        if isinstance(event, InputOffline | InputOnline):
            self._status_wanted.set()

    def _report_status(self) -> None:
        while not self._stopping:
            self._status_wanted.wait()
            if self._stopping:
                return
            time.sleep(STATUS_SETTLE_S)
            self._status_wanted.clear()
            text = self.status_text()
            self.notifier.status(text)
            if self.feed is not None:
                self.feed.publish({"event": "status", "text": text})

    def _levelled(self, instrument: Instrument, level: Level) -> None:
        # On the leveller's thread: the engine sets the channel's level itself.
        if self.box is not None:
            self.box.loop.submit(InstrumentLevelled(time.monotonic(), instrument.name))


def run_service(options: ServiceOptions) -> int:
    return Service(options).run()
