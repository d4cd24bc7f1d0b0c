"""Work off the UI thread whose failure the screen acts on, rather than only shows.

:meth:`SetupScreen.request` turns a refusal into a notification; some screens
need the refusal itself (the box's words, to show in place or to offer another
way) or run work that is not a box call at all (a file, ``tonic doctor``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from appliance.errors import TonicError

if TYPE_CHECKING:
    from appliance.tui.screens.base import SetupScreen

T = TypeVar("T")


def in_thread(
    screen: SetupScreen,
    work: Callable[[], T],
    then: Callable[[T], None],
    failed: Callable[[TonicError], None],
) -> None:
    """``work()`` on a thread worker; ``then(result)`` or ``failed(error)`` on the UI thread.

    Only :class:`TonicError` is a failure to act on; anything else is a bug, which
    the app's guard logs and shows in one line."""

    def back(fn: Callable[..., Any], *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the app is closing: nobody to tell
            screen.app.call_from_thread(fn, *args)

    def run() -> None:
        try:
            result = work()
        except TonicError as e:
            back(failed, e)
            return
        back(then, result)

    screen.run_worker(run, thread=True, group="calls", exit_on_error=False)


def call(
    screen: SetupScreen,
    method: str,
    params: dict[str, Any] | None,
    then: Callable[[Any], None],
    refused: Callable[[TonicError], None],
) -> None:
    """The box's ``method``; a refusal (or no box) goes to ``refused`` with its one line."""
    in_thread(screen, lambda: screen.setup.link.call(method, params), then, refused)
