"""The signals the service answers, and what SIGUSR1 writes.

Kept apart from :mod:`appliance.service.run` so ``tonic run`` can block them
before it imports anything that starts a thread.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import traceback

log = logging.getLogger(__name__)

#: Taken with ``sigwaitinfo`` on the main thread; blocked in every thread.
SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1})


def dump_stacks() -> None:
    """Every thread's stack to the log (SIGUSR1), to see where a stuck box is stuck."""
    names = {t.ident: t.name for t in threading.enumerate()}
    for ident, frame in sys._current_frames().items():
        stack = "".join(traceback.format_stack(frame))
        log.warning("thread %s (%d):\n%s", names.get(ident, "?"), ident, stack.rstrip())
