"""``tonic run``: the box as a service (systemd starts it; ``--simulate`` runs it anywhere)."""

from __future__ import annotations

import argparse
import os
import signal
from pathlib import Path
from typing import Any


def add(commands: Any) -> None:
    run_ = commands.add_parser("run", help="run the box as a service until stopped")
    run_.add_argument(
        "--simulate",
        action="store_true",
        help="simulated switches, pads and beam (and real-time rendering without a sound card)",
    )
    run_.add_argument(
        "--config", type=Path, help="box config (TOML); default /etc/tonic/tonic.toml"
    )
    run_.add_argument("--profile", help="start with this profile (default: the last one used)")
    run_.add_argument("--data-dir", type=Path, help="where profiles are kept")
    run_.add_argument("--socket", help="the control socket's path")
    run_.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Before anything starts a thread: the service takes its signals with
    # sigwaitinfo on the main thread, so every thread must block them, and
    # threads inherit the mask of the thread that creates them. (Importing
    # numpy, through FluidSynth's binding, starts OpenBLAS's worker threads.)
    from appliance.service.signals import SIGNALS

    signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    _stop_with_parent()
    # The box does no linear algebra: one OpenBLAS thread, not one per core.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from appliance.service.run import Service, ServiceOptions
    from appliance.service.systemd import start_logging

    logs = start_logging(args.verbose)
    options = ServiceOptions(
        simulate=args.simulate,
        config=args.config,
        profile=args.profile,
        data_dir=args.data_dir,
        socket=args.socket,
    )
    try:
        return Service(options).run()
    finally:
        logs.stop()


#: Set by ``tonic setup --simulate`` to its own process id: the private box it
#: starts must not outlive it, however it ends (a closed terminal, a crash).
STOP_WITH_PARENT = "TONIC_STOP_WITH_PARENT"
_PR_SET_PDEATHSIG = 1


def _stop_with_parent() -> None:
    """Ask the kernel for a SIGTERM when the parent named in the environment dies."""
    parent = os.environ.pop(STOP_WITH_PARENT, "")
    if not parent.isdigit():
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return  # not Linux: the setup UI still stops its box the orderly way
    if os.getppid() != int(parent):  # it died before the request took hold
        os.kill(os.getpid(), signal.SIGTERM)
