"""The setup UI (``tonic setup``): a Textual app, and a client of the box's control socket.

It runs in its own process, beside the service, and imports nothing of the
engine, the synth, the inputs or the service: only ``appliance.control.client``
(and ``control.api``), ``appliance.errors``, ``appliance.atomic`` and the pure music theory
(tests/tui/test_architecture.py keeps that true)::

    service ══ control socket ══► link.py   Link: one thread follows the live stream,
                                    │          reconnects by itself, coalesces beams;
                                    │          requests run on the screens' thread workers
                                    ▼  Connected(status) / Disconnected(reason) / BoxEvent
                                  app.py    SetupApp: banner, Panic (F12, ctrl+p) on every
                                    │          screen, F keys between screens, simulate keys,
                                    │          the guard that logs a bug and shows one line
                                    ▼  forwarded to the screen shown
                                  screens/  one Screen per job, listed in screens/__init__.py
                                    │          (SCREENS: adding a screen is one line there);
                                    │          each subclasses screens/base.py SetupScreen
                                    ▼
                                  widgets/  told what to show; redraw only on a change
                                  view.py   the words and numbers, pure functions of the status

Look in ``setup.tcss``; the log goes to ``$XDG_STATE_HOME/tonic/setup.log``.
"""
